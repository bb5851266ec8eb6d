package engine

import (
	"sync"

	"github.com/resnetgo/resnet/internal/kernels"
)

// Winograd F(m×m, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray 2015),
// m = 2 or 4: each m×m output tile is Aᵀ[Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)]A for
// the α×α input patch d (α = m + 2). The sum over channels is α² GEMMs,
// one per position ξ of the patch, of depth InC: 16 multiply-adds per 4
// outputs and channel pair (F(2×2)) or 36 per 16 (F(4×4)) instead of 9
// per output. The transforms (kernels.WinoInput, Wino4Input and their
// outputs) are vectorised across 16 tiles of a tile row; G is applied to
// the weights in float64, on first use of each form; the results stay
// within SPEC §6 of the direct convolution (TestWinograd).

// minWinogradC is the fewest input and output channels for which the
// transforms cost less than the multiply-adds they save.
const minWinogradC = 64

// minWinogradTiles is the fewest 2×2 tiles in a batch worth F(2×2), and
// minWino4Tiles the fewest 4×4 tiles worth F(4×4): with fewer, the
// transformed weights (16/9 and 36/9 of the layer's) are read for too
// little work. Measured on two threads, 512 channels at 7×7 (µs): batch 1
// (16 F(2×2) tiles) direct 1150, F(2×2) 1130; batch 2 direct 2150,
// F(2×2) 1150; batch 4 (16 F(4×4) tiles) F(2×2) 2360, F(4×4) 3130;
// batch 8 F(2×2) 4660, F(4×4) 3300. 256 channels at 14×14, batch 1
// (16 F(4×4) tiles): direct 990, F(2×2) 600, F(4×4) 740; batch 2 F(2×2)
// 1240, F(4×4) 775. Tests lower them.
var minWinogradTiles, minWino4Tiles = 32, 32

// winoRoundV, set by tests, rounds the float32 path's transformed inputs
// to bfloat16 values: Options.BF16's results, up to the order of the sums.
var winoRoundV = false

// winoForce, when 2 or 4, makes every layer with Winograd weights and at
// least one tile use F(2×2) or F(4×4) (tests).
var winoForce = 0

// winoForm is one Winograd algorithm F(m×m, 3×3): tiles of m×m outputs
// from α×α inputs (α = m + 2), α² GEMMs, the weight transform G (α×3)
// and the input and output transforms.
type winoForm struct {
	m, alpha int
	g        [][3]float64
	input    func(v []float32, ldv int, x []float32, wq, n int)
	output   func(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool)
}

var (
	// wino2 is F(2×2, 3×3): 16 multiply-adds per 4 outputs.
	wino2 = &winoForm{m: 2, alpha: 4, g: [][3]float64{
		{1, 0, 0}, {0.5, 0.5, 0.5}, {0.5, -0.5, 0.5}, {0, 0, 1},
	}, input: kernels.WinoInput, output: kernels.WinoOutput}
	// wino4 is F(4×4, 3×3): 36 per 16 outputs, at interpolation points
	// 0, ±1, ±2; its larger coefficients cost about a decimal digit of
	// rounding (TestWinograd: still within SPEC §6).
	wino4 = &winoForm{m: 4, alpha: 6, g: [][3]float64{
		{1.0 / 4, 0, 0},
		{-1.0 / 6, -1.0 / 6, -1.0 / 6},
		{-1.0 / 6, 1.0 / 6, -1.0 / 6},
		{1.0 / 24, 1.0 / 12, 1.0 / 6},
		{1.0 / 24, -1.0 / 12, 1.0 / 6},
		{0, 0, 1},
	}, input: kernels.Wino4Input, output: kernels.Wino4Output}
)

// lazyWeights are a re-laid copy of a convolution's weights built on
// first use: a Winograd form's (a plan run only at batch 1 never builds
// F(4×4)'s for its 14×14 layers), a pointwise layer's transpose.
type lazyWeights struct {
	once sync.Once
	u    []float32
}

// tiles is the number of m×m tiles of an oh×ow output.
func (f *winoForm) tiles(oh, ow int) int { return ((oh + f.m - 1) / f.m) * ((ow + f.m - 1) / f.m) }

