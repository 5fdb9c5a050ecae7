// Command benchharness measures the harness's own cost: the maximum
// sustained request rate and the peak memory of `loadgate run` (closed
// model, no think time) next to the vegeta command-line tool and wrk against
// the same trivial local endpoint, in alternating rounds, with medians and
// ratios; then loadgate's memory early in a long run and at its end.
//
// It is `make bench-harness`; run it from the repository root:
//
//	go run ./cmd/benchharness [-rounds 3] [-duration 10s] [-long 10m] [-baseline OLD-BINARY]
//
// ROUNDS, DURATION and LONG in the environment set the defaults (ROUNDS=1
// DURATION=3s LONG=30s is a quick check). It installs the vegeta CLI at the
// version go.mod requires (go install) and wrk (apt-get, as root) when they
// are missing. Traffic goes to loopback only; the endpoint runs in a child
// process (this program with -serve) so that it does not share a Go runtime
// with any tool measured. The output is also written to
// results/bench-harness-<time>.txt.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchharness:", err)
		os.Exit(1)
	}
}

// settings are the benchmark's parameters.
type settings struct {
	rounds   int
	duration time.Duration
	long     time.Duration
	users    int
	loadgate string // the loadgate binary
	// baseline, when set, is another loadgate binary measured in the same
	// rounds ("loadgate-baseline"): a before and after of a change.
	baseline string
	outDir   string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("benchharness", flag.ContinueOnError)
	serve := fs.Bool("serve", false, "serve the trivial endpoint on 127.0.0.1 and print its address (used by the benchmark itself)")
	var s settings
	fs.IntVar(&s.rounds, "rounds", envInt("ROUNDS", 3), "rounds of the three tools (env ROUNDS)")
	fs.DurationVar(&s.duration, "duration", envDuration("DURATION", 10*time.Second), "length of each tool's attack (env DURATION)")
	fs.DurationVar(&s.long, "long", envDuration("LONG", 10*time.Minute), "length of loadgate's memory run; 0 skips it (env LONG)")
	fs.IntVar(&s.users, "users", 64, "concurrent users / connections / workers of every tool")
	fs.StringVar(&s.loadgate, "loadgate", "bin/loadgate", "the loadgate binary (make build)")
	fs.StringVar(&s.baseline, "baseline", os.Getenv("BASELINE"), "another loadgate binary to measure in the same rounds, as loadgate-baseline (env BASELINE)")
	fs.StringVar(&s.outDir, "results", "results", "directory of the output file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *serve {
		return serveEndpoint(ctx, stdout)
	}
	if s.rounds < 1 || s.duration <= 0 || s.users < 1 {
		return errors.New("-rounds, -duration and -users must be positive")
	}
	var out strings.Builder
	w := io.MultiWriter(stdout, &out)
	err := bench(ctx, s, w)
	if err != nil {
		fmt.Fprintf(w, "\nerror: %v\n", err)
	}
	if len(out.String()) > 0 {
		path := filepath.Join(s.outDir, "bench-harness-"+time.Now().UTC().Format("20060102-150405")+".txt")
		if werr := writeFile(path, []byte(out.String())); werr != nil {
			return errors.Join(err, werr)
		}
		fmt.Fprintf(stdout, "written to %s\n", path)
	}
	return err
}

// writeFile writes data to path through a temporary file and a rename.
func writeFile(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

func envInt(key string, def int) int {
	if v := os.Getenv(key); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
		fmt.Fprintf(os.Stderr, "benchharness: %s=%q is not a number; using %d\n", key, v, def)
	}
	return def
}

func envDuration(key string, def time.Duration) time.Duration {
	if v := os.Getenv(key); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
		fmt.Fprintf(os.Stderr, "benchharness: %s=%q is not a duration (like 10s); using %s\n", key, v, def)
	}
	return def
}
