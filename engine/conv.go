package engine

import (
	"fmt"
	"time"

	"github.com/resnetgo/resnet/internal/kernels"
)

// convKind is how a convolution is computed (see the package comment).
type convKind int

const (
	pointwise convKind = iota
	direct
)

// conv is a convolution with its batch norm folded in. w is laid out as
// PyTorch's, (OutC, InC/Groups·KH·KW), with rows lda values apart.
type conv struct {
	name                string // its module in PyTorch's model: conv1, layer2.0.conv2, layer2.0.downsample.0
	kind                convKind
	inC, outC, kh, kw   int
	stride, pad, groups int
	w, bias             []float32
	lda                 int
	winoOK              bool           // a 3×3 stride-1 layer Winograd may run (winograd.go)
	wino                [2]lazyWeights // F(2×2)'s and F(4×4)'s weights, built on first use
	winoT               [2]lazyWeights // the same transposed, in panels (winoUT)
	wT                  lazyWeights    // a pointwise layer's weights transposed (small maps)
	inPlace             bool           // compiled with Options.InPlace: no transposed copy
	wPanels             bool           // w holds the weights as transposed's panels (panelInPlace)
	probeT              bool           // panelInPlace's dry run: take the transposed paths a copy would
	wRows               lazyWeights    // with wPanels: the weights as rows, built if a pass asks for them (rows)
	bf16                bool           // compiled with Options.BF16
	winoB               [2]lazyWeights // Options.BF16: the Winograd forms' weights as bfloat16 pairs
	wb                  []float32      // Options.BF16: the weights as bfloat16 pairs (kernels.PackBF16Rows)
	wbT                 lazyWeights    // Options.BF16: wb transposed (small maps)
	wbPanels            bool           // wb holds the pairs as transposedBF16's panels (panelInPlace)
	wbRows              lazyWeights    // with wbPanels: the pairs as rows, built if a pass asks for them (rowsBF16)
	ldb                 int            // wb's row stride, in words
	wq                  []float32      // Options.Int8: the weights as quads of signed bytes (kernels.PackS8Rows)
	sq                  []float32      // wq's scales, one per output channel
	ldq                 int            // wq's row stride, in words
	corr                []int32        // Options.Int8 on a signed input (the stem): kernels.OffsetCorrection of wq
}

// signedInput marks an Int8 convolution as reading signed values (the
// stem's normalised image): its input is quantized with
// kernels.PackU8Offset, and the offset taken back with corr.
func (c *conv) signedInput() {
	if c.wq == nil {
		return
	}
	c.corr = make([]int32, c.outC)
	kernels.OffsetCorrection(c.corr, c.wq, c.ldq, c.outC, kernels.U8Quads(c.inC/c.groups*c.kh*c.kw))
}

// q8 quantizes the k×cols input of an Int8 tile (rows at src[offs[r]:])
// into xb and xs, and multiplies rows [m0, m1) of the weights with it into
// out (row stride ldo): kernels.PackU8 (PackU8Offset for a signed input)
// and kernels.GemmU8S8.
func (c *conv) q8(m0, m1, k, cols int, src []float32, offs []int32, xb, xs []float32, addC bool, out []float32, ldo int, ep kernels.Epilogue) {
	c.packQ8(xb, xs, src, offs, k, cols)
	c.gemmQ8(m0, m1, k, cols, xb, xs, addC, out, ldo, ep)
}

// eachPanel calls fn, on the team, for each 32-column panel of the
// column blocks of a layer's Int8 input quantized once for its tiles:
// blocks of nb of the gn columns, tn a row of blocks (then the next image
// or group); fn gets the block, its first column j0, the panel's first
// column j in the block and its width cw.
func (ws *workspace) eachPanel(blocks, nb, gn, tn int, fn func(blk, j0, j, cw int)) {
	panels := (nb + 31) / 32
	ws.parallel(blocks*panels, func(_, it int) {
		blk, j := it/panels, it%panels*32
		j0 := blk % tn * nb
		if cols := min(j0+nb, gn) - j0; j < cols {
			fn(blk, j0, j, min(32, cols-j))
		}
	})
}

// packQ8 is q8's quantization of the input: columns PackU8 packs each
// 32-column panel of on its own, so a tile's columns may be packed a panel
// at a time (xb and xs from the panel's first column on).
func (c *conv) packQ8(xb, xs, src []float32, offs []int32, k, cols int) {
	if c.corr != nil {
		kernels.PackU8Offset(xb, xs, src, offs, k, cols)
	} else {
		kernels.PackU8(xb, xs, src, offs, k, cols)
	}
}

// gemmQ8 is q8's product, on an input packQ8 packed.
func (c *conv) gemmQ8(m0, m1, k, cols int, xb, xs []float32, addC bool, out []float32, ldo int, ep kernels.Epilogue) {
	var corr []int32
	if c.corr != nil {
		corr = c.corr[m0:m1]
	}
	kernels.GemmU8S8(m1-m0, cols, kernels.U8Quads(k), c.wq[m0*c.ldq:], c.ldq, c.sq[m0:m1], corr, xb, xs, addC, out, ldo, ep)
}

// gemm computes rows [m0, m1) of C = A·B + beta·C (out holds row m0 on)
// for one of c's weight matrices a (OutC × k, rows lda apart): a
// pointwise convolution's w, a Winograd position's.
func (c *conv) gemm(a []float32, lda, m0, m1, n, k int, b []float32, ldb int, beta float32, out []float32, ldc int) {
	kernels.SgemmSerial(m1-m0, n, k, 1, a[m0*lda:], lda, b, ldb, beta, out, ldc)
}

// gemmLDA is the row stride of a compiled weight matrix with k columns
// that a GEMM micro-kernel reads 12 rows of at once (a pointwise
// convolution's, Winograd's transformed ones): k, or k + 16 when rows k
// floats apart would be a multiple of 2 KiB apart (k = 512, 1024, 2048:
// ResNeXt's and the bottlenecks' wide layers) and so fall in one or two L1
// sets and evict each other — 125 GFLOP/s against 174 with the padding on
// resnext101_32x8d's 1024→1024 layers.
func gemmLDA(k int) int {
	if k%512 == 0 {
		return k + 16
	}
	return k
}

func chooseKind(c *conv) convKind {
	if c.kh == 1 && c.kw == 1 && c.pad == 0 && c.groups == 1 {
		return pointwise
	}
	return direct
}

func (c *conv) outSize(h, w int) (int, int) {
	oh := (h+2*c.pad-c.kh)/c.stride + 1
	ow := (w+2*c.pad-c.kw)/c.stride + 1
	if h+2*c.pad < c.kh || w+2*c.pad < c.kw {
		return 0, 0
	}
	return oh, ow
}

// accum is a second 1×1 convolution whose output is summed into the same
// tiles: a bottleneck's projection shortcut, on the block input x (h×w).
type accum struct {
	c    *conv
	x    []float32
	h, w int
}

// conv runs c on x (n, InC, h, w) into buffer outID, then the epilogue
// out = relu?(out + bias + res) (bias defaults to c's own).
func (ws *workspace) conv(c *conv, x []float32, outID bufID, h, w int, res, bias []float32, acc *accum, relu bool) ([]float32, int, int, error) {
	oh, ow, err := c.checkedOutSize(h, w)
	if err != nil {
		return nil, 0, 0, err
	}
	out := ws.buf(outID, ws.n*c.outC*oh*ow)
	if bias == nil {
		bias = c.bias
	}
	if ws.trace != nil && !ws.sizing {
		t0 := time.Now()
		var with *conv
		if acc != nil {
			with = acc.c
		}
		defer func() { ws.trace(c, with, h, w, false, time.Since(t0)) }()
	}
	switch c.kind {
	case pointwise:
		ws.pointwise(c, x, h, w, oh, ow, out, res, bias, acc, relu)
	default:
		ws.direct(c, x, h, w, oh, ow, out, res, bias, relu, false)
	}
	return out, oh, ow, nil
}

// checkedOutSize is outSize, or an error when h×w leaves no output.
func (c *conv) checkedOutSize(h, w int) (oh, ow int, err error) {
	oh, ow = c.outSize(h, w)
	if oh <= 0 || ow <= 0 {
		return 0, 0, fmt.Errorf("input %dx%d too small for a %dx%d convolution with padding %d", h, w, c.kh, c.kw, c.pad)
	}
	return oh, ow, nil
}

// resnetPool is ResNet's max pool after the stem.
var resnetPool = kernels.PoolParams{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}

// poolFuses reports whether c, on an h×w input, computes its output
// with the max pool p fused into its tiles (convPool): p is ResNet's and
// c a direct convolution computed on its grid (not Winograd or
// transposed).
func (ws *workspace) poolFuses(c *conv, p *kernels.PoolParams, h, w int) bool {
	oh, ow := c.outSize(h, w)
	return p != nil && *p == resnetPool && c.kind == direct && oh > 0 && ow > 0 &&
		c.winoChoice(ws.n, oh, ow) == nil && !c.directT(oh*ow) && !c.transposableBF16(oh*ow)
}

// convPool runs c with ReLU and then ResNet's max pool (poolFuses) into
// buffer outID, the pool applied by each tile to the rows of c's output
// it holds, so that c's output is never stored (ResNet's stem wrote 3.2 MB
// an image that the pool then read back, half of it from the other
// core's cache). Passes alternating between the two ways in one process
// (batch 1, two threads, 2026-11-30): the stem with the pool took about
// as long as the stem had alone, ResNet-50's pass 1.4 % less, ResNet-18's
// 1.9 %. It returns the pooled output and its size.
func (ws *workspace) convPool(c *conv, x []float32, outID bufID, h, w int) ([]float32, int, int, error) {
	oh, ow, err := c.checkedOutSize(h, w)
	if err != nil {
		return nil, 0, 0, err
	}
	ph, pw := resnetPool.OutSize(oh, ow)
	out := ws.buf(outID, ws.n*c.outC*ph*pw)
	if ws.trace != nil && !ws.sizing {
		t0 := time.Now()
		defer func() { ws.trace(c, nil, h, w, true, time.Since(t0)) }()
	}
	ws.direct(c, x, h, w, oh, ow, out, nil, c.bias, true, true)
	return out, ph, pw, nil
}

// tiling picks the tiles a layer's m×n output (per image) is split into:
// column blocks of at most 512 (Sgemm blocks K and M itself, and narrower
// blocks measured 5–20% slower), then, while there are too few tiles to
// share among the threads, rows and then columns split in halves —
// columns first when colsFirst: when the tiles pack their columns of B
// (Options.BF16 and Int8), or when the weights are small (smallWeights),
// so that every column of the input, just written and half of it by the
// other thread, is read by one tile only.
func tiling(m, n, images, threads int, colsFirst bool) (mb, nb int) {
	nb = n
	if n > 512 {
		tn := (n + 511) / 512
		nb = ((n+tn-1)/tn + 31) / 32 * 32
	}
	mb = m
	tiles := func() int { return images * ((n + nb - 1) / nb) * ((m + mb - 1) / mb) }
	splitCols := func() {
		for tiles() < chunksPerThread*threads && nb >= 64 {
			nb = ((nb+1)/2 + 31) / 32 * 32
		}
	}
	if colsFirst {
		splitCols()
	}
	// Fewer than 96 rows a tile measured slower than narrower columns.
	for tiles() < chunksPerThread*threads && mb >= 192 {
		mb = ((mb+1)/2 + 11) / 12 * 12
	}
	splitCols()
	return mb, nb
}

