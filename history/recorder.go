package history

import (
	"context"
	"sync"

	"github.com/loadgate/loadgate/record"
	"github.com/loadgate/loadgate/redact"
)

// Recorder is a store as one loadgate command uses it: it adds the runs
// the command makes, on the command's branch, and finds their baselines
// by one rule. It opens the store at its first use (so a store that is
// locked or corrupt fails there, after the run's own files are written,
// and is not held open while a run lasts) and keeps it open until Close.
// It is what package trial is given as its History.
type Recorder struct {
	// URL is the store's (Open).
	URL string
	// Branch is recorded as each run's branch (Branch).
	Branch string
	// Rule chooses the baselines.
	Rule BaselineRule

	mu    sync.Mutex // guards store and err
	store *Store
	err   error
}

// open opens the store once; a failure is remembered and returned again.
func (r *Recorder) open(ctx context.Context) (*Store, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil && r.err == nil {
		r.store, r.err = Open(ctx, r.URL, Write)
	}
	return r.store, r.err
}

// Add adds a finished run (run.json's content, in dir).
func (r *Recorder) Add(dir string, run *record.Run) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	s, err := r.open(ctx)
	if err != nil {
		return err
	}
	_, err = s.Add(ctx, dir, run, r.Branch)
	return err
}

// AddCapacity adds a finished capacity search and marks its steps.
func (r *Recorder) AddCapacity(dir string, c *record.Capacity) error {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	s, err := r.open(ctx)
	if err != nil {
		return err
	}
	_, err = s.AddCapacity(ctx, dir, c, r.Branch)
	return err
}

// Baseline returns the past runs run is checked against and how they were
// chosen (Store.Baseline by r.Rule).
func (r *Recorder) Baseline(run *record.Run) ([]record.PastRun, string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Timeout)
	defer cancel()
	s, err := r.open(ctx)
	if err != nil {
		return nil, "", err
	}
	return s.Baseline(ctx, run, r.Rule)
}

// Name says which store it is.
func (r *Recorder) Name() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store != nil {
		return r.store.Name()
	}
	return redact.URL(r.URL)
}

// Close closes the store, when it was opened.
func (r *Recorder) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.store == nil {
		return nil
	}
	err := r.store.Close()
	r.store = nil
	return err
}
