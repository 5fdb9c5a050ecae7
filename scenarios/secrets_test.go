package scenarios

import (
	"encoding/json"
	"strings"
	"testing"
)

// secretScenario plants a secret (every one holds "s3cr3t") in each place a
// scenario holds one: the base URL's and the metrics URL's userinfo, a value
// from the environment, each credential header, a header the scenario marks
// secret, one whose name says it is a token, and a request's own header.
const secretScenario = `name: secrets
target:
  base_url: ${SECRET_TARGET}
  health: none
  headers:
    Authorization: "Bearer ${SECRET_TOKEN}"
    Proxy-Authorization: Basic s3cr3t-proxy
    Cookie: sid=s3cr3t-cookie
    Set-Cookie: sid=s3cr3t-set-cookie
    x-api-key: s3cr3t-api-key
    X-Tenant-Pin: s3cr3t-marked
    X-Auth-Token: s3cr3t-named
    Accept: application/json
  secret_headers: [x-tenant-pin]
load:
  stages:
    - {duration: 1s, rate: 1/s}
requests:
  - name: a
    path: /a
    headers: {Authorization: s3cr3t-request, X-Trace: visible-trace}
metrics:
  url: http://m:s3cr3t-metrics@127.0.0.1:1/metrics
`

func secretEnv(k string) (string, bool) {
	v, ok := map[string]string{
		"SECRET_TARGET": "http://u:s3cr3t-base@127.0.0.1:1",
		"SECRET_TOKEN":  "s3cr3t-env",
	}[k]
	return v, ok
}

// TestSecretsNotRecorded: the plan run.json records and the dry run's
// description show no secret value, but keep what is not secret; the
// scenario itself keeps the real values, which the requests send.
func TestSecretsNotRecorded(t *testing.T) {
	t.Parallel()
	sc, err := Parse([]byte(secretScenario), "s.yaml", "", Options{LookupEnv: secretEnv})
	if err != nil {
		t.Fatal(err)
	}
	if sc.Target.Headers["Authorization"] != "Bearer s3cr3t-env" || !strings.Contains(sc.Target.BaseURL, "s3cr3t-base") {
		t.Fatalf("the scenario lost its real values: %q %q", sc.Target.Headers["Authorization"], sc.Target.BaseURL)
	}
	check := func(t *testing.T, sc *Scenario) {
		t.Helper()
		// The headers as run.json's plan records them (runner.Plan).
		plan, err := json.Marshal([]map[string]string{sc.Target.ShownHeaders(sc.Target.Headers), sc.Target.ShownHeaders(sc.Requests[0].Headers)})
		if err != nil {
			t.Fatal(err)
		}
		for name, text := range map[string]string{"plan": string(plan), "describe": sc.Describe()} {
			if strings.Contains(text, "s3cr3t") {
				t.Errorf("%s shows a secret:\n%s", name, text)
			}
			for _, want := range []string{"application/json", "visible-trace", "Authorization", "X-Tenant-Pin"} {
				if !strings.Contains(text, want) {
					t.Errorf("%s lacks %q, which is not secret:\n%s", name, want, text)
				}
			}
		}
		if !strings.Contains(string(plan), `"Authorization":"xxxxx"`) {
			t.Errorf("plan does not record Authorization as masked: %s", plan)
		}
	}
	check(t, sc)
	// --target with a password in it.
	if err := sc.Apply(Overrides{TargetURL: "http://u:s3cr3t-flag@127.0.0.1:2"}); err != nil {
		t.Fatal(err)
	}
	check(t, sc)
}

