package leftovers

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Entry is one thing a run turned on that would outlive it: a drill
// injected and not undone, or a process it started that still runs.
type Entry struct {
	// What says what is on, in one line ("fault pg_down (pg_stop)", "the
	// reference target on 127.0.0.1:8080").
	What string `json:"what"`
	// Undo says how to undo it by hand, in one line (a command, secrets
	// shown as xxxxx); empty for a drill on something that dies with
	// loadgate (a server or proxy of its own): such an entry is kept in
	// memory only.
	Undo string `json:"undo,omitempty"`
	// PID is a process the run started (0 for a drill); Group says it
	// leads a process group, all of which is the run's.
	PID   int  `json:"pid,omitempty"`
	Group bool `json:"group,omitempty"`
	// Started tells that process from a later one given the same pid:
	// its start time (clock ticks since boot, Linux; 0 elsewhere).
	Started uint64 `json:"started,omitempty"`
	// Since is when it was turned on.
	Since time.Time `json:"since"`
	// Loadgate is the loadgate process that turned it on.
	Loadgate Proc `json:"loadgate"`
}

// Proc identifies a process: its pid and start time (0: unknown).
type Proc struct {
	PID     int    `json:"pid"`
	Started uint64 `json:"started,omitempty"`
}

// self is the running process.
func self() Proc {
	started, _ := procStarted(os.Getpid())
	return Proc{PID: os.Getpid(), Started: started}
}

// alive reports whether p still runs (and is the same process).
func (p Proc) alive() bool {
	started, ok := procStarted(p.PID)
	return ok && (p.Started == 0 || started == 0 || started == p.Started)
}

// running reports whether what e names still runs: its process group, or
// its process.
func (e Entry) running() bool {
	if e.Group {
		return groupAlive(e.PID)
	}
	return Proc{PID: e.PID, Started: e.Started}.alive()
}

// process reports whether e is a process (or group) rather than a drill.
func (e Entry) process() bool { return e.PID != 0 }

// Ledger holds what one loadgate process has turned on that would outlive
// it, in memory and, for what outlives loadgate, as one JSON file per entry
// in its state directory (written through a temporary file and a rename,
// removed when the thing is off). A nil *Ledger records nothing; each of
// its methods may be called on one.
type Ledger struct {
	dir   string // "" keeps the entries in memory only
	self  Proc
	token string // tells this ledger's files from another's of the same process

	mu   sync.Mutex // guards the fields below
	seq  int
	on   map[int]*Entry
	errs []error // writing the state directory
}

// Open returns the ledger of this process, writing into dir (created, mode
// 0700, at the first entry; "" keeps it in memory only).
func Open(dir string) *Ledger {
	return &Ledger{dir: dir, self: self(), token: rand.Text()[:8], on: map[int]*Entry{}}
}

// Drill records a drill being injected: what it is and how to undo it by
// hand (empty: it acts on something that dies with loadgate). off removes
// it, once the drill is undone.
func (l *Ledger) Drill(what, undo string) (off func()) {
	return l.add(Entry{What: what, Undo: undo}, undo != "")
}

// Process records a process the run started (pid; a process group led by
// pid when group): it outlives loadgate only where the parent-death signal
// could not reach it (not on Linux, or a process it started itself).
// exited says that the process has exited (and was reaped): its entry goes,
// except a group's while a process of it still runs (one its leader put in
// the background), which Close kills at loadgate's exit.
func (l *Ledger) Process(what string, pid int, group bool) (exited func()) {
	e := Entry{What: what, PID: pid, Group: group, Undo: "kill " + strconv.Itoa(pid)}
	if group {
		e.Undo = "kill -- -" + strconv.Itoa(pid)
	}
	e.Started, _ = procStarted(pid)
	off := l.add(e, true)
	if !group {
		return off
	}
	return func() {
		if !groupAlive(pid) {
			off()
		}
	}
}

// add records e (and writes it when persist) and returns what removes it.
func (l *Ledger) add(e Entry, persist bool) func() {
	if l == nil {
		return func() {}
	}
	e.Since, e.Loadgate = time.Now(), l.self
	l.mu.Lock()
	l.seq++
	id := l.seq
	l.on[id] = &e
	l.mu.Unlock()
	if persist {
		l.write(id, e)
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			l.mu.Lock()
			delete(l.on, id)
			l.mu.Unlock()
			if persist {
				l.remove(id)
			}
		})
	}
}

// On lists what is on, oldest first.
func (l *Ledger) On() []Entry {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]int, 0, len(l.on))
	for id := range l.on {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]Entry, len(ids))
	for i, id := range ids {
		out[i] = *l.on[id]
	}
	return out
}

// Close is loadgate's last word, at its exit whatever the cause: it kills
// (SIGKILL) every process and process group still recorded and removes
// their entries, then writes to w what is still on that outlives loadgate,
// each with how to undo it by hand; those entries stay in the state
// directory, for Check to report again at the next start. It also says
// when the state directory could not be written.
func (l *Ledger) Close(w io.Writer) {
	if l == nil {
		return
	}
	l.mu.Lock()
	var left []Entry
	var killed []int
	for id, e := range l.on {
		switch {
		case e.process():
			if e.running() {
				kill(*e)
			}
			killed = append(killed, id)
		case e.Undo != "":
			left = append(left, *e)
		}
	}
	for _, id := range killed {
		delete(l.on, id)
	}
	errs := l.errs
	l.errs = nil
	l.mu.Unlock()
	for _, id := range killed {
		l.remove(id)
	}
	slices.SortFunc(left, func(a, b Entry) int { return a.Since.Compare(b.Since) })
	if len(left) > 0 {
		fmt.Fprintln(w, "loadgate: left on; undo by hand:")
		for _, e := range left {
			fmt.Fprintf(w, "  %s: %s\n", e.What, e.Undo)
		}
	}
	if err := errors.Join(errs...); err != nil {
		fmt.Fprintf(w, "loadgate: the state directory was not written (a killed run's leftovers would not be found): %v\n", err)
	}
}

// kill sends SIGKILL to what e names.
func kill(e Entry) {
	if e.Group {
		_ = syscall.Kill(-e.PID, syscall.SIGKILL)
		return
	}
	_ = syscall.Kill(e.PID, syscall.SIGKILL)
}

// file is the path of entry id.
func (l *Ledger) file(id int) string {
	return filepath.Join(l.dir, fmt.Sprintf("%d-%s-%d.json", l.self.PID, l.token, id))
}

// write writes entry id atomically; an error is kept for Close to report.
func (l *Ledger) write(id int, e Entry) {
	if l.dir == "" {
		return
	}
	if err := writeEntry(l.dir, l.file(id), e); err != nil {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
}

func (l *Ledger) remove(id int) {
	if l.dir == "" {
		return
	}
	if err := os.Remove(l.file(id)); err != nil && !errors.Is(err, os.ErrNotExist) {
		l.mu.Lock()
		l.errs = append(l.errs, err)
		l.mu.Unlock()
	}
}

func writeEntry(dir, path string, e Entry) error {
	if err := makeDir(dir); err != nil {
		return err
	}
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(append(b, '\n'))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
