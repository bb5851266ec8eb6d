// Command membw measures how fast each thread copies within a private
// buffer of a given footprint, alone and with every thread running at
// once. On the 2-vCPU development VM (2026-11-29, idle) both threads keep
// their single-thread speed at every footprint from 64 KiB to 16 MiB, so
// shared cache or memory bandwidth does not explain why the engine's
// Winograd transforms run about half as fast per thread when both threads
// work (engine/README.md).
//
//	go run ./bench/membw [-threads 2] [-bytes 1073741824]
package main

import (
	"flag"
	"fmt"
	"runtime"
	"sync"
	"time"
)

func main() {
	threads := flag.Int("threads", runtime.NumCPU(), "threads running at once in the second measurement")
	total := flag.Int64("bytes", 1<<30, "bytes each thread copies per measurement")
	flag.Parse()
	if *threads < 1 || *total < 1 {
		fmt.Println("membw: -threads and -bytes must be positive")
		return
	}
	runtime.GOMAXPROCS(*threads)
	fmt.Printf("| footprint per thread | 1 thread GB/s | %d threads GB/s per thread | ratio |\n|---:|---:|---:|---:|\n", *threads)
	for _, kb := range []int{64, 256, 512, 1024, 4096, 16384} {
		one := copyRate(1, kb, *total)
		all := copyRate(*threads, kb, *total)
		fmt.Printf("| %d KiB | %.1f | %.1f | %.2f |\n", kb, one, all, all/one)
	}
}

// copyRate returns the mean copy speed of each of n goroutines, each
// copying one half of its own kb-KiB footprint into the other, total
// bytes in all.
func copyRate(n, kb int, total int64) float64 {
	half := kb << 10 / 8 // float32s per half
	reps := int(max(1, total/int64(kb<<10)))
	var wg sync.WaitGroup
	var start sync.WaitGroup
	start.Add(1)
	rates := make([]float64, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			src, dst := make([]float32, half), make([]float32, half)
			copy(dst, src) // fault the pages in before timing
			start.Wait()
			t0 := time.Now()
			for range reps {
				copy(dst, src)
			}
			rates[i] = float64(reps) * float64(kb<<10) / time.Since(t0).Seconds() / 1e9
		}()
	}
	start.Done()
	wg.Wait()
	var s float64
	for _, r := range rates {
		s += r
	}
	return s / float64(n)
}
