package data

import (
	"context"
	"fmt"
	"io"
	"iter"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/resnetgo/resnet/tensor"
)

// Loader turns a Dataset into batches: each epoch a permutation drawn from
// (Seed, epoch) when Shuffle is set, samples decoded and transformed by a
// pool of Workers goroutines, at most Prefetch batches prepared ahead of
// the consumer. Sample k of an epoch is transformed with a generator
// seeded by (Seed, epoch, k), so an epoch's batches are identical whatever
// the number of workers and whichever batch it is resumed from.
//
// A sample whose Get fails (a corrupt or missing file) is left out of its
// batch and recorded (Skipped); it does not stop the epoch. A batch whose
// samples all fail is left out.
type Loader struct {
	Dataset   Dataset
	BatchSize int    // 0 means 1
	Shuffle   bool   // a new permutation each epoch
	Seed      uint64 // of the permutations and of the augmentations
	DropLast  bool   // leave out a last batch smaller than BatchSize
	Workers   int    // decoding goroutines; 0 means GOMAXPROCS
	Prefetch  int    // batches prepared ahead; 0 means 2 + Workers/BatchSize

	mu      sync.Mutex
	skipped []SkipError
}

// Batch is a batch of samples: X is (N, C, H, W), Labels and Indices (into
// the Dataset) have N entries. Index is the batch's number in its epoch.
type Batch struct {
	Index   int
	X       *tensor.Tensor
	Labels  []int
	Indices []int
}

// SkipError records a sample that failed to load.
type SkipError struct {
	Epoch, Index int    // Index into the Dataset
	Name         string // the file's path, if the Dataset is a Namer
	Err          error
}

func (e *SkipError) Error() string {
	return fmt.Sprintf("data: epoch %d: skipped sample %d (%s): %v", e.Epoch, e.Index, e.Name, e.Err)
}

func (e *SkipError) Unwrap() error { return e.Err }

// Skipped returns the samples left out so far, over all epochs, in the
// order their batches were delivered.
func (l *Loader) Skipped() []SkipError {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]SkipError(nil), l.skipped...)
}

// NumSkipped is len(Skipped()).
func (l *Loader) NumSkipped() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.skipped)
}

func (l *Loader) batchSize() int { return max(l.BatchSize, 1) }

// NumBatches is the number of batches in an epoch.
func (l *Loader) NumBatches() int {
	n, b := l.Dataset.Len(), l.batchSize()
	if l.DropLast {
		return n / b
	}
	return (n + b - 1) / b
}

// Order returns the dataset indices of an epoch in the order the Loader
// visits them: a permutation seeded by (Seed, epoch) if Shuffle is set,
// else 0..n-1.
func (l *Loader) Order(epoch int) []int {
	n := l.Dataset.Len()
	if !l.Shuffle {
		order := make([]int, n)
		for i := range order {
			order[i] = i
		}
		return order
	}
	return rand.New(rand.NewPCG(l.Seed, uint64(epoch))).Perm(n)
}

// sampleRNG is the generator for position k of epoch: a PCG stream keyed
// by all three, independent of scheduling.
func (l *Loader) sampleRNG(epoch, k int) *rand.Rand {
	return rand.New(rand.NewPCG(l.Seed^0x9e3779b97f4a7c15, uint64(epoch)<<40^uint64(k)))
}

// Epoch starts delivering the batches of an epoch from batch number start
// (0 for a whole epoch; a later one resumes an interrupted epoch). Call
// Next until it returns io.EOF, then, or to stop early, Close.
func (l *Loader) Epoch(ctx context.Context, epoch, start int) (*Iter, error) {
	c, h, w := l.Dataset.Shape()
	if c <= 0 || h <= 0 || w <= 0 {
		return nil, fmt.Errorf("data: dataset samples have no fixed shape (%d, %d, %d)", c, h, w)
	}
	nb := l.NumBatches()
	if start < 0 || start > nb {
		return nil, fmt.Errorf("data: start batch %d outside [0, %d]", start, nb)
	}
	workers := l.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	bs := l.batchSize()
	prefetch := l.Prefetch
	if prefetch <= 0 {
		prefetch = 2 + workers/bs
	}
	ctx, cancel := context.WithCancel(ctx)
	it := &Iter{
		l: l, ctx: ctx, cancel: cancel, epoch: epoch,
		ready: make(chan *slot, prefetch),
		slots: make(chan struct{}, prefetch),
	}
	order := l.Order(epoch)
	per := c * h * w
	tasks := make(chan task, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for t := range tasks {
				s := t.s
				if err := ctx.Err(); err != nil {
					s.errs[t.j] = err
				} else {
					dst := s.x.Data[t.j*per : (t.j+1)*per]
					s.labels[t.j], s.errs[t.j] = l.Dataset.Get(s.indices[t.j], l.sampleRNG(epoch, t.k), dst)
				}
				if s.left.Add(-1) == 0 {
					close(s.done)
				}
			}
		})
	}
	go func() {
		defer func() {
			close(tasks)
			wg.Wait()
			close(it.ready)
		}()
		for b := start; b < nb; b++ {
			select {
			case it.slots <- struct{}{}:
			case <-ctx.Done():
				return
			}
			lo, hi := b*bs, min((b+1)*bs, len(order))
			s := &slot{
				index: b, indices: order[lo:hi], labels: make([]int, hi-lo), errs: make([]error, hi-lo),
				x: tensor.New(hi-lo, c, h, w), done: make(chan struct{}),
			}
			s.left.Store(int32(hi - lo))
			it.ready <- s // never blocks: at most prefetch slots exist
			for j := range hi - lo {
				select {
				case tasks <- task{s, j, lo + j}:
				case <-ctx.Done():
					// Account for the samples never sent so Next can finish.
					for ; j < hi-lo; j++ {
						s.errs[j] = ctx.Err()
						if s.left.Add(-1) == 0 {
							close(s.done)
						}
					}
					return
				}
			}
		}
	}()
	return it, nil
}

