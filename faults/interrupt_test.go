package faults

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/scenarios"
)

// signalling tells when all of a run's drills are injected.
type signalling struct {
	Action
	wg *sync.WaitGroup
}

func (s signalling) Inject(ctx context.Context) error {
	defer s.wg.Done()
	return s.Action.Inject(ctx)
}

// An interrupt in the middle of the faults (Redis stopped, PostgreSQL
// stopped, latency and a blackhole on the proxies) leaves every service
// back as it was when Run returns.
func TestInterruptUndoesEveryFault(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") }))
	defer srv.Close()
	pg, rd := hostPort(t, stack.DatabaseURL), hostPort(t, stack.RedisURL)
	pgProxy, err := NewProxy("postgres", pg)
	if err != nil {
		t.Fatal(err)
	}
	defer pgProxy.Close()
	redisProxy, err := NewProxy("redis", rd)
	if err != nil {
		t.Fatal(err)
	}
	defer redisProxy.Close()
	mark := filepath.Join(t.TempDir(), "exec-on")
	for _, faults := range []string{
		fmt.Sprintf(`
  - {at: 300ms, for: 50s, action: redis_stop}
  - {at: 300ms, for: 50s, action: pg_stop}
  - {at: 300ms, for: 50s, action: exec, run: [touch, %q], undo: [rm, %q]}`, mark, mark),
		`
  - {at: 300ms, for: 50s, action: latency, service: postgres, latency: 1s}
  - {at: 300ms, for: 50s, action: blackhole, service: redis}`,
	} {
		sc, err := scenarios.Parse([]byte(fmt.Sprintf(`name: drills
target: {base_url: %s, health: none}
load: {stages: [{duration: 60s, rate: 20/s}]}
requests: [{name: a, path: /}]
faults:%s
`, srv.URL, faults)), "drills.yaml", t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		env := Env{Redis: stack.Redis(), Postgres: stack.Postgres(), Proxies: map[string]*Proxy{"postgres": pgProxy, "redis": redisProxy}}
		built, err := Build(sc, env)
		if err != nil {
			t.Fatal(err)
		}
		var injected sync.WaitGroup
		drills := map[string]runner.Injector{}
		for name, a := range built {
			injected.Add(1)
			drills[name] = signalling{a, &injected}
		}
		ctx, cancel := context.WithCancel(context.Background())
		on := make(chan string, 1)
		go func() {
			injected.Wait()
			switch {
			case len(sc.NetworkServices()) > 0:
				on <- fmt.Sprintf("toxics %d", pgProxy.Toxics()+redisProxy.Toxics())
			default:
				_, err := os.Stat(mark)
				on <- fmt.Sprintf("redis %v, postgres %v, exec %v", pingRedis(stack.RedisURL, 200*time.Millisecond) != nil,
					pingPG(stack.DatabaseURL) != nil, err == nil)
			}
			cancel() // what the first Ctrl-C does
		}()
		res, err := runner.Run(ctx, sc, runner.WithResultsRoot(t.TempDir()), runner.WithFaults(drills))
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		run := res.Run
		if got := <-on; got != "toxics 2" && got != "redis true, postgres true, exec true" {
			t.Errorf("when interrupted the faults were not all on: %s", got)
		}
		if run.Status != record.StatusAborted {
			t.Errorf("status %s", run.Status)
		}
		if err := pingRedis(stack.RedisURL, 2*time.Second); err != nil {
			t.Errorf("redis is not back: %v", err)
		}
		if err := pingPG(stack.DatabaseURL); err != nil {
			t.Errorf("postgres is not back: %v", err)
		}
		if _, err := os.Stat(mark); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the exec fault was not undone: %v", err)
		}
		if n := pgProxy.Toxics() + redisProxy.Toxics(); n != 0 {
			t.Errorf("%d toxics left on the proxies", n)
		}
		for _, f := range run.Faults {
			if !f.Injected || f.EndS == nil || f.UndoError != "" || *f.EndS > 30 {
				t.Errorf("fault %+v", f)
			}
		}
	}
}

func hostPort(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.Host
}