// winoChoice returns the Winograd form c runs n images of oh×ow outputs
// with, or nil for the direct convolution: F(4×4) when it has enough
// tiles and costs fewer multiply-adds than F(2×2), counting the GEMMs'
// columns in multiples of 16 as the micro-kernels compute them (ResNet at
// 224×224, batch 1: the 56×56 and 28×28 layers; 14×14 from batch 2; 7×7
// from batch 8), else F(2×2) when it has enough (7×7 from batch 2). F(4×4)
// needs its assembly transforms (kernels.Wino4Native: AVX-512 or AVX2).
func (c *conv) winoChoice(n, oh, ow int) *winoForm {
	if !c.winoOK {
		return nil
	}
	t2, t4 := n*wino2.tiles(oh, ow), n*wino4.tiles(oh, ow)
	switch winoForce {
	case 2:
		return wino2
	case 4:
		return wino4
	}
	pad16 := func(t int) int { return (t + 15) / 16 * 16 }
	if kernels.Wino4Native() && t4 >= minWino4Tiles && 36*pad16(t4) <= 16*pad16(t2) {
		return wino4
	}
	if t2 >= minWinogradTiles {
		return wino2
	}
	return nil
}

// winoU returns f's transformed weights of c, building them on first
// use: U = G g Gᵀ for every (o, c), in float64, laid out as α² matrices
// (OutC, InC) with rows gemmLDA(InC) apart.
func (c *conv) winoU(t *team, f *winoForm) []float32 {
	ww := &c.wino[0]
	if f == wino4 {
		ww = &c.wino[1]
	}
	ww.once.Do(func() { ww.u = winogradWeights(t, f, c.rowsOf(), c.lda, c.outC, c.inC) })
	return ww.u
}

// winoUB returns f's transformed weights of c as bfloat16 pairs
// (Options.BF16), building them on first use: α² matrices (OutC, ⌈InC/2⌉
// words) with rows ldub apart. The float32 ones are not kept.
func (c *conv) winoUB(t *team, f *winoForm) (ub []float32, ldub int) {
	ww := &c.winoB[0]
	if f == wino4 {
		ww = &c.winoB[1]
	}
	ldub = gemmLDA(kernels.BF16Pairs(c.inC))
	ww.once.Do(func() {
		u := winogradWeights(t, f, c.rowsOf(), c.lda, c.outC, c.inC)
		a2, lda := f.alpha*f.alpha, gemmLDA(c.inC)
		ww.u = make([]float32, a2*c.outC*ldub)
		for xi := 0; xi < a2; xi++ {
			kernels.PackBF16Rows(ww.u[xi*c.outC*ldub:], ldub, u[xi*c.outC*lda:], lda, c.outC, c.inC)
		}
	})
	return ww.u, ldub
}

// winogradWeights transforms w (OutC, InC, 3, 3), rows wlda apart, for f
// on t's threads (nil: the caller's goroutine), a share of the output
// channels each: U = G g Gᵀ in float64 for every (o, c), rounded to
// float32, each product rounded before it is added (the conversions keep
// Go from fusing them), so every architecture builds the same values.
// Each output channel's (G g) is computed for all its input channels at
// once, a coefficient of G a loop over them, and each of (G g) Gᵀ's α²
// values is a loop writing a row of one matrix: built one pair at a time
// on one thread, ResNet-50's F(4×4) weights took its first pass at batch
// 8 0.8 s, 1.0 s more than a later pass.
func winogradWeights(t *team, f *winoForm, w []float32, wlda, oc, ic int) []float32 {
	a := f.alpha
	lda := gemmLDA(ic)
	u := make([]float32, a*a*oc*lda)
	t.forRange(oc, max(1, (1<<16)/(ic*a*a)), func(o0, o1 int) {
		gg := make([]float64, a*3*ic) // (G g)[r][k] of channel ch at (r·3 + k)·ic + ch
		for o := o0; o < o1; o++ {
			wo := w[o*wlda : o*wlda+9*ic]
			for r := 0; r < a; r++ {
				g0, g1, g2 := f.g[r][0], f.g[r][1], f.g[r][2]
				for k := 0; k < 3; k++ {
					dst := gg[(r*3+k)*ic : (r*3+k+1)*ic]
					for ch := range dst {
						x := wo[ch*9+k : ch*9+k+7]
						dst[ch] = float64(g0*float64(x[0])) + float64(g1*float64(x[3])) + float64(g2*float64(x[6]))
					}
				}
			}
			for r := 0; r < a; r++ {
				x0, x1, x2 := gg[r*3*ic:(r*3+1)*ic], gg[(r*3+1)*ic:(r*3+2)*ic], gg[(r*3+2)*ic:(r*3+3)*ic]
				for q := 0; q < a; q++ {
					h0, h1, h2 := f.g[q][0], f.g[q][1], f.g[q][2]
					dst := u[(r*a+q)*oc*lda+o*lda:][:ic]
					for ch := range dst {
						dst[ch] = float32(float64(x0[ch]*h0) + float64(x1[ch]*h1) + float64(x2[ch]*h2))
					}
				}
			}
		}
	})
	return u
}

