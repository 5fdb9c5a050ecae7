package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/loadgate/loadgate/target"
	"github.com/loadgate/loadgate/target/seed"
	"github.com/loadgate/loadgate/target/services"
)

// seedFlags are the flags that size the data seeded into an empty database.
type seedFlags struct {
	users, foods, messages *int
}

func addSeedFlags(f *cmdFlags) *seedFlags {
	d := seed.Defaults()
	s := &seedFlags{
		users:    f.Int("users", d.Users, "users"),
		foods:    f.Int("foods", d.Foods, "foods"),
		messages: f.Int("messages", d.Messages, "conversation messages"),
	}
	f.group("seed (only when the database holds no data)", "users", "foods", "messages")
	return s
}

func (f *seedFlags) options() seed.Options {
	o := seed.Defaults()
	o.Users, o.Foods, o.Messages = *f.users, *f.foods, *f.messages
	return o
}

// cmdScenario is what `make scenario` calls: services (found or started),
// migrations, seed if empty, the reference target as a child process, the
// run, the report and the gate; then it stops what it started.
func cmdScenario(ctx context.Context, e env, args []string) error {
	f := newFlags("scenario", "SCENARIO", "Sets up what the reference target needs (PostgreSQL and Redis found or started,\n"+
		"migrations, seed if the database is empty), starts the target in --profile on\n"+
		"127.0.0.1:8080 (another port when that is taken), runs SCENARIO against it as run does,\n"+
		"then stops what it started. What 'make scenario' calls.\n\n"+runAbout)
	r := addRunFlags(f)
	profile := f.String("profile", "optimized", "target profile: optimized or baseline")
	sf := addSeedFlags(f)
	if err := f.parse(e, args); err != nil {
		return err
	}
	if f.NArg() != 1 {
		return f.argsError("scenario: one scenario, a built-in name or a YAML file")
	}
	if err := r.check(); err != nil {
		return err
	}
	if err := checkProfile(*profile); err != nil {
		return err
	}
	if *r.dryRun {
		return runScenario(ctx, e, f.Arg(0), r)
	}
	return withCPUProfile(e, r, func() error { return scenarioWithStack(ctx, e, f.Arg(0), r, sf, *profile) })
}

// scenarioWithStack is cmdScenario after its flags: the stack, the target, the run.
func scenarioWithStack(ctx context.Context, e env, name string, f *runFlags, sf *seedFlags, profile string) error {
	stack, err := setUpStack(ctx, e, sf.options(), nil)
	if err != nil {
		return err
	}
	defer stack.Stop()
	t, err := startTarget(ctx, e, stack, profile)
	if err != nil {
		return err
	}
	if *f.target == "" {
		*f.target = t.base
	}
	err = runScenario(ctx, e, name, f)
	t.stop()
	return err
}

func checkProfile(p string) error {
	switch target.Profile(p) {
	case target.Optimized, target.Baseline:
		return nil
	}
	return usageError(fmt.Errorf("--profile %q: want %s or %s", p, target.Optimized, target.Baseline))
}

// setUpStack finds or starts PostgreSQL and Redis, migrates the database and
// seeds it when it is empty. beforeMigrate, if not nil, is called with the
// database's URL first (the database exists, nothing is migrated yet). The
// caller stops the stack.
func setUpStack(ctx context.Context, e env, o seed.Options, beforeMigrate func(url string) error) (*services.Stack, error) {
	stack, err := services.Ensure(ctx, services.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil))))
	if err != nil {
		return nil, err
	}
	if beforeMigrate != nil {
		if err := services.CreateDatabase(ctx, stack.DatabaseURL); err != nil {
			stack.Stop()
			return nil, err
		}
		if err := beforeMigrate(stack.DatabaseURL); err != nil {
			stack.Stop()
			return nil, err
		}
	}
	if err := seedDatabase(ctx, e, stack.DatabaseURL, o, true); err != nil {
		stack.Stop()
		return nil, err
	}
	return stack, nil
}

// childTarget is the reference target running as a child process.
type childTarget struct {
	base string
	stop func()
}

// startTarget starts `loadgate serve` in profile against the stack (on
// 127.0.0.1:8080 when free, else a free port) and waits until it is healthy.
func startTarget(ctx context.Context, e env, stack *services.Stack, profile string) (*childTarget, error) {
	addr := "127.0.0.1:8080"
	if l, err := net.Listen("tcp", addr); err != nil {
		l2, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		addr = l2.Addr().String()
		l2.Close()
	} else {
		l.Close()
	}
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logFile, err := os.CreateTemp("", "loadgate-target-*.log")
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "serve", "--addr", addr, "--profile", profile)
	cmd.Env = append(os.Environ(), "DATABASE_URL="+stack.DatabaseURL, "REDIS_URL="+stack.RedisURL)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		os.Remove(logFile.Name())
		return nil, fmt.Errorf("starting the target: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	stop := func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
		os.Remove(logFile.Name())
	}
	base := "http://" + addr
	if err := waitHealthy(ctx, base+"/api/health", exited); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		stop()
		return nil, fmt.Errorf("the reference target did not come up at %s: %w\n%s", base, err, tail(string(log), 20))
	}
	fmt.Fprintf(e.stderr, "target: %s (profile %s, log %s)\n", base, profile, logFile.Name())
	return &childTarget{base: base, stop: stop}, nil
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
