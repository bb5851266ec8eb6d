package engine

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// A team is the goroutines that run one forward pass's parallel loops:
// the caller and size−1 workers started with the pass and stopped at its
// end. Between loops the workers spin on an atomic counter instead of
// parking, so that a loop starts on every thread within a fraction of a
// microsecond: a ResNet-50 pass at batch 1 is about 150 loops of tens of
// microseconds each, and waking a parked goroutine (what a fresh
// goroutine or a channel receive costs per loop) took 1.33× instead of
// close to 2× from two threads. A worker that finds no loop for
// spinLimit polls parks until the next one (so a caller that stops
// between loops, say to read a context, does not keep a core busy long).
type team struct {
	size int
	// gen is the current loop's generation (16 bits); its change starts
	// the workers. slots[i] is thread i's share of the loop's items,
	// written before gen. Items are claimed by compare-and-swap on
	// a slot that holds the generation too, so a worker late for a loop
	// (its generation gone) can never take an item of the next one.
	gen   atomic.Uint64
	slots []teamSlot
	fin   atomic.Int64 // items of the current loop finished
	fn    func(worker, item int)
	quit  atomic.Bool

	mu     sync.Mutex
	cond   *sync.Cond
	parked atomic.Int32
	wg     sync.WaitGroup
}

// chunksPerThread is how many chunks forRange makes per thread, and the
// fewest work items per thread the layers' tilings aim for: enough that
// threads of unequal speed end a loop together.
const chunksPerThread = 4

const (
	teamItemBits = 24
	teamMaxItems = 1<<teamItemBits - 1
	teamItemMask = teamMaxItems
	// spinLimit is how many polls a worker spins for the next loop before
	// it parks (about a millisecond); between polls it yields to other
	// goroutines every spinYield polls.
	spinLimit = 1 << 20
	spinYield = 1 << 12
)

// newTeam starts size−1 workers; a team of one (or nil) runs every loop
// on the calling goroutine.
func newTeam(size int) *team {
	if size <= 1 {
		return nil
	}
	t := &team{size: size, slots: make([]teamSlot, size)}
	t.cond = sync.NewCond(&t.mu)
	t.wg.Add(size - 1)
	for id := 1; id < size; id++ {
		go t.worker(id)
	}
	return t
}

// close stops the workers and waits for them.
func (t *team) close() {
	if t == nil {
		return
	}
	t.quit.Store(true)
	t.mu.Lock()
	t.cond.Broadcast()
	t.mu.Unlock()
	t.wg.Wait()
}

// run calls fn(worker, item) for every item in [0, items), each of the
// team's goroutines taking its share first (work), and returns when all
// are done. worker
// is in [0, size) and no two calls running at once share it.
func (t *team) run(items int, fn func(worker, item int)) {
	if t == nil || items <= 1 || items > teamMaxItems {
		for i := 0; i < items; i++ {
			fn(0, i)
		}
		return
	}
	t.fn = fn
	t.fin.Store(0)
	gen := (t.gen.Load() + 1) & 0xffff
	// Thread i's share: items [i·items/size, (i+1)·items/size).
	for i := range t.slots {
		lo, hi := uint64(i*items/t.size), uint64((i+1)*items/t.size)
		t.slots[i].v.Store(gen<<48 | lo<<teamItemBits | hi)
	}
	t.gen.Store(gen)
	if t.parked.Load() > 0 {
		t.mu.Lock()
		t.cond.Broadcast()
		t.mu.Unlock()
	}
	t.work(0)
	for spins := 1; t.fin.Load() < int64(items); spins++ {
		if spins%spinYield == 0 {
			runtime.Gosched()
		}
	}
	t.fn = nil
}

// A teamSlot is one thread's share of the current loop, alone on its
// cache line: generation<<48 | next<<24 | end.
type teamSlot struct {
	v atomic.Uint64
	_ [56]byte
}

// share decodes a slot's value: its next item and its end.
func share(v uint64) (next, end uint64) {
	return v >> teamItemBits & teamItemMask, v & teamItemMask
}