// smallWeights bounds the weights (floats) of a pointwise layer whose
// tiles split columns before rows: 256 KiB, which every tile then reads
// but finds in L2. ResNet-50's 64→256 and 128→512 layers at batch 1 on two
// threads took 5–18 % less so (each layer timed inside alternating passes,
// three runs, 2026-11-30 07:40 UTC), the 1×1 layers in all 1.9–2.4 %.
const smallWeights = 64 << 10

// subsample returns x (n, c, h, w) taken every s-th row and column into
// buffer bufSub, or x itself when s is 1.
func (ws *workspace) subsample(x []float32, c, h, w, s, oh, ow int) []float32 {
	if s == 1 {
		return x
	}
	y := ws.buf(bufSub, ws.n*c*oh*ow)
	if ws.sizing {
		return nil
	}
	ws.parallelFor(ws.n*c, 16, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src, dst := x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow]
			if s == 2 {
				kernels.EveryOtherRows(dst, ow, src, 2*w, oh, ow)
				continue
			}
			for oy := 0; oy < oh; oy++ {
				row := src[oy*s*w:]
				d := dst[oy*ow : (oy+1)*ow]
				for ox := range d {
					d[ox] = row[ox*s]
				}
			}
		}
	})
	return y
}

// pointwise: out(img) = W · x(img) for a 1×1 convolution, plus acc's
// W' · x'(img) when set, then the epilogue, tile by tile, the epilogue
// fused into the GEMM's store (kernels.SgemmSerialEpilogue). Small maps
// go to pointwiseT instead. With Options.BF16 each tile first rounds its
// columns of the input (and of acc's) to bfloat16 pairs in the thread's
// buffer (kernels.PackBF16), where the GEMM (kernels.SgemmSerialEpilogueBF16)
// finds them in cache, rather than in a pass of its own over the whole
// input; tiles that split the output channels round the same columns
// again, a few per cent of their work.
func (ws *workspace) pointwise(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, acc *accum, relu bool) {
	plane := oh * ow
	x = ws.subsample(x, c.inC, h, w, c.stride, oh, ow)
	var ax []float32
	if acc != nil {
		// c itself has stride 1 here (conv3 of a bottleneck), so bufSub is free.
		ax = ws.subsample(acc.x, acc.c.inC, acc.h, acc.w, acc.c.stride, oh, ow)
	}
	switch c.pointwisePath(plane, res != nil, acc) {
	case pathT:
		ws.pointwiseT(c, x, oh, ow, plane, out, res, bias, acc, ax, relu)
		return
	case pathTBF16:
		ws.pointwiseTBF16(c, x, oh, ow, plane, out, res, bias, acc, ax, relu)
		return
	}
	n, m, k := ws.n, c.outC, c.inC
	mb, nb := tiling(m, plane, n, ws.key.threads, c.wq != nil || c.wb != nil || m*k <= smallWeights)
	bf16 := c.wb != nil
	var kp, akp, ldx int // BF16: pairs of K (and of acc's), and the packed columns' row stride
	if bf16 {
		kp, ldx = kernels.BF16Pairs(k), nb
		if ldx%1024 == 0 {
			ldx += 16 // rows 4 KiB apart would share cache sets
		}
		if acc != nil {
			akp = kernels.BF16Pairs(acc.c.inC)
		}
	}
	// Options.Int8: each tile quantizes its columns of the input (and of
	// acc's, when that is Int8 too) into the thread's buffer
	// (kernels.PackU8: quads of bytes and a scale a column) for
	// kernels.GemmU8S8.
	q8, aq8 := c.wq != nil, acc != nil && acc.c.wq != nil
	var kq, akq int
	var xOffs, aOffs []int32
	nc := kernels.U8Cols(nb) // columns of a tile's packed panels
	if q8 {
		kq, xOffs = kernels.U8Quads(k), ws.rows(k, plane)
	}
	if aq8 {
		akq, aOffs = kernels.U8Quads(acc.c.inC), ws.rows(acc.c.inC, plane)
	}
	q8Size := kq*nc + nc
	tm, tn := (m+mb-1)/mb, (plane+nb-1)/nb
	// Tiles of rows of the same columns (a small map's layer, split by
	// output channels) take them quantized once, into bufShared, a
	// 32-column panel an item, rather than each quantize them again (as
	// direct's; ResNet-50 with Int8 and BF16 at batch 1: its 1×1 layers
	// 5.1–5.4 ms instead of 5.5–6.1).
	var qs, aqs int // a column block's packed input (and acc's) there
	if q8 && tm > 1 {
		qs = q8Size
	}
	if aq8 && tm > 1 {
		aqs = akq*nc + nc
	}
	var shared []float32
	if qs+aqs > 0 {
		shared = ws.buf(bufShared, n*tn*(qs+aqs))
	}
	if ws.sizing {
		ws.colSize = max(ws.colSize, (kp+akp)*ldx, q8Size+akq*nc+nc)
		return
	}
	if shared != nil {
		ws.eachPanel(n*tn, nb, plane, tn, func(blk, j0, j, cw int) {
			img := blk / tn
			base := shared[blk*(qs+aqs):]
			if qs > 0 {
				c.packQ8(base[kq*j:], base[kq*nc+j:], x[img*k*plane+j0+j:], xOffs, k, cw)
			}
			if aqs > 0 {
				ci := acc.c.inC
				acc.c.packQ8(base[qs+akq*j:], base[qs+akq*nc+j:], ax[img*ci*plane+j0+j:], aOffs, ci, cw)
			}
		})
	}
	ws.parallel(n*tm*tn, func(worker, it int) {
		img, r := it/(tm*tn), it%(tm*tn)
		m0, j0 := r/tn*mb, r%tn*nb
		m1, j1 := min(m0+mb, m), min(j0+nb, plane)
		cols := j1 - j0
		o := out[img*m*plane:]
		buf := ws.cols[worker]
		var beta float32
		if acc != nil {
			ci := acc.c.inC
			switch {
			case aqs > 0:
				base := shared[(img*tn+r%tn)*(qs+aqs)+qs:]
				acc.c.gemmQ8(m0, m1, ci, cols, base[:akq*nc], base[akq*nc:aqs], false, o[m0*plane+j0:], plane, kernels.Epilogue{})
			case aq8:
				ab, as := buf[q8Size:q8Size+akq*nc], buf[q8Size+akq*nc:q8Size+akq*nc+nc]
				acc.c.q8(m0, m1, ci, cols, ax[img*ci*plane+j0:], aOffs, ab, as, false, o[m0*plane+j0:], plane, kernels.Epilogue{})
			case acc.c.wb != nil:
				ab := buf[kp*ldx : (kp+akp)*ldx]
				kernels.PackBF16(ab, ldx, ax[img*ci*plane+j0:], plane, ci, cols)
				kernels.SgemmSerialBF16(m1-m0, cols, akp, acc.c.rowsBF16()[m0*acc.c.ldb:], acc.c.ldb, ab, ldx, 0, o[m0*plane+j0:], plane)
			default:
				acc.c.gemm(acc.c.rows(), acc.c.lda, m0, m1, cols, ci, ax[img*ci*plane+j0:], plane, 0, o[m0*plane+j0:], plane)
			}
			beta = 1
		}
		ep := kernels.Epilogue{Bias: bias[m0:m1], LDR: plane, ReLU: relu}
		if res != nil {
			ep.Res = res[img*m*plane+m0*plane+j0:]
		}
		switch {
		case qs > 0:
			base := shared[(img*tn+r%tn)*(qs+aqs):]
			c.gemmQ8(m0, m1, k, cols, base[:kq*nc], base[kq*nc:qs], beta == 1, o[m0*plane+j0:], plane, ep)
		case q8:
			xb, xs := buf[:kq*nc], buf[kq*nc:q8Size]
			c.q8(m0, m1, k, cols, x[img*k*plane+j0:], xOffs, xb, xs, beta == 1, o[m0*plane+j0:], plane, ep)
		case bf16:
			xb := buf[:kp*ldx]
			kernels.PackBF16(xb, ldx, x[img*k*plane+j0:], plane, k, cols)
			kernels.SgemmSerialEpilogueBF16(m1-m0, cols, kp, c.rowsBF16()[m0*c.ldb:], c.ldb, xb, ldx, beta, o[m0*plane+j0:], plane, ep)
		default:
			kernels.SgemmSerialEpilogue(m1-m0, cols, k, c.rows()[m0*c.lda:], c.lda, x[img*k*plane+j0:], plane, beta, o[m0*plane+j0:], plane, ep)
		}
	})
}

// pointwisePath names the ways pointwise computes a 1×1 layer.
type pointwisePath int

const (
	pathCols  pointwisePath = iota // tiles of the map's columns, epilogue in the GEMM
	pathT                          // transposed (pointwiseT)
	pathTBF16                      // transposed on bfloat16 pairs (pointwiseTBF16)
)

// pointwisePath returns the way pointwise computes c on a map of plane
// positions, with a residual or not (the transposed store adds it fast
// only in assembly), and with acc's projection accumulated when not nil.
func (c *conv) pointwisePath(plane int, res bool, acc *accum) pointwisePath {
	switch {
	case c.smallMapT(plane) || (!res || kernels.TransposeBiasActNative()) && c.transposable(plane, pointwiseTMaxPlain):
		return pathT
	case c.transposableBF16(plane) && (acc == nil || acc.c.transposableBF16(plane)):
		return pathTBF16
	}
	return pathCols
}

// residualOverOut reports whether c, on a map of plane positions (its
// output's), may write its output over its residual (an identity block's
// input, see workspace.block): whether the path it takes reads each value
// of the residual before it stores the output's there, having stored
// nothing else there before. The direct and Winograd paths do (their
// products go to the thread's buffer, and the epilogues that store them
// add the residual value by value: gridEpilogue, the Winograd output
// transforms, kernels.TransposeBiasAct); of the 1×1 layers, the
// transposed paths, Int8's product (one pass over K), and the float32 and
// BF16 GEMMs when they sum K in one slice (kernels.ResidualOverC). The
// result is the same either way.
func (c *conv) residualOverOut(plane int) bool {
	switch {
	case c.kind == direct:
		return true
	case c.stride != 1:
		return false
	case c.pointwisePath(plane, true, nil) != pathCols, c.wq != nil:
		return true
	case c.wb != nil:
		return kernels.ResidualOverC(kernels.BF16Pairs(c.inC), true)
	}
	return kernels.ResidualOverC(c.inC, false)
}

