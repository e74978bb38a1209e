//go:build unix

package route_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system, so
// that benchmarks can report the work per route apart from time spent
// waiting for a CPU on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
