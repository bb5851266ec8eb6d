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
	parallelFor(Threads(), n, grain, fn)
}

// parallelFor is ParallelFor over at most threads chunks; threads ≤ 1 runs
// fn(0, n) on the calling goroutine.
func parallelFor(threads, n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	if grain < 1 {
		grain = 1
	}
	chunks := threads
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

// batchWorkers returns how many goroutines should split a batch of n
// images image by image: Threads() when the images divide well among
// them, else 1 (the caller then splits each image's work instead).
func batchWorkers(n int) int {
	t := Threads()
	if t <= 1 || n < 2 {
		return 1
	}
	if n%t == 0 || n >= 4*t {
		return min(t, n)
	}
	return 1
}

// forWorkers splits [0, n) into workers contiguous chunks and calls
// fn(worker, lo, hi) for each on its own goroutine (the first on the
// caller's), then waits. Chunk i is the same for the same n and workers.
func forWorkers(workers, n int, fn func(worker, lo, hi int)) {
	workers = max(1, min(workers, n))
	var wg sync.WaitGroup
	wg.Add(workers - 1)
	for i := 1; i < workers; i++ {
		lo, hi := i*n/workers, (i+1)*n/workers
		go func() {
			defer wg.Done()
			fn(i, lo, hi)
		}()
	}
	fn(0, 0, n/workers)
	wg.Wait()
}

// scratchPool holds reusable float32 buffers (*[]float32) for column
// matrices and partial sums; their contents are stale, not zeroed.
var scratchPool = sync.Pool{New: func() any { return new([]float32) }}

// getScratch returns a pooled buffer of length n with stale contents;
// give it back with putScratch.
func getScratch(n int) *[]float32 {
	p := scratchPool.Get().(*[]float32)
	*p = grow(*p, n)
	return p
}

func putScratch(p *[]float32) { scratchPool.Put(p) }
