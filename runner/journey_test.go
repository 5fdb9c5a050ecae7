package runner

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/loadgate/loadgate/gate"
	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/scenarios"
)

// shop is a small API with what journeys need: a login that hands out a
// fresh token per call (checked against a user's password), a cookie
// session holding a cart, and an endpoint that answers 200 with an error
// body every third time.
type shop struct {
	mu       sync.Mutex // guards tokens and carts
	tokens   map[string]string
	carts    map[string][]string
	accounts map[string]string // user -> password

	logins, mixedRows, unauthorized, noSession atomic.Int64
	flaky, afterFlaky                          atomic.Int64
	stallAt                                    int64 // the n-th /me stalls
	stall                                      time.Duration
	me                                         atomic.Int64
}

func newShop(accounts map[string]string) *shop {
	return &shop{tokens: map[string]string{}, carts: map[string][]string{}, accounts: accounts}
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/health":
	case "/login":
		var in struct{ User, Pass string }
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		s.logins.Add(1)
		if want, ok := s.accounts[in.User]; !ok || want != in.Pass {
			s.mixedRows.Add(1)
			http.Error(w, `{"error": "bad credentials"}`, http.StatusForbidden)
			return
		}
		token, sid := randomID(), randomID()
		s.mu.Lock()
		s.tokens[token] = in.User
		s.carts[sid] = nil
		s.mu.Unlock()
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: sid, Path: "/"})
		fmt.Fprintf(w, `{"token": "%s", "expires_in": 60, "user": {"name": %q}}`, token, in.User)
	case "/me":
		n := s.me.Add(1)
		if n == s.stallAt {
			time.Sleep(s.stall)
		}
		s.mu.Lock()
		user, ok := s.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]
		s.mu.Unlock()
		if !ok {
			s.unauthorized.Add(1)
			http.Error(w, `{"error": "unauthorized"}`, http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, `{"user": %q}`, user)
	case "/cart":
		sid := ""
		if c, err := r.Cookie("sid"); err == nil {
			sid = c.Value
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		items, ok := s.carts[sid]
		if !ok {
			s.noSession.Add(1)
			http.Error(w, `{"error": "no session"}`, http.StatusUnauthorized)
			return
		}
		if r.Method == http.MethodPost {
			items = append(items, r.URL.Query().Get("item"))
			s.carts[sid] = items
		}
		out, _ := json.Marshal(map[string]any{"count": len(items), "items": items})
		w.Write(out)
	case "/flaky":
		if s.flaky.Add(1)%3 == 0 {
			fmt.Fprint(w, `{"status": "error", "detail": "backend down"}`)
			return
		}
		fmt.Fprint(w, `{"status": "ok", "next": "/after"}`)
	case "/after":
		s.afterFlaky.Add(1)
		fmt.Fprint(w, `{}`)
	default:
		http.NotFound(w, r)
	}
}

