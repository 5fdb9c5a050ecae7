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
	"sync"
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
	sc, err := resolveScenario(e, name, f) // for its faults; the run resolves it again
	if err != nil {
		return err
	}
	var own []services.Option
	if len(sc.Faults) > 0 {
		// Drills stop and start servers: never the machine's shared ones.
		own = append(own, services.WithOwn("postgres", "redis"))
	}
	stack, err := setUpStack(ctx, e, sf.options(), nil, own...)
	if err != nil {
		return err
	}
	defer stack.Stop()
	d, err := newDrillStack(sc, stack)
	if err != nil {
		return err
	}
	defer d.close()
	t, err := startTargetWith(ctx, e, d.databaseURL, d.redisURL, profile)
	if err != nil {
		return err
	}
	defer t.stop()
	if *f.target == "" {
		*f.target = t.base
	}
	if len(sc.Faults) > 0 {
		if f.drills, err = d.build(sc, t); err != nil {
			return usageError(err)
		}
		f.afterRun = func(dir string) error { return d.checkWrites(ctx, dir) }
		if err := d.countBefore(ctx); err != nil {
			return err
		}
	}
	return runScenario(ctx, e, name, f)
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
func setUpStack(ctx context.Context, e env, o seed.Options, beforeMigrate func(url string) error, opts ...services.Option) (*services.Stack, error) {
	stack, err := services.Ensure(ctx, append([]services.Option{services.WithLogger(slog.New(slog.NewTextHandler(e.stderr, nil)))}, opts...)...)
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

// childTarget is the reference target running as a child process. Fault
// drills restart it (faults.Target): the same address, environment and log.
type childTarget struct {
	base    string
	addr    string
	profile string
	env     []string
	log     *os.File

	mu sync.Mutex // guards p
	p  *proc      // the running (or last) process
}

// proc is one process of the target.
type proc struct {
	cmd  *exec.Cmd
	done chan struct{} // closed once cmd has exited and been reaped
	err  error         // its exit, once done is closed
}

// startTarget starts `loadgate serve` in profile against the stack (on
// 127.0.0.1:8080 when free, else a free port) and waits until it is healthy.
func startTarget(ctx context.Context, e env, stack *services.Stack, profile string) (*childTarget, error) {
	return startTargetWith(ctx, e, stack.DatabaseURL, stack.RedisURL, profile)
}

// startTargetWith is startTarget with the database and Redis URLs given
// (the proxies' when the scenario has network faults).
func startTargetWith(ctx context.Context, e env, dbURL, redisURL, profile string) (*childTarget, error) {
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
	logFile, err := os.CreateTemp("", "loadgate-target-*.log")
	if err != nil {
		return nil, err
	}
	t := &childTarget{base: "http://" + addr, addr: addr, profile: profile, log: logFile,
		env: append(os.Environ(), "DATABASE_URL="+dbURL, "REDIS_URL="+redisURL)}
	if err := t.Start(ctx); err != nil {
		log, _ := os.ReadFile(logFile.Name())
		t.stop()
		return nil, fmt.Errorf("the reference target did not come up at %s: %w\n%s", t.base, err, tail(string(log), 20))
	}
	fmt.Fprintf(e.stderr, "target: %s (profile %s, log %s)\n", t.base, profile, logFile.Name())
	return t, nil
}

// Start starts the target unless it runs, and waits until it is healthy.
func (t *childTarget) Start(ctx context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.p != nil && !t.p.exited(0) {
		return nil
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	cmd := exec.Command(self, "serve", "--addr", t.addr, "--profile", t.profile)
	cmd.Env = t.env
	cmd.Stdout, cmd.Stderr = t.log, t.log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the target: %w", err)
	}
	p := &proc{cmd: cmd, done: make(chan struct{})}
	t.p = p
	go func() { p.err = cmd.Wait(); close(p.done) }()
	exited := make(chan error, 1)
	go func() { <-p.done; exited <- p.err }()
	return waitHealthy(ctx, t.base+"/api/health", exited)
}

// exited waits up to d for the process to exit; it reports whether it has.
func (p *proc) exited(d time.Duration) bool {
	select {
	case <-p.done:
		return true
	default:
	}
	if d <= 0 {
		return false
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-p.done:
		return true
	case <-timer.C:
		return false
	}
}

// end signals the process and waits for its exit (killing it after 20 s).
func (p *proc) end(sig syscall.Signal) {
	if p == nil || p.exited(0) {
		return
	}
	_ = p.cmd.Process.Signal(sig)
	if !p.exited(20 * time.Second) {
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// Restart stops the target (SIGTERM: its graceful shutdown; SIGKILL when
// kill), starts it again and waits until it is healthy.
func (t *childTarget) Restart(ctx context.Context, kill bool) error {
	sig := syscall.SIGTERM
	if kill {
		sig = syscall.SIGKILL
	}
	t.mu.Lock()
	t.p.end(sig)
	t.mu.Unlock()
	return t.Start(ctx)
}

// stop ends the target for good and removes its log.
func (t *childTarget) stop() {
	t.mu.Lock()
	t.p.end(syscall.SIGTERM)
	t.mu.Unlock()
	t.log.Close()
	os.Remove(t.log.Name())
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
