package engine

import "github.com/resnetgo/resnet/internal/kernels"

// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray 2015):
// each 2×2 output tile is Aᵀ[Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input
// patch d. The sum over channels is 16 GEMMs, one per position ξ of the
// 4×4 tile, of depth InC: 16 multiply-adds per tile and channel pair
// instead of 36. The transforms (kernels.WinoInput, WinoOutput) are
// vectorised across 16 tiles of a tile row; their coefficients are 0, ±1
// (and ±½ in G, applied to the weights in float64 at Compile), so the
// results stay within SPEC §6 of the direct convolution (TestWinograd).

// minWinogradC is the fewest input and output channels for which the
// transforms cost less than the multiply-adds they save.
const minWinogradC = 64

// minWinogradTiles is the fewest 2×2 tiles in a batch worth it: the GEMMs
// are 32 tiles wide, and with fewer columns the 16/9 larger weights are
// read for too little work (ResNet-50's 7×7 layers at batch 1, 16 tiles:
// 0.7× the speed of the direct convolution; 14×14, 49 tiles: 1.7×). Tests lower it.
var minWinogradTiles = 48

// winogradWeights returns U = G g Gᵀ for every (o, c), laid out as 16
// matrices (OutC, InC) with rows gemmLDA(InC) apart, from weights (OutC,
// InC, 3, 3).
func winogradWeights(w []float32, oc, ic int) []float32 {
	lda := gemmLDA(ic)
	u := make([]float32, 16*oc*lda)
	n := oc * ic
	for j := 0; j < n; j++ {
		var g [3][3]float64
		for t := 0; t < 9; t++ {
			g[t/3][t%3] = float64(w[j*9+t])
		}
		// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]; rows first (Gg), then columns.
		var gg [4][3]float64
		for k := 0; k < 3; k++ {
			gg[0][k] = g[0][k]
			gg[1][k] = (g[0][k] + g[1][k] + g[2][k]) / 2
			gg[2][k] = (g[0][k] - g[1][k] + g[2][k]) / 2
			gg[3][k] = g[2][k]
		}
		for r := 0; r < 4; r++ {
			row := [4]float64{
				gg[r][0],
				(gg[r][0] + gg[r][1] + gg[r][2]) / 2,
				(gg[r][0] - gg[r][1] + gg[r][2]) / 2,
				gg[r][2],
			}
			for q := 0; q < 4; q++ {
				u[(r*4+q)*oc*lda+j/ic*lda+j%ic] = float32(row[q])
			}
		}
	}
	return u
}

// winogradTiling splits a layer's tiles (all images' together) into work
// items of nt tiles (a multiple of 32, the GEMM kernel's width, up to
// 128; the transformed chunk, 16·nt·(InC+ocb) values, near L2's size) by
// ocb output channels, halving ocb (each part transforms the input
// again) while there are too few items for the threads.
func winogradTiling(ic, oc, tiles, threads int) (nt, ocb int) {
	nt = max(64, min(128, (256<<10)/(16*(ic+oc))/32*32))
	nt = min(nt, (tiles+31)/32*32)
	items := (tiles + nt - 1) / nt
	ocb = oc
	for items*((oc+ocb-1)/ocb) < chunksPerThread*threads && ocb >= 96 {
		ocb = (ocb/2 + 11) / 12 * 12
	}
	return nt, ocb
}

// winoSkew is added to the stride of the 16 transformed matrices so that
// the 16 values of one tile, written or read together, fall in different
// cache sets (the strides are otherwise often multiples of 4 KiB).
const winoSkew = 16

