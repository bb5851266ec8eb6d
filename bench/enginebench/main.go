// Command enginebench times the compiled inference engine on a random-
// weight model, one JSON line per batch size, for bench/compare.sh:
//
//	go run ./bench/enginebench -arch resnet50 -batch 1,8 -threads 2
//
// With -mem it also reports the peak resident memory against the size of
// the weights (the model is compiled with engine.Options.InPlace). With
// -peak it only measures the CPU's fused multiply-add peak
// (kernels.PeakFMA) on one thread and on -threads, a JSON line each:
// compare.sh records it at each round's start, to show how much of the
// machine a run had.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

type result struct {
	Runtime    string  `json:"runtime"`
	Arch       string  `json:"arch"`
	Batch      int     `json:"batch"`
	Threads    int     `json:"threads"`
	MsMedian   float64 `json:"ms_median"`
	MsP90      float64 `json:"ms_p90"`
	MsPerImage float64 `json:"ms_per_image"`
	ImagesPerS float64 `json:"images_per_s"`
	Reference  bool    `json:"reference,omitempty"`
	BF16       bool    `json:"bf16,omitempty"`
	Int8       bool    `json:"int8,omitempty"`
	WeightsMB  float64 `json:"weights_mb,omitempty"`
	PeakRSSMB  float64 `json:"peak_rss_mb,omitempty"`
}

// peak is a -peak line: kernels.PeakFMA on Threads threads.
type peak struct {
	Runtime string  `json:"runtime"` // "fma-peak"
	Threads int     `json:"threads"`
	GFLOPS  float64 `json:"gflops"`
}

func main() {
	arch := flag.String("arch", "resnet50", "architecture")
	batches := flag.String("batch", "1,8", "comma-separated batch sizes")
	threads := flag.Int("threads", runtime.NumCPU(), "threads (GOMAXPROCS)")
	iters := flag.Int("iters", 10, "timed runs per batch size")
	minTime := flag.Duration("min-time", 0, "keep timing runs past -iters until this much time has passed (per batch size)")
	size := flag.Int("size", 0, "input side (0: the architecture's)")
	mem := flag.Bool("mem", false, "zero weights (no random init), compile in place, report peak RSS")
	ref := flag.Bool("reference", false, "time models.ResNet.Forward instead of the engine")
	bf16 := flag.Bool("bf16", false, "compile with engine.Options.BF16 (bfloat16 products)")
	int8 := flag.Bool("int8", false, "compile with engine.Options.Int8 (8-bit products)")
	peakOnly := flag.Bool("peak", false, "only measure the FMA peak on 1 and -threads threads")
	flag.Parse()
	runtime.GOMAXPROCS(*threads)
	if *peakOnly {
		for _, t := range slices.Compact([]int{1, *threads}) {
			g, ok := kernels.PeakFMA(t, 200*time.Millisecond)
			if !ok {
				log.Fatal("enginebench: no FMA peak loop on this CPU or build")
			}
			b, _ := json.Marshal(peak{Runtime: "fma-peak", Threads: t, GFLOPS: g})
			fmt.Println(string(b))
		}
		return
	}

	m, err := models.New(*arch, models.Options{Seed: 1, NoInit: *mem})
	if err != nil {
		log.Fatal(err)
	}
	weights := float64(m.NumParams()) * 4 / (1 << 20)
	forward := m.Forward
	if !*ref {
		p, err := engine.Compile(m, engine.Options{InPlace: *mem, BF16: *bf16, Int8: *int8})
		if err != nil {
			log.Fatal(err)
		}
		if *mem {
			m = nil
			runtime.GC()
			debug.FreeOSMemory()
		}
		forward = p.Forward
	}
	s := *size
	if s == 0 {
		c, _ := models.Lookup(*arch)
		s = c.InputSize
	}
	for _, bs := range strings.Split(*batches, ",") {
		n, err := strconv.Atoi(bs)
		if err != nil {
			log.Fatal(err)
		}
		x := tensor.New(n, 3, s, s)
		for i := range x.Data {
			x.Data[i] = float32(i%251)/125 - 1
		}
		ctx := context.Background()
		for i := 0; i < 2; i++ { // warm-up
			if _, err := forward(ctx, x); err != nil {
				log.Fatal(err)
			}
		}
		var ms []float64
		start := time.Now()
		for i := 0; i < *iters || time.Since(start) < *minTime; i++ {
			t := time.Now()
			if _, err := forward(ctx, x); err != nil {
				log.Fatal(err)
			}
			ms = append(ms, float64(time.Since(t).Microseconds())/1e3)
		}
		slices.Sort(ms)
		med := ms[len(ms)/2]
		rt := "ours"
		if *int8 {
			rt += "-int8"
		}
		if *bf16 {
			rt += "-bf16"
		}
		r := result{Runtime: rt, Arch: *arch, Batch: n, Threads: *threads, MsMedian: med,
			MsP90: ms[min(len(ms)-1, len(ms)*9/10)], MsPerImage: med / float64(n), ImagesPerS: float64(n) * 1e3 / med,
			Reference: *ref, BF16: *bf16, Int8: *int8}
		if *mem {
			r.WeightsMB, r.PeakRSSMB = weights, peakRSS()
		}
		b, _ := json.Marshal(r)
		fmt.Println(string(b))
	}
}

// peakRSS returns VmHWM from /proc/self/status in MiB (0 if unknown).
func peakRSS() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
