package services

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"sync"

	"github.com/loadgate/loadgate/leftovers"
)

// Server is a throwaway server Ensure started: fault drills stop it and
// start it again (same port, same data directory). Servers Ensure found
// running have none: loadgate never stops what it did not start.
type Server struct {
	name string
	// newCmd builds the command that starts the server; ping answers nil
	// when it is ready.
	newCmd func() *exec.Cmd
	ping   func(context.Context) error
	sig    os.Signal // the signal of a clean stop

	mu     sync.Mutex // guards cmd and exited
	cmd    *exec.Cmd
	exited <-chan struct{}
}

// Name is "postgres" or "redis".
func (s *Server) Name() string { return s.name }

// start starts the process and waits until it answers.
func (s *Server) start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running() {
		return nil
	}
	cmd := s.newCmd()
	// From the thread that never exits: the server's parent-death signal
	// must fire when loadgate ends, not when a drill's thread does.
	if err := leftovers.Start(cmd); err != nil {
		return fmt.Errorf("starting %s: %w", s.name, err)
	}
	s.cmd, s.exited = cmd, watch(cmd)
	if err := waitReady(ctx, s.exited, s.ping); err != nil {
		return fmt.Errorf("throwaway %s: %w", s.name, err)
	}
	return nil
}

// Start starts the server again when it is stopped and waits until it
// answers; it does nothing when it runs.
func (s *Server) Start(ctx context.Context) error { return s.start(ctx) }

// Stop stops the server cleanly (PostgreSQL: fast shutdown) and waits for
// its exit; it does nothing when it is stopped.
func (s *Server) Stop(context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running() {
		return nil
	}
	return stopProcess(s.cmd, s.exited, s.sig)
}

// Running reports whether the server's process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running()
}

func (s *Server) running() bool {
	if s.cmd == nil {
		return false
	}
	select {
	case <-s.exited:
		return false
	default:
		return true
	}
}

// Postgres is the throwaway PostgreSQL Ensure started, or nil.
func (s *Stack) Postgres() *Server { return s.server("postgres") }

// Redis is the throwaway Redis Ensure started, or nil.
func (s *Stack) Redis() *Server { return s.server("redis") }

func (s *Stack) server(name string) *Server {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sv := range s.servers {
		if sv.name == name {
			return sv
		}
	}
	return nil
}

// startServer starts sv and has Stop stop it.
func (s *Stack) startServer(ctx context.Context, sv *Server) error {
	if err := sv.start(ctx); err != nil {
		_ = sv.Stop(context.Background())
		return err
	}
	s.mu.Lock()
	s.servers = append(s.servers, sv)
	s.mu.Unlock()
	s.onStop(func() error { return sv.Stop(context.Background()) })
	return nil
}