// rows returns (and keeps, for this workspace's shape) the offsets r·plane
// of the k rows of a 1×1 layer's input, for kernels.PackU8.
func (ws *workspace) rows(k, plane int) []int32 {
	key := [2]int{k, plane}
	if o, ok := ws.rowOffs[key]; ok {
		return o
	}
	o := make([]int32, k)
	for r := range o {
		o[r] = int32(r * plane)
	}
	if ws.rowOffs == nil {
		ws.rowOffs = map[[2]int][]int32{}
	}
	ws.rowOffs[key] = o
	return o
}

// pointwiseTMax bounds the maps pointwiseT takes: those of fewer
// positions than this that are not a multiple of 16 (ResNet's 7×7 at
// 224×224; 14×14, 196 = 12·16 + 4, loses only 6 % to the padding).
const pointwiseTMax = 128

// pointwiseTMaxPlain bounds them for the other 1×1 layers: ResNet-50's
// 1024→256 and 1024→512 layers at 14×14 took 4–17 % less so (passes
// alternating in one process, two runs), its conv3 with the projection
// shortcut there 4 % less, ResNeXt-101 32x8d's 5 %. Layers with a residual
// go so only where the transposed store that adds it runs in assembly
// (kernels.TransposeBiasActNative): ResNeXt-101 32x8d's 1024→1024 conv3
// layers at 14×14 then took 4–13 % less, ResNet-50's 256→1024 ones on
// the AVX2 kernels 6–16 %; with the portable store (or, before, a pass of
// its own for the residual) they took 16–38 % more.
const pointwiseTMaxPlain = 256

// pointwiseT is pointwise for a small map of plane positions, computed
// transposed: out(img)ᵀ = x(img)ᵀ · Wᵀ (kernels.SgemmSerialAT), so that
// the positions are the rows of the product and the output channels its
// columns, 32 a micro-kernel tile. As columns, 49 positions cost 64 (the
// 1×1 layers of ResNet's last stage ran at 131 GFLOP/s against 160–180
// on larger maps). Items are (image, block of output channels), each
// computed into the thread's buffer and stored transposed through the
// epilogue; a 1×1 layer at a batch of more than one image takes them
// panel-major instead, (panel of 32 output channels, image), so that a
// thread runs a panel of Wᵀ over each image of its share while the
// panel is in its cache, rather than stream all of Wᵀ from memory again
// for every image: ResNeXt-101 32x8d's 2048→2048 layers at 7×7 and batch
// 8 took 9.5 ms instead of 12.2 (16 MB of weights each), its 1024→1024
// ones at 14×14 3 % less, and passes at batch 8 3.4 % less for ResNet-50,
// 6.8 % for ResNeXt-50 32x4d, 4.5 % for ResNeXt-101 32x8d (alternating
// in one process, 2026-11-30 18:4x UTC). Wᵀ is built on first use
// (c.wT), unless the plan was compiled InPlace: a copy of the 829M-parameter WSL model's last-stage
// weights would break its memory bound. An InPlace plan holds W itself
// as those panels for the layers a pass at the architecture's input size
// computes so (Plan.panelInPlace), and for the others gathers Wᵀ's
// panels from W as it goes (productT), where that is done in assembly
// (kernels.PackTransposeNative). Gathering so at every layer took
// ResNet-50's pass at batch 1 3 % longer than the copy in 2026-11-30's
// measure and 10–14 % in 2026-12-02's (7 % with no small map
// transposed).
//
// A k×k convolution (direct, with x its input of h×w) takes its im2col
// matrix for x: each thread builds that of an image, the first time one
// of its items needs it, in its own buffer, rather than all of them one
// shared copy that every item then reads — half of it from the other
// core: ResNet-18's 512-channel 7×7 layers took 10 % less so, its
// stride-2 one 13 % (TestNetworkProfile, batch 1, two threads), for twice
// the copying.
func (ws *workspace) pointwiseT(c *conv, x []float32, h, w, plane int, out, res, bias []float32, acc *accum, ax []float32, relu bool) {
	n, m := ws.n, c.outC
	k := c.inC * c.kh * c.kw
	direct := c.kind != pointwise
	// A 1×1 layer at a batch of images takes its items panel by panel,
	// the images inner (panelMajor).
	panelMajor := n > 1 && !direct
	ocb, tm := ws.tBlocks(m, panelMajor)
	colSize := 0 // the thread's im2col matrix and padded plane, after its tile
	var oh, ow int
	if direct {
		colSize = k*plane + (h+2*c.pad)*(w+2*c.pad)
		oh, ow = c.outSize(h, w)
	}
	// The thread's item through its buffer and then to out with
	// non-temporal stores (storeT), after the im2col matrix (room kept
	// whatever the layer: the dry run has no residual to tell).
	ntSize := ntRoom(plane * ocb)
	if ws.sizing {
		ws.colSize = max(ws.colSize, plane*ocb+colSize+ntSize)
		ws.noteT(c)
		if acc != nil {
			ws.noteT(acc.c)
		}
		return
	}
	// built[worker] is the image whose im2col matrix the thread holds.
	built := ws.built[:ws.key.threads]
	for i := range built {
		built[i] = -1
	}
	c.transposed() // built here rather than by the first item
	if acc != nil {
		acc.c.transposed()
	}
	nt := ntStoreT(res, acc)
	ws.parallel(n*tm, func(worker, it int) {
		img, o0, o1 := tItem(it, n, m, tm, ocb, panelMajor)
		cols := o1 - o0
		buf := ws.cols[worker]
		tmp := buf[:plane*cols]
		var beta float32
		if acc != nil {
			ci := acc.c.inC
			acc.c.productT(plane, o0, o1, ax[img*ci*plane:], 0, tmp)
			beta = 1
		}
		var xi []float32
		if direct {
			xi = buf[plane*ocb : plane*ocb+k*plane]
			if built[worker] != img {
				im2col(c, x[img*c.inC*h*w:(img+1)*c.inC*h*w], h, w, oh, ow, 0, c.inC, xi, buf[plane*ocb+k*plane:plane*ocb+colSize])
				built[worker] = img
			}
		} else {
			xi = x[img*k*plane:]
		}
		c.productT(plane, o0, o1, xi, beta, tmp)
		base := img*m*plane + o0*plane
		var rr, st []float32
		if res != nil {
			rr = res[base:]
		}
		if nt {
			st = buf[plane*ocb+colSize : plane*ocb+colSize+ntSize]
		}
		storeT(out[base:], plane, tmp, cols, rr, bias[o0:o1], relu, st)
	})
}

// ntStoreT reports whether a transposed layer stores its items through
// the thread's buffer and then with non-temporal stores (storeT): the
// layers that add a residual (over their input, in identity blocks) or a
// projection shortcut, where the CPU has such stores. Their output's
// lines were last read by every thread (each transposed item of the
// block's first layer reads all its input), and an ordinary store must
// first take a line from the other core; a non-temporal one need not
// (kernels.CopyNT). ResNet-50 at batch 1 on two threads (network profiles
// of test binaries alternating, three pairs, 2026-12-01 21:1x UTC): its
// 14×14 conv3 layers 2.85–2.87 ms → 2.48–2.56, its 7×7 ones 1.90–1.92 →
// 1.77–1.78, the pass 25.5–25.7 → 24.6–25.0; at batch 8 those layers
// 2–5 % less. The other transposed layers gained nothing measurable.
func ntStoreT(res []float32, acc *accum) bool {
	return (res != nil || acc != nil) && kernels.CopyNTNative()
}

// ntRoom returns the room storeT needs for an item of size values: size
// where ntStoreT may hold, else 0.
func ntRoom(size int) int {
	if kernels.CopyNTNative() {
		return size
	}
	return 0
}

// storeT stores a transposed layer's item: tmp, its product (plane rows
// of cols output channels), transposed into out (cols planes from its
// start) with the bias, the residual rr (nil: none; it may be out itself)
// and ReLU (kernels.TransposeBiasAct). With st (room for plane·cols
// values) it stores into st and then copies st to out with non-temporal
// stores, fenced (ntStoreT).
func storeT(out []float32, plane int, tmp []float32, cols int, rr, bias []float32, relu bool, st []float32) {
	if st == nil {
		kernels.TransposeBiasAct(out, plane, tmp, cols, rr, plane, bias, plane, cols, relu)
		return
	}
	st = st[:plane*cols]
	kernels.TransposeBiasAct(st, plane, tmp, cols, rr, plane, bias, plane, cols, relu)
	flushNT(out, st)
}

// flushNT copies st, an item stored in the thread's buffer, to the start
// of out with non-temporal stores, fenced before the thread goes on
// (storeT, and the Winograd layers over their residual).
func flushNT(out, st []float32) {
	kernels.CopyNT(out[:len(st)], st)
	kernels.StoreFence()
}

// tBlocks returns the output channels of a transposed layer's items, ocb
// (a multiple of tPanel), and how many blocks of them its m channels make:
// a panel each when the items are panel-major, else enough blocks for
// chunksPerThread items a thread over the batch, of at least 64 channels.
func (ws *workspace) tBlocks(m int, panelMajor bool) (ocb, tm int) {
	ocb = tPanel
	if !panelMajor {
		blocks := max(1, (chunksPerThread*ws.key.threads+ws.n-1)/ws.n)
		ocb = min((m+31)/32*32, max(64, ((m+blocks-1)/blocks+31)/32*32))
	}
	return ocb, (m + ocb - 1) / ocb
}

// tItem returns a transposed layer's item it of n images × tm blocks of
// ocb of its m output channels (tBlocks): its image and channels [o0, o1),
// the images inner when panelMajor.
func tItem(it, n, m, tm, ocb int, panelMajor bool) (img, o0, o1 int) {
	img, o0 = it/tm, it%tm*ocb
	if panelMajor {
		img, o0 = it%n, it/n*ocb
	}
	return img, o0, min(o0+ocb, m)
}

// transposableBF16 reports whether a layer compiled with Options.BF16
// (1×1, or k×k on its im2col matrix) computes a map of plane positions
// transposed (pointwiseTBF16): fewer than pointwiseTMaxPlain positions,
// not a multiple of 16, one group, and the pairs at hand as panels (a
// copy allowed, or laid out so in place: hasTBF16).
func (c *conv) transposableBF16(plane int) bool {
	return c.wb != nil && c.wq == nil && c.hasTBF16() && c.groups == 1 && plane < pointwiseTMaxPlain && plane%16 != 0
}

// hasTBF16 is hasT for the BF16 pairs: a copy allowed, the pairs laid out
// as panels in place (wbPanels), or panelInPlace's dry run.
func (c *conv) hasTBF16() bool { return !c.inPlace || c.wbPanels || c.probeT }

