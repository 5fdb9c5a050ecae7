package runner

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/cookiejar"
	"sync"
	"sync/atomic"
	"time"

	"github.com/loadgate/loadgate/scenarios"
)

// flowEvent is what a flow worker hands the recorder: one step's result,
// or (iter set) the end of one iteration.
type flowEvent struct {
	// res is the step's result (times since the engine began, from when it
	// was due), or the iteration's: due at its scheduled start, sent with
	// its first request, ended with its last response, its outcome.
	res      result
	endpoint int
	// A step's checks: bit i is check i, run, failed, and failed on a body
	// that is not JSON (a json check); the extract that found nothing, or -1.
	checksRun, checksFailed, checksNotJSON uint64
	extractFailed                          int

	iter bool
	flow *compiledFlow
	// skipped is how many steps a failure left unsent; cut says the end of
	// the run (or an abort) interrupted the iteration.
	skipped int
	cut     bool
}

// flowEngine runs the flows of a scenario: in the open model the schedule's
// arrivals start iterations, each run by one of at most max_workers
// workers; in the closed model each user runs iterations one after the
// other. Every step's result and every iteration's end go to events, which
// the recorder reads from one goroutine.
//
// Latency (the corrected figure) is measured from when each step was due:
// the first step from the iteration's scheduled start (its arrival in the
// open model, the moment the user began it in the closed one), every later
// step from the end of the step before plus its think time. A generator
// that starts an iteration late, or a worker that wakes late from a pause,
// therefore shows in the numbers; the service time is measured from the
// actual send.
type flowEngine struct {
	set     *flowSet
	sched   *schedule
	closed  bool
	think   scenarios.Think // a closed-model user's pause between iterations
	workers int             // open model: most iterations in progress
	clients []*http.Client  // by redirect limit, one transport
	events  chan flowEvent
	ctx     context.Context
	clock   clock     // the runner's: every time the engine reads or waits for
	began   time.Time // the clock's now when the engine began
	// last is the latest a step may be due and still be sent: the schedule's
	// end and the graceful stop (at least the grace the request mix has).
	last time.Duration
	// highest is the recorder's highest value (µs): the range of the
	// workers' gap histograms.
	highest int64

	dispatched atomic.Uint64 // open model: iterations handed to workers
	sent       atomic.Int64  // requests sent
	active     atomic.Int64  // iterations in progress
	maxActive  atomic.Int64

	stopOnce sync.Once
	stopped  atomic.Pointer[string] // why iterations stopped early (data exhausted)
	// stoppedAt is when they stopped (since began, nanoseconds; 0 before).
	stoppedAt atomic.Int64
}

// since is how long ago the engine began, on the runner's clock.
func (e *flowEngine) since() time.Duration { return e.clock.since(e.began) }

// stop records why no more iterations start, from the iteration due at
// due on.
func (e *flowEngine) stop(why error, due time.Duration) {
	e.stopOnce.Do(func() {
		msg := why.Error()
		e.stoppedAt.Store(int64(max(due, 1)))
		e.stopped.Store(&msg)
	})
}

// run starts the load and closes events when every worker is done.
func (e *flowEngine) run() {
	var wg sync.WaitGroup
	if e.closed {
		e.runClosed(&wg)
	} else {
		e.runOpen(&wg)
	}
	wg.Wait()
	close(e.events)
}

// runOpen starts iteration k when the schedule says it is due, on a free
// worker or a new one up to the cap; when all are busy it waits, and the
// iteration's latency still counts from when it was due.
func (e *flowEngine) runOpen(wg *sync.WaitGroup) {
	jobs := make(chan time.Duration)
	defer close(jobs)
	workers := 0
	timer := e.clock.timer(time.Hour)
	defer timer.Stop()
	done := e.ctx.Done()
	for k := uint64(0); k < e.sched.total; k++ {
		due := e.sched.due(k)
		if wait := due - e.since(); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C():
			case <-done:
				return
			}
		}
		if e.stopped.Load() != nil {
			return
		}
		select {
		case jobs <- due:
		default:
			if workers < e.workers {
				workers++
				wg.Add(1)
				go func() {
					defer wg.Done()
					w := newWorker(e)
					for due := range jobs {
						w.resetUser()
						w.iteration(e.set.pick(), due)
					}
				}()
			}
			select {
			case jobs <- due:
			case <-done:
				return
			}
		}
		e.dispatched.Store(k + 1)
	}
}

// closedPoll is how often the closed model looks at the user ramp.
const closedPoll = 10 * time.Millisecond