// accountsCSV writes n accounts whose passwords cannot be told from their
// names, so that a user paired with another row's password fails to log in.
func accountsCSV(t *testing.T, dir string, n int) map[string]string {
	t.Helper()
	accounts := map[string]string{}
	var b strings.Builder
	b.WriteString("user,pass\n")
	for i := range n {
		user, pass := fmt.Sprintf("user%d", i), randomID()
		accounts[user] = pass
		fmt.Fprintf(&b, "%s,%s\n", user, pass)
	}
	if err := os.WriteFile(filepath.Join(dir, "accounts.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return accounts
}

// journeyScenario parses a scenario in dir (for its data files) aimed at url.
func journeyScenario(t *testing.T, dir, url, body string) *scenarios.Scenario {
	t.Helper()
	src := fmt.Sprintf("name: journey-test\ntarget:\n  base_url: %s\n  timeout: 5s\n  health: /health\n%s", url, body)
	path := filepath.Join(dir, "journey.yaml")
	if err := os.WriteFile(path, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("scenario: %v", err)
	}
	return sc
}

func runJourney(t *testing.T, sc *scenarios.Scenario) (*record.Run, string) {
	t.Helper()
	run, dir, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if err := record.CheckLogs(dir); err != nil {
		t.Errorf("logs disagree with run.json: %v", err)
	}
	return run, dir
}

// TestFlowLoginTokenWholeRows: each iteration logs in with a CSV row's user
// and password (a pair from two rows fails the login), extracts the fresh
// token and sends it with the next steps, which must never get a 401.
func TestFlowLoginTokenWholeRows(t *testing.T) {
	dir := t.TempDir()
	s := newShop(accountsCSV(t, dir, 40))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, dir, srv.URL, `load:
  stages: [{duration: 2s, rate: 25/s}]
data:
  account: {csv: accounts.csv, pick: random}
flows:
  - name: buyer
    steps:
      - name: login
        method: POST
        path: /login
        body: '{"user": "{{account.user}}", "pass": "{{account.pass}}"}'
        expect: [200]
        check:
          - {json: $.user.name, equals: "{{account.user}}"}
          - {json: $.expires_in, compare: "> 0"}
        extract:
          token: {json: $.token}
      - name: me
        path: /me
        headers: {Authorization: "Bearer {{token}}"}
        check:
          - {status: 200}
          - {json: $.user, equals: "{{account.user}}"}
      - name: again
        path: /me
        headers: {Authorization: "Bearer {{token}}"}
gates: [buyer.me.p95 < 1s]
`)
	run, _ := runJourney(t, sc)
	if s.logins.Load() != 50 {
		t.Errorf("%d logins, want one per iteration: 50", s.logins.Load())
	}
	if n := s.mixedRows.Load(); n != 0 {
		t.Errorf("%d logins paired a user with another row's password", n)
	}
	if n := s.unauthorized.Load(); n != 0 {
		t.Errorf("%d requests after a login got 401", n)
	}
	for _, ep := range []string{"buyer.login", "buyer.me", "buyer.again"} {
		st, ok := run.Endpoints[ep]
		if !ok || st.Requests != 50 || st.Successes != 50 {
			t.Errorf("endpoint %s: %+v", ep, st)
		}
	}
	fl, ok := run.Flows["buyer"]
	if !ok || fl.Iteration.Requests != 50 || fl.Iteration.Successes != 50 || fl.Cut != 0 || fl.SkippedSteps != 0 {
		t.Fatalf("flow buyer: %+v", fl)
	}
	if strings.Join(fl.Steps, ",") != "buyer.login,buyer.me,buyer.again" {
		t.Errorf("steps %v", fl.Steps)
	}
	if run.Overall.Requests != 150 || run.Overall.ChecksPassed != 200 || run.Overall.ChecksFailed != 0 {
		t.Errorf("overall: %d requests, checks %d passed %d failed; want 150, 200, 0", run.Overall.Requests, run.Overall.ChecksPassed, run.Overall.ChecksFailed)
	}
	if c := run.Endpoints["buyer.me"].Checks[`$.user == "{{account.user}}"`]; c.Passed != 50 {
		t.Errorf("buyer.me checks %+v", run.Endpoints["buyer.me"].Checks)
	}
	// An iteration spans its three requests: its latency is at least the
	// sum of theirs at the median.
	if it, me := fl.Iteration.LatencyUS, run.Endpoints["buyer.me"].LatencyUS; it.P50 < me.P50 || it.Max < it.P50 {
		t.Errorf("iteration latency %+v against step %+v", it, me)
	}
}

// TestFlowCookieSession: a user's cookie jar carries the session the login
// set through several steps (closed model: the jar lives with the user); a
// flow with cookies off has no session.
func TestFlowCookieSession(t *testing.T) {
	dir := t.TempDir()
	s := newShop(accountsCSV(t, dir, 5))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, dir, srv.URL, `load:
  model: closed
  think_time: "uniform(5ms, 15ms)"
  stages: [{duration: 1500ms, users: 3}]
data:
  account: {csv: accounts.csv, pick: sequential, per: user}
flows:
  - name: shopper
    weight: 3
    steps:
      - name: login
        method: POST
        path: /login
        body: '{"user": "{{account.user}}", "pass": "{{account.pass}}"}'
        check: [{header: Set-Cookie, matches: "^sid="}]
        think: 10ms
      - {name: add1, method: POST, path: "/cart?item=tea", think: "normal(5ms, 2ms)"}
      - {name: add2, method: POST, path: "/cart?item=cake", think: "exponential(3ms)"}
      - name: view
        path: /cart
        check:
          - {json: $.count, equals: "2"}
          - {json: "$.items[-1]", equals: cake}
          - {json: "$.items[0]", equals: tea}
  - name: anonymous
    cookies: false
    steps:
      - {name: login, method: POST, path: /login, body: '{"user": "{{account.user}}", "pass": "{{account.pass}}"}'}
      - {name: add, method: POST, path: "/cart?item=tea", expect: [401]}
`)
	run, _ := runJourney(t, sc)
	shopper := run.Flows["shopper"]
	if shopper.Iteration.Requests < 10 || shopper.Iteration.Successes != shopper.Iteration.Requests {
		t.Errorf("shopper iterations %d, completed %d: want several, all completed (errors %v)", shopper.Iteration.Requests, shopper.Iteration.Successes, shopper.Iteration.Errors)
	}
	view := run.Endpoints["shopper.view"]
	if view.ChecksFailed != 0 || view.ChecksPassed != 3*view.Requests {
		t.Errorf("view checks: %d passed, %d failed of %d responses", view.ChecksPassed, view.ChecksFailed, view.Requests)
	}
	anon := run.Endpoints["anonymous.add"]
	if anon.Requests == 0 || anon.Successes != anon.Requests {
		t.Errorf("anonymous.add: %+v (want every request without a session: 401 as expected)", anon)
	}
	if s.noSession.Load() != anon.Requests {
		t.Errorf("%d requests had no session; the anonymous flow sent %d", s.noSession.Load(), anon.Requests)
	}
	if s.mixedRows.Load() != 0 {
		t.Errorf("%d logins with mixed rows", s.mixedRows.Load())
	}
}

