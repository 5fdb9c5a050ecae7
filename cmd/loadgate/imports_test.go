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

// importRules say which way imports run (issue 15): the command wires
// report and runner; the runner measures and writes the results contract,
// the report reads it; scenarios and the contract are at the bottom and know
// no package above them. Each rule is a package (with those under it) and
// the module packages it must not import.
var importRules = []struct {
	pkg       string
	forbidden []string
	except    []string // under a forbidden one, yet allowed
	why       string
}{
	{"runner", []string{"report", "cmd", "target"}, nil, "the runner writes results; the report reads them, never the other way"},
	{"scenarios", []string{"runner", "report", "cmd", "target", "migrations"}, nil, "a scenario is plain data: run.json's plan is made by runner.Plan"},
	{"runner/results", []string{"runner", "report", "scenarios", "cmd", "target", "migrations"}, nil, "the on-disk contract is a leaf"},
	{"report", []string{"runner", "cmd", "target", "scenarios"}, []string{"runner/results"}, "the report reads results directories only"},
	{"target", []string{"runner", "report", "scenarios", "cmd"}, nil, "the target under test knows nothing of the harness"},
	{"faults", []string{"runner", "report", "cmd"}, []string{"runner/results"}, "the runner schedules the drills, which know nothing of it; they read and complete the results contract"},
	{"redact", []string{""}, nil, "a leaf every side imports"},
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
		{"runner/capacity", "report", true},
		{"runner/capacity", "report/gate", true},
		{"scenarios", "runner/results", true},
		{"runner/results", "scenarios", true},
		{"report/gate", "runner", true},
		{"redact", "scenarios", true},
		{"faults", "runner", true},
		{"faults", "report", true},
		{"faults", "runner/results", false},
		{"faults", "target/services", false},
		{"runner", "scenarios", false},
		{"runner/capacity", "runner/results", false},
		{"report", "runner/results", false},
		{"report", "report/gate", false},
		{"cmd/loadgate", "report", false},
		{"scenarios", "redact", false},
		{"target", "target/store", false},
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
