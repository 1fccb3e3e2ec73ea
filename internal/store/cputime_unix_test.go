//go:build unix

package store_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, on every core: unlike
// latency it hardly depends on what else runs on the machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
