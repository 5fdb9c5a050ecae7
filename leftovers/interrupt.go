package leftovers

import (
	"fmt"
	"io"
	"os"
	"strings"
)

// ExitInterrupted is the exit code of a loadgate that a third interrupt
// ended at once (128 + SIGINT, as a shell reports it).
const ExitInterrupted = 130

// Watch escalates the interrupts (SIGINT, SIGTERM) it reads from sigs, until
// sigs is closed:
//   - the first calls stop: the run ends in order and undoes what it turned
//     on;
//   - the second does not hurry that: it names the drills still on (the
//     undo of a stopped PostgreSQL must not be cut short) and says that a
//     third interrupt exits at once;
//   - the third closes the ledger (Close: the processes killed, what is
//     left on written to w with how to undo it by hand) and calls
//     exit(ExitInterrupted).
func (l *Ledger) Watch(sigs <-chan os.Signal, w io.Writer, stop func(), exit func(code int)) {
	if _, ok := <-sigs; !ok {
		return
	}
	fmt.Fprintln(w, "\nloadgate: stopping in order, undoing what was turned on (a third interrupt exits at once)")
	stop()
	if _, ok := <-sigs; !ok {
		return
	}
	var drills []string
	for _, e := range l.On() {
		if !e.process() {
			drills = append(drills, e.What)
		}
	}
	if len(drills) > 0 {
		fmt.Fprintf(w, "\nloadgate: still undoing %s; waiting (a third interrupt exits at once and leaves them on)\n", strings.Join(drills, ", "))
	} else {
		fmt.Fprintln(w, "\nloadgate: still stopping, nothing left on; waiting (a third interrupt exits at once)")
	}
	if _, ok := <-sigs; !ok {
		return
	}
	fmt.Fprintln(w, "\nloadgate: exiting at once")
	l.Close(w)
	exit(ExitInterrupted)
}
