package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/loadgate/loadgate/faults"
	"github.com/loadgate/loadgate/runner"
	"github.com/loadgate/loadgate/runner/results"
	"github.com/loadgate/loadgate/scenarios"
	"github.com/loadgate/loadgate/target/services"
	"github.com/loadgate/loadgate/target/store"
)

// drillStack is what a scenario's fault drills act on under `loadgate
// scenario`: the stack's own servers, and a TCP proxy in front of each
// service a network fault sits in front of (the target is given the
// proxy's address instead of the service's).
type drillStack struct {
	stack                 *services.Stack
	proxies               map[string]*faults.Proxy
	databaseURL, redisURL string // what the target connects to

	// rows counted before the run, for the writes check
	mealsBefore, chatsBefore int64
}

func newDrillStack(sc *scenarios.Scenario, stack *services.Stack) (*drillStack, error) {
	d := &drillStack{stack: stack, proxies: map[string]*faults.Proxy{},
		databaseURL: stack.DatabaseURL, redisURL: stack.RedisURL}
	for _, svc := range sc.NetworkServices() {
		raw := &d.databaseURL
		if svc == scenarios.ServiceRedis {
			raw = &d.redisURL
		}
		u, err := url.Parse(*raw)
		if err != nil {
			d.close()
			return nil, fmt.Errorf("%s URL: %w", svc, err)
		}
		p, err := faults.NewProxy(svc, u.Host)
		if err != nil {
			d.close()
			return nil, err
		}
		d.proxies[svc] = p
		u.Host = p.Addr()
		*raw = u.String()
	}
	return d, nil
}

func (d *drillStack) close() {
	for _, p := range d.proxies {
		p.Close()
	}
}

// build makes the drills of the scenario's faults.
func (d *drillStack) build(sc *scenarios.Scenario, t *services.Target) (map[string]runner.Injector, error) {
	env := faults.Env{DatabaseURL: d.stack.DatabaseURL, RedisURL: d.stack.RedisURL,
		Proxies: d.proxies, Dir: sc.Dir()}
	if t != nil {
		env.Target = t
	}
	// A nil *services.Server must stay a nil interface: "not ours".
	if pg := d.stack.Postgres(); pg != nil {
		env.Postgres = pg
	} else if dir := os.Getenv(services.EnvPGData); dir != "" {
		// Given explicitly: DATABASE_URL's server, by its data directory.
		pg, err := services.ByDataDir(dir, d.stack.DatabaseURL)
		if err != nil {
			return nil, err
		}
		env.Postgres = pg
	}
	if r := d.stack.Redis(); r != nil {
		env.Redis = r
	}
	built, err := faults.Build(sc, env)
	if err != nil {
		return nil, err
	}
	out := make(map[string]runner.Injector, len(built))
	for name, a := range built {
		out[name] = a
	}
	return out, nil
}

// runDrills builds the drills of a scenario run by loadgate run, which
// starts nothing: exec faults only.
func runDrills(sc *scenarios.Scenario) (map[string]runner.Injector, error) {
	built, err := faults.Build(sc, faults.Env{Dir: sc.Dir()})
	if err != nil {
		return nil, err
	}
	out := make(map[string]runner.Injector, len(built))
	for name, a := range built {
		out[name] = a
	}
	return out, nil
}

// The reference target's writes: a meal logged is a row of meals, a chat
// turn a row of messages with role user (stored with its answer in one
// statement).
var (
	mealPath = regexp.MustCompile(`^/api/v1/users/[^/]+/meals$`)
	chatPath = "/api/v1/chat"
)

func (d *drillStack) count(ctx context.Context) (meals, chats int64, err error) {
	meals, chats, err = store.CountWrites(ctx, d.stack.DatabaseURL)
	if err != nil {
		return 0, 0, fmt.Errorf("counting writes: %w", err)
	}
	return meals, chats, nil
}

func (d *drillStack) countBefore(ctx context.Context) error {
	var err error
	d.mealsBefore, d.chatsBefore, err = d.count(ctx)
	return err
}

// checkWrites compares the writes the target acknowledged (2xx answers to
// POST meal logs and chats) with the rows that appeared, and records it in
// run.json (writes). A run with a warm-up is left without: run.json counts
// only the measured requests, and the warm-up's writes would hide losses.
func (d *drillStack) checkWrites(ctx context.Context, dir string) error {
	run, err := results.ReadRun(dir)
	if err != nil {
		return err
	}
	if run.WarmupS > 0 {
		return nil
	}
	meals, chats, err := d.count(context.WithoutCancel(ctx))
	if err != nil {
		return err
	}
	var ackMeals, ackChats int64
	w := &results.Writes{}
	for _, r := range run.Plan.Requests {
		isMeal := r.Method == "POST" && mealPath.MatchString(templated(r.Path))
		isChat := r.Method == "POST" && r.Path == chatPath
		if !isMeal && !isChat {
			continue
		}
		w.Endpoints = append(w.Endpoints, r.Name)
		n := int64(0)
		for code, c := range run.Endpoints[r.Name].StatusCodes {
			if v, err := strconv.Atoi(code); err == nil && v >= 200 && v < 300 {
				n += c
			}
		}
		if isMeal {
			ackMeals += n
		} else {
			ackChats += n
		}
	}
	if len(w.Endpoints) == 0 {
		return nil
	}
	foundMeals, foundChats := meals-d.mealsBefore, chats-d.chatsBefore
	w.Acknowledged = ackMeals + ackChats
	w.Found = foundMeals + foundChats
	w.Lost = max(0, ackMeals-foundMeals) + max(0, ackChats-foundChats)
	run.Writes = w
	return results.WriteJSON(filepath.Join(dir, results.RunFile), run)
}

// templated replaces each {{…}} of a request path by a placeholder word.
func templated(path string) string {
	for {
		i := strings.Index(path, "{{")
		j := strings.Index(path, "}}")
		if i < 0 || j < i {
			return path
		}
		path = path[:i] + "x" + path[j+2:]
	}
}