// TestSecretHeaderRule: which header values are never recorded or printed.
func TestSecretHeaderRule(t *testing.T) {
	t.Parallel()
	tg := Target{SecretHeaders: []string{"X-Tenant-Pin"}}
	for name, want := range map[string]bool{
		"Authorization": true, "proxy-authorization": true, "Cookie": true, "Set-Cookie": true,
		"X-API-Key": true, "x-tenant-pin": true, // marked by the scenario
		"X-Auth-Token": true, "X-Session-Id": true, "X-Client-Secret": true, // named like one
		"Accept": false, "Content-Type": false, "X-Trace": false, "User-Agent": false,
	} {
		if got := tg.SecretHeader(name); got != want {
			t.Errorf("SecretHeader(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestSecretHeadersValidated: target.secret_headers holds header names.
func TestSecretHeadersValidated(t *testing.T) {
	t.Parallel()
	src := strings.Replace(secretScenario, "[x-tenant-pin]", `[x-tenant-pin, "bad name", ""]`, 1)
	_, err := Parse([]byte(src), "s.yaml", "", Options{LookupEnv: secretEnv})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{`s.yaml:14:34: target.secret_headers[1]: bad header name "bad name"`, "target.secret_headers[2]: bad header name"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestBadURLsNotPrinted: a base URL or metrics URL that is not valid is
// named in the error without its password, and a header value with a broken
// ${ is not quoted.
func TestBadURLsNotPrinted(t *testing.T) {
	t.Parallel()
	env := func(k string) (string, bool) {
		if k == "SECRET_TARGET" {
			return "http://u:s3cr3t-base@127.0.0.1:port/%zz", true
		}
		return secretEnv(k)
	}
	src := strings.Replace(secretScenario, "127.0.0.1:1/metrics", "127.0.0.1:1/%zz", 1)
	broken := strings.Replace(secretScenario, "X-Auth-Token: s3cr3t-named", "X-Auth-Token: s3cr3t-named${", 1)
	broken = strings.Replace(broken, "Cookie: sid=s3cr3t-cookie", "Cookie: sid=s3cr3t-cookie${1A}", 1)
	for _, c := range []struct {
		src  string
		want []string
	}{
		{src, []string{"target.base_url", "metrics.url", "u:xxxxx@127.0.0.1:port"}},
		{broken, []string{"target.headers.X-Auth-Token: unterminated ${", `target.headers.Cookie: bad variable name "1A"`}},
	} {
		_, err := Parse([]byte(c.src), "s.yaml", "", Options{LookupEnv: env})
		if err == nil {
			t.Fatal("no error")
		}
		if strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("error shows a secret:\n%v", err)
		}
		for _, want := range c.want {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("error lacks %q:\n%v", want, err)
			}
		}
	}
}

// TestPlanHashHoldsNoPassword: run.json's plan_hash is a digest of the
// plan; a URL's password is left out of it as header values are (a digest
// of known text and one password lets the password be guessed offline).
func TestPlanHashHoldsNoPassword(t *testing.T) {
	t.Parallel()
	hash := func(base, metrics string) string {
		env := func(k string) (string, bool) {
			if k == "SECRET_TARGET" {
				return base, true
			}
			return secretEnv(k)
		}
		src := strings.Replace(secretScenario, "http://m:s3cr3t-metrics@", metrics, 1)
		sc, err := Parse([]byte(src), "s.yaml", "", Options{LookupEnv: env})
		if err != nil {
			t.Fatal(err)
		}
		return sc.PlanHash()
	}
	a := hash("http://u:s3cr3t-one@127.0.0.1:1", "http://m:s3cr3t-one@")
	if b := hash("http://u:s3cr3t-two@127.0.0.1:1", "http://m:s3cr3t-two@"); a != b {
		t.Errorf("the plan hash depends on the URLs' passwords: %s vs %s", a, b)
	}
	if b := hash("http://v:s3cr3t-one@127.0.0.1:1", "http://m:s3cr3t-one@"); a == b {
		t.Error("the plan hash ignores the target URL's user")
	}
}

// An exec fault's commands are shown with each value from the environment
// masked, whole or inside an argument, default included, and with what
// redact.Args hides; what they print is concealed by value (4 bytes or more)
// and by redact.Text. The commands themselves keep the real values.
func TestExecCommandsShown(t *testing.T) {
	t.Parallel()
	env := map[string]string{"FAULT_PASSWORD": "s3cr3t-env", "SHORT": "ab", "TOOLS": "/opt/s3cr3t-tools"}
	sc, err := Parse([]byte(`name: x
target: {base_url: "http://127.0.0.1:1", health: none}
load: {stages: [{duration: 10s, rate: 1/s}]}
requests: [{name: a, path: /}]
faults:
  - name: f
    at: 1s
    for: 1s
    action: exec
    run: [sh, "--password=${FAULT_PASSWORD}", "${FAULT_PASSWORD}", "${SHORT}", "${UNSET:-fallback}", --token, plain, "$$HOME"]
    undo: [sh, "http://u:s3cr3t-url@h/", "x${FAULT_PASSWORD}y"]
`), "x.yaml", t.TempDir(), Options{LookupEnv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }})
	if err != nil {
		t.Fatal(err)
	}
	f := sc.Faults[0]
	if got, want := strings.Join(f.Run, " "), "sh --password=s3cr3t-env s3cr3t-env ab fallback --token plain $HOME"; got != want {
		t.Errorf("the command runs %q, want %q", got, want)
	}
	if got, want := strings.Join(f.ShownRun(), " "), "sh --password=xxxxx xxxxx xxxxx xxxxx --token xxxxx $HOME"; got != want {
		t.Errorf("ShownRun %q, want %q", got, want)
	}
	if got, want := strings.Join(f.ShownUndo(), " "), "sh http://u:xxxxx@h/ x"+"xxxxx"+"y"; got != want {
		t.Errorf("ShownUndo %q, want %q", got, want)
	}
	out := "login s3cr3t-env failed (ab) for http://u:s3cr3t-url@h/ with --token abc"
	if got, want := f.Conceal(out), "login xxxxx failed (ab) for http://u:xxxxx@h/ with --token xxxxx"; got != want {
		t.Errorf("Conceal %q, want %q", got, want)
	}
	// A fault built in code, without a scenario: what redact.Args hides.
	g := Fault{Action: FaultExec, Run: []string{"curl", "-u", "a:s3cr3t"}}
	if got := strings.Join(g.ShownRun(), " "); got != "curl -u a:xxxxx" {
		t.Errorf("ShownRun of a fault built in code: %q", got)
	}
}

// A missing program whose path came from the environment is refused without
// showing it.
func TestExecProgramFromEnvNotShown(t *testing.T) {
	t.Parallel()
	_, err := Parse([]byte(`name: x
target: {base_url: "http://127.0.0.1:1", health: none}
load: {stages: [{duration: 10s, rate: 1/s}]}
requests: [{name: a, path: /}]
faults:
  - {name: f, at: 1s, action: exec, run: ["${TOOLS}/chaos"]}
`), "x.yaml", t.TempDir(), Options{LookupEnv: func(k string) (string, bool) { return "/opt/s3cr3t-tools", k == "TOOLS" }})
	if err == nil || !strings.Contains(err.Error(), "faults[0].run") || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("want a refusal naming faults[0].run without the path: %v", err)
	}
}
