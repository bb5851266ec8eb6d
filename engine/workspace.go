package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
)

// bufID names one of a workspace's activation buffers.
type bufID int

const (
	bufAct0 bufID = iota // block inputs and outputs, in turn
	bufAct1
	bufStem   // stem convolution output, before the max pool
	bufT1     // a block's first convolution output
	bufT2     // a bottleneck's 3×3 output
	bufRes    // a shortcut computed separately (basic block projection, option A)
	bufSub    // the input of a strided 1×1 convolution, subsampled
	bufPad    // zero-padded (phase-split) input of a direct or Winograd convolution
	bufShared // what the items of one layer share: Winograd's transformed input, its input rounded (BF16) or quantized (Int8) once for all its tiles
	bufSide   // a stem fused with the max pool: each tile's last row, pooled across (convPool)
	numBufs
)

type wsKey struct{ n, h, w, threads int }

// offsKey is what a direct convolution's offsets depend on besides the
// workspace's shape: the layout of the padded input it reads.
type offsKey struct {
	c             *conv
	wq, cs, chans int
}

// workspace is the memory plan for one input shape: every buffer a
// forward pass needs, sized by a dry run (sizing) of the plan.
type workspace struct {
	key        wsKey
	sizing     bool
	n          int // images in the current run (≤ key.n)
	size       [numBufs]int
	bufs       [numBufs][]float32
	colSize    int
	built      []int               // pointwiseT: the image whose im2col matrix each thread holds
	last       []int               // direct with the pool: the item each thread ran last
	merged     []bool              // direct with the pool: the items that merged the pool row they share with the item before
	mergedSize int                 // the length of merged
	cols       [][]float32         // one buffer per thread: a direct convolution's tile, Winograd's chunk
	offs       map[offsKey][]int32 // direct convolutions' implicit-GEMM offsets for this shape
	rowOffs    map[[2]int][]int32  // Options.Int8: the rows r·plane of a 1×1 layer's input, by (k, plane)
	team       *team               // the pass's threads, kept between passes (nil: the calling goroutine only)
	// trace, when set (Plan.Profile), is told how long each convolution
	// of a pass took: c on an h×w input, with acc's product (a
	// bottleneck's projection shortcut) when acc is not nil, and the max
	// pool after it when pooled.
	trace func(c, acc *conv, h, w int, pooled bool, d time.Duration)
	// transposedT, when not nil in a dry run (panelInPlace), collects
	// the convolutions whose transposed weights the pass would read.
	transposedT map[*conv]bool
}

// noteT records, in panelInPlace's dry run, that the pass computes c
// transposed, on its weights in panels.
func (ws *workspace) noteT(c *conv) {
	if ws.transposedT != nil {
		ws.transposedT[c] = true
	}
}

// workspace returns a free workspace for n images of h×w, building the
// memory plan on first use of the shape.
func (p *Plan) workspace(n, h, w int) (*workspace, error) {
	key := wsKey{n, h, w, kernels.Threads()}
	p.mu.Lock()
	if l := p.free[key]; len(l) > 0 {
		ws := l[len(l)-1]
		p.free[key] = l[:len(l)-1]
		p.mu.Unlock()
		return ws, nil
	}
	p.mu.Unlock()
	ws := &workspace{key: key, sizing: true}
	if err := p.run(context.Background(), ws, nil, n, h, w, nil); err != nil {
		return nil, err
	}
	ws.alloc()
	return ws, nil
}

// spare is the capacity every activation buffer has past its values:
// kernels that read a row's last few values as a whole vector
// (kernels.PackU8 on arm64) may then do so for the last row too, which
// would otherwise take the portable code.
const spare = 4

// alloc ends the dry run: it allocates the buffers it sized.
func (ws *workspace) alloc() {
	ws.sizing = false
	for i, s := range ws.size {
		ws.bufs[i] = make([]float32, s, s+spare)
	}
	ws.built = make([]int, ws.key.threads)
	ws.last = make([]int, ws.key.threads)
	ws.merged = make([]bool, ws.mergedSize)
	ws.cols = make([][]float32, ws.key.threads)
	for i := range ws.cols {
		ws.cols[i] = make([]float32, ws.colSize)
	}
}

// maxShapes is how many input shapes keep their buffers between calls;
// a server fed images of ever-new sizes should not keep them all.
const maxShapes = 4

func (p *Plan) release(ws *workspace) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.free[ws.key]; !ok && len(p.free) >= maxShapes {
		for k, l := range p.free {
			delete(p.free, k) // any other shape: the newest is likelier to come back
			for _, old := range l {
				p.teams.stop(old.team)
			}
			break
		}
	}
	p.free[ws.key] = append(p.free[ws.key], ws)
}

