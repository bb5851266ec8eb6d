package serve

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/tensor"
)

// Errors a request can end with before or instead of running.
var (
	// ErrQueueFull means the model's queue was full; the request was not
	// accepted (HTTP 429, gRPC RESOURCE_EXHAUSTED).
	ErrQueueFull = errors.New("serve: queue full")
	// ErrClosed means the server is shutting down (HTTP 503, gRPC UNAVAILABLE).
	ErrClosed = errors.New("serve: shutting down")
)

// output is what one image gets back from a batch.
type output struct {
	logits   []float32
	features []float32
	err      error
}

// job is one image (3, H, W) waiting for a batch.
type job struct {
	ctx  context.Context
	x    *tensor.Tensor
	done chan output // buffered: the worker never blocks on a client that left
}

// forwardFunc runs a batch (N, 3, H, W) and returns logits (N, K) and
// pooled features (N, D).
type forwardFunc func(ctx context.Context, x *tensor.Tensor) (logits, features *tensor.Tensor, err error)

// batcher gathers the images sent to one model into batches: the first
// waiting image opens a window of at most window; the batch runs when the
// window closes, maxBatch images are in, or every request in flight for
// the model has its images in (so a lone client never waits). One batch runs at a time per
// model (the kernels already use every core); the classifier runs it on
// the compiled engine in slices of its Options.MaxBatch.
type batcher struct {
	name     string
	c        *classify.Classifier
	forward  forwardFunc
	queue    chan *job
	maxBatch int
	window   time.Duration
	m        *metrics
	log      func(msg string, args ...any)

	// active counts the requests for this model between arrival and
	// answer: once all of them are in the batch, waiting longer is useless.
	active atomic.Int64

	mu     sync.RWMutex
	closed bool
	wg     sync.WaitGroup
}

func newBatcher(name string, c *classify.Classifier, cfg *Config, m *metrics, fwd forwardFunc, log func(string, ...any)) *batcher {
	if fwd == nil {
		fwd = c.Forward // the compiled engine unless c.Options.Reference
	}
	b := &batcher{name: name, c: c, forward: fwd, queue: make(chan *job, cfg.QueueSize),
		maxBatch: cfg.MaxBatch, window: cfg.BatchWindow, m: m, log: log}
	b.wg.Add(1)
	go b.loop()
	return b
}

// submit queues one image and waits for its result, the context's end or
// shutdown. It never waits for queue space.
func (b *batcher) submit(ctx context.Context, x *tensor.Tensor) output {
	j := &job{ctx: ctx, x: x, done: make(chan output, 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return output{err: ErrClosed}
	}
	select {
	case b.queue <- j:
	default:
		b.mu.RUnlock()
		return output{err: ErrQueueFull}
	}
	b.mu.RUnlock()
	select {
	case o := <-j.done:
		return o
	case <-ctx.Done():
		return output{err: ctx.Err()} // the worker skips the job if it has not started it
	}
}

// close stops accepting work, lets the worker finish what is queued and
// waits for it.
func (b *batcher) close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
}

func (b *batcher) loop() {
	defer b.wg.Done()
	var timer *time.Timer
	for first := range b.queue {
		batch := []*job{first}
		if b.maxBatch > 1 && b.window > 0 {
			if timer == nil {
				timer = time.NewTimer(b.window)
			} else {
				timer.Reset(b.window)
			}
		gather:
			for len(batch) < b.maxBatch && int64(len(batch)) < b.active.Load() {
				select {
				case j, ok := <-b.queue:
					if !ok {
						break gather
					}
					batch = append(batch, j)
				case <-timer.C:
					break gather
				}
			}
			timer.Stop()
		} else {
			// No window: still take what is already waiting.
		drain:
			for len(batch) < b.maxBatch {
				select {
				case j, ok := <-b.queue:
					if !ok {
						break drain
					}
					batch = append(batch, j)
				default:
					break drain
				}
			}
		}
		b.run(batch)
	}
}

// run drops the jobs whose clients have gone, groups the rest by input
// shape and runs each group as one forward pass.
func (b *batcher) run(batch []*job) {
	live := batch[:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- output{err: err}
			b.m.dropped.WithLabelValues(b.name).Inc()
			continue
		}
		live = append(live, j)
	}
	for len(live) > 0 {
		shape := live[0].x.Shape
		var group, rest []*job
		for _, j := range live {
			if tensor.SameShape(j.x.Shape, shape) {
				group = append(group, j)
			} else {
				rest = append(rest, j)
			}
		}
		b.runGroup(group)
		live = rest
	}
}

func (b *batcher) runGroup(group []*job) {
	n, per := len(group), group[0].x.Len()
	x := tensor.New(append([]int{n}, group[0].x.Shape...)...)
	for i, j := range group {
		copy(x.Data[i*per:], j.x.Data)
	}
	// The batch is cancelled only when every client in it has gone.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var left atomic.Int64
	left.Store(int64(n))
	for _, j := range group {
		stop := context.AfterFunc(j.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
		defer stop()
	}

	b.m.batchSize.WithLabelValues(b.name).Observe(float64(n))
	start := time.Now()
	logits, feats, err := b.safeForward(ctx, x)
	b.m.inference.WithLabelValues(b.name).Observe(time.Since(start).Seconds())
	if err == nil && (logits == nil || logits.Dims() != 2 || logits.Shape[0] != n) {
		err = fmt.Errorf("serve: model %s returned logits %v for a batch of %d", b.name, shapeOf(logits), n)
	}
	for i, j := range group {
		if err != nil {
			j.done <- output{err: err}
			continue
		}
		k := logits.Shape[1]
		o := output{logits: logits.Data[i*k : (i+1)*k : (i+1)*k]}
		if feats != nil && feats.Dims() == 2 && feats.Shape[0] == n {
			d := feats.Shape[1]
			o.features = feats.Data[i*d : (i+1)*d : (i+1)*d]
		}
		j.done <- o
	}
}

func shapeOf(t *tensor.Tensor) string {
	if t == nil {
		return "nil"
	}
	return tensor.ShapeString(t.Shape)
}

// panicError is a recovered panic, answered as an internal error.
type panicError struct {
	val   any
	stack []byte
}

func (p *panicError) Error() string { return fmt.Sprintf("serve: panic: %v", p.val) }

func (b *batcher) safeForward(ctx context.Context, x *tensor.Tensor) (logits, feats *tensor.Tensor, err error) {
	defer func() {
		if v := recover(); v != nil {
			pe := &panicError{val: v, stack: debug.Stack()}
			b.m.panics.Inc()
			b.log("panic in forward pass", "model", b.name, "panic", fmt.Sprint(v), "stack", string(pe.stack))
			err = pe
		}
	}()
	return b.forward(ctx, x)
}
