package kernels

import (
	"runtime"
	"sync"
)

// Threads returns how many goroutines kernels split work across: the
// current GOMAXPROCS (the CLI's --threads sets it).
func Threads() int { return runtime.GOMAXPROCS(0) }

// ParallelFor calls fn(lo, hi) over [0, n) split into at most Threads()
// contiguous chunks of at least grain items, and waits for all of them.
// Small n runs on the calling goroutine.
func ParallelFor(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := Threads()
	if max := (n + grain - 1) / grain; chunks > max {
		chunks = max
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	var wg sync.WaitGroup
	wg.Add(chunks - 1)
	for i := 1; i < chunks; i++ {
		lo, hi := i*n/chunks, (i+1)*n/chunks
		go func() {
			defer wg.Done()
			fn(lo, hi)
		}()
	}
	fn(0, n/chunks)
	wg.Wait()
}
