//go:build linux

// Command xcore measures what it costs one core to read data another core
// has just written: a buffer is written on CPU w (0, then 1, in turn) and
// read on CPU 0, each thread pinned with sched_setaffinity, and the read
// time per 64-byte line printed. On the 2-vCPU development VM (2026-11-29)
// lines written by the other vCPU took 2.4–5 ns to read against 0.7–1.1 ns
// for the reader's own, at footprints of 64 KiB to 900 KiB (the sizes of
// ResNet's activations at batch 1), and the same at 4 MiB once the lines
// had left the writer's cache: the engine keeps what a thread writes for
// that thread to read where it can (engine/README.md).
//
//	go run ./bench/xcore [-reps 200]
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// onCPU runs f on a goroutine locked to an OS thread pinned to cpu.
func onCPU(cpu int, f func()) error {
	var wg sync.WaitGroup
	var err error
	wg.Add(1)
	go func() {
		defer wg.Done()
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		var s unix.CPUSet
		s.Set(cpu)
		if err = unix.SchedSetaffinity(0, &s); err != nil {
			return
		}
		f()
	}()
	wg.Wait()
	return err
}

func main() {
	reps := flag.Int("reps", 200, "write-then-read rounds per measurement")
	flag.Parse()
	if runtime.NumCPU() < 2 || *reps < 1 {
		fmt.Fprintln(os.Stderr, "xcore: needs 2 CPUs and -reps ≥ 1")
		os.Exit(2)
	}
	var sink float32
	fmt.Println("| footprint | written on | read on cpu0, µs | ns per line |\n|---:|---:|---:|---:|")
	for _, kb := range []int{64, 256, 900, 4096} {
		buf := make([]float32, kb*256)
		write := func() {
			for i := range buf {
				buf[i] = float32(i)
			}
		}
		read := func() {
			var s float32
			for i := 0; i < len(buf); i += 16 { // one load a line
				s += buf[i]
			}
			sink += s
		}
		for _, writer := range []int{0, 1, 0, 1} {
			var d time.Duration
			for r := 0; r < *reps; r++ {
				if err := onCPU(writer, write); err != nil {
					fmt.Fprintln(os.Stderr, "xcore:", err)
					os.Exit(1)
				}
				onCPU(0, func() { t := time.Now(); read(); d += time.Since(t) })
			}
			lines := float64(len(buf) / 16)
			fmt.Printf("| %d KiB | cpu%d | %.1f | %.1f |\n", kb, writer, d.Seconds()*1e6/float64(*reps), float64(d.Nanoseconds())/float64(*reps)/lines)
		}
	}
	if sink == 1 {
		fmt.Println()
	}
}