// TestFlowCheckCatchesErrorBody: a 200 whose body says "error" fails its
// check; the step counts as failed with the reason "check", the rest of
// the iteration is skipped and counted, and so is an extract that finds
// nothing.
func TestFlowCheckCatchesErrorBody(t *testing.T) {
	s := newShop(nil)
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, t.TempDir(), srv.URL, `load:
  stages: [{duration: 1s, rate: 30/s}]
flows:
  - name: status
    steps:
      - name: flaky
        path: /flaky
        check:
          - {name: body ok, json: $.status, equals: ok}
          - {status: 200}
        extract:
          next: {json: $.next}
      - {name: after, path: "/after?from={{next}}"}
  - name: lost
    steps:
      - name: flaky
        path: /flaky
        extract:
          missing: {json: $.nowhere}
      - {name: never, path: "/after?{{missing}}"}
`)
	run, _ := runJourney(t, sc)
	flaky := run.Endpoints["status.flaky"]
	failedChecks := flaky.Checks["body ok"].Failed
	if failedChecks == 0 || flaky.Errors["check"] != failedChecks || flaky.Requests-flaky.Successes != failedChecks {
		t.Errorf("status.flaky: %d failed body checks, errors %v, %d of %d failed", failedChecks, flaky.Errors, flaky.Requests-flaky.Successes, flaky.Requests)
	}
	if c := flaky.Checks["status 200"]; c.Failed != 0 || c.Passed != flaky.Requests {
		t.Errorf("status check %+v", c)
	}
	st := run.Flows["status"]
	if st.SkippedSteps != failedChecks || st.Iteration.Requests-st.Iteration.Successes != failedChecks || st.Iteration.Errors["check"] != failedChecks {
		t.Errorf("flow status: %d skipped, iterations %+v; want %d failed and skipped", st.SkippedSteps, st.Iteration, failedChecks)
	}
	lost := run.Flows["lost"]
	if lost.Iteration.Requests == 0 || lost.Iteration.Successes != 0 || lost.SkippedSteps != lost.Iteration.Requests {
		t.Errorf("flow lost: %+v", lost)
	}
	if ex := run.Endpoints["lost.flaky"]; ex.ExtractFailures["missing"] != ex.Requests || ex.Errors["extract"] != ex.Requests {
		t.Errorf("lost.flaky: %+v", ex)
	}
	if _, ok := run.Endpoints["lost.never"]; !ok || run.Endpoints["lost.never"].Requests != 0 {
		t.Errorf("lost.never was sent: %+v", run.Endpoints["lost.never"])
	}
	if got, want := s.afterFlaky.Load(), run.Endpoints["status.after"].Requests; got != want || got != run.Endpoints["status.flaky"].Successes {
		t.Errorf("server saw %d requests after a good body, run.json %d", got, want)
	}
}