// winogradTiling splits a layer's tiles (all images' together) into
// chunks of at most nt tiles (a multiple of 32, the GEMM kernel's width,
// 64 to 128; a chunk's transformed input and output near L2's size;
// winograd evens them out) and its oc output channels into parts
// (winoPart); a work item is one part of one chunk. When the tiles make a
// single chunk (small maps at small batches) on more than one thread,
// there is a part per thread: every part reads the chunk's transformed
// input, shared and half written by the other core, and ResNet-50's 14×14
// F(2×2) layers at batch 1 on two threads took 9–10 % less time in two
// parts than in four (each convolution timed inside passes alternating
// between the two, 2026-11-30 10:30 UTC). Otherwise the parts double while
// there are too few items for the threads and they keep at least 96
// channels.
func winogradTiling(alpha2, ic, oc, tiles, threads int) (nt, parts int) {
	nt = max(64, min(128, (256<<10)/(alpha2*(ic+oc))/32*32))
	nt = min(nt, (tiles+31)/32*32)
	items := (tiles + nt - 1) / nt
	if items == 1 && threads > 1 {
		return nt, min(threads, (oc+11)/12)
	}
	parts = 1
	for items*parts < chunksPerThread*threads && oc/parts >= 96 {
		parts *= 2
	}
	return nt, parts
}

// zeroBias is the bias of the transposing store of the transposed
// products (TransposeBiasAct adds one): read only.
var zeroBias [winoTMaxChannels]float32

// winoTMaxChannels bounds the output channels of a layer whose Winograd
// products are computed transposed.
const winoTMaxChannels = 2048

// winoTransposed reports whether c's products in form f for a batch of n
// images are computed transposed: Mᵀ = Vᵀ·Uᵀ, the chunk's tiles as rows
// and the output channels as columns, on Uᵀ in panels of tPanel channels
// (winoUT), then stored as M (kernels.TransposeBiasAct, with a zero bias:
// −0 becomes +0, nothing else changes; the sums are the GEMM's, in the
// same order). At batch 1 a chunk has 49 tiles (ResNet's 56×56 and 28×28
// maps in F(4×4)), no multiple of the kernels' 32 columns, and the right
// edge of M = U·V ran as a 16-column tile and a column at a time (a
// gathered column of V, a dot product a row); as rows, 49 tiles are five
// row tiles of 9–10 and every column tile is whole. On one thread a
// 128×49 product with K = 128 took 8.1 µs instead of 10.0, 64×196 with
// K = 64 8.4 instead of 9.5. In the network (test binaries alternating,
// three pairs, 2026-12-01 19:4x UTC, a slow phase of the VM) the F(4×4)
// layers took 5–9 % less: ResNet-18's 3.44–3.46 ms instead of 3.61–3.80,
// its pass 9.93–10.06 instead of 10.20–10.31; ResNet-50's 2.87–2.90
// instead of 2.99–3.15. Its 14×14 F(2×2) layers (256×49 products with K =
// 256: 32.4 µs instead of 36.3 alone) took 2–3 % longer so, the store
// then weighing more, and keep M = U·V, as does batch 8 (chunks of more
// tiles: ResNet-50's F(4×4) layers 5 % slower transposed). Float32 only
// (BF16 has its own products), with the store in assembly.
func (c *conv) winoTransposed(f *winoForm, n int) bool {
	return f == wino4 && n == 1 && !c.bf16 && c.outC <= winoTMaxChannels && kernels.TransposeBiasActNative()
}

