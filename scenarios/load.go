package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/loadgate/loadgate/record"
)

// Options adjust how a scenario source is read.
type Options struct {
	// LookupEnv resolves ${VAR}; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// WritesChecked says that the caller counts the target's writes after
	// the run (run.json's writes, which the writes_lost gate reads: what
	// `loadgate scenario` does against the reference target's database).
	// The count covers a run with faults and no warm-up only, so a
	// writes_lost gate is refused unless WritesChecked is set and the
	// scenario has faults and no warm-up.
	WritesChecked bool
}

func (o Options) lookup() func(string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv
	}
	return os.LookupEnv
}

// MaxScenarioBytes bounds a scenario file: a regular file of at most this
// many bytes.
const MaxScenarioBytes = 16 << 20

// Load reads, expands, decodes and validates the scenario file at path, a
// regular file of at most MaxScenarioBytes. Errors are *Error values naming
// the file, line, column and field.
func Load(path string, opts ...Options) (*Scenario, error) {
	data, err := record.ReadRegular(path, MaxScenarioBytes)
	if err != nil {
		return nil, fmt.Errorf("reading scenario: %w", err)
	}
	return Parse(data, path, filepath.Dir(path), opts...)
}

// Parse decodes and validates a scenario from data. name is used in error
// messages and as the Source; dir resolves relative data files.
func Parse(data []byte, name, dir string, opts ...Options) (*Scenario, error) {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	sc, probs := parse(data, o.lookup())
	if sc == nil || probs.fatal {
		return nil, probs.err(name)
	}
	sc.Source = name
	sc.dir = dir
	sc.writesChecked = o.WritesChecked
	sc.applyDefaults()
	// Every problem at once: what validation finds besides what decoding
	// did (a bad extract must not hide a bad gate), without the ones that
	// only follow from a value decoding could not read.
	probs.addUnrelated(sc.check(false))
	if err := probs.err(name); err != nil {
		return nil, err
	}
	return sc, nil
}

// Resolve loads a built-in scenario by name, or a file when nameOrPath names
// one (it contains a path separator or ends in .yaml/.yml).
func Resolve(nameOrPath string, opts ...Options) (*Scenario, error) {
	if strings.ContainsRune(nameOrPath, filepath.Separator) || strings.HasSuffix(nameOrPath, ".yaml") || strings.HasSuffix(nameOrPath, ".yml") {
		return Load(nameOrPath, opts...)
	}
	if _, err := os.Stat(nameOrPath); err == nil && !isBuiltin(nameOrPath) {
		return Load(nameOrPath, opts...)
	}
	return Builtin(nameOrPath, opts...)
}

// applyDefaults fills in what the scenario left out (see the field docs).
// Only a key that is absent takes its default: one written as zero or empty
// ("max_connections: 0", "method: \"\"") stays so, and Validate refuses it.
func (s *Scenario) applyDefaults() {
	if s.Target.Timeout == 0 && !s.written("target.timeout") {
		s.Target.Timeout = Duration(DefaultTimeout)
	}
	if s.Load.Model == "" && !s.written("load.model") {
		s.Load.Model = ModelOpen
	}
	if s.Load.MaxWorkers == 0 && !s.written("load.max_workers") {
		s.Load.MaxWorkers = DefaultMaxWorkers
	}
	if s.Load.MaxConnections == 0 && !s.written("load.max_connections") {
		s.Load.MaxConnections = DefaultMaxConnections
	}
	if len(s.Flows) > 0 && !s.written("load.graceful_stop") {
		s.Load.GracefulStop = Duration(DefaultGracefulStop)
	}
	if s.Target.MaxBody == 0 && !s.written("target.max_body") {
		s.Target.MaxBody = DefaultMaxBody
	}
	if s.Metrics.Interval == 0 && !s.written("metrics.interval") {
		s.Metrics.Interval = Duration(DefaultScrapeInterval)
	}
	for i, g := range s.Gates {
		if g.Abort != nil && g.Abort.Window == 0 && !s.written(fmt.Sprintf("gates[%d].abort.window", i)) {
			g.Abort.Window = Duration(DefaultAbortWindow)
		}
	}
	for name, d := range s.Data {
		if d.Pick == "" && !s.written("data."+name+".pick") {
			d.Pick = PickRandom
			s.Data[name] = d
		}
	}
	for list, reqs := range map[string][]Request{"setup": s.Setup, "requests": s.Requests} {
		for i := range reqs {
			r := &reqs[i]
			if r.Method == "" && !s.written(fmt.Sprintf("%s[%d].method", list, i)) {
				r.Method = DefaultMethod
			}
			r.Method = strings.ToUpper(r.Method)
		}
	}
	for i := range s.Requests {
		if !s.written(fmt.Sprintf("requests[%d].weight", i)) {
			s.Requests[i].Weight = 1
		}
	}
	for i := range s.Flows {
		f := &s.Flows[i]
		if !s.written(fmt.Sprintf("flows[%d].weight", i)) {
			f.Weight = 1
		}
		for j := range f.Steps {
			st := &f.Steps[j]
			if st.Method == "" && !s.written(fmt.Sprintf("flows[%d].steps[%d].method", i, j)) {
				st.Method = DefaultMethod
			}
			st.Method = strings.ToUpper(st.Method)
		}
	}
}

// written reports whether field was written in the source (with any value,
// null included).
func (s *Scenario) written(field string) bool {
	_, ok := s.pos[field]
	return ok
}

// Position returns where field (a path such as "load.stages[1].rate") was
// written, or where its closest written parent was.
func (s *Scenario) Position(field string) Pos {
	for f := field; ; {
		if p, ok := s.pos[f]; ok {
			return p
		}
		i := strings.LastIndexAny(f, ".[")
		if i < 0 {
			return s.pos[""]
		}
		f = f[:i]
	}
}

// Dir is the directory relative data files are read from.
func (s *Scenario) Dir() string { return s.dir }