// TestFlowOpenModelStallCorrected: iterations arrive at 20/s with one
// worker; one response stalls 600 ms, so the iterations due meanwhile
// start late. Their latency, from the scheduled start, shows the stall;
// their service time, from the actual send, does not.
func TestFlowOpenModelStallCorrected(t *testing.T) {
	dir := t.TempDir()
	s := newShop(accountsCSV(t, dir, 3))
	s.stallAt, s.stall = 10, 600*time.Millisecond
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, dir, srv.URL, `load:
  max_workers: 1
  stages: [{duration: 3s, rate: 20/s}]
data:
  account: {csv: accounts.csv}
flows:
  - name: buyer
    steps:
      - name: login
        method: POST
        path: /login
        body: '{"user": "{{account.user}}", "pass": "{{account.pass}}"}'
        extract: {token: {json: $.token}}
      - name: me
        path: /me
        headers: {Authorization: "Bearer {{token}}"}
`)
	run, _ := runJourney(t, sc)
	it := run.Flows["buyer"].Iteration
	t.Logf("iteration latency p50 %.0f p90 %.0f max %.0f µs; service time p50 %.0f p90 %.0f", it.LatencyUS.P50, it.LatencyUS.P90, it.LatencyUS.Max, it.ServiceTimeUS.P50, it.ServiceTimeUS.P90)
	if it.Requests != 60 {
		t.Errorf("%d iterations, want 60", it.Requests)
	}
	// The stall delays about 12 arrivals (of 60) by up to 600 ms.
	if it.LatencyUS.P90 < 100_000 || it.LatencyUS.Max < 550_000 {
		t.Errorf("corrected iteration latency p90 %.0f max %.0f µs: the stall does not show", it.LatencyUS.P90, it.LatencyUS.Max)
	}
	if it.ServiceTimeUS.P90 > 100_000 {
		t.Errorf("service time p90 %.0f µs: only one iteration was slow", it.ServiceTimeUS.P90)
	}
	login := run.Endpoints["buyer.login"]
	if login.LatencyUS.P90 < 100_000 || login.ServiceTimeUS.P90 > 100_000 {
		t.Errorf("the first step's latency counts from the iteration's scheduled start: p90 %.0f, service p90 %.0f", login.LatencyUS.P90, login.ServiceTimeUS.P90)
	}
	if !strings.Contains(strings.Join(run.Warnings, " "), "max_workers") {
		t.Errorf("warnings %q: want the worker cap named", run.Warnings)
	}
}

// TestFlowShardsMerge: two shards of a flow scenario merge exactly: steps
// are endpoints and iterations a series of their own in the latency logs,
// so counts, checks and latency extremes of the merged run are the shards'.
func TestFlowShardsMerge(t *testing.T) {
	dir := t.TempDir()
	s := newShop(accountsCSV(t, dir, 6))
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	yaml := `load:
  stages: [{duration: 1500ms, rate: 20/s}]
data:
  account: {csv: accounts.csv, pick: unique}
flows:
  - name: buyer
    steps:
      - name: login
        method: POST
        path: /login
        body: '{"user": "{{account.user}}", "pass": "{{account.pass}}"}'
        extract: {token: {json: $.token}}
      - name: me
        path: /me
        headers: {Authorization: "Bearer {{token}}"}
        check: [{json: $.user, equals: "{{account.user}}"}]
`
	root := t.TempDir()
	var dirs []string
	var shards []*record.Run
	for i := 1; i <= 2; i++ {
		sc := journeyScenario(t, dir, srv.URL, yaml)
		if err := sc.Apply(scenarios.Overrides{Shard: scenarios.Shard{Index: i, Count: 2}}); err != nil {
			t.Fatal(err)
		}
		run, d, err := runWritten(context.Background(), sc, WithResultsRoot(root))
		if err != nil {
			t.Fatal(err)
		}
		checkLogs(t, d)
		dirs, shards = append(dirs, d), append(shards, run)
	}
	// Six accounts, unique: three per shard, then each shard stops.
	for i, sh := range shards {
		if n := sh.Flows["buyer"].Iteration.Requests; n != 3 || !strings.Contains(strings.Join(sh.Warnings, " "), "unique data exhausted") {
			t.Errorf("shard %d: %d iterations, warnings %q; want 3 and the exhaustion said", i+1, n, sh.Warnings)
		}
	}
	out := filepath.Join(root, "merged")
	merged := mergeShards(t, dirs, out)
	checkLogs(t, out)
	it := merged.Flows["buyer"].Iteration
	a, b := shards[0].Flows["buyer"].Iteration, shards[1].Flows["buyer"].Iteration
	if it.Requests != a.Requests+b.Requests || it.ChecksPassed != a.ChecksPassed+b.ChecksPassed {
		t.Errorf("merged iterations %+v from %+v and %+v", it, a, b)
	}
	if it.LatencyUS.Max != max(a.LatencyUS.Max, b.LatencyUS.Max) || it.LatencyUS.Min != min(a.LatencyUS.Min, b.LatencyUS.Min) {
		t.Errorf("merged iteration latency %+v from %+v and %+v", it.LatencyUS, a.LatencyUS, b.LatencyUS)
	}
	me := merged.Endpoints["buyer.me"]
	if me.Checks[`$.user == "{{account.user}}"`].Passed != 6 || me.Requests != 6 {
		t.Errorf("merged buyer.me %+v", me)
	}
	if s.mixedRows.Load() != 0 || s.logins.Load() != 6 {
		t.Errorf("%d logins, %d with mixed rows; want 6 and 0 (unique rows across shards)", s.logins.Load(), s.mixedRows.Load())
	}
}

