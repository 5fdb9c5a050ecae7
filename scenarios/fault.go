package scenarios

import (
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/loadgate/loadgate/redact"
)

// Fault actions. The built-in ones act on the stack `loadgate scenario`
// sets up (or was given); exec runs commands of the user's.
const (
	// FaultRedisStop stops the Redis server for the fault's duration.
	FaultRedisStop = "redis_stop"
	// FaultRedisPause pauses Redis's clients (CLIENT PAUSE) for the duration.
	FaultRedisPause = "redis_pause"
	// FaultPGTerminate terminates the PostgreSQL backends serving the
	// target's database (pg_terminate_backend): an instant fault.
	FaultPGTerminate = "pg_terminate_backends"
	// FaultPGStop stops PostgreSQL for the duration, then starts it again.
	FaultPGStop = "pg_stop"
	// FaultTargetRestart stops the target gracefully (SIGTERM) and starts
	// it again: an instant fault.
	FaultTargetRestart = "target_restart"
	// FaultTargetKill kills the target (SIGKILL) and starts it again.
	FaultTargetKill = "target_kill"
	// Network faults between the target and Service, through a TCP proxy.
	FaultLatency   = "latency"   // Latency, with Jitter
	FaultBandwidth = "bandwidth" // at most KBPerS kilobytes a second
	FaultReset     = "reset"     // every connection is reset (TCP RST)
	FaultBlackhole = "blackhole" // nothing gets through, connections stay open
	// FaultExec runs Run to inject and Undo to undo, argv lists without a
	// shell, each within Timeout.
	FaultExec = "exec"
)

// Services a fault acts on.
const (
	ServiceRedis    = "redis"
	ServicePostgres = "postgres"
	ServiceTarget   = "target"
)

// DefaultExecTimeout bounds each command of an exec fault.
const DefaultExecTimeout = 30 * time.Second

// Fault is one fault drill of the run: at At into the run the action is
// injected; For later it is undone. Instant actions (pg_terminate_backends,
// target_restart, target_kill, an exec without undo) take no For. Whatever
// happens, every fault is undone when the run ends.
type Fault struct {
	// Name labels the fault in results; default "<action>@<at>".
	Name string `yaml:"name"`
	// At is the offset into the run (warm-up included) of the injection.
	At Duration `yaml:"at"`
	// For is how long the fault lasts before it is undone.
	For Duration `yaml:"for"`
	// Action is one of the Fault* actions.
	Action string `yaml:"action"`
	// Service is what a network fault sits in front of (postgres or redis);
	// for exec it is an optional label that overlapping faults are checked on.
	Service string `yaml:"service"`
	// Latency is added to each chunk of data (latency), with up to Jitter
	// more or less.
	Latency Duration `yaml:"latency"`
	Jitter  Duration `yaml:"jitter"`
	// KBPerS caps the bandwidth (bandwidth), in kilobytes a second.
	KBPerS int64 `yaml:"kb_per_s"`
	// Run and Undo are exec's commands as argv lists; Undo may be empty
	// for an instant fault.
	Run  []string `yaml:"run"`
	Undo []string `yaml:"undo"`
	// Timeout bounds each exec command; default 30s.
	Timeout Duration `yaml:"timeout"`

	// shownRun and shownUndo are Run and Undo with each ${VAR} expansion
	// masked (nil: none); envValues the values their expansions took
	// from the environment.
	shownRun, shownUndo []string
	envValues           []string
}

// ShownRun is Run as it may be printed or recorded (an error, run.json, a
// report): each part that came from the environment (${VAR}, ${VAR:-default})
// is redact.Mask, and redact.Args hides URL passwords, credential query
// values and the values of secret-looking flags.
func (f Fault) ShownRun() []string { return shownArgv(f.Run, f.shownRun) }

// ShownUndo is Undo as it may be printed or recorded (see ShownRun).
func (f Fault) ShownUndo() []string { return shownArgv(f.Undo, f.shownUndo) }

func shownArgv(argv, masked []string) []string {
	if masked == nil {
		masked = argv
	}
	return redact.Args(masked)
}

// minConcealed is the shortest value from the environment Conceal looks for
// in text: a shorter one would mask every "1" or "ok" of a command's output.
// Such a value is still masked in ShownRun and ShownUndo.
const minConcealed = 4

