package seed

import (
	"context"
	"io"

	"github.com/loadgate/loadgate/target/cache"
	"github.com/loadgate/loadgate/target/services"
	"github.com/loadgate/loadgate/target/store"
)

// Saved is the reference target's state as a comparison found it, to be put
// back when it ends: the database's rows, sequences, user_xp and whether
// the performance indexes were applied (read before set-up migrated, which
// applies them), and the target's cache keys under its prefix.
type Saved struct {
	snap   *store.Snapshot
	stack  *services.Stack
	prefix string
}

// StackSaved is Stack, recording the state it found first: the database's
// indexes before it is migrated, its rows once it is ready. prefix is the
// Redis key prefix of the targets that will run against the stack. The
// caller stops the stack and, when done, calls Restore.
func StackSaved(ctx context.Context, o Options, log io.Writer, prefix string, opts ...services.Option) (*services.Stack, *Saved, error) {
	var indexes bool
	stack, err := Stack(ctx, o, log, func(url string) (err error) {
		indexes, err = store.IndexesBefore(ctx, url)
		return err
	}, opts...)
	if err != nil {
		return nil, nil, err
	}
	snap, err := store.TakeSnapshot(ctx, stack.DatabaseURL)
	if err != nil {
		stack.Stop()
		return nil, nil, err
	}
	snap.Indexes = indexes
	return stack, &Saved{snap: snap, stack: stack, prefix: prefix}, nil
}

// IndexesApplied says whether the performance indexes were applied when the
// state was saved (and so will be after Restore).
func (s *Saved) IndexesApplied() bool { return s.snap.Indexes }

// Prefix is the Redis key prefix whose keys FlushCache and Restore delete.
func (s *Saved) Prefix() string { return s.prefix }

// FlushCache deletes the target's cache keys, so that a run starts cold;
// it returns how many there were.
func (s *Saved) FlushCache(ctx context.Context) (int, error) {
	return cache.FlushPrefix(ctx, s.stack.RedisURL, s.prefix)
}

// Restore puts the database back as it was saved (store.Snapshot.Restore;
// keepRows leaves the rows written since) and deletes the target's cache
// keys, which may hold what the deleted rows said.
func (s *Saved) Restore(ctx context.Context, keepRows bool) error {
	if err := s.snap.Restore(ctx, s.stack.DatabaseURL, keepRows); err != nil {
		return err
	}
	_, err := s.FlushCache(ctx)
	return err
}
