package services

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
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
	s.opts = readOpts(s.dir)
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

// StartCommand is how to start the server by hand, in one shell line: the
// pg_ctl start that Start runs (with the server's options as it was
// started), as the data directory's owner when loadgate runs as root.
func (s *DataDirServer) StartCommand() string {
	opts := s.opts
	if opts == "" {
		opts = readOpts(s.dir)
	}
	args := []string{s.pgCtl, "-D", s.dir, "start", "-w", "-l", os.DevNull}
	if opts != "" {
		args = append(args, "-o", opts)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	line := strings.Join(args, " ")
	if s.cred != nil {
		who := "#" + strconv.Itoa(int(s.cred.Uid))
		if u, err := user.LookupId(strconv.Itoa(int(s.cred.Uid))); err == nil {
			who = u.Username
		}
		line = "sudo -u " + shellQuote(who) + " " + line
	}
	return line
}

// readOpts is the server's command-line options as it was started
// (postmaster.opts: the server binary, then quoted options), "" when
// unknown.
func readOpts(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "postmaster.opts"))
	if err != nil {
		return ""
	}
	line := strings.TrimSpace(string(b))
	if i := strings.IndexByte(line, ' '); i > 0 {
		return strings.TrimSpace(line[i+1:])
	}
	return ""
}

// shellQuote quotes s for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@,+%#", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
