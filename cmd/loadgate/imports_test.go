package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// importRules say which way imports run (DESIGN.md, issue 19): the command
// parses flags and calls the one-run owner (trial); the owner drives the
// runner, the report, the fault drills and the history; under them the
// scenario schema and the gate language, then the results contract (record),
// then redact. Each rule is a package (with those under it) and the module
// packages it must not import.
var importRules = []struct {
	pkg       string
	forbidden []string
	except    []string // under a forbidden one, yet allowed
	why       string
}{
	{"trial", []string{"cmd"}, nil, "the owner of a run is called by the command, never the other way"},
	{"runner", []string{"trial", "report", "faults", "history", "cmd", "target"}, nil, "the runner measures; judging, drills, rendering and storing are the owner's to call"},
	{"report", []string{"trial", "runner", "faults", "history", "scenarios", "cmd", "target"}, nil, "the report reads results directories and never re-judges"},
	{"faults", []string{"trial", "runner", "report", "history", "cmd"}, nil, "the drills know no runner and no report: the owner hands them to the runner"},
	{"history", []string{"trial", "runner", "report", "faults", "scenarios", "cmd", "target"}, nil, "the store of past runs reads and writes the results contract only"},
	{"scenarios", []string{"trial", "runner", "report", "faults", "history", "cmd", "target", "migrations"}, nil, "a scenario is plain data over the gate language"},
	{"gate", []string{"trial", "runner", "report", "faults", "history", "scenarios", "cmd", "target", "migrations"}, nil, "the gate language reads the results contract only"},
	{"record", []string{""}, []string{"redact"}, "the results contract is a leaf (redact aside)"},
	{"target", []string{"trial", "runner", "report", "faults", "history", "scenarios", "gate", "cmd"}, []string{"record"}, "the target under test knows nothing of the harness (its after-run checks fill the results contract)"},
	{"redact", []string{""}, nil, "a leaf every side imports"},
	{"leftovers", []string{""}, nil, "a leaf: the services, the drills and the command record what a run turned on"},
}

const module = "github.com/loadgate/loadgate"

// under reports whether path is pkg or a package under it (module-relative).
func under(path, pkg string) bool {
	return pkg == "" || path == pkg || strings.HasPrefix(path, pkg+"/")
}

// TestImportDirection fails on a back-edge: `go list -json ./...` of the
// module, every package's imports checked against importRules.
func TestImportDirection(t *testing.T) {
	t.Parallel()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	dec := json.NewDecoder(bytes.NewReader(out))
	seen := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		from := strings.TrimPrefix(p.ImportPath, module+"/")
		for _, imp := range p.Imports {
			if !strings.HasPrefix(imp, module+"/") {
				continue
			}
			to := strings.TrimPrefix(imp, module+"/")
			if backEdge(from, to) != "" {
				t.Errorf("%s imports %s: %s", from, to, backEdge(from, to))
			}
		}
	}
	if seen < 10 {
		t.Fatalf("go list gave %d packages: not the module", seen)
	}
}

// backEdge is the rule an import from → to breaks, or "".
func backEdge(from, to string) string {
	for _, r := range importRules {
		if !under(from, r.pkg) {
			continue
		}
		for _, f := range r.forbidden {
			if under(to, f) && !under(to, r.pkg) && !slices.ContainsFunc(r.except, func(e string) bool { return under(to, e) }) {
				return r.why
			}
		}
	}
	return ""
}

// TestBackEdgeRules: the rules catch the edges issue 15 removed and let the
// ones that run the right way pass (a check that cannot fail proves nothing).
func TestBackEdgeRules(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		from, to string
		back     bool
	}{
		{"runner", "report", true},
		{"runner", "trial", true},
		{"runner", "faults", true},
		{"report", "runner", true},
		{"report", "scenarios", true},
		{"gate", "runner", true},
		{"gate", "scenarios", true},
		{"record", "scenarios", true},
		{"record", "gate", true},
		{"redact", "scenarios", true},
		{"faults", "runner", true},
		{"faults", "report", true},
		{"trial", "cmd/loadgate", true},
		{"target", "gate", true},
		{"record", "redact", false},
		{"faults", "record", false},
		{"faults", "target/services", false},
		{"runner", "scenarios", false},
		{"runner", "gate", false},
		{"scenarios", "gate", false},
		{"report", "record", false},
		{"report", "gate", false},
		{"trial", "runner", false},
		{"trial", "report", false},
		{"cmd/loadgate", "trial", false},
		{"scenarios", "redact", false},
		{"target", "target/store", false},
		{"target/writes", "record", false},
	} {
		got := backEdge(tt.from, tt.to) != ""
		if got != tt.back {
			t.Errorf("%s → %s: back-edge %v, want %v", tt.from, tt.to, got, tt.back)
		}
	}
}

// TestCommandHoldsNoDriver: the command parses flags and wires; SQL and
// Redis keys are the target's packages' business (target/store,
// target/cache), so cmd/loadgate imports no database or Redis driver.
func TestCommandHoldsNoDriver(t *testing.T) {
	t.Parallel()
	out, err := exec.Command("go", "list", "-f", `{{join .Imports "\n"}}`, module+"/cmd/loadgate").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	imports := strings.Fields(string(out))
	if len(imports) < 5 {
		t.Fatalf("go list gave %d imports: %q", len(imports), out)
	}
	for _, imp := range imports {
		if strings.HasPrefix(imp, "github.com/jackc/pgx") || strings.HasPrefix(imp, "github.com/redis/go-redis") {
			t.Errorf("cmd/loadgate imports %s: the SQL or Redis work belongs in target/store or target/cache", imp)
		}
	}
}
