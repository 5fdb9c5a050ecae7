package services

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// startupTimeout bounds how long a throwaway server may take to answer.
const startupTimeout = 30 * time.Second

// startPostgres initialises a cluster in a temporary directory and starts
// postgres on a free port. It returns the URL of database dbName on it.
func (s *Stack) startPostgres(ctx context.Context, search []string, dbName string) (string, error) {
	initdb, err := findPostgresBinary("initdb", search)
	if err != nil {
		return "", err
	}
	postgres, err := findPostgresBinary("postgres", search)
	if err != nil {
		return "", err
	}
	base, err := s.dir()
	if err != nil {
		return "", err
	}
	dataDir := filepath.Join(base, "pg")
	if err := os.Mkdir(dataDir, 0o700); err != nil {
		return "", err
	}
	// PostgreSQL refuses to run as root: run it as the "postgres" system user.
	cred, err := unprivilegedCredential(base, dataDir)
	if err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}

	init := exec.CommandContext(ctx, initdb, "-D", dataDir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-sync")
	init.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := init.CombinedOutput(); err != nil {
		return "", fmt.Errorf("%s: %w\n%s", initdb, err, out)
	}

	logPath := filepath.Join(base, "postgres.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	s.onStop(logFile.Close)
	if cred != nil {
		_ = os.Chown(logPath, int(cred.Uid), int(cred.Gid))
	}
	u := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", port, dbName)
	admin := fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	sv := &Server{name: "postgres", sig: syscall.SIGINT, // SIGINT is PostgreSQL's "fast shutdown"
		newCmd: func() *exec.Cmd {
			// Durability is not wanted from a throwaway server: trade it for speed.
			cmd := exec.Command(postgres, "-D", dataDir, "-p", strconv.Itoa(port),
				"-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories="+dataDir,
				"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
				"-c", "max_connections=200")
			cmd.Stdout, cmd.Stderr = logFile, logFile
			cmd.SysProcAttr = childAttr(cred)
			return cmd
		},
		ping: func(ctx context.Context) error { return pingPostgres(ctx, admin, time.Second) },
	}
	if err := s.startServer(ctx, sv); err != nil {
		log, _ := os.ReadFile(logPath)
		return "", fmt.Errorf("port %d: %w\n%s", port, err, log)
	}
	s.log.Info("started throwaway PostgreSQL", "url", u, "dir", dataDir)
	return u, nil
}

// startRedis starts redis-server on a free port with nothing kept on disk.
func (s *Stack) startRedis(ctx context.Context) (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", errors.New("redis-server not found on PATH")
	}
	base, err := s.dir()
	if err != nil {
		return "", err
	}
	port, err := freePort()
	if err != nil {
		return "", err
	}
	logPath := filepath.Join(base, "redis.log")
	u := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	sv := &Server{name: "redis", sig: syscall.SIGTERM,
		newCmd: func() *exec.Cmd {
			cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
				"--save", "", "--appendonly", "no", "--dir", base, "--daemonize", "no",
				"--logfile", logPath)
			cmd.SysProcAttr = childAttr(nil)
			return cmd
		},
		ping: func(ctx context.Context) error { return pingRedis(ctx, u, time.Second) },
	}
	if err := s.startServer(ctx, sv); err != nil {
		log, _ := os.ReadFile(logPath)
		return "", fmt.Errorf("port %d: %w\n%s", port, err, log)
	}
	s.log.Info("started throwaway Redis", "url", u)
	return u, nil
}

// watch returns a channel closed when cmd has exited (and reaped).
func watch(cmd *exec.Cmd) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	return done
}

// waitReady polls ping until it succeeds, the process exits or time runs out.
func waitReady(ctx context.Context, exited <-chan struct{}, ping func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, startupTimeout)
	defer cancel()
	var last error
	for {
		if last = ping(ctx); last == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("the server exited during start-up")
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s: %w", startupTimeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopProcess sends sig, waits up to 15 s for the exit, then kills.
func stopProcess(cmd *exec.Cmd, exited <-chan struct{}, sig os.Signal) error {
	select {
	case <-exited:
		return nil
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil {
		return nil // already gone
	}
	select {
	case <-exited:
		return nil
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return fmt.Errorf("%s did not stop within 15s and was killed", filepath.Base(cmd.Path))
	}
}

// postgresSearch lists where distributions put PostgreSQL's server binaries.
var postgresSearch = []string{"/usr/lib/postgresql/*/bin", "/usr/pgsql-*/bin", "/opt/homebrew/opt/postgresql*/bin", "/usr/local/pgsql/bin"}

// findPostgresBinary looks on PATH, then in the usual server directories
// (Debian keeps initdb and postgres out of PATH), newest version first.
func findPostgresBinary(name string, search []string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	var dirs []string
	for _, pattern := range search {
		m, _ := filepath.Glob(pattern)
		dirs = append(dirs, m...)
	}
	sort.Sort(sort.Reverse(byVersion(dirs)))
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if st, err := os.Stat(p); err == nil && st.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found on PATH nor under /usr/lib/postgresql/*/bin", name)
}

// byVersion sorts paths like /usr/lib/postgresql/15/bin by their numeric part.
type byVersion []string

func (b byVersion) Len() int      { return len(b) }
func (b byVersion) Swap(i, j int) { b[i], b[j] = b[j], b[i] }
func (b byVersion) Less(i, j int) bool {
	vi, vj := versionOf(b[i]), versionOf(b[j])
	if vi != vj {
		return vi < vj
	}
	return b[i] < b[j]
}

func versionOf(p string) int {
	n := 0
	for _, seg := range strings.Split(p, "/") {
		if v, err := strconv.Atoi(strings.TrimPrefix(seg, "pgsql-")); err == nil {
			n = v // the last number in the path is the version
		}
	}
	return n
}

// unprivilegedCredential returns the credential to run PostgreSQL with: nil
// when not root, the "postgres" user's otherwise (dirs are handed to it).
func unprivilegedCredential(dirs ...string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, and PostgreSQL refuses root: no 'postgres' user to run it as (create one, or run as a normal user)")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range dirs {
		if err := os.Chown(d, uid, gid); err != nil {
			return nil, err
		}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}
