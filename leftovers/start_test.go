package leftovers

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// envHelper makes the test binary a helper process: "start-and-die" starts a
// child with Start, prints its pid and SIGKILLs itself.
const envHelper = "LEFTOVERS_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(envHelper) == "start-and-die" {
		cmd := exec.Command("sleep", "1000")
		if err := Start(cmd); err != nil {
			fmt.Println("error:", err)
			os.Exit(3)
		}
		fmt.Println(cmd.Process.Pid)
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	}
	os.Exit(m.Run())
}

// waitGone waits until pid no longer runs (a zombie counts as gone: its
// parent is gone too, and init may not reap it at once), or d passes.
func waitGone(t *testing.T, pid int, d time.Duration) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		if _, ok := procStarted(pid); !ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process %d still runs after %s", pid, d)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A child started with Start dies with loadgate, even a SIGKILLed one: the
// helper starts `sleep 1000` and kills itself; the sleep goes too.
func TestStartedChildDiesWithParent(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	t.Parallel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	helper := exec.Command(exe, "-test.run=^$")
	helper.Env = append(os.Environ(), envHelper+"=start-and-die")
	out, _ := helper.Output() // it dies by SIGKILL
	pid, err := strconv.Atoi(strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatalf("helper said %q", out)
	}
	t.Cleanup(func() { _ = syscall.Kill(pid, syscall.SIGKILL) })
	waitGone(t, pid, 30*time.Second)
}

// Go's caveat (golang/go#27505): the parent-death signal follows the thread
// that forked the child. A goroutine that locks its thread and returns
// without unlocking ends that thread; a child it had forked itself would be
// killed then, while loadgate runs on. Started through Start, from such a
// goroutine, the child (cat) still answers after the thread is gone.
func TestStartedChildSurvivesItsThread(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the parent-death signal is Linux's")
	}
	t.Parallel()
	cmd := exec.Command("cat")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	outPipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	// The goroutine must not run on the main thread, which the runtime
	// never ends (it wedges it instead): try again until it does not.
	var tid int
	for tid == 0 {
		started := make(chan error, 1)
		tids := make(chan int, 1)
		go func() {
			runtime.LockOSThread()
			if syscall.Gettid() == syscall.Getpid() {
				runtime.UnlockOSThread()
				tids <- 0
				return
			}
			tids <- syscall.Gettid()
			started <- Start(cmd) // not unlocked: the thread ends with this goroutine
		}()
		if tid = <-tids; tid != 0 {
			if err := <-started; err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	// Wait until the locked thread has exited.
	task := fmt.Sprintf("/proc/self/task/%d", tid)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(task); os.IsNotExist(err) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("thread %d did not exit", tid)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// A SIGKILL sent at the thread's exit would have been taken by now: cat
	// cannot copy a line without returning to user space, where it dies.
	if _, err := io.WriteString(in, "ping\n"); err != nil {
		t.Fatalf("cat is gone: %v", err)
	}
	line, err := bufio.NewReader(outPipe).ReadString('\n')
	if err != nil || line != "ping\n" {
		t.Fatalf("cat did not answer after its forking thread exited: %q, %v", line, err)
	}
}