// TestFlowAbortGate: an abort gate on a flow's iterations sees them (and
// not the whole run's requests) in its window, and ends the run.
func TestFlowAbortGate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(80 * time.Millisecond)
		}
	}))
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, t.TempDir(), srv.URL, `load:
  stages: [{duration: 20s, rate: 10/s}]
flows:
  - name: buyer
    steps:
      - {name: fast, path: /fast}
      - {name: slow, path: /slow}
gates:
  - {expr: "buyer.iteration.p95 < 50ms", abort: {window: 1s, grace: 1s}}
`)
	// The gate language judges; the test checks what each window held.
	judge := func(g gate.Gate, run *record.Run) record.Gate {
		// The window's requests are its steps, exactly: an iteration goes
		// to its flow's series only. (Not 2 per iteration: on a loaded
		// machine many iterations straddle the window's edges.)
		steps := run.Endpoints["buyer.fast"].Requests + run.Endpoints["buyer.slow"].Requests
		if it := run.Endpoints["buyer.iteration"]; it.Requests > 0 && (run.Overall.Requests != steps || steps == 0) {
			t.Errorf("window: %d requests for %d steps and %d iterations: iterations counted as requests?", run.Overall.Requests, steps, it.Requests)
		}
		return g.Evaluate(gate.Input{Run: run})
	}
	start := time.Now()
	run, _, err := runWritten(context.Background(), sc, WithResultsRoot(t.TempDir()), withJudge(judge))
	if err != nil {
		t.Fatal(err)
	}
	if run.Status != record.StatusAborted || run.Abort == nil || run.Abort.Gate.Expr != "buyer.iteration.p95 < 50ms" {
		t.Fatalf("status %s, abort %+v: want the iteration gate to end the run", run.Status, run.Abort)
	}
	// By its grace and window on the run's own clock; a run the gate did
	// not end lasts its 20 s plan, whatever the machine's speed (a wall
	// time of 8 s also counted a loaded machine's stalls).
	if took := time.Since(start); run.Abort.AtS > 3 || took >= 20*time.Second {
		t.Errorf("aborted at %g s, the run took %s of its 20 s", run.Abort.AtS, took)
	}
}

