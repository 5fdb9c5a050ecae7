package runner

import (
	"strings"
	"testing"
	"time"
)

// TestParseStartAt: the common start comes from the argument, else from
// $LOADGATE_START_AT; neither is no common start, and a time that is not
// RFC 3339 is refused naming where it came from.
func TestParseStartAt(t *testing.T) {
	t.Parallel()
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{EnvStartAt: v}[k] }
	}
	cases := []struct {
		arg, env string
		want     time.Time // zero: no common start
		err      string    // part of the error, when one is expected
	}{
		{"2030-01-02T03:04:05Z", "", time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC), ""},
		{"", "2030-01-02T03:04:05.5Z", time.Date(2030, 1, 2, 3, 4, 5, 5e8, time.UTC), ""},                 // the environment's
		{"2031-01-01T00:00:00Z", "2030-01-02T03:04:05Z", time.Date(2031, 1, 1, 0, 0, 0, 0, time.UTC), ""}, // the argument wins
		{"", "", time.Time{}, ""},
		{"tomorrow", "", time.Time{}, `--start-at "tomorrow"`},
		{"", "soon", time.Time{}, `$LOADGATE_START_AT "soon"`},
	}
	for _, c := range cases {
		got, err := ParseStartAt(c.arg, env(c.env), time.Date(2029, 12, 31, 12, 0, 0, 0, time.UTC), true)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseStartAt(%q) with $%s=%q: %v, %v; want an error with %q", c.arg, EnvStartAt, c.env, got, err, c.err)
		case c.err == "" && (err != nil || !got.Equal(c.want)):
			t.Errorf("ParseStartAt(%q) with $%s=%q: %v, %v; want %v", c.arg, EnvStartAt, c.env, got, err, c.want)
		}
	}
}

// TestParseStartAtFarAhead: a start more than 24 h ahead was waited for
// silently (292 years ahead, for ever); it is refused, naming where it came
// from and --allow-long, unless the caller allows it.
func TestParseStartAtFarAhead(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	env := func(v string) func(string) string {
		return func(k string) string { return map[string]string{EnvStartAt: v}[k] }
	}
	cases := []struct {
		arg, env string
		allow    bool
		err      []string // parts of the error; none: accepted
	}{
		{arg: "2318-12-01T12:00:00Z", err: []string{`--start-at "2318-12-01T12:00:00Z"`, "106", "days ahead", "24h", "--allow-long"}},
		{env: "2026-12-02T12:00:01Z", err: []string{`$LOADGATE_START_AT "2026-12-02T12:00:01Z"`, "24h0m1s ahead", "--allow-long"}},
		{arg: "2026-12-02T12:00:00Z"},              // exactly 24 h
		{arg: "2318-12-01T12:00:00Z", allow: true}, // meant
		{arg: "2026-11-30T12:00:00Z"},              // past: starts at once, late
	}
	for _, c := range cases {
		_, err := ParseStartAt(c.arg, env(c.env), now, c.allow)
		if len(c.err) == 0 && err != nil {
			t.Errorf("%q/%q allowed %v: %v", c.arg, c.env, c.allow, err)
		}
		if len(c.err) > 0 && err == nil {
			t.Errorf("%q/%q allowed %v: accepted", c.arg, c.env, c.allow)
		}
		for _, w := range c.err {
			if err != nil && !strings.Contains(err.Error(), w) {
				t.Errorf("%q/%q: error lacks %q: %v", c.arg, c.env, w, err)
			}
		}
	}
}
