package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
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

// TestPlanTeams checks that a Plan's workspaces keep their thread teams
// between passes (one per workspace: concurrent passes each have theirs),
// that a workspace dropped for a new input shape stops its team, and that
// a Plan no longer referenced stops them all.
func TestPlanTeams(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	teams := func() int {
		p.teams.mu.Lock()
		defer p.teams.mu.Unlock()
		return len(p.teams.teams)
	}
	ctx := context.Background()
	x := tensor.New(1, 3, 32, 32)
	for range 3 {
		if _, err := p.Forward(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	if got := teams(); got != 1 {
		t.Fatalf("after 3 passes of one shape: %d teams, want 1", got)
	}
	// Two passes at once take two workspaces, each with its team.
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 20 {
				if _, err := p.Forward(ctx, x); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	n1 := teams()
	if n1 < 1 || n1 > 2 {
		t.Fatalf("after concurrent passes: %d teams, want 1 or 2", n1)
	}
	// maxShapes more shapes: a shape's workspaces are dropped (which one
	// is up to map order), and their teams stopped with them.
	for s := range maxShapes {
		if _, err := p.Forward(ctx, tensor.New(1, 3, 34+2*s, 32)); err != nil {
			t.Fatal(err)
		}
	}
	held := 0
	p.mu.Lock()
	for _, l := range p.free {
		held += len(l)
	}
	shapes := len(p.free)
	p.mu.Unlock()
	if shapes != maxShapes {
		t.Errorf("%d shapes kept, want %d", shapes, maxShapes)
	}
	if got := teams(); got != held || got < maxShapes {
		t.Errorf("after %d new shapes: %d teams for %d workspaces", maxShapes, got, held)
	}
	// A stopped team's workers have run their deferred Done when close
	// returns, but may not have exited yet (CI once counted one more on a
	// busy machine): wait for them, with the same bound.
	for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine()-before > held && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	if got := runtime.NumGoroutine() - before; got > held {
		t.Errorf("%d goroutines more than before the plan, want at most %d (one worker a team)", got, held)
	}
	p = nil
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			t.Fatalf("plan dropped: %d goroutines, %d before it", runtime.NumGoroutine(), before)
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
}
