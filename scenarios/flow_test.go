package scenarios

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestFlowScenario(t *testing.T) {
	t.Parallel()
	sc, err := Load("testdata/good/flows.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(sc.Flows) != 1 || len(sc.Flows[0].Steps) != 3 {
		t.Fatalf("flows %+v", sc.Flows)
	}
	f := sc.Flows[0]
	if f.Weight != 3 || f.CookiesOn() {
		t.Errorf("weight %v, cookies %v: want 3 and off", f.Weight, f.CookiesOn())
	}
	login := f.Steps[0]
	if login.Method != "POST" || login.Think != (Think{Dist: ThinkUniform, A: time.Second, B: 2 * time.Second}) {
		t.Errorf("login method %q think %+v", login.Method, login.Think)
	}
	if got := login.Check[0].Status; !got.Has(204) || !got.Has(299) || got.Has(301) || got.Has(199) {
		t.Errorf("status set %v", got)
	}
	if l := login.Check[2].Label(); l != "fresh" {
		t.Errorf("named check label %q", l)
	}
	if l := login.Check[1].Label(); l != "$.token exists" {
		t.Errorf("label %q", l)
	}
	if login.Extract["session"].Kind() != "cookie" || login.Extract["token"].JSON != "$.token" {
		t.Errorf("extracts %+v", login.Extract)
	}
	add := f.Steps[1]
	if add.Timeout.D() != 2*time.Second || add.Redirects == nil || *add.Redirects != 3 {
		t.Errorf("add timeout %v redirects %v", add.Timeout, add.Redirects)
	}
	if add.Think != (Think{Dist: ThinkNormal, A: time.Second, B: 200 * time.Millisecond}) {
		t.Errorf("add think %+v", add.Think)
	}
	if sc.Load.ThinkTime != (Think{Dist: ThinkExponential, A: 2 * time.Second}) {
		t.Errorf("think_time %+v", sc.Load.ThinkTime)
	}
	if sc.Target.HTTP2On() || sc.Target.RedirectLimit() != 0 || sc.Target.MaxBody != 64<<10 {
		t.Errorf("target %+v", sc.Target)
	}
	cfg, err := sc.TLSConfig()
	if err != nil || cfg == nil || !cfg.InsecureSkipVerify {
		t.Errorf("tls %+v, %v", cfg, err)
	}
	acc, err := sc.Table("account")
	if err != nil {
		t.Fatal(err)
	}
	// A quoted comma stays inside its field: rows are whole.
	if !reflect.DeepEqual(acc.Fields, []string{"user", "pass"}) || !reflect.DeepEqual(acc.Rows[0], []string{"ann", "s3cret, really"}) {
		t.Errorf("accounts %+v", acc)
	}
	prod, err := sc.Table("product")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(prod.Fields, []string{"price", "sku", "tags"}) || !reflect.DeepEqual(prod.Rows[1], []string{"12", "B-2", "[]"}) {
		t.Errorf("products %+v", prod)
	}
	if tb, err := sc.Table("qty"); tb != nil || err != nil {
		t.Errorf("a range is no table: %v %v", tb, err)
	}
	if f := sc.Flows[0]; len(sc.Flows) != 1 || EndpointName(f.Name, f.Steps[2].Name) != "buyer.pay" || f.Weight != 3 {
		t.Errorf("flows %+v", sc.Flows)
	}
	d := sc.Describe()
	for _, want := range []string{"flow buyer  60.0% of the mix, 3 steps", "1. login  POST /login", "extracts session, token", "then think uniform(1s, 2s)"} {
		if !strings.Contains(d, want) {
			t.Errorf("describe lacks %q:\n%s", want, d)
		}
	}
}