// TestFlowJSONDataPerUser: a JSON data source gives whole objects, and with
// per: user a closed-model user keeps its object for all its iterations
// (its cookie jar tells the server which user it is).
func TestFlowJSONDataPerUser(t *testing.T) {
	dir := t.TempDir()
	people := `[{"name": "ann", "code": 1}, {"name": "bob", "code": 2}, {"name": "cy", "code": 3}, {"name": "di", "code": 4}]`
	if err := os.WriteFile(filepath.Join(dir, "people.json"), []byte(people), 0o644); err != nil {
		t.Fatal(err)
	}
	codes := map[string]string{"ann": "1", "bob": "2", "cy": "3", "di": "4"}
	var mu sync.Mutex
	seen := map[string]map[string]int{} // user cookie -> names -> requests
	var mixed atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hello" {
			return
		}
		name := r.URL.Query().Get("name")
		if codes[name] != r.URL.Query().Get("code") {
			mixed.Add(1)
		}
		vu := ""
		if c, err := r.Cookie("vu"); err == nil {
			vu = c.Value
		} else {
			vu = randomID()
			http.SetCookie(w, &http.Cookie{Name: "vu", Value: vu})
		}
		mu.Lock()
		if seen[vu] == nil {
			seen[vu] = map[string]int{}
		}
		seen[vu][name]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, dir, srv.URL, `load:
  model: closed
  think_time: 20ms
  stages: [{duration: 1s, users: 3}]
data:
  person: {json: people.json, pick: sequential, per: user}
flows:
  - name: visit
    steps:
      - {name: hello, path: "/hello?name={{person.name}}&code={{person.code}}"}
`)
	run, _ := runJourney(t, sc)
	if mixed.Load() != 0 {
		t.Errorf("%d requests mixed one object's name with another's code", mixed.Load())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3 {
		t.Errorf("%d users seen, want 3: %v", len(seen), seen)
	}
	for vu, names := range seen {
		if len(names) != 1 {
			t.Errorf("user %s sent as %v: per: user keeps one object", vu, names)
		}
		for _, n := range names {
			if n < 3 {
				t.Errorf("user %s: %d iterations, want several", vu, n)
			}
		}
	}
	if run.Endpoints["visit.hello"].Requests == 0 {
		t.Error("nothing recorded")
	}
}

// TestFlowGracefulStop: iterations under way when the stages end go on for
// the graceful stop (default 30 s), so none is cut; with graceful_stop 0
// the steps due after the schedule's 1 s grace are not sent and their
// iterations count as cut, neither completed nor failed.
func TestFlowGracefulStop(t *testing.T) {
	srv := okServer(t, nil)
	flow := `flows:
  - name: f
    steps:
      - {name: a, path: /a, think: 1200ms}
      - {name: b, path: /b}
`
	sc := journeyScenario(t, t.TempDir(), srv.URL, "load:\n  stages: [{duration: 1s, rate: 10/s}]\n"+flow)
	run, _ := runJourney(t, sc)
	if f := run.Flows["f"]; f.Cut != 0 || f.Iteration.Successes != 10 || run.Endpoints["f.b"].Requests != 10 {
		t.Errorf("default graceful stop: %+v, f.b %d requests; want 10 completed, none cut", f, run.Endpoints["f.b"].Requests)
	}
	sc = journeyScenario(t, t.TempDir(), srv.URL, "load:\n  graceful_stop: 0s\n  stages: [{duration: 1s, rate: 10/s}]\n"+flow)
	run, _ = runJourney(t, sc)
	f := run.Flows["f"]
	// Iteration k starts at k/10 s; its step b is due 1.2 s later, after
	// the schedule's end (1 s) and grace (1 s) for k >= 8.
	if f.Cut != 2 || f.Iteration.Requests != 8 || f.Iteration.Successes != 8 || run.Endpoints["f.b"].Requests != 8 {
		t.Errorf("graceful_stop 0: %+v, f.b %d requests; want 8 completed and 2 cut", f, run.Endpoints["f.b"].Requests)
	}
}

// TestFlowInterrupt: an interrupt while steps hang ends the run at once
// (aborted); the steps it cut count neither as failures nor as requests,
// and their iterations count as cut.
func TestFlowInterrupt(t *testing.T) {
	var hanging atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/hang" {
			return
		}
		if hanging.Add(1) == 5 {
			cancel()
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	sc := journeyScenario(t, t.TempDir(), srv.URL, `load:
  stages: [{duration: 20s, rate: 10/s}]
flows:
  - name: f
    steps:
      - {name: ok, path: /ok}
      - {name: hang, path: /hang}
`)
	start := time.Now()
	run, _, err := runWritten(ctx, sc, WithResultsRoot(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("the run took %s: it waited for the hanging steps", took)
	}
	f := run.Flows["f"]
	if run.Status != record.StatusAborted || run.Overall.Successes != run.Overall.Requests-run.Overall.Unsent || f.Cut < 5 || f.Iteration.Requests != 0 {
		t.Errorf("status %s, overall %d requests (%d ok, %d unsent), flow %+v: want aborted, no failure, the hanging iterations cut",
			run.Status, run.Overall.Requests, run.Overall.Successes, run.Overall.Unsent, f)
	}
	if n := run.Endpoints["f.hang"].Requests; n != 0 {
		t.Errorf("f.hang: %d requests recorded, want none (all were cut)", n)
	}
}