// Conceal returns text (what the fault's commands printed, an error quoting
// it) as it may be printed or recorded: every value of at least 4 bytes that
// the fault's commands took from the environment is redact.Mask, and
// redact.Text hides what it recognises (URL passwords, secret flags and
// assignments, credential headers).
func (f Fault) Conceal(text string) string {
	for _, v := range f.envValues {
		if len(v) >= minConcealed {
			text = strings.ReplaceAll(text, v, redact.Mask)
		}
	}
	return redact.Text(text)
}

// markEnv gives each exec fault of sc what may be shown of its commands,
// from the expansions the decoder recorded by field path.
func markEnv(sc *Scenario, env map[string]expanded) {
	if len(env) == 0 {
		return
	}
	for i := range sc.Faults {
		f := &sc.Faults[i]
		f.shownRun = markArgv(env, fmt.Sprintf("faults[%d].run", i), f.Run, &f.envValues)
		f.shownUndo = markArgv(env, fmt.Sprintf("faults[%d].undo", i), f.Undo, &f.envValues)
	}
}

// markArgv is argv with each element that had ${VAR} expanded shown masked
// (nil when none had), and appends the environment's values to values.
func markArgv(env map[string]expanded, path string, argv []string, values *[]string) []string {
	var shown []string
	for j := range argv {
		x, ok := env[fmt.Sprintf("%s[%d]", path, j)]
		if !ok {
			continue
		}
		if shown == nil {
			shown = slices.Clone(argv)
		}
		shown[j] = x.shown
		*values = append(*values, x.env...)
	}
	return shown
}

// Label is the fault's name in results.
func (f Fault) Label() string {
	if f.Name != "" {
		return f.Name
	}
	return f.Action + "@" + roundForDisplay(f.At.D())
}

// Instant reports whether the action is done at once (no For).
func (f Fault) Instant() bool {
	switch f.Action {
	case FaultPGTerminate, FaultTargetRestart, FaultTargetKill:
		return true
	case FaultExec:
		return len(f.Undo) == 0
	}
	return false
}

// Network reports whether the action goes through the TCP proxy.
func (f Fault) Network() bool {
	switch f.Action {
	case FaultLatency, FaultBandwidth, FaultReset, FaultBlackhole:
		return true
	}
	return false
}

// Target is the service the fault acts on: redis, postgres, target, or
// for exec its Service label (empty: none).
func (f Fault) Target() string {
	switch f.Action {
	case FaultRedisStop, FaultRedisPause:
		return ServiceRedis
	case FaultPGTerminate, FaultPGStop:
		return ServicePostgres
	case FaultTargetRestart, FaultTargetKill:
		return ServiceTarget
	}
	return f.Service
}

// End is the planned end of the fault's window (At for an instant one).
func (f Fault) End() time.Duration { return f.At.D() + f.For.D() }

var faultActions = []string{FaultRedisStop, FaultRedisPause, FaultPGTerminate, FaultPGStop,
	FaultTargetRestart, FaultTargetKill, FaultLatency, FaultBandwidth, FaultReset, FaultBlackhole, FaultExec}

// NetworkServices lists the services the scenario's network faults sit in
// front of, sorted.
func (s *Scenario) NetworkServices() []string {
	seen := map[string]bool{}
	for _, f := range s.Faults {
		if f.Network() {
			seen[f.Service] = true
		}
	}
	return sortedKeys(seen)
}

// RestartsTarget says whether a drill of the scenario restarts or kills the
// target (target_restart, target_kill): such a target wants an address of
// its own, free while it is down.
func (s *Scenario) RestartsTarget() bool {
	for _, f := range s.Faults {
		if f.Action == FaultTargetRestart || f.Action == FaultTargetKill {
			return true
		}
	}
	return false
}

func (v *validation) faults() {
	total := v.s.TotalDuration()
	names := map[string]bool{}
	for i, f := range v.s.Faults {
		field := fmt.Sprintf("faults[%d]", i)
		known := false
		for _, a := range faultActions {
			known = known || f.Action == a
		}
		if !known {
			if f.Action == "" {
				v.add(field+".action", "each fault needs an action (one of %s)", strings.Join(faultActions, ", "))
			} else {
				v.add(field+".action", "unknown action %q (known: %s)", f.Action, strings.Join(faultActions, ", "))
			}
			continue
		}
		if f.Name != "" && !validName(f.Name) {
			v.add(field+".name", "%q: use letters, digits, '_', '-' and '.'", f.Name)
		}
		if names[f.Label()] {
			v.add(field+".name", "fault name %q is used twice (give each a name)", f.Label())
		}
		names[f.Label()] = true
		if total > 0 && f.At.D() >= total {
			v.add(field+".at", "%s is at or after the end of the run (%s)", f.At, roundForDisplay(total))
		} else if total > 0 && f.End() > total {
			v.add(field+".for", "the fault would end at %s, after the end of the run (%s)", roundForDisplay(f.End()), roundForDisplay(total))
		}
		if f.Instant() && f.For > 0 {
			v.add(field+".for", "%s is instant: it takes no for", f.Action)
		} else if !f.Instant() && f.For <= 0 {
			v.add(field+".for", "%s needs a duration (for: 20s): it is undone when that ends", f.Action)
		}
		v.faultParams(field, f)
	}
	v.overlaps()
}