// winoUT returns f's transformed weights of c transposed for the
// transposed products (winoTransposed), building them on first use: α²
// matrices (InC, OutC) in panels of tPanel output channels, each InC ×
// tPanel and contiguous (channels past OutC zero). The untransposed ones
// are not kept for them.
func (c *conv) winoUT(t *team, f *winoForm) []float32 {
	ww := &c.winoT[0]
	if f == wino4 {
		ww = &c.winoT[1]
	}
	ww.once.Do(func() {
		ww.u = winoPanelsT(winogradWeights(t, f, c.rowsOf(), c.lda, c.outC, c.inC), f.alpha*f.alpha, c.outC, c.inC)
	})
	return ww.u
}

// winoPanelsT lays out a2 transformed weight matrices u (oc × ic, rows
// gemmLDA(ic) apart, as winogradWeights makes them) as winoUT's panels.
func winoPanelsT(u []float32, a2, oc, ic int) []float32 {
	lda, np := gemmLDA(ic), (oc+tPanel-1)/tPanel
	ut := make([]float32, a2*np*ic*tPanel)
	for xi := 0; xi < a2; xi++ {
		panelsTInto(ut[xi*np*ic*tPanel:], u[xi*oc*lda:], lda, oc, ic)
	}
	return ut
}

// winoPart returns the output channels [o0, o1) of part j of oc split
// into parts as evenly as whole blocks of block channels allow, and
// maxPart, the most channels a part has: blocks of 12 rows of the GEMM
// micro-kernels for M = U·V, of tPanel columns for the transposed
// products (winoTransposed).
func winoPart(oc, parts, j, block int) (o0, o1, maxPart int) {
	blocks := (oc + block - 1) / block
	return min(oc, j*blocks/parts*block), min(oc, (j+1)*blocks/parts*block), min(oc, (blocks+parts-1)/parts*block)
}

// winoGroup is how many channels of V a BF16 layer transforms into its
// float32 scratch before rounding them to pairs (even).
const winoGroup = 16

// winoSkew is added to the stride of the transformed matrices so that the
// α² values of one tile, written or read together, fall in different
// cache sets (the strides are otherwise often multiples of 4 KiB).
const winoSkew = 16