// runClosed runs one goroutine per user of the peak; user i runs while the
// stages ask for more than i users, so a ramp down lets the highest users
// finish their iteration and wait.
func (e *flowEngine) runClosed(wg *sync.WaitGroup) {
	peak := 0
	for _, s := range e.sched.segs {
		peak = max(peak, int(max(s.from, s.to)+1e-9))
	}
	lv := &userLevel{}
	lv.cond = sync.NewCond(&lv.mu)
	lv.set(int64(e.sched.rate(0)+1e-9), false)
	go func() {
		tick, stop := e.clock.ticker(closedPoll)
		defer stop()
		for {
			select {
			case <-tick:
			case <-e.ctx.Done():
				lv.set(0, true)
				return
			}
			now := e.since()
			if now >= e.sched.end {
				lv.set(0, true)
				return
			}
			lv.set(int64(e.sched.rate(now)+1e-9), false)
		}
	}()
	for i := range peak {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker(e)
			for lv.wait(int64(i)) {
				start := e.since()
				if start >= e.sched.end {
					return
				}
				w.iteration(e.set.pick(), start)
				if d := drawThink(e.think); d > 0 && !w.sleepUntil(e.since()+d) {
					return
				}
			}
		}()
	}
}

// userLevel is the closed model's user count, which users wait on.
type userLevel struct {
	level atomic.Int64
	mu    sync.Mutex // guards done and the waits on cond
	cond  *sync.Cond
	done  bool
}

func (l *userLevel) set(n int64, done bool) {
	if l.level.Load() == n && !done {
		return
	}
	l.mu.Lock()
	l.level.Store(n)
	l.done = l.done || done
	l.cond.Broadcast()
	l.mu.Unlock()
}

// wait returns when user i is active (true) or the run is over (false).
func (l *userLevel) wait(i int64) bool {
	if l.level.Load() > i {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for l.level.Load() <= i && !l.done {
		l.cond.Wait()
	}
	return !l.done
}

// worker runs iterations one at a time with buffers of its own, so that
// rendering, checks and extracts allocate nothing once they have grown.
type worker struct {
	e     *flowEngine
	env   tmplEnv
	drawn []int64
	// A user's draws of per-user sources, by source id.
	userDraw []int64
	userHas  []bool
	// want and value are scratch for checks; url for the request line.
	want, value, url []byte
	respBody         []byte
	counted          counter       // counts the body being read (readBody)
	gz               *gzip.Reader  // decodes gzip bodies, made on first use
	zbuf             *bufio.Reader // what gz reads, reset for each body
	jar              http.CookieJar
	clients          []http.Client // the engine's, with this user's jar
	timer            timer         // sleepUntil's, made on its first wait and reused
	stream           streamReader  // reads streamed responses (stream senders)
	figs             [2]streamFigures
	figIdx           int // the stream figures in use (streamBuf)
}

func newWorker(e *flowEngine) *worker {
	w := &worker{
		e:        e,
		drawn:    make([]int64, e.set.maxSlots),
		userDraw: make([]int64, len(e.set.sources)),
		userHas:  make([]bool, len(e.set.sources)),
		clients:  make([]http.Client, len(e.clients)),
	}
	w.env.vars = make([][]byte, e.set.maxVars)
	for i, c := range e.clients {
		w.clients[i] = *c
	}
	return w
}

// resetUser starts a new virtual user: per-user data and cookies are
// forgotten. The open model calls it before every iteration.
func (w *worker) resetUser() {
	clear(w.userHas)
	w.jar = nil
}

// sleepUntil waits until due (since the engine began); false when the run
// is cancelled meanwhile.
func (w *worker) sleepUntil(due time.Duration) bool {
	d := due - w.e.since()
	if d <= 0 {
		return w.e.ctx.Err() == nil
	}
	if w.timer == nil {
		w.timer = w.e.clock.timer(d)
	} else {
		w.timer.Reset(d)
	}
	select {
	case <-w.timer.C():
		return true
	case <-w.e.ctx.Done():
		w.timer.Stop()
		return false
	}
}

// draw draws the flow's data for one iteration; per-user sources keep the
// user's first draw.
func (w *worker) draw(f *compiledFlow) error {
	for s, src := range f.sources {
		if f.perUser[s] && w.userHas[src.id] {
			w.drawn[s] = w.userDraw[src.id]
			continue
		}
		v, err := src.index()
		if err != nil {
			return err
		}
		w.drawn[s] = v
		if f.perUser[s] {
			w.userDraw[src.id], w.userHas[src.id] = v, true
		}
	}
	return nil
}

// iteration runs flow f's steps in order; start is when it was due.
func (w *worker) iteration(f *compiledFlow, start time.Duration) {
	e := w.e
	if err := w.draw(f); err != nil {
		e.stop(err, start)
		return
	}
	w.env.sources = f.sources
	for i := range f.nvars {
		w.env.vars[i] = w.env.vars[i][:0]
	}
	n := e.active.Add(1)
	for m := e.maxActive.Load(); n > m && !e.maxActive.CompareAndSwap(m, n); m = e.maxActive.Load() {
	}
	defer e.active.Add(-1)
	if f.cookies && w.jar == nil {
		w.jar, _ = cookiejar.New(nil) // cannot fail without options
		for i := range w.clients {
			w.clients[i].Jar = w.jar
		}
	}
	it := flowEvent{iter: true, flow: f, endpoint: f.iteration}
	it.res.intended = start
	due := start
	for i := range f.steps {
		st := &f.steps[i]
		if due > e.last || !w.sleepUntil(due) {
			it.cut = true
			break
		}
		var ev flowEvent
		w.step(f, st, due, &ev)
		if i == 0 {
			it.res.sent = ev.res.sent
		}
		it.res.end, it.res.bytesIn, it.res.bytesOut = ev.res.end, it.res.bytesIn+ev.res.bytesIn, it.res.bytesOut+ev.res.bytesOut
		failed := ev.res.kind != kindOK
		if failed && e.ctx.Err() != nil && ev.res.code == 0 {
			// The abort closed the connection: the step measured nothing.
			it.cut = true
			break
		}
		e.events <- ev
		if ev.res.stream != nil {
			w.gapsTaken()
		}
		if failed {
			it.res.kind, it.skipped = ev.res.kind, len(f.steps)-i-1
			break
		}
		due = ev.res.end + drawThink(st.think)
	}
	if f.request {
		return
	}
	e.events <- it
}

// step sends one step through its sender and judges its response into ev.
func (w *worker) step(f *compiledFlow, st *compiledStep, due time.Duration, ev *flowEvent) {
	e := w.e
	ev.endpoint, ev.extractFailed, ev.flow = st.endpoint, -1, f
	res := &ev.res
	res.intended = due
	w.url = render(w.url[:0], st.url, w.drawn, &w.env)
	// The body gets its own buffer: the transport may still read it after
	// the response arrived.
	body := st.static
	if st.body != nil {
		body = render(make([]byte, 0, sizeGuess(st.body)), st.body, w.drawn, &w.env)
	}
	var reader io.Reader = http.NoBody
	if len(body) > 0 {
		reader = bytes.NewReader(body)
	}
	ctx := e.ctx
	if st.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, st.timeout)
		defer cancel()
	}
	res.sent = e.since()
	res.end = res.sent
	res.bytesOut = int64(len(body))
	req, err := http.NewRequestWithContext(ctx, st.method, string(w.url), reader)
	if err != nil {
		res.err, res.kind = err, kindOther
		return
	}
	// The client adds the jar's cookies to the request's header: a shared
	// map would be written by every worker.
	req.Header = st.header
	if len(st.headerTmpls) > 0 || w.jar != nil && f.cookies {
		req.Header = st.header.Clone()
		for _, h := range st.headerTmpls {
			req.Header[h.key] = []string{string(render(nil, h.parts, w.drawn, &w.env))}
		}
	}
	client := &w.clients[st.client]
	if !f.cookies {
		client = e.clients[st.client]
	}
	e.sent.Add(1)
	resp, cut := st.sender.send(w, st, client, req, res)
	if resp == nil || res.kind != kindOK {
		return
	}
	if resp.StatusCode >= maxStatus || !st.expect[resp.StatusCode] {
		res.kind = kindStatus
		return
	}
	r := response{code: resp.StatusCode, header: resp.Header, body: w.respBody, cut: cut, duration: res.service()}
	if !st.needBody {
		r.body = nil
	}
	w.judge(st, &r, ev)
}

