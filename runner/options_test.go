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
		got, err := ParseStartAt(c.arg, env(c.env))
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("ParseStartAt(%q) with $%s=%q: %v, %v; want an error with %q", c.arg, EnvStartAt, c.env, got, err, c.err)
		case c.err == "" && (err != nil || !got.Equal(c.want)):
			t.Errorf("ParseStartAt(%q) with $%s=%q: %v, %v; want %v", c.arg, EnvStartAt, c.env, got, err, c.want)
		}
	}
}