func TestParseTemplateHelpers(t *testing.T) {
	t.Parallel()
	parts, err := ParseTemplate(`a{{ uuid() }}b{{base64(account.user, ":", "x,y", 7)}}{{random_int(-2, 5)}}{{ token }}`)
	if err != nil {
		t.Fatal(err)
	}
	want := []Part{
		{Literal: "a"}, {Func: "uuid"}, {Literal: "b"},
		{Func: "base64", Args: []Arg{{Var: "account.user"}, {Literal: ":"}, {Literal: "x,y"}, {Literal: "7"}}},
		{Func: "random_int", Args: []Arg{{Literal: "-2"}, {Literal: "5"}}},
		{Var: "token"},
	}
	if !reflect.DeepEqual(parts, want) {
		t.Errorf("parts\n%+v\nwant\n%+v", parts, want)
	}
	for _, bad := range []string{
		"{{uuid(1)}}",          // arity
		"{{now}}x{{nope()}}",   // unknown helper
		"{{base64(a,)}}",       // missing argument
		`{{base64("open)}}`,    // unterminated string
		"{{random_int(a, 2)}}", // not integers
		"{{base64(a b)}}",      // bad argument
		"{{uuid(}}",            // unterminated (
		`{{base64("a" "b")}}`,  // no comma
		"{{random_int(5, 1)}}", // lo above hi
		"{{ bad name }}",       // bad name
	} {
		if _, err := ParseTemplate(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

func TestParseJSONPath(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		in   string
		want []PathElem
	}{
		{"$", nil},
		{"$.meal.id", []PathElem{{Key: "meal"}, {Key: "id"}}},
		{"meal.id", []PathElem{{Key: "meal"}, {Key: "id"}}},
		{"$.items[0].name", []PathElem{{Key: "items"}, {Index: 0, IsIndex: true}, {Key: "name"}}},
		{"$.m[-1]", []PathElem{{Key: "m"}, {Index: -1, IsIndex: true}}},
		{"$['odd key'][\"x\"]", []PathElem{{Key: "odd key"}, {Key: "x"}}},
		{"[2]", []PathElem{{Index: 2, IsIndex: true}}},
	} {
		got, err := ParseJSONPath(c.in)
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "$.", "$.a[", "$.a[x]", "$.a..b", "$x", "$.a b"} {
		if _, err := ParseJSONPath(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseThinkAndSize(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]Think{
		"0":                  {},
		"1500ms":             {Dist: ThinkConstant, A: 1500 * time.Millisecond},
		"uniform(1s, 3s)":    {Dist: ThinkUniform, A: time.Second, B: 3 * time.Second},
		" normal(2s,500ms) ": {Dist: ThinkNormal, A: 2 * time.Second, B: 500 * time.Millisecond},
		"exponential(250ms)": {Dist: ThinkExponential, A: 250 * time.Millisecond},
	} {
		got, err := ParseThink(in)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", in, got, err, want)
		}
		if back, err := ParseThink(got.String()); err != nil || back != got {
			t.Errorf("%q does not round-trip: %q", in, got.String())
		}
	}
	for _, bad := range []string{"uniform(1s)", "exponential(0)", "normal(1s, x)", "uniform(2s, 1s", "-1s", "zipf(1s, 2s)"} {
		if _, err := ParseThink(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
	for in, want := range map[string]int64{"1MiB": 1 << 20, "512 KiB": 512 << 10, "1000": 1000, "2MB": 2e6, "1.5KiB": 1536} {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("size %q = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "1 parsec", "-1"} {
		if _, err := ParseSize(bad); err == nil {
			t.Errorf("size %q: no error", bad)
		}
	}
}

func TestParseCompare(t *testing.T) {
	t.Parallel()
	for in, want := range map[string][2]string{"> 0": {">", "0"}, ">= {{x}}": {">=", "{{x}}"}, "!=-1.5": {"!=", "-1.5"}, "==3": {"==", "3"}} {
		op, operand, err := ParseCompare(in)
		if err != nil || op != want[0] || operand != want[1] {
			t.Errorf("%q: %q %q %v", in, op, operand, err)
		}
	}
	for _, bad := range []string{"3", "> ", "< three", "=~ x"} {
		if _, _, err := ParseCompare(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
