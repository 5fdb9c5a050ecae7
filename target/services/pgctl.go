package services

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
)

// EnvPGData names the data directory of a PostgreSQL loadgate was given
// explicitly (DATABASE_URL) and may stop and start with pg_ctl in fault drills.
const EnvPGData = "LOADGATE_PG_DATA"

// DataDirServer is a PostgreSQL loadgate did not start but was given
// explicitly by its data directory: pg_ctl stops it (fast shutdown) and
// starts it again, as the directory's owner.
type DataDirServer struct {
	dir, pgCtl string
	cred       *syscall.Credential
	// opts are the server's command-line options as it was started
	// (postmaster.opts): pg_ctl start forgets them, and a port given on the
	// command line would become the configuration file's.
	opts string
}

// ByDataDir returns the server of data directory dir, which must be the
// one running at dbURL: its postmaster.pid names dbURL's port, on loopback.
// Anything else is refused: loadgate stops only what it was given.
func ByDataDir(dir, dbURL string) (*DataDirServer, error) {
	u, err := url.Parse(dbURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL: %w", err)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
	default:
		return nil, fmt.Errorf("%s=%s: the server at DATABASE_URL is not on loopback", EnvPGData, dir)
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	pid, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return nil, fmt.Errorf("%s=%s: no running PostgreSQL there: %w", EnvPGData, dir, err)
	}
	lines := strings.Split(string(pid), "\n")
	if len(lines) < 4 || strings.TrimSpace(lines[3]) != port {
		return nil, fmt.Errorf("%s=%s: the PostgreSQL of that directory does not listen on DATABASE_URL's port %s", EnvPGData, dir, port)
	}
	pgCtl, err := findPostgresBinary("pg_ctl", postgresSearch)
	if err != nil {
		return nil, err
	}
	s := &DataDirServer{dir: dir, pgCtl: pgCtl}
	if os.Geteuid() == 0 {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, err
		}
		sys, ok := st.Sys().(*syscall.Stat_t)
		if !ok {
			return nil, errors.New("cannot tell the data directory's owner")
		}
		s.cred = &syscall.Credential{Uid: sys.Uid, Gid: sys.Gid}
	}
	return s, nil
}

// Stop stops the server (fast shutdown) and waits; nothing when it is stopped.
func (s *DataDirServer) Stop(ctx context.Context) error {
	if !s.running(ctx) {
		return nil
	}
	if opts, err := os.ReadFile(filepath.Join(s.dir, "postmaster.opts")); err == nil {
		// The first word is the server binary; the rest are quoted options.
		line := strings.TrimSpace(string(opts))
		if i := strings.IndexByte(line, ' '); i > 0 {
			s.opts = strings.TrimSpace(line[i+1:])
		}
	}
	return s.pgctl(ctx, "stop", "-m", "fast", "-w")
}

// Start starts the server again and waits until it accepts connections;
// nothing when it runs.
func (s *DataDirServer) Start(ctx context.Context) error {
	if s.running(ctx) {
		return nil
	}
	args := []string{"start", "-w", "-l", os.DevNull}
	if s.opts != "" {
		args = append(args, "-o", s.opts)
	}
	return s.pgctl(ctx, args...)
}

func (s *DataDirServer) running(ctx context.Context) bool {
	return s.pgctl(ctx, "status") == nil
}

func (s *DataDirServer) pgctl(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, s.pgCtl, append([]string{"-D", s.dir}, args...)...)
	// Started from here, the server must outlive loadgate: its own session.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: s.cred}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl %s: %w: %s", args[0], err, strings.TrimSpace(string(out)))
	}
	return nil
}