// pointwiseTBF16 is pointwiseT with Options.BF16, for 1×1 layers and the
// k×k ones of small maps (direct's, on their im2col matrix): the images'
// inputs (x, and acc's ax) are rounded to bfloat16 pairs once, into
// bufShared, by all threads (pairs of rows, or channels, split among
// them), and each item multiplies
// them, transposed, with its panels of the transposed pairs of weights
// (kernels.SgemmSerialATBF16): the positions are the product's rows.
// As columns (pointwise's tiles), 49 positions cost 64, and every tile
// that split the output channels packed the same columns again. ResNet-50
// at batch 1 (two threads, profiles of test binaries alternating three
// times, 2026-11-30 22:1x UTC): its 512→2048 conv3 layers at 7×7 took
// 0.20–0.23 ms instead of 0.27–0.29, its 256→1024 ones at 14×14 0.17–0.22
// instead of 0.22–0.26, its 1×1 layers 7.7–8.2 ms instead of 8.4–8.7,
// the pass 16.6–17.4 instead of 17.6–18.3.
func (ws *workspace) pointwiseTBF16(c *conv, x []float32, h, w, plane int, out, res, bias []float32, acc *accum, ax []float32, relu bool) {
	n, m := ws.n, c.outC
	taps := c.kh * c.kw
	k := c.inC * taps
	kp, ldx := kernels.BF16Pairs(k), plane // plane < 256: rows never 4 KiB apart
	size, akp, asize := kp*ldx, 0, 0       // an image's packed input (and acc's)
	if acc != nil {
		akp = kernels.BF16Pairs(acc.c.inC)
		asize = akp * ldx
	}
	packed := ws.buf(bufShared, n*(size+asize))
	panelMajor := n > 1
	ocb, tm := ws.tBlocks(m, panelMajor)
	// A k×k layer (direct, x its h×w input) takes its im2col matrix,
	// made and rounded imChans channels an item through the thread's
	// buffer (their rows, then a padded channel for im2col).
	const imChans = 16 // even: an item's rows start a pair
	imSize, hp, wp := 0, h+2*c.pad, w+2*c.pad
	if c.kind == direct {
		imSize = imChans * taps * plane
	}
	ntSize := ntRoom(plane * ocb) // storeT's buffer, after the product's
	if ws.sizing {
		ws.colSize = max(ws.colSize, plane*ocb+ntSize)
		if c.kind == direct {
			ws.colSize = max(ws.colSize, imSize+hp*wp)
		}
		ws.noteT(c)
		if acc != nil {
			ws.noteT(acc.c)
		}
		return
	}
	c.transposedBF16() // built here rather than by the first item
	if acc != nil {
		acc.c.transposedBF16()
	}
	if c.kind == direct {
		oh, ow := c.outSize(h, w)
		parts := (c.inC + imChans - 1) / imChans
		ws.parallel(n*parts, func(worker, it int) {
			img, c0 := it/parts, it%parts*imChans
			c1 := min(c.inC, c0+imChans)
			buf := ws.cols[worker]
			col := buf[:imSize]
			im2col(c, x[img*c.inC*h*w:(img+1)*c.inC*h*w], h, w, oh, ow, c0, c1, col, buf[imSize:imSize+hp*wp])
			kernels.PackBF16(packed[img*size+c0*taps/2*ldx:], ldx, col, plane, (c1-c0)*taps, plane)
		})
	} else {
		ws.packPairsT(c, x, plane, packed, acc, ax)
	}
	nt := ntStoreT(res, acc)
	ws.parallel(n*tm, func(worker, it int) {
		img, o0, o1 := tItem(it, n, m, tm, ocb, panelMajor)
		cols := o1 - o0
		tmp := ws.cols[worker][:plane*cols]
		var beta float32
		if acc != nil {
			acc.c.productTBF16(plane, o0, o1, packed[n*size+img*asize:], ldx, 0, tmp)
			beta = 1
		}
		c.productTBF16(plane, o0, o1, packed[img*size:], ldx, beta, tmp)
		base := img*m*plane + o0*plane
		var rr, st []float32
		if res != nil {
			rr = res[base:]
		}
		if nt {
			st = ws.cols[worker][plane*ocb : plane*ocb+ntSize]
		}
		storeT(out[base:], plane, tmp, cols, rr, bias[o0:o1], relu, st)
	})
}

// packPairsT rounds a 1×1 layer's input x (ws.n images of InC rows of
// plane values) to bfloat16 pairs into packed (an image's pairs of rows
// after the other's, rows plane apart), and acc's ax after them, pairs of
// rows split among the threads.
func (ws *workspace) packPairsT(c *conv, x []float32, plane int, packed []float32, acc *accum, ax []float32) {
	n, k := ws.n, c.inC
	kp := kernels.BF16Pairs(k)
	parts := max(1, min((chunksPerThread*ws.key.threads+n-1)/n, kp/32))
	ws.parallel(n*parts, func(_, it int) {
		img, part := it/parts, it%parts
		pack := func(dst, src []float32, k int) {
			kp := kernels.BF16Pairs(k)
			p0, p1 := part*kp/parts, (part+1)*kp/parts
			r0, r1 := 2*p0, min(2*p1, k)
			kernels.PackBF16(dst[(img*kp+p0)*plane:], plane, src[(img*k+r0)*plane:], plane, r1-r0, plane)
		}
		pack(packed, x, k)
		if acc != nil {
			pack(packed[n*kp*plane:], ax, acc.c.inC)
		}
	})
}

// transposedBF16 returns a BF16 convolution's pairs of weights
// transposed, (K/2, OutC) words in panels of tPanel output channels (as
// transposed), building them on first use.
func (c *conv) transposedBF16() []float32 {
	if c.wbPanels {
		return c.wb
	}
	c.wbT.once.Do(func() {
		c.wbT.u = panelsT(c.wb, c.ldb, c.outC, kernels.BF16Pairs(c.inC/c.groups*c.kh*c.kw))
	})
	return c.wbT.u
}

// panelsT returns the k values of each of w's rows (rows ld apart)
// transposed into panels of tPanel rows, each k × tPanel and contiguous,
// zero past the last row.
func panelsT(w []float32, ld, rows, k int) []float32 {
	u := make([]float32, (rows+tPanel-1)/tPanel*k*tPanel)
	panelsTInto(u, w, ld, rows, k)
	return u
}

// panelsTInto is panelsT into u, which holds ⌈rows/tPanel⌉·k·tPanel
// zeros.
func panelsTInto(u, w []float32, ld, rows, k int) {
	for o := 0; o < rows; o++ {
		pan := u[o/tPanel*k*tPanel+o%tPanel:]
		for p, v := range w[o*ld : o*ld+k] {
			pan[p*tPanel] = v
		}
	}
}

// hasT reports whether c's weights are at hand as transposed's panels:
// a copy is allowed (not Options.InPlace), or they were laid out so in
// place (wPanels), or panelInPlace's dry run is asking which layers would
// read them.
func (c *conv) hasT() bool { return !c.inPlace || c.wPanels || c.probeT }

// rows returns c's weights as rows (OutC × K, lda apart), what the
// untransposed paths read: w, or, when w holds them as panels (wPanels),
// a copy built on first use. A plan compiled InPlace lays out as panels
// only the layers a pass at the architecture's input size computes
// transposed, so only other input sizes build the copy.
func (c *conv) rows() []float32 {
	if !c.wPanels {
		return c.w
	}
	c.wRows.once.Do(func() { c.wRows.u = c.rowsOf() })
	return c.wRows.u
}

// rowsOf returns c's weights as rows without keeping them: w itself, or
// a new copy of w's panels as rows (wPanels). For what is built once
// from them, as Winograd's transformed weights.
func (c *conv) rowsOf() []float32 {
	if !c.wPanels {
		return c.w
	}
	return rowsOfPanels(c.w, c.outC, c.inC/c.groups*c.kh*c.kw, c.lda)
}

// rowsBF16 is rows for the BF16 pairs: wb, or, when wb holds them as
// panels (wbPanels), a copy as rows ldb apart, built on first use.
func (c *conv) rowsBF16() []float32 {
	if !c.wbPanels {
		return c.wb
	}
	c.wbRows.once.Do(func() {
		c.wbRows.u = rowsOfPanels(c.wb, c.outC, kernels.BF16Pairs(c.inC/c.groups*c.kh*c.kw), c.ldb)
	})
	return c.wbRows.u
}

// rowsOfPanels returns rows × k values laid out as panelsT's panels in u
// as rows ld apart (a new slice).
func rowsOfPanels(u []float32, rows, k, ld int) []float32 {
	r := make([]float32, rows*ld)
	for o := 0; o < rows; o++ {
		pan := u[o/tPanel*k*tPanel+o%tPanel:]
		row := r[o*ld : o*ld+k]
		for p := range row {
			row[p] = pan[p*tPanel]
		}
	}
	return r
}

// toPanels lays out c's weights (or, with Options.BF16, its pairs) as
// transposed's (transposedBF16's) panels in their own storage
// (panelsInPlace), OutC a multiple of tPanel, through tmp, which it
// returns grown to a panel's rows.
func (c *conv) toPanels(tmp []float32) []float32 {
	k := c.inC / c.groups * c.kh * c.kw
	if c.wb != nil {
		c.wbPanels = true
		return panelsInPlace(c.wb, c.ldb, c.outC, kernels.BF16Pairs(k), tmp)
	}
	c.wPanels = true
	return panelsInPlace(c.w, c.lda, c.outC, k, tmp)
}

// panelsInPlace lays out w, rows × k values in rows ld ≥ k apart (rows a
// multiple of tPanel), as panelsT's panels from its start: each tPanel
// rows become the k × tPanel panel through a copy of them in tmp (grown
// as needed, and returned). A panel takes no more room than its rows and
// starts no later, so that, in order, a panel is written over its own
// rows and those before only.
func panelsInPlace(w []float32, ld, rows, k int, tmp []float32) []float32 {
	if cap(tmp) < tPanel*ld {
		tmp = make([]float32, tPanel*ld)
	}
	tmp = tmp[:tPanel*ld]
	for o := 0; o < rows; o += tPanel {
		copy(tmp, w[o*ld:(o+tPanel)*ld])
		panelsTInto(w[o*k:(o+tPanel)*k], tmp, ld, tPanel, k)
	}
	return tmp
}

// productTBF16 is productT on BF16 pairs: tmp (plane × (o1−o0)) =
// xbᵀ·Wᵀ + beta·tmp for one image's packed input xb (K/2 × plane words,
// rows ldx apart).
func (c *conv) productTBF16(plane, o0, o1 int, xb []float32, ldx int, beta float32, tmp []float32) {
	kp := kernels.BF16Pairs(c.inC / c.groups * c.kh * c.kw)
	wt := c.transposedBF16()
	for o := o0; o < o1; o += tPanel {
		kernels.SgemmSerialATBF16(plane, min(tPanel, o1-o), kp, xb, ldx, wt[o/tPanel*kp*tPanel:], tPanel, beta, tmp[o-o0:], o1-o0)
	}
}

// tPanel is the width of the panels of transposed weights, a multiple of
// every SGEMM micro-kernel's tile width.
const tPanel = 32

