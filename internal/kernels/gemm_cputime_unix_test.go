//go:build unix

package kernels

import "syscall"

// processCPUSeconds returns the user+system time this process has run,
// which, unlike wall time, does not grow while other processes hold the
// cores.
func processCPUSeconds() float64 {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
