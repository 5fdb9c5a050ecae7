package runner

import (
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/loadgate/loadgate/record"
)

// checkpointer writes snapshots of a run under way (run.json with status
// running, and timeline.json) from a goroutine of its own: the loop that
// records results only computes a snapshot's figures, every few seconds,
// and never waits for a file to be written. A run killed without warning
// thus leaves what it measured up to its last checkpoint.
type checkpointer struct {
	snaps chan *outcome // at most one snapshot waiting
	done  chan struct{}
	// complete adds to a snapshot what the writer's goroutine may compute
	// itself (the scraped server summary); write writes it.
	complete func(*outcome)
	write    func(*outcome) error

	once sync.Once
	err  error // the first write error; read after done is closed
}

func startCheckpointer(complete func(*outcome), write func(*outcome) error) *checkpointer {
	c := &checkpointer{snaps: make(chan *outcome, 1), done: make(chan struct{}), complete: complete, write: write}
	go c.loop()
	return c
}

func (c *checkpointer) loop() {
	defer close(c.done)
	for out := range c.snaps {
		// The recorder goes on appending points; the server summary writes
		// into their maps, so it gets copies of its own.
		out.points = clonePoints(out.points)
		c.complete(out)
		if err := c.write(out); err != nil && c.err == nil {
			c.err = err
		}
	}
}

// idle reports whether a snapshot would be taken now: none is waiting.
// Only the recording goroutine offers snapshots, so idle stays true until
// it offers one.
func (c *checkpointer) idle() bool { return len(c.snaps) == 0 }

// offer hands a snapshot to the writer; call it only when idle.
func (c *checkpointer) offer(out *outcome) { c.snaps <- out }

// stop waits for the snapshot being written, if any, and returns the first
// write error. It is safe to call twice; nothing is written after it
// returns.
func (c *checkpointer) stop() error {
	c.once.Do(func() { close(c.snaps) })
	<-c.done
	return c.err
}

// clonePoints copies points deep enough that writing into a copy's Server
// map leaves the original alone.
func clonePoints(points []record.Point) []record.Point {
	out := slices.Clone(points)
	for i := range out {
		if out[i].Server != nil {
			out[i].Server = maps.Clone(out[i].Server)
		}
	}
	return out
}

// snapshot is a checkpoint of the attack at end (time since origin): the
// recorder's figures so far, the points so far (shared, not copied: the
// recorder only appends). Called by the recording goroutine.
func (a *attack) snapshot(end time.Duration) *outcome {
	out := &outcome{status: record.StatusRunning, ended: a.cfg.clock.now(), points: slices.Clip(a.rec.points)}
	a.figures(end, out)
	out.faults = a.drills.snapshot()
	return out
}