// faultParams checks the parameters of one fault against its action.
func (v *validation) faultParams(field string, f Fault) {
	only := func(set bool, name string, actions ...string) {
		if set && !containsString(actions, f.Action) {
			v.add(field+"."+name, "%s applies to %s only", name, strings.Join(actions, ", "))
		}
	}
	only(f.Latency > 0, "latency", FaultLatency)
	only(f.Jitter > 0, "jitter", FaultLatency)
	only(f.KBPerS != 0, "kb_per_s", FaultBandwidth)
	only(len(f.Run) > 0, "run", FaultExec)
	only(len(f.Undo) > 0, "undo", FaultExec)
	only(f.Timeout > 0, "timeout", FaultExec)
	only(f.Service != "", "service", FaultLatency, FaultBandwidth, FaultReset, FaultBlackhole, FaultExec)
	switch {
	case f.Network():
		if f.Service != ServicePostgres && f.Service != ServiceRedis {
			v.add(field+".service", "%q: a network fault sits in front of postgres or redis", f.Service)
		}
	case f.Action == FaultExec:
		if len(f.Run) == 0 {
			v.add(field+".run", "exec needs the command to run, as a list: [program, arg, ...]")
		} else {
			v.command(field+".run", f, f.Run)
		}
		if len(f.Undo) > 0 {
			v.command(field+".undo", f, f.Undo)
		}
	}
	if f.Action == FaultLatency && f.Latency <= 0 {
		v.add(field+".latency", "latency needs the delay to add, e.g. 200ms")
	}
	if f.Action == FaultBandwidth && f.KBPerS <= 0 {
		v.add(field+".kb_per_s", "bandwidth needs a positive rate in kilobytes a second")
	}
}

// command checks that an exec argv's program exists (a relative path is
// relative to the scenario file). The error shows no value of f's from the
// environment.
func (v *validation) command(field string, f Fault, argv []string) {
	if _, err := ResolveCommand(v.s.dir, argv[0]); err != nil {
		v.add(field, "%s", f.Conceal(err.Error()))
	}
}

// ResolveCommand finds an exec fault's program: a bare name on PATH, a
// relative path from dir (the scenario file's directory).
func ResolveCommand(dir, prog string) (string, error) {
	if prog == "" {
		return "", fmt.Errorf("empty program name")
	}
	p := prog
	if strings.ContainsRune(prog, '/') && !filepath.IsAbs(prog) && dir != "" {
		p = filepath.Join(dir, prog)
	}
	found, err := exec.LookPath(p)
	if err != nil {
		return "", fmt.Errorf("command %q not found (a program on PATH, or a path relative to the scenario file)", prog)
	}
	return found, nil
}

// overlaps refuses two faults on one service whose windows meet: the undo
// of one would undo the other.
func (v *validation) overlaps() {
	type window struct {
		i        int
		from, to time.Duration
	}
	by := map[string][]window{}
	for i, f := range v.s.Faults {
		svc := f.Target()
		if svc == "" {
			continue
		}
		to := f.End()
		if to == f.At.D() {
			to++ // an instant fault occupies its moment
		}
		by[svc] = append(by[svc], window{i, f.At.D(), to})
	}
	for _, svc := range sortedKeys(by) {
		ws := by[svc]
		sort.SliceStable(ws, func(a, b int) bool { return ws[a].from < ws[b].from })
		for k := 1; k < len(ws); k++ {
			prev, cur := ws[k-1], ws[k]
			if cur.from < prev.to {
				v.add(fmt.Sprintf("faults[%d].at", cur.i), "overlaps faults[%d] (%s) on %s: faults on one service must not overlap",
					prev.i, v.s.Faults[prev.i].Label(), svc)
			}
		}
	}
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