// transposed returns a convolution's weights transposed, (K, OutC) for
// K = InC/Groups·KH·KW, in panels of tPanel output channels, each K ×
// tPanel and contiguous (channels past OutC zero), building them on first
// use; a group's channels are columns of one panel or whole panels. A
// tile then streams its panels of weights from memory in order, where
// rows of the whole transpose put each 128 bytes it reads on a page of
// its own: ResNet-50's 3×3 layers at 7×7 (9.4 MB of weights each, read
// once a pass at batch 1) took 2.13–2.17 ms together before, 2.02–2.04
// after (TestNetworkProfile, two threads, three interleaved runs of each
// build); its 1×1 layers there did not change.
func (c *conv) transposed() []float32 {
	if c.wPanels {
		return c.w
	}
	if c.inPlace {
		return nil // productT reads W as stored
	}
	c.wT.once.Do(func() {
		c.wT.u = panelsT(c.w, c.lda, c.outC, c.inC/c.groups*c.kh*c.kw)
	})
	return c.wT.u
}

// productT computes output channels [o0, o1) (o0 a multiple of tPanel)
// of xᵀ·Wᵀ for one image's input x (K × plane, rows plane apart, K =
// InC·KH·KW, one group): tmp (plane × (o1−o0)) = xᵀ·Wᵀ + beta·tmp, on
// the transposed weights a panel at a time (kernels.SgemmSerialAT), or,
// in an InPlace plan, on the weights as stored, which the GEMM gathers
// into the same panels as it goes (kernels.SgemmSerialATBT: the same
// sums, bit for bit).
func (c *conv) productT(plane, o0, o1 int, x []float32, beta float32, tmp []float32) {
	k := c.inC * c.kh * c.kw
	if c.inPlace && !c.wPanels {
		kernels.SgemmSerialATBT(plane, o1-o0, k, 1, x, plane, c.w[o0*c.lda:], c.lda, beta, tmp, o1-o0)
		return
	}
	productPanelsT(plane, o0, o1, k, x, plane, c.transposed(), beta, tmp)
}

// productPanelsT computes columns [o0, o1) (o0 a multiple of tPanel) of
// xᵀ·Wᵀ for x (k × rows, row stride ldx) and Wᵀ in panels of tPanel
// columns, each k × tPanel and contiguous (panelsT): c (rows × (o1−o0))
// = xᵀ·Wᵀ + beta·c, a panel at a time (kernels.SgemmSerialAT).
func productPanelsT(rows, o0, o1, k int, x []float32, ldx int, wt []float32, beta float32, c []float32) {
	for o := o0; o < o1; o += tPanel {
		kernels.SgemmSerialAT(rows, min(tPanel, o1-o), k, 1, x, ldx, wt[o/tPanel*k*tPanel:], tPanel, beta, c[o-o0:], o1-o0)
	}
}

// smallMapT reports whether c computes a map of plane positions
// transposed (pointwiseT): a small map (fewer than pointwiseTMax
// positions, not a multiple of 16), one group, and a copy of the weights
// allowed (and not Options.BF16 or Int8, whose GEMMs take the map as
// columns).
func (c *conv) smallMapT(plane int) bool { return c.transposable(plane, pointwiseTMax) }

// directT reports whether a direct convolution c computes a map of plane
// positions transposed, on its im2col matrix (pointwiseT): a small map
// (smallMapT), or, at a stride > 1, fewer than pointwiseTMaxPlain
// positions: the stride-2 layers from 28×28 to 14×14 took 11 % less so
// in ResNet-50 at batch 1 (16 % at batch 8), 31 % in ResNet-18, where the
// implicit GEMM computes a 14×15 grid (passes alternating in one process,
// two threads, 2026-11-30 13:20 UTC).
func (c *conv) directT(plane int) bool {
	return c.smallMapT(plane) || c.stride > 1 && c.transposable(plane, pointwiseTMaxPlain)
}

// transposable reports whether c may compute a map of plane positions
// transposed, the map having fewer than max (and, in an InPlace plan, the
// weights laid out as panels or their panels gathered in assembly).
func (c *conv) transposable(plane, max int) bool {
	return plane < max && plane%16 != 0 && c.groups == 1 && !c.bf16 && c.wq == nil && (c.hasT() || kernels.PackTransposeNative())
}

// im2col writes one image x (c.inC × h×w) as the matrix (K, oh·ow) of
// c's taps into col, K = InC·KH·KW: row (ch, ki, kj) holds input channel
// ch at (oy·s + ki − pad, ox·s + kj − pad) for each output position
// (oy, ox), 0 outside the image. pp is scratch for one padded channel,
// (h+2·pad)×(w+2·pad) values, from the thread's buffer: a local array
// escaped to the heap (the kernels are assembly) and made a pass
// allocate 4 KiB a call.
func im2col(c *conv, x []float32, h, w, oh, ow, ch0, ch1 int, col, pp []float32) {
	plane := oh * ow
	s := c.stride
	hp, wp := h+2*c.pad, w+2*c.pad
	// Each channel is first padded into pp, so that every tap's rows are
	// plain strided reads, which kernels.Im2colChannel makes in one call a
	// channel: with a Go loop a row, the matrix of ResNet's 512-channel 7×7
	// layers (226k values) took 204 µs, a fifth of the layer; ResNet-50's
	// three such layers (its stride-2 one included) took 13–16 % less
	// with the kernel (passes alternating in one process, 2026-11-30).
	pp = pp[:hp*wp]
	// The border stays zero from channel to channel: only the image
	// rows are copied in.
	clear(pp)
	taps := c.kh * c.kw
	for ch := ch0; ch < ch1; ch++ {
		kernels.CopyRows(pp[c.pad*wp+c.pad:], wp, x[ch*h*w:(ch+1)*h*w], w, h, w)
		kernels.Im2colChannel(col[(ch-ch0)*taps*plane:(ch-ch0+1)*taps*plane], pp, wp, c.kh, c.kw, s, oh, ow)
	}
}

// padGeom is the layout of a convolution's padded input: s² phase planes
// per channel, each hq×wq, cs values apart.
func padGeom(c *conv, h, w int) (wq, hq, cs int) {
	s := c.stride
	hp, wp := h+2*c.pad, w+2*c.pad
	wq = (wp + s - 1) / s
	hq = (hp+s-1)/s + 2 // spare rows: the last tap's rows (or Winograd tile) run past the image
	return wq, hq, planeStride(hq, wq)
}

// planeStride is how far apart a padded input's phase planes of rows×wq
// values are: rows·wq, or 32 more when that is a multiple of 1024 (which
// would put every channel's rows in the same cache sets).
func planeStride(rows, wq int) int {
	if cs := rows * wq; cs%1024 != 0 {
		return cs
	}
	return rows*wq + 32
}

// gridEpilogue is the epilogue of a convolution computed on the grid of
// the padded input: rows m0..m1 and grid columns j0..j1 (row oy of the
// output is grid columns oy·wq .. oy·wq+ow) of one image, whose row m0 is
// at g with row stride ldg, go to out (at offset off) with bias, the
// residual and ReLU; the extra columns of each grid row are dropped.
func gridEpilogue(out, res, bias []float32, off, ow, oh, wq, m0, m1, j0, j1 int, g []float32, ldg int, relu bool) {
	plane := oh * ow
	o := out[off:]
	var rimg []float32
	if res != nil {
		rimg = res[off:]
	}
	// Rows wholly inside [j0, j1) go in one BiasActRows call per channel
	// (a call per row of a 7×7 map cost more than its values); the
	// first and last may be partial.
	part := func(i, oy, a, e int, gi []float32) {
		var rr []float32
		if rimg != nil {
			rr = rimg[i*plane+oy*ow+a : i*plane+oy*ow+e]
		}
		kernels.BiasAct(o[i*plane+oy*ow+a:i*plane+oy*ow+e], gi[oy*wq+a-j0:], rr, bias[i], relu)
	}
	for i := m0; i < m1; i++ {
		gi := g[(i-m0)*ldg:]
		oy := j0 / wq
		if a := j0 - oy*wq; a > 0 {
			if e := min(j1-oy*wq, ow); a < e && oy < oh {
				part(i, oy, a, e, gi)
			}
			oy++
		}
		if j1 >= ow {
			if full := min(oh-1, (j1-ow)/wq) - oy + 1; full > 0 {
				var rr []float32
				if rimg != nil {
					rr = rimg[i*plane+oy*ow:]
				}
				kernels.BiasActRows(o[i*plane+oy*ow:], ow, gi[oy*wq-j0:], wq, rr, ow, full, ow, bias[i], relu)
				oy += full
			}
		}
		if oy < oh && oy*wq < j1 {
			if e := min(j1-oy*wq, ow); e > 0 {
				part(i, oy, 0, e, gi)
			}
		}
	}
}

// padInput writes x (n, InC, h, w) zero-padded, and split into s² phase
// planes when c has stride s, into bufPad: phase plane (a, b) of channel
// ch of image img is at ((img·s² + a·s + b)·InC + ch)·cs, hq×wq values
// (padGeom).
func (ws *workspace) padInput(c *conv, x []float32, h, w int) (pad []float32, wq, cs int) {
	wq, hq, cs := padGeom(c, h, w)
	s := c.stride
	phases := s * s
	ic := c.inC
	pad = ws.buf(bufPad, ws.n*phases*ic*cs)
	if ws.sizing {
		return pad, wq, cs
	}
	if s == 2 {
		// Items are (image, channel, row phase), the row phase's two
		// planes written in one pass (fillPhases2), at least 8k values a
		// chunk.
		ws.parallelFor(ws.n*ic*2, max(1, (4<<10)/max(1, hq*wq)), func(lo, hi int) {
			for p := lo; p < hi; p++ {
				img, ch, a := p/(ic*2), p/2%ic, p%2
				src := x[(img*ic+ch)*h*w : (img*ic+ch+1)*h*w]
				fillPhases2(src, h, w, c.pad, a, 0, hq, wq, pad[((img*phases+2*a)*ic+ch)*cs:], pad[((img*phases+2*a+1)*ic+ch)*cs:])
			}
		})
		return pad, wq, cs
	}
	// Items are (image, channel, phase) planes, at least 8k values a
	// chunk: the stem's three channels are split by phase too.
	ws.parallelFor(ws.n*ic*phases, max(1, (8<<10)/max(1, hq*wq)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			img, ch, ph := p/(ic*phases), p/phases%ic, p%phases
			src := x[(img*ic+ch)*h*w : (img*ic+ch+1)*h*w]
			dst := pad[((img*phases+ph)*ic+ch)*cs:][:hq*wq]
			fillPhase(src, h, w, c.pad, s, ph/s, ph%s, 0, hq, wq, dst)
		}
	})
	return pad, wq, cs
}