// winograd runs c with form f on x (ws.n images of h×w) into out, with
// the epilogue. A work item
// is (chunk of nt tiles of all images in row-major order, output
// channels): the α² transformed weight matrices times the chunk's
// transformed input tiles (V, α² matrices InC × nt; M = U·V, columns past
// the chunk's last tile hold junk and are not used), transformed back into
// out with bias, residual and ReLU. When the output channels are split
// (too few chunks for the threads, shared below), every chunk's V is
// transformed once, by all threads, into bufShared before the items run;
// otherwise each item transforms its own chunk into the thread's buffer,
// where the GEMMs find it in cache. The transforms read each channel's
// rows from a zero-padded copy the thread makes in its buffer, not
// from a padded copy of the whole input: such a pass, its values then
// read by the other thread, took a 2-thread 56×56 F(4×4) layer from 340
// to 470 µs (writing lines another core has cached costs a round trip
// between the cores).
func (ws *workspace) winograd(f *winoForm, c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, relu bool) {
	n, m, ic := ws.n, c.outC, c.inC
	tm, a2 := f.m, f.alpha*f.alpha
	th, tw := (oh+tm-1)/tm, (ow+tm-1)/tm
	pw := tm*tw + 2               // a row of the padded plane: a tile row's inputs
	patchSize := (tm*th + 2) * pw // the padded plane (transform)
	tiles := th * tw              // per image
	nt, ob := winogradTiling(a2, ic, m, n*tiles, ws.key.threads)
	chunks := (n*tiles + nt - 1) / nt
	// Chunks of equal size where the GEMMs compute that many columns
	// and no more: a 56×56 F(4×4) layer at batch 1 (196 tiles) as four
	// chunks of 49 (32 + 16 + 1 columns) instead of 64, 64, 64 and 4,
	// which left one thread 128 tiles and the other 68: ResNet-50's
	// 0.39–0.53 → 0.34–0.47 ms, ResNet-18's 0.38–0.45 → 0.33–0.41, its
	// pass 9.63 → 9.38 ms (passes alternating in one process).
	columns := kernels.SerialColumns // how many columns a GEMM is best asked for
	if c.bf16 {
		// A column at a time on bfloat16 pairs cost more than the
		// junk columns of a whole tile (ResNet-50's and ResNet-18's
		// BF16 Winograd layers 0–10 % slower so at batch 1): the BF16
		// kernel has none, and its chunks are not evened out.
		columns = kernels.SerialColumnsBF16
	}
	if bal := (n*tiles + chunks - 1) / chunks; columns(bal) == bal {
		nt = bal
		chunks = (n*tiles + nt - 1) / nt // no empty chunk at the end
	}
	ntS := (nt + 15) / 16 * 16 // a chunk's columns in its matrices
	tr := c.winoTransposed(f, n)
	partBlock := 12 // output channels a part holds whole blocks of (winoPart)
	if tr {
		partBlock = tPanel
	}
	_, _, ocb := winoPart(m, ob, 0, partBlock)
	tSize := 0 // the transposed products' scratch (tr), nt × ocb
	if tr {
		tSize = nt * ocb
	}
	// Chunks of one image each (small maps at batch 1) store an item's
	// output, channels [o0, o1) of the image, through the thread's buffer
	// and then with non-temporal stores when it is written over its
	// residual (an identity block's second layer; ntRoom, storeT): those
	// lines were last read by every thread, whose transforms of the
	// block's first layer read all of its input.
	ntSize := 0
	if nt == tiles {
		ntSize = ntRoom(ocb * oh * ow)
	}
	vs := ic*ntS + winoSkew // stride of the α² matrices of one chunk's V
	// shared: the chunks' V transformed once, by all threads, into
	// bufShared before the items run, when their output channels are
	// split into parts. Not for one chunk in two parts (small maps at
	// batch 1 on two threads): each of the two items transforms the whole
	// chunk into its own buffer, twice the transforms' work but no wait
	// for them and no lines of V written by the other core. ResNet-50's
	// 14×14 layers took 412–445 µs instead of 480–550, its 28×28 ones
	// 345–365 instead of 441–476 (alone, on two threads, alternating). With
	// more threads the duplicated work grows with them while each thread's
	// share of the GEMMs shrinks; they keep the shared transform.
	shared := ob > 1 && (chunks > 1 || ob > 2)
	// Options.BF16: V is bfloat16 pairs, α² matrices of stride vbs (in
	// bufShared, or the thread's buffer), transformed winoGroup channels
	// at a time into a float32 scratch of the thread's (stride ss) and
	// rounded from there: V as float32 is never stored whole (a chunk of
	// F(4×4) at 64 channels is 590 KB of it), nor rounded again by every
	// item of a shared chunk. With BF16 at batch 1 (profiles of test
	// binaries alternating three times, 2026-11-30 22:3x UTC) ResNet-18's
	// Winograd layers took 3.6–4.7 ms instead of 4.3–6.6, its pass 7.5–10.8
	// instead of 8.0–11.6; ResNet-50's 3.9–4.2 instead of 4.7–4.9, its pass
	// 16.6–16.9 instead of 17.5–17.8.
	bf16 := c.bf16
	kp, vbs, ss := kernels.BF16Pairs(ic), 0, 0
	if bf16 {
		vbs, ss = kp*ntS+winoSkew, winoGroup*ntS+winoSkew
	}
	var vall []float32
	switch {
	case shared && bf16:
		vall = ws.buf(bufShared, chunks*a2*vbs)
	case shared:
		vall = ws.buf(bufShared, chunks*a2*vs)
	}
	if ws.sizing {
		mSize := a2 * (ntS*ocb + winoSkew) // M
		switch {
		case bf16 && shared:
			ws.colSize = max(ws.colSize, mSize+a2*ss+ntSize+patchSize)
		case bf16:
			ws.colSize = max(ws.colSize, mSize+a2*(vbs+ss)+ntSize+patchSize)
		case shared:
			ws.colSize = max(ws.colSize, mSize+ntSize+tSize+patchSize)
		default:
			ws.colSize = max(ws.colSize, mSize+a2*vs+ntSize+tSize+patchSize)
		}
		return
	}
	var u, ub, ut []float32
	var ldub int
	switch {
	case bf16:
		ub, ldub = c.winoUB(ws.team, f)
	case tr:
		ut = c.winoUT(ws.team, f)
	default:
		u = c.winoU(ws.team, f)
	}
	plane := oh * ow
	// chunk returns the tiles [t0, t1) of chunk ci and the GEMMs' width.
	chunk := func(ci int) (t0, t1, k int) {
		t0 = ci * nt
		t1 = min(t0+nt, n*tiles)
		return t0, t1, min(ntS, (t1-t0+15)/16*16) // a 16-column edge has its own micro-kernel
	}
	// segments calls fn for each run of tiles [t, e) of [t0, t1) in one
	// tile row ty of image img, from tile column tx.
	segments := func(t0, t1 int, fn func(t, e, img, ty, tx int)) {
		for t := t0; t < t1; {
			img, r := t/tiles, t%tiles
			ty, tx := r/tw, r%tw
			e := min(t1, t-tx+tw)
			fn(t, e, img, ty, tx)
			t = e
		}
	}
	// transform writes channels [c0, c1) of chunk ci's V into v (α²
	// matrices of stride ld, rows of k), channel ch in row ch − cb. It
	// copies the rows the chunk's tiles of an image read of each channel
	// into plane, the thread's zero-padded copy of a channel (rows pw
	// apart, the input's row y in row y + 1), and transforms each tile
	// row from there: a channel's rows in one call (kernels.CopyRows)
	// rather than a padded patch for each tile row, which had taken more
	// time than the transforms themselves (ResNet-50's 14×14 layers: 46
	// of 78 µs a layer on one thread).
	transform := func(v []float32, ld, ci, c0, c1, cb int, plane []float32) {
		t0, t1, k := chunk(ci)
		clear(plane) // the borders; the rows inside are copied before they are read
		for img := t0 / tiles; img*tiles < t1; img++ {
			a, b := max(t0, img*tiles)-img*tiles, min(t1, (img+1)*tiles)-img*tiles // the image's tiles in the chunk
			y0, y1 := max(0, tm*(a/tw)-1), min(h, tm*((b-1)/tw)+f.alpha-1)         // the input rows they read
			for ch := c0; ch < c1; ch++ {
				src := x[(img*ic+ch)*h*w:]
				kernels.CopyRows(plane[(y0+1)*pw+1:], pw, src[y0*w:], w, y1-y0, w)
				row := (ch-cb)*k + img*tiles - t0
				for r := a; r < b; {
					ty, tx := r/tw, r%tw
					e := min(b, r-tx+tw)
					f.input(v[row+r:], ld, plane[tm*ty*pw+tm*tx:], pw, e-r)
					if winoRoundV {
						for xi := 0; xi < a2; xi++ {
							for i, val := range v[xi*ld+row+r : xi*ld+row+e] {
								v[xi*ld+row+r+i] = kernels.BF16Value(val)
							}
						}
					}
					r = e
				}
			}
		}
	}
	// transformBF16 writes channels [c0, c1) (c0 even) of chunk ci's V
	// as bfloat16 pairs into vb (α² matrices of stride vbs, pair rows of
	// k), through scratch.
	transformBF16 := func(vb []float32, ci, c0, c1 int, scratch, patch []float32) {
		_, _, k := chunk(ci)
		for g0 := c0; g0 < c1; g0 += winoGroup {
			g1 := min(g0+winoGroup, c1)
			transform(scratch, ss, ci, g0, g1, g0, patch)
			for xi := 0; xi < a2; xi++ {
				kernels.PackBF16(vb[xi*vbs+g0/2*k:], k, scratch[xi*ss:], k, g1-g0, k)
			}
		}
	}
	// A thread's buffer: M (α² matrices of stride ms), then V (when not
	// shared: float32, or BF16 pairs), the BF16 scratch, the patch.
	mSize := a2 * (ntS*ocb + winoSkew)
	if shared {
		const chans = 16 // channels per transform item (winoGroup)
		parts := (ic + chans - 1) / chans
		ws.parallel(chunks*parts, func(worker, it int) {
			ci, p := it/parts, it%parts
			buf := ws.cols[worker]
			patch := buf[len(buf)-patchSize:]
			if bf16 {
				transformBF16(vall[ci*a2*vbs:(ci+1)*a2*vbs], ci, p*chans, min(ic, (p+1)*chans), buf[mSize:mSize+a2*ss], patch)
				return
			}
			transform(vall[ci*a2*vs:(ci+1)*a2*vs], vs, ci, p*chans, min(ic, (p+1)*chans), 0, patch)
		})
	}
	ws.parallel(chunks*ob, func(worker, it int) {
		ci := it / ob
		o0, o1, _ := winoPart(m, ob, it%ob, partBlock)
		t0, t1, k := chunk(ci)
		mb := o1 - o0
		buf := ws.cols[worker]
		patch := buf[len(buf)-patchSize:]
		ms := mb*k + winoSkew // stride of the α² matrices of M
		mm := buf[:a2*ms]
		var v []float32 // V: float32 (stride vs) or BF16 pairs (stride vbs)
		switch {
		case shared && bf16:
			v = vall[ci*a2*vbs : (ci+1)*a2*vbs]
		case shared:
			v = vall[ci*a2*vs : (ci+1)*a2*vs]
		case bf16:
			v = buf[mSize : mSize+a2*vbs]
			transformBF16(v, ci, 0, ic, buf[mSize+a2*vbs:mSize+a2*(vbs+ss)], patch)
		default:
			v = buf[mSize : mSize+a2*vs]
			transform(v, vs, ci, 0, ic, 0, patch)
		}
		if bf16 {
			nw := columns(t1 - t0)
			for xi := 0; xi < a2; xi++ {
				kernels.SgemmSerialBF16(mb, nw, kp, ub[(xi*m+o0)*ldub:], ldub, v[xi*vbs:], k, 0, mm[xi*ms:], k)
			}
		} else {
			// The GEMMs compute the chunk's tiles and no more when the
			// kernel's right edge allows (ResNet-50 at batch 1, each
			// convolution timed inside passes alternating with k columns:
			// its 14×14 F(2×2) layers, 49 tiles, 0.61 → 0.58 ms, the
			// 28×28 F(4×4) ones 0.52 → 0.50, the stride-1 3×3 layers
			// −2.9 %).
			lda := gemmLDA(ic)
			nw := columns(t1 - t0)
			if tr {
				// Mᵀ = Vᵀ·Uᵀ a panel of output channels at a time, the
				// chunk's tiles as rows, then M stored from it.
				tiles, ust := t1-t0, (m+tPanel-1)/tPanel*ic*tPanel // ust: stride of the α² matrices of Uᵀ
				mt := buf[len(buf)-patchSize-tSize:][:tiles*mb]
				for xi := 0; xi < a2; xi++ {
					productPanelsT(tiles, o0, o1, ic, v[xi*vs:], k, ut[xi*ust:], 0, mt)
					kernels.TransposeBiasAct(mm[xi*ms:], k, mt, mb, nil, 0, zeroBias[:mb], tiles, mb, false)
				}
			} else {
				for xi := 0; xi < a2; xi++ {
					c.gemm(u[xi*m*lda:], lda, o0, o1, nw, ic, v[xi*vs:], k, 0, mm[xi*ms:], k)
				}
			}
		}
		dst, dbase := out, 0 // where channel oc of image img starts: dbase + (img·m + oc)·plane
		var st []float32
		if ntSize > 0 && len(res) > 0 && &res[0] == &out[0] {
			st = buf[len(buf)-patchSize-tSize-ntSize:][:mb*plane]
			dst, dbase = st, -(t0/tiles*m+o0)*plane
		}
		segments(t0, t1, func(t, e, img, ty, tx int) {
			rows, cols := min(tm, oh-tm*ty), min(ow-tm*tx, tm*(e-t))
			base := img*m*plane + tm*ty*ow + tm*tx
			for oc := o0; oc < o1; oc++ {
				at := base + oc*plane
				var rr []float32
				if res != nil {
					rr = res[at:]
				}
				f.output(dst[dbase+at:], ow, mm[(oc-o0)*k+t-t0:], ms, e-t, rows, cols, bias[oc], rr, relu)
			}
		})
		if st != nil {
			flushNT(out[-dbase:], st)
		}
	})
}
