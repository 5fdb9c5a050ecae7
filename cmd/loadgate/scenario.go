package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
)

// cmdScenario is what `make scenario` calls: services (found or started),
// migrations, seed if empty, the reference target as a child process, the
// run, the report and the gate; then it stops what it started.
func cmdScenario(ctx context.Context, e env, args []string) error {
	fs := flag.NewFlagSet("scenario", flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	f := addRunFlags(fs)
	profile := fs.String("profile", "optimized", "target profile: optimized or baseline")
	d := seed.Defaults()
	users := fs.Int("users", d.Users, "seed: users (when the database is empty)")
	foods := fs.Int("foods", d.Foods, "seed: foods")
	messages := fs.Int("messages", d.Messages, "seed: messages")
	if err := fs.Parse(reorder(args)); err != nil {
		return usageError(err)
	}
	if fs.NArg() != 1 {
		return usageError(fmt.Errorf("usage: loadgate scenario [flags] SCENARIO"))
	}
	if *f.dryRun {
		return runScenario(ctx, e, fs.Arg(0), f)
	}
	stack, err := services.Ensure(ctx, services.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil))))
	if err != nil {
		return err
	}
	defer stack.Stop()
	o := d
	o.Users, o.Foods, o.Messages = *users, *foods, *messages
	if err := seedDatabase(ctx, e, stack.DatabaseURL, o, true); err != nil {
		return err
	}

	addr := "127.0.0.1:8080"
	if l, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0"
		l2, err := net.Listen("tcp", addr)
		if err != nil {
			return err
		}
		addr = l2.Addr().String()
		l2.Close()
	} else {
		l.Close()
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	logFile, err := os.CreateTemp("", "loadgate-target-*.log")
	if err != nil {
		return err
	}
	defer os.Remove(logFile.Name())
	defer logFile.Close()
	cmd := exec.Command(self, "serve", "--addr", addr, "--profile", *profile)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+stack.DatabaseURL, "REDIS_URL="+stack.RedisURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the target: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stopTarget := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}
	base := "http://" + addr
	if err := waitHealthy(ctx, base+"/api/health", exited); err != nil {
		stopTarget()
		log, _ := os.ReadFile(logFile.Name())
		return fmt.Errorf("the reference target did not come up at %s: %w\n%s", base, err, tail(string(log), 20))
	}
	fmt.Fprintf(e.stderr, "target: %s (profile %s, log %s)\n", base, *profile, logFile.Name())
	if *f.target == "" {
		*f.target = base
	}
	err = runScenario(ctx, e, fs.Arg(0), f)
	stopTarget()
	return err
}

func waitHealthy(ctx context.Context, url string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case err := <-exited:
			return fmt.Errorf("it exited: %v", err)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	return fmt.Errorf("no healthy answer within 60s")
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