// winograd runs c on the padded input pad (one phase, channel stride cs,
// rows of wq) of ws.n images into out, with the epilogue. A work item is
// (chunk of nt tiles of all images in row-major order, output channels):
// the 16 transformed weight matrices times the chunk's transformed input
// tiles (V, 16 matrices InC × nt; M = U·V, columns past the chunk's last
// tile hold junk and are not used), transformed back into out with bias,
// residual and ReLU. When the output channels are split (too few chunks
// for the threads), every chunk's V is transformed once, by all threads,
// into bufWino before the items run; otherwise each item transforms its
// own chunk into the thread's buffer, where the GEMMs find it in cache.
func (ws *workspace) winograd(c *conv, pad []float32, wq, cs, oh, ow int, out, res, bias []float32, relu bool) {
	n, m, ic := ws.n, c.outC, c.inC
	th, tw := (oh+1)/2, (ow+1)/2
	tiles := th * tw // per image
	nt, ocb := winogradTiling(ic, m, n*tiles, ws.key.threads)
	chunks, ob := (n*tiles+nt-1)/nt, (m+ocb-1)/ocb
	vs := ic*nt + winoSkew // stride of the 16 matrices of one chunk's V
	shared := ob > 1
	var vall []float32
	if shared {
		vall = ws.buf(bufWino, chunks*16*vs)
	}
	if ws.sizing {
		if shared {
			ws.colSize = max(ws.colSize, 16*(nt*ocb+winoSkew))
		} else {
			ws.colSize = max(ws.colSize, 16*(nt*(ic+ocb)+2*winoSkew))
		}
		return
	}
	plane := oh * ow
	// chunk returns the tiles [t0, t1) of chunk ci and the GEMMs' width.
	chunk := func(ci int) (t0, t1, k int) {
		t0 = ci * nt
		t1 = min(t0+nt, n*tiles)
		return t0, t1, min(nt, (t1-t0+31)/32*32)
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
	// transform writes channels [c0, c1) of chunk ci's V into v (16
	// matrices of stride vs, rows of k).
	transform := func(v []float32, ci, c0, c1 int) {
		t0, t1, k := chunk(ci)
		segments(t0, t1, func(t, e, img, ty, tx int) {
			src := pad[img*ic*cs+2*ty*wq+2*tx:]
			for ch := c0; ch < c1; ch++ {
				kernels.WinoInput(v[ch*k+t-t0:], vs, src[ch*cs:], wq, e-t)
			}
		})
	}
	if shared {
		const chans = 16 // channels per transform item
		parts := (ic + chans - 1) / chans
		ws.parallel(chunks*parts, func(_, it int) {
			ci, p := it/parts, it%parts
			transform(vall[ci*16*vs:(ci+1)*16*vs], ci, p*chans, min(ic, (p+1)*chans))
		})
	}
	ws.parallel(chunks*ob, func(worker, it int) {
		ci, o0 := it/ob, it%ob*ocb
		o1 := min(o0+ocb, m)
		t0, t1, k := chunk(ci)
		mb := o1 - o0
		buf := ws.cols[worker]
		ms := mb*k + winoSkew // stride of the 16 matrices of M
		var v, mm []float32
		if shared {
			v, mm = vall[ci*16*vs:(ci+1)*16*vs], buf[:16*ms]
		} else {
			v, mm = buf[:16*vs], buf[16*vs:16*(vs+ms)]
			transform(v, ci, 0, ic)
		}
		lda := gemmLDA(ic)
		for xi := 0; xi < 16; xi++ {
			c.gemm(c.wino[xi*m*lda:], lda, o0, o1, k, ic, v[xi*vs:], k, 0, mm[xi*ms:], k)
		}
		segments(t0, t1, func(t, e, img, ty, tx int) {
			rows, cols := min(2, oh-2*ty), min(ow-2*tx, 2*(e-t))
			base := img*m*plane + 2*ty*ow + 2*tx
			for oc := o0; oc < o1; oc++ {
				at := base + oc*plane
				var rr []float32
				if res != nil {
					rr = res[at:]
				}
				kernels.WinoOutput(out[at:], ow, mm[(oc-o0)*k+t-t0:], ms, e-t, rows, cols, bias[oc], rr, relu)
			}
		})
	})
}