// judge runs the step's checks on a response with an expected status and,
// when all pass, its extracts into the iteration's variables; it marks ev
// with the outcome. It allocates nothing (but a regex extract's match).
func (w *worker) judge(st *compiledStep, r *response, ev *flowEvent) {
	for i := range st.checks {
		ev.checksRun |= 1 << i
		if !st.checks[i].pass(r, w) {
			ev.checksFailed |= 1 << i
			if st.checks[i].kind == checkJSON && !r.isJSON() {
				ev.checksNotJSON |= 1 << i
			}
		}
	}
	if ev.checksFailed != 0 {
		ev.res.kind = kindCheck
		return
	}
	for i := range st.extracts {
		x := &st.extracts[i]
		var found bool
		if w.env.vars[x.slot], found = x.extract(w.env.vars[x.slot], r); !found {
			ev.res.kind, ev.extractFailed = kindExtract, i
			return
		}
	}
}

// readBounded reads up to limit bytes of r into dst.
func readBounded(dst []byte, r io.Reader, limit int) ([]byte, int64, error) {
	var n int64
	for len(dst) < limit {
		if len(dst) == cap(dst) {
			dst = append(dst, 0)[:len(dst)]
		}
		k, err := r.Read(dst[len(dst):min(cap(dst), limit)])
		dst = dst[:len(dst)+k]
		n += int64(k)
		if errors.Is(err, io.EOF) {
			return dst, n, nil
		}
		if err != nil {
			return dst, n, err
		}
	}
	return dst, n, nil
}
