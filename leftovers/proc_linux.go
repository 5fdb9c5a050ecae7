package leftovers

import (
	"os"
	"strconv"
	"strings"
)

// stat is what /proc/PID/stat says of a process.
type stat struct {
	state   byte   // R, S, D, Z (zombie), X (dead), …
	pgrp    int    // its process group
	started uint64 // its start time, clock ticks since boot
}

// readStat reads /proc/PID/stat; false when there is no such process.
func readStat(pid string) (stat, bool) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return stat{}, false
	}
	// "pid (comm) state ppid pgrp …": comm may hold spaces and ')'.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return stat{}, false
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return stat{}, false
	}
	pgrp, _ := strconv.Atoi(f[2])
	started, _ := strconv.ParseUint(f[19], 10, 64)
	return stat{state: f[0][0], pgrp: pgrp, started: started}, true
}

func (s stat) running() bool { return s.state != 'Z' && s.state != 'X' }

// procStarted is the start time of process pid, 0 when it does not run (a
// zombie, whose parent has not reaped it yet, does not).
func procStarted(pid int) (uint64, bool) {
	s, ok := readStat(strconv.Itoa(pid))
	if !ok || !s.running() {
		return 0, false
	}
	return s.started, true
}

// groupAlive reports whether a process of group pgid runs.
func groupAlive(pgid int) bool {
	dir, err := os.ReadDir("/proc")
	if err != nil {
		return false
	}
	for _, d := range dir {
		if c := d.Name()[0]; c < '0' || c > '9' {
			continue
		}
		if s, ok := readStat(d.Name()); ok && s.pgrp == pgid && s.running() {
			return true
		}
	}
	return false
}