// fillPhases2 writes phase planes (a, 0) and (a, 1) of one zero-padded
// channel at stride 2 (as fillPhase), reading each image row they take
// once: kernels.DeinterleaveRows sends its even and odd values to the
// two planes. Against fillPhase for each plane (each reading the rows),
// passes at batch 1 took 1.7 % less for ResNeXt-50 32x4d, 0.6–0.7 % for
// ResNet-50 and ResNeXt-101 32x8d (alternating in one process, 2026-11-30
// 19:1x UTC); ResNet-50's 56→28 layer 1–2 % less in the network, where
// the split is 12 % of its CPU time (reading an input half of which the
// other core wrote).
func fillPhases2(x []float32, h, w, pad, a, top, hq, wq int, p0, p1 []float32) {
	p0, p1 = p0[:hq*wq], p1[:hq*wq]
	// Rows [r0, r1) hold image rows y = 2(top + r) + a − pad; the others
	// are zero.
	r0 := min(hq, max(0, (pad-a+1)/2-top))
	r1 := r0
	if last := h - 1 + pad - a; last >= 0 {
		r1 = max(r0, min(hq, last/2+1-top))
	}
	clear(p0[:r0*wq])
	clear(p0[r1*wq:])
	clear(p1[:r0*wq])
	clear(p1[r1*wq:])
	if r0 == r1 {
		return
	}
	// Plane b holds image columns x = 2q + b − pad: the even ones go to
	// plane pad mod 2 from column ⌊pad/2⌋, the odd ones to the other from
	// column ⌈pad/2⌉.
	pe, po := p0, p1
	if pad%2 == 1 {
		pe, po = p1, p0
	}
	qe, qo := pad/2, (pad+pad%2)/2
	ne, no := (w+1)/2, w/2
	for r := r0; r < r1; r++ {
		re, ro := pe[r*wq:(r+1)*wq], po[r*wq:(r+1)*wq]
		for q := range re[:qe] {
			re[q] = 0
		}
		for q := qe + ne; q < wq; q++ {
			re[q] = 0
		}
		for q := range ro[:qo] {
			ro[q] = 0
		}
		for q := qo + no; q < wq; q++ {
			ro[q] = 0
		}
	}
	y0 := 2*(top+r0) + a - pad
	kernels.DeinterleaveRows(pe[r0*wq+qe:], po[r0*wq+qo:], wq, x[y0*w:], 2*w, r1-r0, w)
}

// fillPhase writes rows [top, top+hq) of phase plane (a, b) of one
// zero-padded channel: dst[r, q] = x[(top+r)·s+a−pad, q·s+b−pad], 0
// outside the image. The layers use it at strides other than 2
// (fillPhases2, which TestFillPhases2 checks against it).
func fillPhase(x []float32, h, w, pad, s, a, b, top, hq, wq int, dst []float32) {
	dst = dst[:hq*wq]
	// Rows [r0, r1) hold image rows y = (top + r)·s + a − pad; the others
	// are zero.
	r0 := min(hq, max(0, (pad-a+s-1)/s-top))
	r1 := r0
	if last := h - 1 + pad - a; last >= 0 {
		r1 = max(r0, min(hq, last/s+1-top))
	}
	clear(dst[:r0*wq])
	clear(dst[r1*wq:])
	if r0 == r1 {
		return
	}
	// Columns [lo, hi) hold image columns q·s + b − pad; the few zeros on
	// either side are written by hand (a clear call per row cost as much
	// as the row's copy).
	lo := min(wq, max(0, (pad-b+s-1)/s))
	hi := lo
	if last := w - 1 + pad - b; last >= 0 {
		hi = max(lo, min(wq, last/s+1))
	}
	for r := r0; r < r1; r++ {
		row := dst[r*wq : (r+1)*wq]
		for q := range row[:lo] {
			row[q] = 0
		}
		for q := hi; q < len(row); q++ {
			row[q] = 0
		}
	}
	if lo == hi {
		return
	}
	y0, x0 := (top+r0)*s+a-pad, lo*s+b-pad // the first value copied
	switch s {
	case 1:
		// the image's rows in one call (ResNeXt-101 32x8d's grouped 3×3
		// layers at 14×14 pad their groups per tile: 1–7 % less time
		// than with a copy a row, passes alternating in one process)
		kernels.CopyRows(dst[r0*wq+lo:], wq, x[y0*w+x0:], w, r1-r0, hi-lo)
	default:
		for r := r0; r < r1; r++ {
			d, src := dst[r*wq+lo:r*wq+hi], x[(y0+(r-r0)*s)*w+x0:]
			for q := range d {
				d[q] = src[q*s]
			}
		}
	}
}

