package kernels

import (
	"runtime"
	"sync"
	"time"
)

// PeakFMA measures the float32 fused multiply-add rate of this CPU's
// widest vector unit with threads goroutines at once (each on an OS
// thread of its own), for about d: GFLOP/s of wall time, of a loop that
// does nothing else on registers. It is the ceiling the SGEMM and
// convolution kernels are measured against, and, taken with one thread
// and with all, shows whether the threads really run on cores of their
// own: a machine's (or a virtual machine's) two "cores" that share one
// core's units give the second thread little. ok is false where there is
// no such loop (no AVX2, other architectures, the purego build,
// RESNET_NOASM=1).
func PeakFMA(threads int, d time.Duration) (gflops float64, ok bool) {
	loop, flops := peakLoop()
	if loop == nil || asmDisabled || threads < 1 {
		return 0, false
	}
	// Calibrate the rounds to d on one thread.
	rounds := 1 << 12
	for {
		start := time.Now()
		loop(rounds)
		if el := time.Since(start); el > d/8 || rounds >= 1<<30 {
			rounds = int(float64(rounds) * float64(d) / float64(max(el, time.Microsecond)))
			break
		}
		rounds *= 4
	}
	rounds = max(rounds, 1)
	var wg sync.WaitGroup
	start := time.Now()
	for range threads {
		wg.Go(func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			loop(rounds)
		})
	}
	wg.Wait()
	return flops * float64(rounds) * float64(threads) / time.Since(start).Seconds() / 1e9, true
}
