//go:build unix

package experiments

import "syscall"

// cpuSeconds returns the CPU time (user + system, all threads) this
// process has used: on a shared machine it measures the work, where wall
// time measures the contention too.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
