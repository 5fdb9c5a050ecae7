package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestEveryCommandHelp: every subcommand answers -h (and --help) with exit
// 0 and a usage line on stdout, before doing anything.
func TestEveryCommandHelp(t *testing.T) {
	t.Parallel()
	for name := range commands() {
		for _, h := range []string{"-h", "--help"} {
			t.Run(name+h, func(t *testing.T) {
				code, out, errs := runCLI(t, name, h)
				if code != 0 {
					t.Errorf("exit %d, want 0\nstdout: %s\nstderr: %s", code, out, errs)
				}
				if !strings.HasPrefix(out, "usage: loadgate "+name) {
					t.Errorf("stdout does not start with %q:\n%s", "usage: loadgate "+name, out)
				}
				if errs != "" {
					t.Errorf("stderr: %s", errs)
				}
			})
		}
	}
}

// TestHelpContents: what each -h must say beyond the usage line.
func TestHelpContents(t *testing.T) {
	t.Parallel()
	cases := []struct {
		cmd    string
		has    []string // in the output, in this order
		hasNot []string
		usage  string // the first line
	}{
		// The actions of migrate, and the flag's default.
		{cmd: "migrate", usage: "usage: loadgate migrate [flags] up|down|status",
			has: []string{"up ", "down ", "status ", "--without-indexes"}},
		// The argument, the flags with defaults, the capacity flags grouped
		// after the others.
		{cmd: "run", usage: "usage: loadgate run [flags] SCENARIO",
			has: []string{"smoke", "--duration", "--results string", `(default "results")`, "--target",
				"capacity search", "--find-capacity", "--capacity-start", "--capacity-factor float", "(default 1.5)", "--step-hold duration", "(default 30s)"}},
		// scenario: the profile, the seed flags grouped.
		{cmd: "scenario", usage: "usage: loadgate scenario [flags] SCENARIO",
			has: []string{"--profile", `(default "optimized")`, "capacity search", "--find-capacity", "seed (", "--users int"}},
		// compare lists only the flags it uses.
		{cmd: "compare", usage: "usage: loadgate compare [flags] SCENARIO",
			has:    []string{"--duration", "--keep-data", "--out", "seed (", "--users"},
			hasNot: []string{"--target", "--shard", "--find-capacity", "--capacity-", "--step-", "--profile"}},
		{cmd: "gate", usage: "usage: loadgate gate [flags] RUN", has: []string{"--baseline", "--gate"}},
		{cmd: "report", usage: "usage: loadgate report [flags] RUN [RUN…]", has: []string{`(default "inline")`, "--labels"}},
		{cmd: "merge", usage: "usage: loadgate merge [flags] --out DIR SHARD_RUN…", has: []string{"--partial"}},
		{cmd: "services", usage: "usage: loadgate services [flags] -- COMMAND [ARG…]", has: []string{"--no-throwaway"}},
		{cmd: "healthcheck", usage: "usage: loadgate healthcheck URL", has: []string{"2xx"}},
		{cmd: "seed", usage: "usage: loadgate seed [flags]", has: []string{"--if-empty", "--users int", "(default 1000)"}},
		// The URLs' defaults may hold passwords: the environment is named, not shown.
		{cmd: "serve", usage: "usage: loadgate serve [flags]", has: []string{"--addr", "--database-url", "env DATABASE_URL"}},
		{cmd: "version", usage: "usage: loadgate version"},
	}
	for _, c := range cases {
		t.Run(c.cmd, func(t *testing.T) {
			code, out, _ := runCLI(t, c.cmd, "-h")
			if code != 0 {
				t.Fatalf("exit %d", code)
			}
			if first, _, _ := strings.Cut(out, "\n"); first != c.usage {
				t.Errorf("usage line %q, want %q", first, c.usage)
			}
			rest := out
			for _, h := range c.has {
				i := strings.Index(rest, h)
				if i < 0 {
					t.Errorf("lacks %q (in this order):\n%s", h, out)
					continue
				}
				rest = rest[i+len(h):]
			}
			for _, h := range c.hasNot {
				if strings.Contains(out, h) {
					t.Errorf("lists %q, which %s does not take:\n%s", h, c.cmd, out)
				}
			}
		})
	}
}

// TestHealthcheckHelpFetchesNothing: "healthcheck -h" prints its usage; it
// does not GET "-h", and a URL given with it is not fetched either.
func TestHealthcheckHelpFetchesNothing(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer srv.Close()
	for _, args := range [][]string{{"healthcheck", "-h"}, {"healthcheck", srv.URL, "-h"}} {
		code, out, errs := runCLI(t, args...)
		if code != 0 || !strings.HasPrefix(out, "usage: loadgate healthcheck URL") || strings.Contains(errs, "-h") {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errs)
		}
	}
	if hits.Load() != 0 {
		t.Errorf("the server was asked %d times", hits.Load())
	}
	// And it still checks a URL.
	if code, out, errs := runCLI(t, "healthcheck", srv.URL); code != 0 || hits.Load() != 1 {
		t.Errorf("healthcheck URL: exit %d, %d requests\nstdout: %s\nstderr: %s", code, hits.Load(), out, errs)
	}
}

