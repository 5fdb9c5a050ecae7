package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Options adjust how a scenario source is read.
type Options struct {
	// LookupEnv resolves ${VAR}; default os.LookupEnv.
	LookupEnv func(string) (string, bool)
	// CheckGate, when set, validates each gate expression (the report
	// package's parser); default: gates are only checked to be non-empty.
	CheckGate func(expr string) error
}

func (o Options) lookup() func(string) (string, bool) {
	if o.LookupEnv != nil {
		return o.LookupEnv
	}
	return os.LookupEnv
}

// Load reads, expands, decodes and validates the scenario file at path.
// Errors are *Error values naming the file, line, column and field.
func Load(path string, opts ...Options) (*Scenario, error) {
	data, err := os.ReadFile(path)
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
	if sc == nil || len(probs.list) > 0 {
		return nil, probs.err(name)
	}
	sc.Source = name
	sc.dir = dir
	sc.applyDefaults()
	if err := sc.ValidateWith(o.CheckGate); err != nil {
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
func (s *Scenario) applyDefaults() {
	if s.Target.Timeout == 0 {
		s.Target.Timeout = Duration(DefaultTimeout)
	}
	if s.Load.Model == "" {
		s.Load.Model = ModelOpen
	}
	if s.Load.MaxWorkers == 0 {
		s.Load.MaxWorkers = DefaultMaxWorkers
	}
	if s.Load.MaxConnections == 0 {
		s.Load.MaxConnections = DefaultMaxConnections
	}
	if s.Target.MaxBody == 0 {
		s.Target.MaxBody = DefaultMaxBody
	}
	if s.Metrics.Interval == 0 {
		s.Metrics.Interval = Duration(DefaultScrapeInterval)
	}
	for _, g := range s.Gates {
		if g.Abort != nil && g.Abort.Window == 0 {
			g.Abort.Window = Duration(DefaultAbortWindow)
		}
	}
	for name, d := range s.Data {
		if d.Pick == "" {
			d.Pick = PickRandom
			s.Data[name] = d
		}
	}
	for _, reqs := range [][]Request{s.Setup, s.Requests} {
		for i := range reqs {
			r := &reqs[i]
			if r.Method == "" {
				r.Method = DefaultMethod
			}
			r.Method = strings.ToUpper(r.Method)
		}
	}
	for i := range s.Requests {
		if _, written := s.pos[fmt.Sprintf("requests[%d].weight", i)]; !written {
			s.Requests[i].Weight = 1
		}
	}
	for i := range s.Flows {
		f := &s.Flows[i]
		if _, written := s.pos[fmt.Sprintf("flows[%d].weight", i)]; !written {
			f.Weight = 1
		}
		for j := range f.Steps {
			st := &f.Steps[j]
			if st.Method == "" {
				st.Method = DefaultMethod
			}
			st.Method = strings.ToUpper(st.Method)
		}
	}
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