// direct computes a k×k convolution as one implicit GEMM per group
// (kernels.ConvGemm) on the zero-padded input: group g's output rows are
// W_g (OutC/G × InC/G·KH·KW, as stored) times the matrix whose row
// (ch, ki, kj) is the padded input of channel ch (phase plane
// (ki mod s, kj mod s) when the stride s is > 1, so that every tap reads
// a unit-stride view) from offset (ki/s)·wq + kj/s. Each output row oy is
// computed over the wq columns of a padded row, of which the first ow are
// kept (the grid). Tiles are (image, group, column chunk, row chunk);
// each is computed into the thread's buffer and leaves it through the
// epilogue.
// A 3×3 stride-1 convolution with Winograd weights runs winograd instead
// when the batch has enough tiles. A grouped layer whose tiles are whole
// groups computes them transposed at small maps (groupedT): only the
// output positions, each group's channels as columns, stored through
// kernels.TransposeBiasAct.
//
// When pooled, out is the output of ResNet's max pool on c's (res nil):
// the tiles hold whole rows of the grid, an even number of them, and
// poolEpilogue pools them; a tile's last row goes to bufSide, pooled
// across, and joins the pool row it shares with the next tile after all
// tiles are done.
func (ws *workspace) direct(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, relu, pooled bool) {
	n, m, g := ws.n, c.outC, c.groups
	icg, ocg := c.inC/g, c.outC/g
	k := icg * c.kh * c.kw
	if f := c.winoChoice(n, oh, ow); f != nil {
		ws.winograd(f, c, x, h, w, oh, ow, out, res, bias, relu)
		return
	}
	if c.directT(oh * ow) {
		// As the 1×1 layers of small maps: the implicit GEMM would
		// compute a 7×9 grid in 64 columns for 49 outputs.
		ws.pointwiseT(c, x, h, w, oh*ow, out, res, bias, nil, nil, relu)
		return
	}
	if c.transposableBF16(oh*ow) && !pooled {
		// The same with BF16: ResNet-18's stride-2 layers at batch 1
		// took 0.92–1.01 ms instead of 1.15–1.34, ResNet-50's 1.66–1.80
		// instead of 2.10–2.15 (profiles of test binaries alternating,
		// 2026-11-30 22:4x UTC).
		ws.pointwiseTBF16(c, x, h, w, oh*ow, out, res, bias, nil, nil, relu)
		return
	}
	if g == 1 && !pooled && c.wb == nil && c.wq == nil && ws.key.threads > 1 && n%ws.key.threads != 0 {
		ws.directBands(c, x, h, w, oh, ow, out, res, bias, relu)
		return
	}
	wq, hq, cs := padGeom(c, h, w)
	gn := oh * wq
	nb, mb := gn, ocg // whole groups, each padded by its tile
	if g == 1 || n*g < chunksPerThread*ws.key.threads {
		nb, mb = directTiling(gn, ocg, n*g, ws.key.threads, c.wq != nil || c.wb != nil)
	}
	if pooled {
		// The smallest even number of rows past the tiling's width (8
		// rows for ResNet's stem at 224×224: 920 columns against 768):
		// with 6 rows the fused stem took 2–4 % longer.
		r := nb/wq&^1 + 2
		nb = min(gn, r*wq)
	}
	tn, tm := (gn+nb-1)/nb, (ocg+mb-1)/mb
	var side []float32
	ph, pw, poolScratch := 0, 0, 0
	if pooled {
		ph, pw = resnetPool.OutSize(oh, ow)
		side = ws.buf(bufSide, n*tn*m*pw)
		poolScratch = (nb/wq/2 + 1) * pw // a channel's pool rows (poolEpilogue)
	}
	s := c.stride
	phases := s * s
	// A tile that is a whole group pads its own channels into the
	// thread's buffer, where ConvGemm finds them in L2, rather than all
	// being padded first into bufPad (a pass through memory that cost a
	// grouped layer as much as its multiply-adds).
	local := tn == 1 && tm == 1 && g > 1
	gT := local && c.groupedT(oh*ow)
	// band: the stem with its pool on an image that the threads share
	// pads the rows each tile reads into the thread's buffer, as
	// directBands does, rather than the whole image first into bufPad
	// (lines that the other core read in the pass before). Its tiles are
	// whole rows; the planes hold the tile's rows, the taps' rows below
	// them and a row that the last grid row's junk columns run into.
	band := pooled && g == 1 && c.wb == nil && c.wq == nil && ws.key.threads > 1 && n%ws.key.threads != 0
	var pad []float32
	chans := icg // channels of a phase plane set in the padded input
	prows := 0   // phase rows a tile pads (band)
	switch {
	case band:
		prows = nb/wq + (c.kh-1)/s + 1
		cs = planeStride(prows, wq)
		chans = c.inC
	case !local:
		pad, _, _ = ws.padInput(c, x, h, w)
		chans = c.inC
	}
	offs := ws.offsets(c, wq, cs, chans)
	padSize := 0
	if local || band {
		padSize = phases * chans * cs
	}
	// Options.BF16: each tile rounds its columns of B to bfloat16 pairs
	// (kernels.PackBF16Offs, from the rows ConvGemm would read) after its
	// output in the thread's buffer, and multiplies them with
	// kernels.SgemmSerialBF16, on whole panels of 32 columns (ldt, the
	// columns past the tile's junk, not stored): a partial panel at the
	// right edge would be packed again and its tile computed aside and
	// merged in Go, for every slice of K. ResNet-18's 512-channel 7×7
	// layers (63 grid columns) took 0.49 ms so instead of 0.61 (alone, two
	// threads; float32 0.69–0.76).
	bf16 := c.wb != nil && c.wq == nil
	kp, ldx := kernels.BF16Pairs(k), nb
	if bf16 {
		ldx = (nb + 31) / 32 * 32
	}
	if ldx%1024 == 0 {
		ldx += 16
	}
	bfSize := 0
	if c.wb != nil {
		bfSize = kp * ldx
	}
	// Options.Int8: the tile's columns quantized (kernels.PackU8) for
	// kernels.GemmU8S8, in the same room.
	kq, nc := kernels.U8Quads(k), kernels.U8Cols(nb)
	if c.wq != nil {
		bfSize = kq*nc + nc
	}
	// Options.BF16 with tiles of rows of the same columns (a small map's
	// layer, split by output channels): the columns are rounded to
	// bfloat16 pairs once, into bufShared, by all threads (pairs of rows
	// split among them), rather than by every tile again: those 7×7
	// layers took 0.61 ms instead of 0.75, and with the whole panels
	// (above) passes with BF16 at batch 1 took 9.0–9.1 ms instead of
	// 9.5–9.9 for ResNet-18, 20.9–21.6 instead of 21.4–22.3 for ResNet-50
	// (builds alternating, 2026-11-30 21:5x UTC); batch 8 unchanged.
	var packed []float32
	packSize := kp * ldx
	if c.wq != nil {
		// Options.Int8: the same, quantized a 32-column panel an item
		// (kernels.PackU8 packs each on its own): ResNet-18's 7×7 layers
		// with Int8 and BF16 took 0.31–0.37 ms instead of 0.44–0.52, its
		// pass at batch 1 7.2–7.6 instead of 7.7–8.9, ResNet-50's
		// 13.1–13.7 instead of 14.3–14.5 (profiles of test binaries
		// alternating, 2026-11-30 22:4x UTC).
		packSize = kq*nc + nc
	}
	if (bf16 || c.wq != nil) && tm > 1 && !local {
		packed = ws.buf(bufShared, n*g*tn*packSize)
	}
	if ws.sizing {
		ws.colSize = max(ws.colSize, padSize+mb*ldx+bfSize+poolScratch)
		if pooled {
			ws.mergedSize = max(ws.mergedSize, n*g*tm*tn)
		}
		if gT {
			ws.noteT(c)
		}
		return
	}
	if packed != nil && c.wq != nil {
		ws.eachPanel(n*g*tn, nb, gn, tn, func(blk, j0, j, cw int) {
			img, grp := blk/(g*tn), blk%(g*tn)/tn
			src := pad[(img*phases*c.inC+grp*icg)*cs+j0+j:]
			c.packQ8(packed[blk*packSize+kq*j:], packed[blk*packSize+kq*nc+j:], src, offs, k, cw)
		})
	} else if packed != nil {
		blocks := n * g * tn
		parts := max(1, min((chunksPerThread*ws.key.threads+blocks-1)/blocks, kp/32))
		ws.parallel(blocks*parts, func(_, it int) {
			blk, part := it/parts, it%parts
			img, r := blk/(g*tn), blk%(g*tn)
			grp, jb := r/tn, r%tn
			j0 := jb * nb
			cols := min(j0+nb, gn) - j0
			p0, p1 := part*kp/parts, (part+1)*kp/parts // pairs of rows
			r0, r1 := 2*p0, min(2*p1, k)
			src := pad[(img*phases*c.inC+grp*icg)*cs+j0:]
			kernels.PackBF16Offs(packed[blk*packSize+p0*ldx:], ldx, src, offs[r0:r1], r1-r0, cols)
		})
	}
	plane := oh * ow
	// padded[worker] is 1 once the thread has zeroed its padded planes'
	// borders in this layer (local tiles).
	padded := ws.built[:ws.key.threads]
	for i := range padded {
		padded[i] = 0
	}
	var wt []float32
	if gT {
		wt = c.transposed() // built here rather than by the first item
	}
	// With the pool, a tile that runs on the thread that has just run the
	// tile before it (a thread takes its own share in order) merges that
	// tile's side rows into its first pool row itself, while both are in
	// the thread's cache (merged), and the loop after the layer merges
	// only the other boundaries: the stem with its pool took 0.91–0.94 ms
	// instead of 0.96–0.98 in ResNet-50 at batch 1, 0.86 instead of 0.90
	// an image at batch 8, 0.92–0.97 instead of 0.95–0.99 in ResNet-18
	// (passes alternating between the two in one process, 2026-12-01).
	var merged []bool
	if pooled {
		merged = ws.merged[:n*g*tm*tn]
		clear(merged)
		for i := range ws.last {
			ws.last[i] = -1
		}
	}
	// tile returns item it's image, group, column tile and first row in
	// its group.
	tile := func(it int) (img, grp, tj, i0 int) {
		img, r := it/(g*tm*tn), it%(g*tm*tn)
		return img, r / (tm * tn), r % tn, r % (tm * tn) / tn * mb
	}
	ws.parallel(n*g*tm*tn, func(worker, it int) {
		img, grp, tj, i0 := tile(it)
		j0 := tj * nb
		j1, i1 := min(j0+nb, gn), min(i0+mb, ocg)
		cols := j1 - j0
		m0, m1 := grp*ocg+i0, grp*ocg+i1
		buf := ws.cols[worker]
		ldt := cols // tmp's row stride
		if bf16 {
			ldt = (cols + 31) / 32 * 32
		}
		tmp := buf[padSize : padSize+(m1-m0)*ldt]
		var src []float32
		if local && s == 1 {
			// The zero borders of the group's planes are written by the
			// thread's first tile of the layer (every group's planes
			// have them at the same places in the thread's buffer), and
			// each tile copies only its channels' rows in between, in
			// one call: ResNeXt's grouped layers took 5–14 % less so on
			// their own (2026-11-30, against a fillPhase a channel), the
			// passes at batch 1 3.0 % less for ResNeXt-50 32x4d and 1.2 %
			// for ResNeXt-101 32x8d.
			src = buf[:padSize]
			if padded[worker] != 1 {
				clear(src)
				padded[worker] = 1
			}
			kernels.CopyPlanes(src[c.pad*wq+c.pad:], wq, cs, x[(img*c.inC+grp*icg)*h*w:], w, h*w, h, w, icg)
		} else if local {
			src = buf[:padSize]
			xg := x[(img*c.inC+grp*icg)*h*w:]
			for ch := 0; ch < icg; ch++ {
				if s == 2 {
					src := xg[ch*h*w : (ch+1)*h*w]
					for a := range 2 {
						fillPhases2(src, h, w, c.pad, a, 0, hq, wq, buf[(2*a*icg+ch)*cs:], buf[((2*a+1)*icg+ch)*cs:])
					}
					continue
				}
				for a := 0; a < s; a++ {
					for b := 0; b < s; b++ {
						fillPhase(xg[ch*h*w:(ch+1)*h*w], h, w, c.pad, s, a, b, 0, hq, wq, src[((a*s+b)*icg+ch)*cs:][:hq*wq])
					}
				}
			}
		} else if band {
			src = buf[:padSize]
			padBand(c, x[img*c.inC*h*w:], h, w, wq, j0/wq, prows, cs, src)
		} else {
			src = pad[(img*phases*c.inC+grp*icg)*cs+j0:]
		}
		if gT {
			// The group's output transposed (positions × channels), a
			// panel of transposed weights at a time, then stored.
			for o := m0; o < m1; {
				wd := min(tPanel-o%tPanel, m1-o)
				kernels.ConvGemmT(wd, oh, ow, k, wt[o/tPanel*k*tPanel+o%tPanel:], tPanel, src, wq, offs, tmp[o-m0:], ocg)
				o += wd
			}
			base := img*m*plane + m0*plane
			var rr []float32
			if res != nil {
				rr = res[base:]
			}
			kernels.TransposeBiasAct(out[base:], plane, tmp, ocg, rr, plane, bias[m0:m1], plane, ocg, relu)
			return
		}
		switch {
		case c.wq != nil && packed != nil:
			blk := packed[((img*g+grp)*tn+tj)*packSize:]
			c.gemmQ8(m0, m1, k, cols, blk[:kq*nc], blk[kq*nc:kq*nc+nc], false, tmp, cols, kernels.Epilogue{})
		case c.wq != nil:
			xb, xs := buf[padSize+mb*nb:padSize+mb*nb+kq*nc], buf[padSize+mb*nb+kq*nc:padSize+mb*nb+bfSize]
			c.q8(m0, m1, k, cols, src, offs, xb, xs, false, tmp, cols, kernels.Epilogue{})
		case c.wb != nil:
			var xb []float32
			if packed != nil {
				xb = packed[((img*g+grp)*tn+tj)*packSize:][:packSize]
			} else {
				xb = buf[padSize+mb*ldx : padSize+mb*ldx+bfSize]
				kernels.PackBF16Offs(xb, ldx, src, offs, k, cols)
			}
			kernels.SgemmSerialBF16(m1-m0, ldt, kp, c.rowsBF16()[m0*c.ldb:], c.ldb, xb, ldx, 0, tmp, ldt)
		default:
			kernels.ConvGemm(m1-m0, cols, k, c.rows()[m0*c.lda:], c.lda, src, offs, tmp, cols, false)
		}
		if pooled {
			var prev []float32 // the side rows of the tile before, when this thread ran it last
			if tj > 0 && ws.last[worker] == it-1 {
				prev = side[(img*tn+tj-1)*m*pw:]
				merged[it] = true
			}
			ws.last[worker] = it
			scratch := buf[padSize+mb*ldx+bfSize:][:poolScratch]
			poolEpilogue(out[img*m*ph*pw:], side[(img*tn+j0/nb)*m*pw:], prev, bias, scratch, oh, ow, wq, m0, m1, j0/wq, j1/wq, tmp, ldt, relu)
			return
		}
		gridEpilogue(out, res, bias, img*m*plane, ow, oh, wq, m0, m1, j0, j1, tmp, ldt, relu)
	})
	if !pooled || tn == 1 {
		return
	}
	// The pool rows two tiles share that the later tile did not merge
	// (it wrote its part): the boundaries between the threads' shares and
	// around items taken from another share, on this thread unless there
	// are many.
	left := 0
	for it, ok := range merged {
		if !ok && it%tn > 0 {
			left++
		}
	}
	if left == 0 {
		return
	}
	grain := len(merged)
	if left*min(mb, ocg)*pw > 1<<15 {
		grain = max(1, len(merged)/(chunksPerThread*ws.key.threads))
	}
	rows := nb / wq
	ws.parallelFor(len(merged), grain, func(lo, hi int) {
		for it := lo; it < hi; it++ {
			img, grp, tj, i0 := tile(it)
			if tj == 0 || merged[it] {
				continue
			}
			for ch := grp*ocg + i0; ch < grp*ocg+min(i0+mb, ocg); ch++ {
				maxInto(out[((img*m+ch)*ph+tj*rows/2)*pw:][:pw], side[((img*tn+tj-1)*m+ch)*pw:])
			}
		}
	})
}

// bandFloats bounds a band's padded input (directBands): 96k floats,
// 384 KiB, in L2 with the product's slice of the weights.
const bandFloats = 96 << 10

// bandGeom returns how directBands splits each image's oh output rows:
// into bands as even as whole rows allow, of at most rows rows, each
// reading extra phase rows of the padded input past its own. The bands
// are as tall as bandFloats allows, but at least 2 for each thread over
// the batch.
func bandGeom(c *conv, n, oh, wq, threads int) (bands, rows, extra int) {
	s := c.stride
	extra = (c.kh - 1) / s
	rows = max(1, bandFloats/(s*s*c.inC*wq)-extra)
	bands = min(oh, max((oh+rows-1)/rows, (2*threads+n-1)/n))
	rows = (oh + bands - 1) / bands
	return (oh + rows - 1) / rows, rows, extra
}