type task struct {
	s    *slot
	j, k int // position in the batch, position in the epoch
}

type slot struct {
	index   int
	indices []int
	labels  []int
	errs    []error
	x       *tensor.Tensor
	left    atomic.Int32
	done    chan struct{}
}

// Iter delivers the batches of one epoch, in order.
type Iter struct {
	l      *Loader
	ctx    context.Context
	cancel context.CancelFunc
	epoch  int
	ready  chan *slot
	slots  chan struct{}
	closed bool
	eof    bool
}

// Next returns the next batch, io.EOF after the last one, or the context's
// error once it is cancelled. The batch's memory belongs to the caller.
func (it *Iter) Next() (*Batch, error) {
	if it.eof {
		return nil, io.EOF
	}
	for {
		var s *slot
		select {
		case s = <-it.ready:
		case <-it.ctx.Done():
			return nil, it.ctx.Err()
		}
		if s == nil {
			if err := it.ctx.Err(); err != nil {
				return nil, err
			}
			it.eof = true
			it.cancel() // the epoch is over: release the context
			return nil, io.EOF
		}
		select {
		case <-s.done:
		case <-it.ctx.Done():
			return nil, it.ctx.Err()
		}
		<-it.slots
		if err := it.ctx.Err(); err != nil {
			return nil, err
		}
		if b := it.collect(s); b != nil {
			return b, nil
		}
	}
}

// collect drops the failed samples of s, recording them, and returns the
// batch, or nil if nothing is left.
func (it *Iter) collect(s *slot) *Batch {
	b := &Batch{Index: s.index, X: s.x, Labels: s.labels, Indices: s.indices}
	if !hasError(s.errs) {
		return b
	}
	per := len(s.x.Data) / len(s.indices)
	var skips []SkipError
	n := 0
	b.Indices = make([]int, 0, len(s.indices))
	for j, err := range s.errs {
		if err != nil {
			skips = append(skips, SkipError{Epoch: it.epoch, Index: s.indices[j], Name: sampleName(it.l.Dataset, s.indices[j]), Err: err})
			continue
		}
		copy(s.x.Data[n*per:(n+1)*per], s.x.Data[j*per:(j+1)*per])
		s.labels[n] = s.labels[j]
		b.Indices = append(b.Indices, s.indices[j])
		n++
	}
	it.l.mu.Lock()
	it.l.skipped = append(it.l.skipped, skips...)
	it.l.mu.Unlock()
	if n == 0 {
		return nil
	}
	b.Labels = s.labels[:n]
	b.X.Shape[0] = n
	b.X.Data = s.x.Data[:n*per]
	return b
}

func hasError(errs []error) bool {
	for _, err := range errs {
		if err != nil {
			return true
		}
	}
	return false
}

// Close stops the workers and waits for nothing; it is safe to call more
// than once and after io.EOF.
func (it *Iter) Close() {
	if it.closed {
		return
	}
	it.closed = true
	it.cancel()
	// Let a dispatcher blocked on a prefetch slot see the cancellation and
	// the workers drain; nothing else holds references to the buffers.
	go func() {
		for range it.ready {
		}
	}()
}

// Batches is Epoch as a range-over-func sequence: it yields each batch
// with a nil error, or a final nil batch with the error that ended the
// epoch early (never io.EOF); breaking out of the loop closes the Iter.
func (l *Loader) Batches(ctx context.Context, epoch, start int) iter.Seq2[*Batch, error] {
	return func(yield func(*Batch, error) bool) {
		it, err := l.Epoch(ctx, epoch, start)
		if err != nil {
			yield(nil, err)
			return
		}
		defer it.Close()
		for {
			b, err := it.Next()
			if err == io.EOF {
				return
			}
			if !yield(b, err) || err != nil {
				return
			}
		}
	}
}