// TestUsageErrors: a flag or argument mistake exits 2 with the error and
// the usage line on stderr.
func TestUsageErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		args []string
		want []string
	}{
		{[]string{"run", "--bogus", "smoke"}, []string{"flag provided but not defined: -bogus", "usage: loadgate run [flags] SCENARIO"}},
		{[]string{"run"}, []string{"run: one scenario", "usage: loadgate run [flags] SCENARIO"}},
		{[]string{"migrate", "sideways"}, []string{`unknown action "sideways"`, "usage: loadgate migrate [flags] up|down|status"}},
		{[]string{"healthcheck"}, []string{"usage: loadgate healthcheck URL"}},
		{[]string{"gate", "a", "b"}, []string{"usage: loadgate gate [flags] RUN"}},
		{[]string{"version", "extra"}, []string{"usage: loadgate version"}},
		{[]string{"compare", "smoke", "--shard", "1/2"}, []string{"--shard does not apply", "usage: loadgate compare"}},
	}
	for _, c := range cases {
		code, out, errs := runCLI(t, c.args...)
		if code != 2 {
			t.Errorf("%v: exit %d, want 2", c.args, code)
		}
		for _, w := range c.want {
			if !strings.Contains(errs, w) {
				t.Errorf("%v: stderr lacks %q\nstdout: %s\nstderr: %s", c.args, w, out, errs)
			}
		}
	}
}

// TestReorder: flags may follow the arguments; whether a flag takes the
// next argument is asked of the flag set, so a boolean flag added later
// needs no list kept up to date.
func TestReorder(t *testing.T) {
	t.Parallel()
	f := newFlags("x", "ARG", "")
	f.Bool("yes", false, "a boolean")
	f.String("name", "", "a string")
	f.Duration("d", 0, "a duration")
	cases := []struct {
		in, want []string
	}{
		// A boolean flag before the argument does not swallow it.
		{[]string{"--yes", "arg"}, []string{"--yes", "--", "arg"}},
		// A string flag after the argument takes the next one.
		{[]string{"arg", "--name", "n", "--d", "1s"}, []string{"--name", "n", "--d", "1s", "--", "arg"}},
		// -flag=value and a boolean written =false.
		{[]string{"arg", "--name=n", "--yes=false"}, []string{"--name=n", "--yes=false", "--", "arg"}},
		// After "--" everything is an argument, even what looks like a flag.
		{[]string{"--yes", "--", "-arg", "--name"}, []string{"--yes", "--", "-arg", "--name"}},
		// An unknown flag is passed on for Parse to reject; -h too.
		{[]string{"arg", "--what", "-h"}, []string{"--what", "-h", "--", "arg"}},
	}
	for _, c := range cases {
		if got := reorder(f.FlagSet, c.in); strings.Join(got, " ") != strings.Join(c.want, " ") {
			t.Errorf("reorder(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// The flags every command defines that take no value are found without
	// a list: merge's --partial (added after the list was written) included.
	code, _, errs := runCLI(t, "merge", "a", "--partial", "b")
	if code != 2 || !strings.Contains(errs, "merge: --out") {
		t.Errorf("merge a --partial b: exit %d, stderr %s", code, errs)
	}
}

// TestVersionFlag: --version (and -version, -v) prints the version as
// `loadgate version` does, exit 0, nothing on stderr.
func TestVersionFlag(t *testing.T) {
	t.Parallel()
	_, want, _ := runCLI(t, "version")
	if want != "loadgate "+version+"\n" {
		t.Fatalf("loadgate version printed %q", want)
	}
	for _, flag := range []string{"--version", "-version", "-v"} {
		code, out, errs := runCLI(t, flag)
		if code != 0 || out != want || errs != "" {
			t.Errorf("loadgate %s: exit %d\nstdout: %q (want %q)\nstderr: %s", flag, code, out, want, errs)
		}
	}
}

// TestUsageAligned: the command list of `loadgate -h` is one column wide
// enough for the longest name: every summary starts at the same place.
func TestUsageAligned(t *testing.T) {
	t.Parallel()
	code, out, _ := runCLI(t, "-h")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	_, list, ok := strings.Cut(out, "commands:\n")
	if !ok {
		t.Fatalf("no command list:\n%s", out)
	}
	list, _, _ = strings.Cut(list, "\n\n")
	lines := strings.Split(list, "\n")
	if len(lines) != len(commands()) {
		t.Fatalf("%d lines for %d commands:\n%s", len(lines), len(commands()), list)
	}
	col := -1
	for _, l := range lines {
		name, rest, _ := strings.Cut(strings.TrimLeft(l, " "), " ")
		start := len(l) - len(strings.TrimLeft(rest, " "))
		if _, ok := commands()[name]; !ok {
			t.Errorf("line %q does not start with a command", l)
		}
		if col < 0 {
			col = start
		}
		if start != col {
			t.Errorf("summary of %s starts at column %d, the first at %d:\n%s", name, start, col, list)
		}
	}
}