// directBands computes a one-group direct convolution in float32 (a
// stride-2 3×3 layer, or a 3×3 without Winograd) in bands of output rows:
// an item is one band of one image, which pads the input rows the band
// reads, every channel, into phase planes in the thread's buffer
// (padBand), multiplies all output channels' weights with them
// (kernels.ConvGemm, B in L2) and stores its rows (gridEpilogue).
// Before, the whole input was padded first into bufPad by all threads
// and the tiles read it, half of it from the other core, and that pass
// wrote lines the other core had read in the layer before: ResNet-50's 56→28 layer spent 226 of its 964 µs on two threads
// in it (44 µs when its lines were the writer's); in bands it took 680
// µs, 0.74 ms instead of 0.85 in the network at batch 1 (ResNet-18's
// 0.37–0.41 instead of 0.49). Each band pads one phase row a plane more
// than it computes (the taps below its last row), and the pass streams
// through the input where the bands read a few rows of each channel: when
// the images split evenly among the threads (the pass's share of each
// thread then being the images its tiles read first) or on one thread,
// the layers keep the pass (alone, batch 2 on two threads 667–711 µs an
// image either way; one thread 1210–1230 µs against 1290–1300 in bands;
// in ResNet-50 at batch 8 0.74–0.76 ms against 0.77–0.78).
func (ws *workspace) directBands(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, relu bool) {
	n, m, ic := ws.n, c.outC, c.inC
	s := c.stride
	k := ic * c.kh * c.kw
	wq, _, _ := padGeom(c, h, w)
	bands, rows, extra := bandGeom(c, n, oh, wq, ws.key.threads)
	cs := planeStride(rows+extra, wq) // a phase plane of a channel in the band
	padSize := s * s * ic * cs
	if ws.sizing {
		ws.colSize = max(ws.colSize, padSize+m*((rows-1)*wq+ow))
		return
	}
	offs := ws.offsets(c, wq, cs, ic)
	plane := oh * ow
	ws.parallel(n*bands, func(worker, it int) {
		img, b := it/bands, it%bands
		y0, y1 := b*oh/bands, (b+1)*oh/bands // the band's output rows
		top, pr := y0, y1-y0+extra           // its first phase row, and how many it reads
		buf := ws.cols[worker]
		src := buf[:padSize]
		padBand(c, x[img*ic*h*w:], h, w, wq, top, pr, cs, src)
		j0, j1 := y0*wq, (y1-1)*wq+ow // grid columns, without the last row's junk
		cols := j1 - j0
		tmp := buf[padSize : padSize+m*cols]
		kernels.ConvGemm(m, cols, k, c.rows(), c.lda, src, offs, tmp, cols, false)
		gridEpilogue(out, res, bias, img*m*plane, ow, oh, wq, 0, m, j0, j1, tmp, cols, relu)
	})
}

// padBand writes phase rows [top, top+rows) of the zero-padded input of
// c, x (InC, h, w: one image), into dst: phase plane ph of channel ch at
// (ph·InC + ch)·cs, rows wq apart, as ws.offsets lays them out for cs.
func padBand(c *conv, x []float32, h, w, wq, top, rows, cs int, dst []float32) {
	s, ic := c.stride, c.inC
	for ch := 0; ch < ic; ch++ {
		xc := x[ch*h*w : (ch+1)*h*w]
		if s == 2 {
			for a := range 2 {
				fillPhases2(xc, h, w, c.pad, a, top, rows, wq, dst[(2*a*ic+ch)*cs:], dst[((2*a+1)*ic+ch)*cs:])
			}
			continue
		}
		for ph := 0; ph < s*s; ph++ {
			fillPhase(xc, h, w, c.pad, s, ph/s, ph%s, top, rows, wq, dst[(ph*ic+ch)*cs:])
		}
	}
}

// maxInto sets d[q] to max(d[q], s[q]) for q < len(d): a pool row's
// part from another tile merged in.
func maxInto(d, s []float32) {
	for q, v := range s[:len(d)] {
		d[q] = max(d[q], v)
	}
}

// poolEpilogue is direct's epilogue when pooled: the tile holds rows
// [r0, r1) of c's output grid (r0 even; r1 even or oh), output channels
// m0..m1 of one image, at g with row stride ldg, before the bias and
// ReLU. Each pool row py whose window (rows 2py−1 .. 2py+1 inside
// [0, oh)) ends inside the tile is pooled from the window's rows the tile
// holds (row r0−1 is the previous tile's) into scratch (room for
// (r1−r0)/2 + 1 pool rows), and the channel's rows are then copied to out
// (the image's pooled planes) with kernels.CopyNT; the tile's last row,
// which the next tile's first pool row needs too, is pooled across on its
// own into side (at i·pw for channel i), for direct to merge with that
// row. The bias and ReLU are applied to the pooled values only, a quarter
// of the grid's: both are monotone (a float sum rounds monotonically), so
// the max of the activated values is the activated max, bit for bit, and
// NaN still propagates. When prev is not nil it holds the previous tile's
// side rows (at i·pw for channel i, activated), which the tile merges into
// its first pool row itself.
//
// The non-temporal stores: the pooled output's lines were last read by
// both cores (a later layer's input, split among the threads by output
// channels), and ordinary stores take each such line from the other core
// first (about 10 ns a line on this VM, against 1.8 for a non-temporal
// store). ResNet-18's stem with its pool took 0.72–0.74 ms instead of
// 0.82–0.83 at batch 1 (network profiles alternating, 2026-12-01), the
// next layer, which then reads its input from memory, up to 9 µs longer.
// The tile fences its stores before it returns.
func poolEpilogue(out, side, prev, bias, scratch []float32, oh, ow, wq, m0, m1, r0, r1 int, g []float32, ldg int, relu bool) {
	r1 = min(r1, oh)
	ph, pw := resnetPool.OutSize(oh, ow)
	for i := m0; i < m1; i++ {
		gi := g[(i-m0)*ldg:]
		row := func(r int) []float32 { return gi[(r-r0)*wq:][:ow] }
		py := r0 / 2
		for ; py < ph; py++ {
			a, b := max(2*py-1, 0, r0), min(2*py+1, oh-1)
			if b >= r1 {
				// Row r1−1 alone: its pool row is the next tile's.
				break
			}
			kernels.MaxPool3x3s2Row(scratch[(py-r0/2)*pw:], row(a), row((a+b)/2), row(b), ow)
		}
		if pooled := scratch[:(py-r0/2)*pw]; len(pooled) > 0 {
			kernels.BiasAct(pooled, pooled, nil, bias[i], relu)
			if prev != nil {
				// Row r0−1's part of pool row r0/2 (the tile has at
				// least row r0, so that row's window ends inside).
				maxInto(pooled[:pw], prev[i*pw:])
			}
			kernels.CopyNT(out[(i*ph+r0/2)*pw:][:len(pooled)], pooled)
		}
		if r1 < oh {
			last, sd := row(r1-1), side[i*pw:][:pw]
			kernels.MaxPool3x3s2Row(sd, last, last, last, ow)
			kernels.BiasAct(sd, sd, nil, bias[i], relu)
		}
	}
	kernels.StoreFence()
}

// groupedT reports whether a grouped convolution computes each group of
// a map of plane output positions transposed (kernels.ConvGemmT:
// positions as rows, the group's output channels as columns), rather than
// as ConvGemm's grid, which computes each row of the padded input whole
// and, with 64 channels a group, ends each row of tiles with a 16-column
// tile that loads as many values as it multiplies: with AVX-512, a group's
// channels a multiple of 16, fewer than pointwiseTMaxPlain positions, and
// the weights at hand as panels (hasT: a copy, or laid out so in place)
// and not Options.BF16 or Int8. In
// ResNeXt-101 32x8d at batch 1 (two threads, profiles of the network
// alternating with and without), the 14×14 layers took 0.40–0.47 ms
// instead of 0.50–0.56, the 7×7 ones 0.52–0.53 instead of 0.69–0.72, the
// stride-2 ones to 14×14 and 7×7 12 % and 18 % less; ResNeXt-50's 7×7
// layers 0.16 ms instead of 0.24–0.28, its 14×14 ones (16 channels a
// group) 4 % less. At 28×28, 16 channels a group, the layers took 4 %
// (stride 1) and 13 % (stride 2) longer.
func (c *conv) groupedT(plane int) bool {
	return c.groups > 1 && c.outC/c.groups%16 == 0 && plane < pointwiseTMaxPlain && kernels.ConvGemmTNative() && c.hasT() && !c.bf16 && c.wq == nil
}

// directTiling splits the output of a direct convolution with one group
// (or too few groups to share among the threads; pairs is images ×
// groups) into tiles of nb grid columns by mb output channels: column
// chunks of a multiple of 48 (the kernels' tile widths) and at most 768,
// so that a tile's output stays in L2, while there are too few tiles for
// the threads and the chunks stay at least 144 wide; then rows, in
// halves, quarters… of at least 48; then columns again. The small maps
// of ResNet's last stages (7×7: 63 grid columns) are thus split by output
// channels, each thread reading its share of the weights, instead of
// into a 48- and a 15-column tile that both read all of them. When the
// tiles pack their columns of B (packsB: Options.BF16 and Int8) columns
// are split down to 48 before rows, since tiles of the same columns would
// pack them again: ResNet-50's stride-2 3×3 layers with Int8 on two
// threads took 1.22–2.29 ms so, 1.44–2.64 splitting rows first (three
// interleaved layer profiles).
func directTiling(gn, ocg, pairs, threads int, packsB bool) (nb, mb int) {
	want := chunksPerThread * threads
	round := func(v int) int { return min(gn, (v+47)/48*48) }
	nb, mb = min(gn, 768), ocg
	if nb < gn {
		nb = round(nb)
	}
	tiles := func() int { return pairs * ((gn + nb - 1) / nb) * ((ocg + mb - 1) / mb) }
	for tiles() < want && nb >= 2*144 {
		nb = round((nb + 1) / 2)
	}
	splitRows := func() {
		for parts := 2; tiles() < want && ocg/parts >= 48; parts *= 2 {
			mb = (ocg + parts - 1) / parts
		}
	}
	splitCols := func() {
		for tiles() < want && nb >= 2*48 {
			nb = round((nb + 1) / 2)
		}
	}
	if packsB {
		// Tiles that split the rows would each pack the same columns.
		splitCols()
	}
	splitRows()
	splitCols()
	return nb, mb
}

// offsets returns (and keeps, for this workspace's shape) where row
// (ch, ki, kj) of c's implicit GEMM starts in a padded input whose phase
// planes hold chans channels (padInput's, a band's, or a group's own),
// cs apart, relative to its group's first channel.
func (ws *workspace) offsets(c *conv, wq, cs, chans int) []int32 {
	key := offsKey{c, wq, cs, chans}
	if o, ok := ws.offs[key]; ok {
		return o
	}
	s, taps := c.stride, c.kh*c.kw
	icg := c.inC / c.groups
	o := make([]int32, icg*taps)
	for ch := 0; ch < icg; ch++ {
		for t := 0; t < taps; t++ {
			ki, kj := t/c.kw, t%c.kw
			phase := (ki%s)*s + kj%s
			o[ch*taps+t] = int32((phase*chans+ch)*cs + (ki/s)*wq + kj/s)
		}
	}
	if ws.offs == nil {
		ws.offs = map[offsKey][]int32{}
	}
	ws.offs[key] = o
	return o
}