// buf returns the first size values of buffer id (the whole buffer if
// size is 0); during the dry run it records the size and returns nil.
func (ws *workspace) buf(id bufID, size int) []float32 {
	if ws.sizing {
		ws.size[id] = max(ws.size[id], size)
		return nil
	}
	if size == 0 {
		return ws.bufs[id]
	}
	return ws.bufs[id][:size]
}

// parallel calls fn(worker, item) for every item in [0, items) on the
// team: each thread its own contiguous share first, then the rest of the
// others' (team.work).
func (ws *workspace) parallel(items int, fn func(worker, item int)) {
	ws.team.run(items, fn)
}

// parallelFor calls fn(lo, hi) over [0, n) in at most one contiguous
// chunk per thread, each of at least grain items.
func (ws *workspace) parallelFor(n, grain int, fn func(lo, hi int)) {
	ws.team.forRange(n, grain, fn)
}

// block runs one residual unit: x (n, inC, h, w), in activation buffer
// in, into the other activation buffer, or, with an identity shortcut,
// over x itself: its last convolution reads each value of the residual
// just before it stores the output's there (conv.residualOverOut), and so
// does not read the output's lines from memory before writing them
// (ResNet-50's 56×56 and 28×28 1×1 ones took 20–30 % less so at batch 8,
// its pass 3.3 % less; ResNet-18's pass 1.4 % less at batch 8). It
// returns the buffer it wrote.
func (ws *workspace) block(b *block, x []float32, in bufID, h, w int) (y []float32, out bufID, oh, ow int, err error) {
	out = bufAct0 + bufAct1 - in
	var res []float32
	identity := false
	oh, ow = b.conv1.outSize(h, w)
	oh, ow = b.conv2.outSize(oh, ow)
	if b.conv3 != nil {
		oh, ow = b.conv3.outSize(oh, ow)
	}
	switch {
	case b.shortcut == models.NoShortcut:
	case b.down != nil && b.conv3 != nil:
		// accumulated into conv3's tiles below
	case b.down != nil:
		if res, _, _, err = ws.conv(b.down, x, bufRes, h, w, nil, nil, nil, false); err != nil {
			return nil, 0, 0, 0, err
		}
	case b.shortcut == models.ShortcutA && (b.inC != b.outC || oh != h || ow != w):
		if (h+1)/2 != oh || (w+1)/2 != ow || b.outC < b.inC || (b.outC-b.inC)%2 != 0 {
			return nil, 0, 0, 0, fmt.Errorf("shortcut A from (%d, %d, %d) to (%d, %d, %d)", b.inC, h, w, b.outC, oh, ow)
		}
		res = ws.buf(bufRes, ws.n*b.outC*oh*ow)
		if !ws.sizing {
			padSubsample(x, ws.n, b.inC, h, w, b.outC, oh, ow, res)
		}
	default:
		if b.inC != b.outC || oh != h || ow != w {
			return nil, 0, 0, 0, fmt.Errorf("identity shortcut from (%d, %d, %d) to (%d, %d, %d)", b.inC, h, w, b.outC, oh, ow)
		}
		res, identity = x, true
		if ws.sizing {
			// The dry run has no buffers (x is nil); an empty residual
			// lets the layers choose their paths as a pass will
			// (conv.pointwisePath), which panelInPlace relies on.
			res = []float32{}
		}
	}
	t1, h1, w1, err := ws.conv(b.conv1, x, bufT1, h, w, nil, nil, nil, true)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if b.conv3 == nil {
		if identity && b.conv2.residualOverOut(h1*w1) {
			out = in
		}
		y, oh, ow, err = ws.conv(b.conv2, t1, out, h1, w1, res, nil, nil, true)
		return y, out, oh, ow, err
	}
	t2, h2, w2, err := ws.conv(b.conv2, t1, bufT2, h1, w1, nil, nil, nil, true)
	if err != nil {
		return nil, 0, 0, 0, err
	}
	if b.down != nil && b.shortcut != models.NoShortcut {
		y, oh, ow, err = ws.conv(b.conv3, t2, out, h2, w2, nil, b.sumBias, &accum{c: b.down, x: x, h: h, w: w}, true)
		return y, out, oh, ow, err
	}
	if identity && b.conv3.residualOverOut(h2*w2) {
		out = in
	}
	y, oh, ow, err = ws.conv(b.conv3, t2, out, h2, w2, res, nil, nil, true)
	return y, out, oh, ow, err
}

// padSubsample is the option-A shortcut: x[:, :, ::2, ::2] with the new
// channels zero-padded equally on both sides (as models does).
func padSubsample(x []float32, n, c, h, w, oc, oh, ow int, y []float32) {
	pad := (oc - c) / 2
	clear(y)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			src := x[(i*c+ch)*h*w:]
			dst := y[(i*oc+ch+pad)*oh*ow:]
			for yy := 0; yy < oh; yy++ {
				for xx := 0; xx < ow; xx++ {
					dst[yy*ow+xx] = src[2*yy*w+2*xx]
				}
			}
		}
	}
}
