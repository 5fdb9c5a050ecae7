package leftovers

import (
	"os/exec"
	"runtime"
	"sync"
)

// Start starts cmd so that it dies with loadgate: on Linux, with a
// parent-death signal (cmd.SysProcAttr.Pdeathsig, SIGKILL unless the
// caller set one), so that even a SIGKILLed loadgate takes it along.
//
// Subtleness ahead: Linux sends the parent-death signal when the *thread*
// that forked the child exits, not the process (prctl(2), PR_SET_PDEATHSIG;
// golang/go#27505). A Go program's threads outlive its goroutines, except a
// thread whose goroutine called runtime.LockOSThread and returned without
// unlocking: the runtime then ends that thread, and every child it forked
// would get its signal while loadgate runs on. So every child is forked by
// one goroutine, locked to its thread for good and never returning: that
// thread lives exactly as long as the process. The cost is one OS thread,
// parked on a channel; cmd.Start itself is unchanged (its goroutines, which
// copy output and watch a context, run anywhere).
func Start(cmd *exec.Cmd) error {
	deathSignal(cmd)
	forker.once.Do(func() {
		forker.starts = make(chan start)
		go fork(forker.starts)
	})
	s := start{cmd: cmd, done: make(chan error, 1)}
	forker.starts <- s
	return <-s.done
}

// start is one request to the forking goroutine.
type start struct {
	cmd  *exec.Cmd
	done chan error
}

// forker is the goroutine that starts every child: process-wide by nature,
// as the thread it holds is.
var forker struct {
	once   sync.Once
	starts chan start
}

// fork starts each command it is given, from a thread that never exits.
func fork(starts <-chan start) {
	runtime.LockOSThread() // never unlocked: see Start
	for s := range starts {
		s.done <- s.cmd.Start()
	}
}
