package runner

import (
	"encoding/base64"
	"encoding/json"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/loadgate/loadgate/scenarios"
)

// TestEscapingMatchesStandardLibrary checks the allocation-free escapers
// against net/url and encoding/json on every byte and random strings.
func TestEscapingMatchesStandardLibrary(t *testing.T) {
	t.Parallel()
	inputs := []string{"", ".", "..", "...", "plain", "ice cream & jam", "a/b?c#d", "100%", "ü€", "$&+,/:;=?@", `quote " back \ nl` + "\n\t\x01"}
	var all []byte
	for c := range 256 {
		all = append(all, byte(c))
	}
	inputs = append(inputs, string(all))
	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(128))
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		want := url.PathEscape(in)
		if in == "." || in == ".." {
			want = strings.Repeat("%2E", len(in)) // a dot segment, which url.PathEscape leaves
		}
		if got := string(appendEscaped(nil, in, escPath)); got != want {
			t.Errorf("path %q: %q, want %q", in, got, want)
		}
		if got, want := string(appendEscaped(nil, in, escQuery)), url.QueryEscape(in); got != want {
			t.Errorf("query %q: %q, want %q", in, got, want)
		}
		if got := string(appendEscaped(nil, in, escRaw)); got != in {
			t.Errorf("raw %q: %q", in, got)
		}
		// Inside a JSON string, the escaped text decodes back to the input
		// (where the input is valid UTF-8, as JSON strings are).
		var back string
		if err := json.Unmarshal([]byte(`"`+string(appendEscaped(nil, []byte(in), escJSON))+`"`), &back); err != nil {
			t.Errorf("json %q: %v", in, err)
		} else if utf8.ValidString(in) && back != in {
			t.Errorf("json %q decodes to %q", in, back)
		}
	}
}

// TestTargeterTemplatesEverywhere covers what the request mix gained with
// flows: whole rows kept together, templates in headers, helpers, and JSON
// escaping of values inside strings of a JSON body only.
func TestTargeterTemplatesEverywhere(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// The pass of each user is derived from its name, so a mixed row shows.
	var csv strings.Builder
	csv.WriteString("user,pass\n")
	for i := range 50 {
		csv.WriteString("u" + strconv.Itoa(i) + ",p" + strconv.Itoa(i) + "\n")
	}
	csv.WriteString(`"say ""hi""","p-quote"` + "\n")
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(csv.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := `name: t
target: {base_url: "http://h:1", health: none}
load:
  stages: [{duration: 1s, rate: 1/s}]
data:
  account: {csv: accounts.csv}
  note: {values: ['a "b"']}
requests:
  - name: login
    method: POST
    path: "/login/{{account.user}}?id={{uuid()}}&n={{random_int(3, 4)}}&t={{now_unix()}}"
    headers: {Authorization: 'Basic {{base64(account.user, ":", account.pass)}}', X-Note: "{{note}}"}
    body: '{"user": "{{account.user}}", "pass": "{{account.pass}}", "note": "{{note}}", "at": "{{now()}}", "raw": {{random_int(5, 5)}}}'
  - name: form
    method: POST
    path: /form
    body: 'note={{note}}'
`
	if err := os.WriteFile(filepath.Join(dir, "t.yaml"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(filepath.Join(dir, "t.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := newTargeter(sc, sc.Requests)
	if err != nil {
		t.Fatal(err)
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	for range 200 {
		var tgt vegeta.Target
		if err := tr.build(0, &tgt); err != nil {
			t.Fatal(err)
		}
		var body struct {
			User, Pass, Note, At string
			Raw                  int
		}
		if err := json.Unmarshal(tgt.Body, &body); err != nil {
			t.Fatalf("body %s: %v", tgt.Body, err)
		}
		if strings.TrimPrefix(body.User, "u") != strings.TrimPrefix(body.Pass, "p") && body.Pass != "p-quote" {
			t.Fatalf("user %q with pass %q: fields of two rows", body.User, body.Pass)
		}
		if body.Note != `a "b"` || body.Raw != 5 {
			t.Errorf("note %q raw %d", body.Note, body.Raw)
		}
		if at, err := time.Parse(time.RFC3339, body.At); err != nil || time.Since(at) > time.Minute {
			t.Errorf("now() = %q", body.At)
		}
		cred, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(tgt.Header.Get("Authorization"), "Basic "))
		if err != nil || string(cred) != body.User+":"+body.Pass {
			t.Errorf("authorization %q = %q, want %s:%s", tgt.Header.Get("Authorization"), cred, body.User, body.Pass)
		}
		if tgt.Header.Get("X-Note") != `a "b"` {
			t.Errorf("header %q", tgt.Header.Get("X-Note"))
		}
		u, err := url.Parse(tgt.URL)
		if err != nil {
			t.Fatal(err)
		}
		q := u.Query()
		if u.Path != "/login/"+body.User || !uuidRE.MatchString(q.Get("id")) || (q.Get("n") != "3" && q.Get("n") != "4") || q.Get("t") == "" {
			t.Errorf("url %q", tgt.URL)
		}
	}
	// The static header map is never changed by a templated one.
	if len(tr.reqs[0].header.Values("Authorization")) != 0 {
		t.Error("the shared header map got the templated header")
	}
	var tgt vegeta.Target
	if err := tr.build(1, &tgt); err != nil {
		t.Fatal(err)
	}
	if string(tgt.Body) != `note=a "b"` {
		t.Errorf("a body that is not JSON takes values as is: %q", tgt.Body)
	}
}
