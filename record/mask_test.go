package record

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadRunMasksCredentialHeaders: a run.json written by a loadgate from
// before header masking keeps credentials in plan.headers, in the requests'
// headers and in the flow steps' headers; ReadRun hides every value whose
// header name is a credential (the rule that needs no scenario) and keeps
// the others.
func TestReadRunMasksCredentialHeaders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	old := `{"schema": 1, "id": "old", "plan": {
  "model": "open", "stages": [], "gates": [],
  "headers": {"X-API-Key": "k-SECRET", "Authorization": "Bearer a-SECRET", "Accept": "application/json"},
  "requests": [{"name": "a", "method": "GET", "path": "/a", "weight": 1,
    "headers": {"X-Session-Token": "s-SECRET", "Cookie": "c=SECRET", "X-Trace": "t1"}}],
  "flows": [{"name": "f", "weight": 1, "steps": [{"name": "f.s", "method": "GET", "path": "/s", "weight": 0,
    "headers": {"x-auth-token": "x-SECRET", "X-Trace": "t2"}}]}]
}}`
	if err := os.WriteFile(filepath.Join(dir, RunFile), []byte(old), 0o644); err != nil {
		t.Fatal(err)
	}
	run, err := ReadRun(dir)
	if err != nil {
		t.Fatal(err)
	}
	shown := []map[string]string{run.Plan.Headers, run.Plan.Requests[0].Headers, run.Plan.Flows[0].Steps[0].Headers}
	for _, h := range shown {
		for k, v := range h {
			if strings.Contains(v, "SECRET") {
				t.Errorf("%s: %s is shown", k, v)
			}
		}
	}
	for h, want := range map[*map[string]string]map[string]string{
		&shown[0]: {"X-API-Key": "xxxxx", "Authorization": "xxxxx", "Accept": "application/json"},
		&shown[1]: {"X-Session-Token": "xxxxx", "Cookie": "xxxxx", "X-Trace": "t1"},
		&shown[2]: {"x-auth-token": "xxxxx", "X-Trace": "t2"},
	} {
		for k, v := range want {
			if (*h)[k] != v {
				t.Errorf("%s = %q, want %q", k, (*h)[k], v)
			}
		}
	}
}
