package engine

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resnetgo/resnet/internal/kernels"
)

// TestTeam runs loops of every size on teams of 1–4 goroutines, some
// after pauses long enough for the workers to park, and checks that every
// item runs exactly once, with worker ids in range and never two at once.
func TestTeam(t *testing.T) {
	for _, size := range []int{1, 2, 3, 4} {
		tm := newTeam(size)
		counts := make([]atomic.Int32, 64)
		var busy [4]atomic.Int32
		for loop := 0; loop < 300; loop++ {
			items := loop%len(counts) + 1
			if loop%100 == 99 {
				time.Sleep(5 * time.Millisecond) // workers park (spinLimit polls ≈ 1 ms)
			}
			tm.run(items, func(worker, item int) {
				if worker < 0 || worker >= max(size, 1) {
					t.Errorf("team of %d: worker id %d", size, worker)
					return
				}
				if busy[worker].Add(1) != 1 {
					t.Errorf("team of %d: worker %d runs two items at once", size, worker)
				}
				counts[item].Add(1)
				busy[worker].Add(-1)
			})
			for i := range counts {
				want := int32(0)
				if i < items {
					want = 1
				}
				if got := counts[i].Swap(0); got != want {
					t.Fatalf("team of %d, loop %d (%d items): item %d ran %d times", size, loop, items, i, got)
				}
			}
		}
		var sum atomic.Int64
		tm.forRange(1000, 7, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				sum.Add(int64(i))
			}
		})
		if sum.Load() != 999*1000/2 {
			t.Errorf("team of %d: forRange sum %d", size, sum.Load())
		}
		tm.close()
	}
}

// BenchmarkTeamLoop times loops of 8 items of in-cache SGEMM work (about
// 30 µs each) on a team and on fresh goroutines per loop, the dispatch
// the engine used before: per-loop overhead at batch 1.
func BenchmarkTeamLoop(b *testing.B) {
	const m, n, k = 48, 128, 256
	a, bm := make([]float32, m*k), make([]float32, k*n)
	for i := range a {
		a[i] = float32(i%7) * 0.1
	}
	for i := range bm {
		bm[i] = float32(i%5) * 0.1
	}
	threads := kernels.Threads()
	cs := make([][]float32, threads)
	for i := range cs {
		cs[i] = make([]float32, m*n)
	}
	item := func(worker, _ int) {
		kernels.SgemmSerial(m, n, k, 1, a, k, bm, n, 0, cs[worker], n)
	}
	b.Run(fmt.Sprintf("team%d", threads), func(b *testing.B) {
		tm := newTeam(threads)
		defer tm.close()
		for b.Loop() {
			tm.run(8, item)
		}
	})
	b.Run("serial", func(b *testing.B) {
		for b.Loop() {
			for i := range 8 {
				item(0, i)
			}
		}
	})
}
