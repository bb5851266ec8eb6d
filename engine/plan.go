package engine

import (
	"context"
	"fmt"
	"runtime"
	"sync"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Options adjust how a model is compiled.
type Options struct {
	// InPlace folds and re-lays the weights in the model's own storage
	// instead of copying them, so compiling costs no second copy of the
	// weights (what a 829M-parameter WSL model needs). The model's
	// convolution weights then hold the plan's values and the model must
	// not be run or saved afterwards; drop it. The layers that a pass at
	// the architecture's input size computes transposed (its small maps)
	// have their weights (with BF16, their pairs) laid out in place as
	// the transposed panels a copy would hold, so such a plan runs as
	// fast as one with a copy;
	// other input sizes gather the panels of the other small maps as they
	// go (with AVX-512, AVX2 or NEON; without them those are not
	// transposed), and build a copy of a layer's rows if they compute one
	// laid out so untransposed.
	InPlace bool
	// NoWinograd turns off Winograd F(4×4, 3×3) and F(2×2, 3×3)
	// (winograd.go), which 3×3 stride-1 convolutions of ≥ 64 channels
	// otherwise use when a batch has enough tiles: 4× or 2.25× fewer
	// multiply-adds, vectorised transforms, results within SPEC §6. Each
	// form's transformed weights, built when a layer first runs it, take
	// another 36/9 or 16/9 of that layer's weights.
	NoWinograd bool
	// BF16 computes every convolution's products (1×1, implicit GEMM and
	// Winograd's) from bfloat16 weights and activations, accumulating in
	// float32: on a CPU with AVX512-BF16 they run about twice as fast
	// (arm64 with FEAT_BF16 runs BFDOT, its speed not yet measured),
	// and the weights take half the memory. It costs precision: bfloat16
	// keeps 8 bits of significand, so the logits differ from float32's by
	// far more than SPEC §6 allows (engine/README "BF16" has what was
	// measured). Off by default; without those instructions
	// (kernels.BF16Native) the same results come from portable code,
	// slowly. The classifier stays float32.
	BF16 bool
	// Int8 computes the convolutions that run as a GEMM or an implicit
	// GEMM — all but the 3×3 ones while they run Winograd — from 8-bit
	// operands: weights as signed bytes with a scale per output channel,
	// the layer's input as unsigned bytes with a scale per position
	// (every convolution of a ResNet but the stem reads the output of a
	// ReLU; the stem's signed input is offset by 128), the products summed
	// exactly in int32 and scaled back to float32 before the epilogue.
	// With AVX512-VNNI (or AVX2 and AVX-VNNI, or arm64's dot-product
	// extension) they run at up to four times float32's rate, and
	// those weights take a quarter of the memory. It costs more precision
	// than BF16 (engine/README "Int8"); Winograd's products (bfloat16 with
	// BF16) and the classifier stay float32. Off by default; without either
	// (kernels.Int8Native) portable code computes the same, slowly.
	Int8 bool
	// MaxBatch is the most images run through the network together; a
	// larger batch is run in slices of MaxBatch, which bounds the
	// activation memory. 0 means 8.
	MaxBatch int
}

// Plan is a compiled model. Its methods may be called from several
// goroutines at once; each concurrent call uses its own buffers.
type Plan struct {
	name       string
	inC        int
	numClasses int
	featDim    int
	stem       *conv
	pool       *kernels.PoolParams // nil for the CIFAR stem
	blocks     []*block
	fcW, fcB   []float32 // (numClasses, featDim), numClasses
	maxBatch   int

	mu    sync.Mutex
	free  map[wsKey][]*workspace
	teams *teamSet // the free workspaces' thread teams
}

// block is one residual unit. A bottleneck's projection shortcut is
// accumulated into conv3's output tile (sumBias = conv3's bias + its bias).
type block struct {
	conv1, conv2, conv3 *conv // conv3 is nil in a BasicBlock
	down                *conv // projection shortcut (1×1, stride), or nil
	shortcut            models.Shortcut
	inC, outC, stride   int
	sumBias             []float32
}

// Compile folds m's batch norms into its convolutions and lays out the
// weights for the kernels. See Options.InPlace for what happens to m.
func Compile(m *models.ResNet, o Options) (*Plan, error) {
	if m == nil || m.Conv1 == nil || m.BN1 == nil || m.FC == nil {
		return nil, fmt.Errorf("engine: incomplete model")
	}
	p := &Plan{
		name:       m.Config.Name,
		inC:        m.Config.InChannels,
		numClasses: m.FC.OutFeatures(),
		featDim:    m.FC.InFeatures(),
		maxBatch:   o.MaxBatch,
		free:       map[wsKey][]*workspace{},
		teams:      &teamSet{},
	}
	// The teams' workers hold no reference to p: once p is unreachable
	// they are stopped.
	runtime.AddCleanup(p, (*teamSet).closeAll, p.teams)
	if p.maxBatch <= 0 {
		p.maxBatch = 8
	}
	var err error
	if p.stem, err = newConv(m.Conv1, m.BN1, o); err != nil {
		return nil, err
	}
	p.stem.name = "conv1"
	p.stem.signedInput() // the normalised image, for Options.Int8
	if m.MaxPool != nil {
		pp := m.MaxPool.PoolParams
		p.pool = &pp
	}
	for si, st := range m.Stages {
		for bi, b := range st {
			bl, err := newBlock(b, o)
			if err != nil {
				return nil, err
			}
			prefix := fmt.Sprintf("layer%d.%d.", si+1, bi)
			bl.conv1.name, bl.conv2.name = prefix+"conv1", prefix+"conv2"
			if bl.conv3 != nil {
				bl.conv3.name = prefix + "conv3"
			}
			if bl.down != nil {
				bl.down.name = prefix + "downsample.0"
			}
			p.blocks = append(p.blocks, bl)
		}
	}
	p.fcW, p.fcB = m.FC.Weight.Value.Data, m.FC.Bias.Value.Data
	if !o.InPlace {
		p.fcW, p.fcB = append([]float32(nil), p.fcW...), append([]float32(nil), p.fcB...)
	}
	if o.InPlace && !o.Int8 && m.Config.InputSize > 0 {
		p.panelInPlace(m.Config.InputSize)
	}
	return p, nil
}

// convs returns the plan's convolutions: the stem, then each block's.
func (p *Plan) convs() []*conv {
	cs := []*conv{p.stem}
	for _, b := range p.blocks {
		for _, c := range []*conv{b.conv1, b.conv2, b.conv3, b.down} {
			if c != nil {
				cs = append(cs, c)
			}
		}
	}
	return cs
}

// panelInPlace lays out, in the model's own storage, the weights of the
// layers that a pass over one size×size image computes transposed (the
// small maps' 1×1 and 3×3 layers, the stride-2 ones into them, ResNeXt's
// grouped ones there: pointwiseT, groupedT; with Options.BF16 their
// pairs, pointwiseTBF16) as the panels that a plan with a copy builds for
// them (transposed, transposedBF16), where OutC is a multiple of tPanel,
// so that the panels take no more than the rows' room. An InPlace
// plan otherwise gathers those panels from the rows as it goes
// (kernels.SgemmSerialATBT), or, for ResNeXt's grouped layers, computes
// them untransposed, and with BF16 took the columns' paths: ResNet-50's
// pass at batch 1 took 10–14 % longer so than with the copy (with BF16
// 11–15 %, at batch 8 6–8 %), ResNeXt-50's 4–9 %, resnext101_32x48d_wsl's
// about 12 % (with BF16 6 %). A dry run of the pass at that size, with every layer taking the
// path a copy would allow, names the layers. Other input sizes may run a
// layer so laid out untransposed: it then builds a copy of its rows on
// first use (conv.rows). A network that cannot run at that size (its
// Config changed) is left as it is: its passes report the error.
func (p *Plan) panelInPlace(size int) {
	convs := p.convs()
	for _, c := range convs {
		c.probeT = true
	}
	ws := &workspace{key: wsKey{1, size, size, kernels.Threads()}, sizing: true, transposedT: map[*conv]bool{}}
	err := p.run(context.Background(), ws, nil, 1, size, size, nil)
	for _, c := range convs {
		c.probeT = false
	}
	if err != nil {
		return
	}
	// The layers on the threads a pass would use, one at a time each:
	// resnext101_32x48d_wsl's 2.9 GB of them took 0.48 s on one thread.
	todo := make(chan *conv)
	var wg sync.WaitGroup
	for range kernels.Threads() {
		wg.Go(func() {
			var tmp []float32 // a panel's rows, grown to the widest layer the thread takes
			for c := range todo {
				tmp = c.toPanels(tmp)
			}
		})
	}
	// In place the rows are K values apart (newConv), so a panel takes
	// exactly tPanel rows' room.
	for _, c := range convs {
		if ws.transposedT[c] && c.outC%tPanel == 0 {
			todo <- c
		}
	}
	close(todo)
	wg.Wait()
}

func newBlock(b *models.Block, o Options) (*block, error) {
	bl := &block{shortcut: b.Shortcut, inC: b.Conv1.InC}
	var err error
	if bl.conv1, err = newConv(b.Conv1, b.BN1, o); err != nil {
		return nil, err
	}
	if bl.conv2, err = newConv(b.Conv2, b.BN2, o); err != nil {
		return nil, err
	}
	last := bl.conv2
	if b.Conv3 != nil {
		if bl.conv3, err = newConv(b.Conv3, b.BN3, o); err != nil {
			return nil, err
		}
		last = bl.conv3
	}
	bl.outC = last.outC
	bl.stride = max(bl.conv1.stride, bl.conv2.stride)
	if b.Downsample != nil {
		if bl.down, err = newConv(b.Downsample.Conv, b.Downsample.BN, o); err != nil {
			return nil, err
		}
		if bl.down.kind != pointwise || bl.down.outC != bl.outC || bl.down.stride != bl.stride {
			return nil, fmt.Errorf("engine: unsupported downsample %dx%d/%d", bl.down.kh, bl.down.kw, bl.down.stride)
		}
		if bl.conv3 != nil {
			bl.sumBias = make([]float32, bl.outC)
			for i := range bl.sumBias {
				bl.sumBias[i] = bl.conv3.bias[i] + bl.down.bias[i]
			}
		}
	}
	return bl, nil
}

// Name returns the architecture's name.
func (p *Plan) Name() string { return p.name }

// NumClasses returns the width of the logits.
func (p *Plan) NumClasses() int { return p.numClasses }

// InChannels returns the input channels the plan expects.
func (p *Plan) InChannels() int { return p.inC }

// FeatureDim returns the width of Features' output (fc's input).
func (p *Plan) FeatureDim() int { return p.featDim }

// Forward returns the logits (N, NumClasses) for x (N, InChannels, H, W).
// Inputs of any size the network accepts work; buffers for each input
// shape are allocated on first use and reused by later calls.
func (p *Plan) Forward(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	_, y, err := p.forward(ctx, x, true)
	return y, err
}

// Features returns the globally pooled features (N, FeatureDim) for x,
// everything but fc.
func (p *Plan) Features(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	f, _, err := p.forward(ctx, x, false)
	return f, err
}

// forward computes the pooled features of x and, when logits is set, fc
// of them on the pass's threads.
func (p *Plan) forward(ctx context.Context, x *tensor.Tensor, logits bool) (f, y *tensor.Tensor, err error) {
	if err := p.checkInput(x); err != nil {
		return nil, nil, err
	}
	ws, err := p.workspace(min(x.Shape[0], p.maxBatch), x.Shape[2], x.Shape[3])
	if err != nil {
		return nil, nil, err
	}
	defer p.release(ws)
	return p.forwardOn(ctx, ws, x, logits)
}

// checkInput reports whether x is a batch the plan takes.
func (p *Plan) checkInput(x *tensor.Tensor) error {
	if x == nil || x.Dims() != 4 || x.Shape[0] < 1 || x.Shape[1] != p.inC {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return fmt.Errorf("engine: %s: input shape %s, want (N, %d, H, W)", p.name, tensor.ShapeString(got), p.inC)
	}
	return nil
}

// forwardOn is forward on the workspace ws, taken for x's shape.
func (p *Plan) forwardOn(ctx context.Context, ws *workspace, x *tensor.Tensor, logits bool) (f, y *tensor.Tensor, err error) {
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	f = tensor.New(n, p.featDim)
	chunk := ws.key.n
	if ws.team == nil {
		// Kept with the workspace: starting the threads for every pass
		// cost ResNet-50 at batch 1 on two threads 0.7–1 ms of its 29.
		ws.team = p.teams.start(ws.key.threads)
	}
	img := p.inC * h * w
	for i := 0; i < n; i += chunk {
		c := min(chunk, n-i)
		if err := p.run(ctx, ws, x.Data[i*img:(i+c)*img], c, h, w, f.Data[i*p.featDim:(i+c)*p.featDim]); err != nil {
			return nil, nil, err
		}
	}
	if logits {
		y = tensor.New(n, p.numClasses)
		p.fc(ws.team, n, f.Data, y.Data)
	}
	return f, y, nil
}

// fc computes the logits y (n, NumClasses) of the features f (n,
// FeatureDim), a dot product each (kernels.Dot: at batch 1 what
// kernels.Sgemm computes, in the same order), the classes split among
// the team's threads: each streams its share of fc's weights (8 MB for
// an ImageNet ResNet-50) while the others do theirs. Run after the pass
// by kernels.Sgemm on goroutines of its own, the product competed with
// the team's spinning workers: ResNet-50's pass at batch 1 on two threads
// spent 1.05–1.22 ms outside its convolutions, 0.73–0.96 so
// (TestNetworkProfile, interleaved runs).
func (p *Plan) fc(t *team, n int, f, y []float32) {
	k, nc := p.featDim, p.numClasses
	t.forRange(nc, max(1, (64<<10)/max(k*n, 1)), func(lo, hi int) {
		for j := lo; j < hi; j++ {
			wj, b := p.fcW[j*k:(j+1)*k], p.fcB[j]
			for i := 0; i < n; i++ {
				y[i*nc+j] = kernels.Dot(f[i*k:(i+1)*k], wj) + b
			}
		}
	})
}

// run computes the pooled features of n images (n ≤ ws.n) into feat.
// With ws.sizing set it only records the buffer sizes each step needs.
func (p *Plan) run(ctx context.Context, ws *workspace, x []float32, n, h, w int, feat []float32) error {
	ws.n = n
	stemOut := bufStem
	if p.pool == nil {
		stemOut = bufAct0
	}
	var act []float32
	var err error
	pooled := ws.poolFuses(p.stem, p.pool, h, w)
	if pooled {
		act, h, w, err = ws.convPool(p.stem, x, bufAct0, h, w)
	} else {
		act, h, w, err = ws.conv(p.stem, x, stemOut, h, w, nil, nil, nil, true)
	}
	if err != nil {
		return fmt.Errorf("engine: %s: %w", p.name, err)
	}
	c := p.stem.outC
	if p.pool != nil && !pooled {
		oh, ow := p.pool.OutSize(h, w)
		if oh <= 0 || ow <= 0 {
			return fmt.Errorf("engine: %s: input too small for the max pool", p.name)
		}
		out := ws.buf(bufAct0, n*c*oh*ow)
		if !ws.sizing {
			maxPool(ws.team, p.pool, n*c, h, w, act, out)
		}
		act, h, w = out, oh, ow
	}
	cur := bufAct0 // the buffer act is in
	for _, b := range p.blocks {
		if err := ctx.Err(); err != nil {
			return err
		}
		if act, cur, h, w, err = ws.block(b, act, cur, h, w); err != nil {
			return fmt.Errorf("engine: %s: %w", p.name, err)
		}
		c = b.outC
	}
	if !ws.sizing {
		avgPool(ws.team, act, n*c, h*w, feat)
	}
	return nil
}

// avgPool writes the mean of each of the planes (each of size plane) of x.
func avgPool(t *team, x []float32, planes, plane int, out []float32) {
	t.forRange(planes, max(1, 1<<14/max(plane, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			var s float32
			for _, v := range x[i*plane : (i+1)*plane] {
				s += v
			}
			out[i] = s / float32(plane)
		}
	})
}

// newConv folds bn into c: w' = w·scale[o], bias = shift (+ c's bias·scale).
func newConv(c *nn.Conv2d, bn *nn.BatchNorm2d, o Options) (*conv, error) {
	inPlace := o.InPlace
	if c.DilH != 1 || c.DilW != 1 || c.StrideH != c.StrideW || c.PadH != c.PadW {
		return nil, fmt.Errorf("engine: unsupported convolution %+v", c.ConvParams)
	}
	cv := &conv{
		inC: c.InC, outC: c.OutC, kh: c.KH, kw: c.KW,
		stride: c.StrideH, pad: c.PadH, groups: c.Groups,
	}
	cv.kind = chooseKind(cv)
	cv.inPlace = inPlace
	scale, shift := bn.Folded()
	if len(scale) != c.OutC {
		return nil, fmt.Errorf("engine: batch norm of %d channels after a convolution of %d", len(scale), c.OutC)
	}
	src := c.Weight.Value.Data
	k := c.InC / c.Groups * c.KH * c.KW
	w, lda := src, k
	if !inPlace {
		// A copy can have gemmLDA's padded row stride; in place it cannot.
		if cv.kind == pointwise {
			lda = gemmLDA(k)
		}
		w = make([]float32, c.OutC*lda)
	}
	for o := 0; o < c.OutC; o++ {
		s := scale[o]
		for i, v := range src[o*k : (o+1)*k] {
			w[o*lda+i] = v * s
		}
	}
	cv.lda = lda
	cv.bias = shift
	if c.Bias != nil {
		for o, b := range c.Bias.Value.Data {
			cv.bias[o] += b * scale[o]
		}
	}
	cv.w = w
	cv.bf16 = o.BF16
	if !o.NoWinograd && c.KH == 3 && c.KW == 3 && cv.stride == 1 && cv.pad == 1 && c.Groups == 1 && c.InC >= minWinogradC && c.OutC >= minWinogradC {
		cv.winoOK = true
	}
	if o.Int8 {
		if kernels.U8Quads(k) > kernels.MaxU8Quads {
			return nil, fmt.Errorf("engine: Int8: a convolution of %d inputs per output is too deep for exact int32 sums", k)
		}
		// The quads take a quarter of the float32 weights' room: unless
		// Winograd's weights are to be made from w, they are packed over
		// it, as BF16's pairs are.
		cv.ldq = gemmLDA(kernels.U8Quads(k))
		cv.sq = make([]float32, c.OutC)
		if cv.winoOK || cv.ldq > lda {
			cv.wq = make([]float32, c.OutC*cv.ldq)
		} else {
			cv.wq, cv.w = w[:c.OutC*cv.ldq], nil
		}
		if err := kernels.PackS8Rows(cv.wq, cv.ldq, cv.sq, w, lda, c.OutC, k); err != nil {
			return nil, fmt.Errorf("engine: Int8: %w", err)
		}
		if !cv.winoOK {
			return cv, nil // BF16's pairs would not be read
		}
	}
	if o.BF16 {
		// The bfloat16 pairs take half the float32 weights' room: unless
		// Winograd's weights are to be made from w, they are packed over
		// it (the model's storage with InPlace, which keeps the WSL
		// models' memory bound), and w is no longer read.
		cv.ldb = gemmLDA(kernels.BF16Pairs(k))
		if cv.winoOK || cv.ldb > lda {
			cv.wb = make([]float32, c.OutC*cv.ldb)
		} else {
			cv.wb, cv.w = w[:c.OutC*cv.ldb], nil
		}
		kernels.PackBF16Rows(cv.wb, cv.ldb, w, lda, c.OutC, k)
	}
	return cv, nil
}