// work takes items of the current loop until none are left: first the
// thread's own share, from its front, then items from the back of the
// share that has the most left (a thread that runs slower ends up with
// fewer). Shares are contiguous and item order follows the layers'
// address order (image, then channels, then positions), so a thread
// writes mostly the lines it wrote the last time the buffer was used,
// and reads mostly those it wrote in the layer before: not lines held
// by the other core. With the items claimed in turn from one counter
// instead, ResNet-50 at batch 1 took 1.6 % longer, ResNeXt-101 32x8d
// 1.5 %, ResNeXt-50 2.6 %, ResNet-18 1.6 %, and at batch 8 2.7–3.7 %
// (passes alternating between the two in one process, 2026-11-30).
func (t *team) work(worker int) {
	gen := t.gen.Load()
	done := int64(0)
	own := &t.slots[worker].v
	for {
		v := own.Load()
		if v>>48 != gen {
			break // a later loop: this one's items are all taken
		}
		next, end := share(v)
		if next >= end {
			break
		}
		if !own.CompareAndSwap(v, v+1<<teamItemBits) {
			continue
		}
		// The loop cannot end before this item is counted in fin, so fn
		// is still this loop's.
		t.fn(worker, int(next))
		done++
	}
	for {
		var victim *atomic.Uint64
		var vv, most uint64
		for i := range t.slots {
			v := t.slots[i].v.Load()
			if v>>48 != gen {
				continue
			}
			if next, end := share(v); end > next && end-next > most {
				victim, vv, most = &t.slots[i].v, v, end-next
			}
		}
		if victim == nil {
			break
		}
		if !victim.CompareAndSwap(vv, vv-1) {
			continue
		}
		t.fn(worker, int(vv&teamItemMask-1))
		done++
	}
	if done > 0 {
		t.fin.Add(done)
	}
}

func (t *team) worker(id int) {
	defer t.wg.Done()
	seen := t.gen.Load()
	for {
		spins := 0
		for t.gen.Load() == seen {
			if t.quit.Load() {
				return
			}
			spins++
			if spins%spinYield == 0 {
				runtime.Gosched()
			}
			if spins >= spinLimit {
				t.park(seen)
				spins = 0
			}
		}
		seen = t.gen.Load()
		t.work(id)
	}
}

// park blocks until a loop after generation seen starts or the team
// closes. run reads parked after publishing a loop, and park counts
// itself before checking for one, so either run sees the worker parked
// and wakes it, or the worker sees the loop.
func (t *team) park(seen uint64) {
	t.mu.Lock()
	t.parked.Add(1)
	for t.gen.Load() == seen && !t.quit.Load() {
		t.cond.Wait()
	}
	t.parked.Add(-1)
	t.mu.Unlock()
}

// forRange calls fn(lo, hi) over [0, n) split into at most
// chunksPerThread·size contiguous chunks of at least grain items, which
// the threads take as run's items: a thread that runs slower (a core shared
// with the host's other work: on the development VM one vCPU at times ran
// 30–40 % slower than the other, measured with taskset) takes fewer.
func (t *team) forRange(n, grain int, fn func(lo, hi int)) {
	if n <= 0 {
		return
	}
	chunks := 1
	if t != nil {
		chunks = min(chunksPerThread*t.size, (n+max(grain, 1)-1)/max(grain, 1))
	}
	if chunks <= 1 {
		fn(0, n)
		return
	}
	t.run(chunks, func(_, i int) { fn(i*n/chunks, (i+1)*n/chunks) })
}

// A teamSet is the teams a Plan's workspaces keep between passes, so that
// a pass finds its threads running (or parked) instead of starting them.
// A team is stopped when its workspace is dropped, and all of them when
// the Plan is collected.
type teamSet struct {
	mu    sync.Mutex
	teams map[*team]struct{}
}

// start starts a team of size threads (nil for one) and records it.
func (s *teamSet) start(size int) *team {
	t := newTeam(size)
	if t != nil {
		s.mu.Lock()
		if s.teams == nil {
			s.teams = map[*team]struct{}{}
		}
		s.teams[t] = struct{}{}
		s.mu.Unlock()
	}
	return t
}

// stop stops t (nil: nothing) and forgets it.
func (s *teamSet) stop(t *team) {
	if t == nil {
		return
	}
	s.mu.Lock()
	delete(s.teams, t)
	s.mu.Unlock()
	t.close()
}

// closeAll stops every team.
func (s *teamSet) closeAll() {
	s.mu.Lock()
	ts := s.teams
	s.teams = nil
	s.mu.Unlock()
	for t := range ts {
		t.close()
	}
}
