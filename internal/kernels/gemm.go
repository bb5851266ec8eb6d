package kernels

import (
	"fmt"
	"sync"
)

// How Sgemm works. One Go driver (sgemmBlock) runs the Goto/BLIS loop nest
// for every ISA: for each kc-deep slice of K, sweep an mr×nr micro-kernel
// (microKernel.tile) over C. The micro-kernels are the portable 2×4 in
// gemm_generic.go and the avo-generated AVX-512 12×32 and AVX2 6×16 in
// gemm_amd64.s (one per tile height, so bottom edges need no scratch).
// The assembly reads A and B in place through row/column strides, since
// copying them on each call cost more than it saved for ResNet's shapes;
// only Bᵀ, the right edge of B and B at 4 KiB strides are packed. A·Bᵀ
// runs as dot products for m ≤ 4 and as Cᵀ = B·op(A)ᵀ otherwise when that
// packs less. cpu.go picks the kernel once (RESNET_NOASM=1: portable).

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(A) is m×k (A is k×m if transA), op(B) is k×n (B is n×k if
// transB) and C is m×n. lda, ldb and ldc are the row strides. When beta
// is 0, C is overwritten without being read (NaNs in C do not propagate).
// As in BLAS, when alpha is 0 or k is 0, A and B are not read and C is
// only scaled by beta. Sgemm splits large products across Threads()
// goroutines and may be called from several goroutines at once.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(gemmKernel, Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// microKernel is one register-blocked inner kernel and the cache blocking
// that suits it. The blocked driver (sgemm) is shared by every ISA.
type microKernel struct {
	name   string
	mr, nr int // register tile: mr rows of C by nr columns
	kc     int // depth of a slice of K: a kc×nr panel of B stays in L1/L2
	mc     int // rows of A swept per panel of B (mc×kc stays in L2), multiple of mr
	nc     int // columns of B per block, multiple of nr
	// strided kernels read A in place (with the row and column strides
	// rsa, csa), and full panels of B when that is cheaper than packing
	// them; the others get packed, zero-padded panels.
	strided bool
	// tile computes the rows×nr tile C = alpha·A·B + beta·C (rows ≤ mr),
	// where A[i, p] = a[i*rsa+p*csa] (a packed panel has rsa=1, csa=mr)
	// and B[p, j] = b[p*rsb+j] (a packed panel has rsb=nr). When beta
	// is 0, C is not read.
	tile func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32)
	// dot returns the dot product of x[:n] and y[:n] (n ≥ 1).
	dot func(n int, x, y []float32) float32
	// tileEp, when set, is tile followed by the epilogue ep on the
	// registers, before C is stored; without it sgemmBlock runs the
	// epilogue on the stored tile.
	tileEp func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue)
	// tilePF, when set, is tileEp (tile when ep is nil; never with a
	// residual) that also prefetches from pf on, one 64-byte line a step
	// of k into L2: a hint, which may run past pf's end.
	tilePF func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue, pf []float32)
	// half, when set, is tile for the first nr/2 columns only: the right
	// edge when no more are left (half the multiply-adds of a full tile).
	half func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32)
	// tileNB, when set, is tileEp (tile when ep is nil) that also
	// prefetches the next panel of B in place to its right, nr floats on
	// from each row it reads: hints, which may run past b's end.
	tileNB func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue)
	// dotRows, when set, writes c[i*ldc] = Σ_p a[i*lda+p]·b[p] for
	// i < rows ≤ mr and p < k: one column of C from A in place and that
	// column of B gathered, for a right edge of at most dotCols columns,
	// where a tile would compute 16 or 32.
	dotRows func(k, rows int, a []float32, lda int, b, c []float32, ldc int)
	// tileRun, when set, is tileEp (tile when ep is nil) for count ≥ 1
	// tiles of rows each, one below the other (A, C, the bias and the
	// residual rows·stride further on), on the same panel of B: one call
	// instead of count.
	tileRun func(k, rows, count int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue)
}

// dotCols is the widest right edge of C computed a column at a time with
// microKernel.dotRows: each column reads A's rows again.
const dotCols = 4

// edgeSplit splits a right edge of B in place, edge columns (fewer than
// nr), into the columns the half-width tile computes (nr/2 when the edge
// is that wide and the kernel has one) and those computed a column at a
// time after them (at most dotCols, with dotRows, when dots: A read in
// place, not transposed); ok is false when the edge must be packed
// instead.
func (kern *microKernel) edgeSplit(edge int, dots bool) (halfW, dotW int, ok bool) {
	if kern.half != nil && edge >= kern.nr/2 {
		halfW = kern.nr / 2
	}
	dotW = edge - halfW
	if dotW > 0 && (!dots || kern.dotRows == nil || dotW > dotCols) {
		return 0, 0, false
	}
	return halfW, dotW, true
}

// apply runs the epilogue on the stored rows×cols tile c (row stride ldc).
func (ep *tileEpilogue) apply(c []float32, ldc, rows, cols int) {
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+cols]
		var r []float32
		if ep.res != nil {
			r = ep.res[i*ep.ldr : i*ep.ldr+cols]
		}
		BiasAct(row, row, r, ep.bias[i], ep.relu)
	}
}

// tileEpilogue is the epilogue of one tile of C: C[i, j] += bias[i], then
// += res[i*ldr+j] when res is not nil, then max(·, 0) when relu (NaN
// stays NaN), in that order (as kernels.BiasAct).
type tileEpilogue struct {
	bias []float32
	res  []float32
	ldr  int
	relu bool
}

// gemmKernel is the micro-kernel Sgemm uses; cpu*.go picks it at init.
var gemmKernel = &genericKernel

// gemmBufs are one goroutine's packing buffers.
type gemmBufs struct {
	a, b []float32
	tmp  []float32    // an mr×nr tile for the edges of C
	ep   tileEpilogue // the current tile's epilogue (here, so as not to allocate one per tile)
}

var gemmPool = sync.Pool{New: func() any { return new(gemmBufs) }}

func grow(s []float32, n int) []float32 {
	if cap(s) < n {
		return make([]float32, n)
	}
	return s[:n]
}

// minParallelFlops is the work (2·m·n·k) below which Sgemm stays on the
// calling goroutine: starting goroutines costs microseconds.
const minParallelFlops = 1 << 20

// sgemm is Sgemm with a given micro-kernel on at most threads goroutines
// (1: the calling goroutine only, for callers that split the work
// themselves). The result does not depend on threads: the split is over
// tiles of C, never over K.
func sgemm(kern *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm with negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("C", c, m, n, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	if transA {
		checkMatrix("A", a, k, m, lda)
	} else {
		checkMatrix("A", a, m, k, lda)
	}
	if transB {
		checkMatrix("B", b, n, k, ldb)
	} else {
		checkMatrix("B", b, k, n, ldb)
	}

	if !transA && transB && m <= dotMaxM {
		sgemmDot(kern, threads, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	if transB && (transA || m < n) {
		// Packing op(B) = Bᵀ is a transpose of n·k values. Compute
		// T = Cᵀ = B·op(A)ᵀ instead: B is read in place and op(A)ᵀ packed
		// (a copy if transA, a transpose of the smaller m·k otherwise),
		// then merge Tᵀ into C.
		tp := tPool.Get().(*[]float32)
		*tp = grow(*tp, n*m)
		t := *tp
		sgemmParallel(kern, threads, false, !transA, n, m, k, 1, b, ldb, a, lda, 0, t, m)
		const blk = 16 // rows of C merged together: t is read 16 values at a time
		grain := (m + blk - 1) / blk
		if m*n >= 1<<16 {
			grain = 1
		}
		parallelFor(threads, (m+blk-1)/blk, grain, func(lo, hi int) {
			for i0 := lo * blk; i0 < min(hi*blk, m); i0 += blk {
				i1 := min(i0+blk, m)
				for j := 0; j < n; j++ {
					for i, v := range t[j*m+i0 : j*m+i1] {
						ci := &c[(i0+i)*ldc+j]
						if beta == 0 {
							*ci = alpha * v
						} else {
							*ci = alpha*v + beta**ci
						}
					}
				}
			}
		})
		tPool.Put(tp)
		return
	}
	sgemmParallel(kern, threads, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

var tPool = sync.Pool{New: func() any { return new([]float32) }}

// sgemmParallel runs the blocked algorithm on arguments already checked,
// split across goroutines when the product is large enough.
func sgemmParallel(kern *microKernel, threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if threads <= 1 || 2*float64(m)*float64(n)*float64(k) < minParallelFlops {
		sgemmBlock(kern, transA, transB, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		return
	}
	// Split whichever dimension has more register tiles; each goroutine
	// runs the whole blocked algorithm on its slice of C with its own
	// packing buffers (whatever of the other operand is packed, each
	// goroutine packs: a cost of 1/m or 1/n of the multiply-adds).
	tilesM := (m + kern.mr - 1) / kern.mr
	tilesN := (n + kern.nr - 1) / kern.nr
	if tilesN >= tilesM {
		parallelFor(threads, tilesN, 1, func(lo, hi int) {
			sgemmBlock(kern, transA, transB, 0, m, lo*kern.nr, min(hi*kern.nr, n), k, alpha, a, lda, b, ldb, beta, c, ldc)
		})
	} else {
		parallelFor(threads, tilesM, 1, func(lo, hi int) {
			sgemmBlock(kern, transA, transB, lo*kern.mr, min(hi*kern.mr, m), 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
		})
	}
}

// dotMaxM is the most rows of A·Bᵀ computed as dot products of rows
// (a linear layer on a small batch): packing Bᵀ would cost more than the
// multiply-adds it feeds.
const dotMaxM = 4

// sgemmDot computes C = alpha·A·Bᵀ + beta·C one dot product of a row of A
// and a row of B at a time, splitting the rows of B across goroutines.
func sgemmDot(kern *microKernel, threads, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	grain := n
	if 2*float64(m)*float64(n)*float64(k) >= minParallelFlops {
		grain = max(1, minParallelFlops/(2*m*k))
	}
	parallelFor(threads, n, grain, func(lo, hi int) {
		for i := 0; i < m; i++ {
			arow := a[i*lda : i*lda+k]
			crow := c[i*ldc : i*ldc+n]
			for j := lo; j < hi; j++ {
				s := alpha * kern.dot(k, arow, b[j*ldb:j*ldb+k])
				if beta != 0 {
					s += beta * crow[j]
				}
				crow[j] = s
			}
		}
	})
}

func checkMatrix(name string, s []float32, rows, cols, ld int) {
	if ld < max(cols, 1) {
		panic(fmt.Sprintf("kernels: Sgemm: ld%s=%d < %d columns", name, ld, cols))
	}
	if rows > 0 && cols > 0 && len(s) < (rows-1)*ld+cols {
		panic(fmt.Sprintf("kernels: Sgemm: %s has %d elements, needs %d for %d×%d with stride %d", name, len(s), (rows-1)*ld+cols, rows, cols, ld))
	}
}

// scaleC sets C = beta·C, writing zeros without reading C when beta is 0.
func scaleC(m, n int, beta float32, c []float32, ldc int) {
	if beta == 1 {
		return
	}
	for i := 0; i < m; i++ {
		row := c[i*ldc : i*ldc+n]
		if beta == 0 {
			clear(row)
			continue
		}
		for j := range row {
			row[j] *= beta
		}
	}
}

// sgemmBlock computes rows [m0, m1) and columns [n0, n1) of C with the
// Goto/BLIS loop nest: for each kc×nc block of op(B), as nr-wide panels,
// and each mc×kc block of op(A), as mr-high panels, sweep the micro-kernel
// over the block's tiles. Panels are packed into contiguous, zero-padded
// buffers, or read in place by the strided (assembly) kernels.
func sgemmBlock(kern *microKernel, transA, transB bool, m0, m1, n0, n1, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmBlockEp(kern, transA, transB, m0, m1, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// sgemmBlockEp is sgemmBlock with the epilogue ep (nil: none) run on each
// tile of C with the last slice of K.
func sgemmBlockEp(kern *microKernel, transA, transB bool, m0, m1, n0, n1, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	// A residual that is C itself (Epilogue) must be read before the
	// product is stored over it: K in one slice (serialGemm checks), and
	// tiles without an epilogue in registers computed aside, as the right
	// edge's.
	alias := ep != nil && ep.aliases(c, ldc)
	mr, nr := kern.mr, kern.nr
	// Strided kernels read A, and B unless transposed, in place: copying
	// them on every call costs more than the packed panels' locality
	// gains, except for B with a stride of a multiple of 4 KiB, whose kc
	// rows would all fall in one L1 set. (A so strided is still cheaper
	// in place: only mr of its rows are live at a time.)
	inPlaceA := kern.strided
	inPlaceB := kern.strided && !transB && ldb%1024 != 0

	bufs := gemmPool.Get().(*gemmBufs)
	defer gemmPool.Put(bufs)
	kcMax := min(kern.kc, k)
	ncMax := min(kern.nc, roundUp(n1-n0, nr))
	if inPlaceB {
		ncMax = nr // only the partial panel at the right edge is packed
	}
	if !inPlaceA {
		bufs.a = grow(bufs.a, min(kern.mc, roundUp(m1-m0, mr))*kcMax)
	}
	bufs.b = grow(bufs.b, kcMax*ncMax)
	bufs.tmp = grow(bufs.tmp, mr*nr)
	pa, pb, tmp := bufs.a, bufs.b, bufs.tmp
	// A transposed product on a narrow B whose rows are contiguous (ldb =
	// n ≤ 64, read in place: the engine's small maps, Cᵀ = Xᵀ·Wᵀ on a
	// panel of the transposed weights) streams each slice of B from
	// memory in its first row of tiles, while the slice's later tiles
	// find it in cache: the second and later tiles of its first column
	// panel prefetch the next slice (tilePF, kc lines each), the next kc
	// rows of the panel or the next panel's first.
	pfNext := kern.tilePF != nil && transA && !transB && inPlaceB && ldb == n1-n0 && n0 == 0 && ldb%nr == 0 && ldb <= 64
	// A product with A in place and K in one slice (Winograd's, the 1×1
	// layers of few input channels) streams each tile's rows of A from
	// memory in its first panel of columns; those tiles prefetch the next
	// tile's rows (the rows are contiguous, lda ≈ k apart). A residual
	// epilogue takes the stream's register: such tiles do not.
	pfA := kern.tilePF != nil && !transA && inPlaceA && k <= kern.kc && n1-n0 > nr && kern.tileEp != nil

	for jc := n0; jc < n1; jc += kern.nc {
		nc := min(kern.nc, n1-jc)
		for pc := 0; pc < k; pc += kern.kc {
			kc := min(kern.kc, k-pc)
			// Later slices of K accumulate onto the first one's result.
			bet := beta
			if pc > 0 {
				bet = 1
			}
			fullB := 0 // columns of this block whose panels are read in place
			if inPlaceB {
				fullB = nc / nr * nr
			}
			// A right edge of B in place of nr/2 columns is read in place too,
			// by the half-width kernel, which stores into C itself (through
			// tmp when C is the residual) instead of packing the edge for
			// each slice and merging its tile: 64×16 products with K = 64
			// (the last chunk of a 56×56 F(4×4) layer) 2.3 → 1.4 µs,
			// 256×48 with K = 256 35.4 → 31.6, 128×368 with K = 512 (a
			// 28×28 1×1 layer's tile at batch 1) 227 → 222. The last few
			// columns past that (at most dotCols; all of them when fewer
			// than nr/2) are gathered and computed a column at a time
			// (dotRows) where a tile would compute 16 or 32: Winograd's 49
			// tiles of a 14×14 or 28×28 map at batch 1 as 32 + 16 + 1
			// columns instead of 64.
			var halfW, dotW int
			inPlaceEdge := false
			if edge := nc - fullB; inPlaceB && edge > 0 {
				halfW, dotW, inPlaceEdge = kern.edgeSplit(edge, inPlaceA && !transA)
			}
			if fullB < nc && !inPlaceEdge {
				packB(transB, b, ldb, pc, kc, jc+fullB, nc-fullB, nr, pb)
			}
			if dotW > 0 {
				// The narrow columns, each gathered into a row of pb.
				for j := 0; j < dotW; j++ {
					col := pb[j*kc : (j+1)*kc]
					for p := range col {
						col[p] = b[(pc+p)*ldb+jc+fullB+halfW+j]
					}
				}
			}
			for ic := m0; ic < m1; ic += kern.mc {
				mc := min(kern.mc, m1-ic)
				if !inPlaceA {
					packA(transA, a, lda, ic, mc, pc, kc, mr, pa)
				}
				tiles := (mc + mr - 1) / mr
				for jr := 0; jr < nc; jr += nr {
					var bp []float32
					rsb := nr
					if jr < fullB || inPlaceEdge {
						bp, rsb = b[pc*ldb+jc+jr:], ldb
					} else {
						bp = pb[(jr-fullB)*kc : (jr-fullB+nr)*kc]
					}
					nn := min(nr, nc-jr)
					// plain reports whether tile t (at row ir) of this
					// panel neither prefetches nor needs its epilogue in
					// Go (tileEp, or none): such tiles of one height go
					// to tileRun together. Their sums are the same.
					epLast := ep != nil && pc+kc == k // the tiles' te is set
					plain := func(t, ir int) bool {
						return !(pfA && jr == 0) && !(kern.tileNB != nil && ir == 0 && jr+nr < fullB) &&
							!(!epLast && pfNext && jr == 0 && t > 0 && t <= ldb/16) &&
							(!epLast || kern.tileEp != nil)
					}
					for t := 0; t < tiles; t++ {
						ir, mm := rowTile(t, tiles, mc, mr, inPlaceA)
						var ap []float32
						rsa, csa := 1, mr
						switch {
						case !inPlaceA:
							ap = pa[ir*kc : (ir+mr)*kc]
						case transA:
							ap, rsa, csa = a[pc*lda+ic+ir:], 1, lda
						default:
							ap, rsa, csa = a[(ic+ir)*lda+pc:], lda, 1
						}
						off := (ic+ir)*ldc + jc + jr
						var te *tileEpilogue
						if ep != nil && pc+kc == k {
							// The last slice of K: the epilogue goes with the store.
							te = &bufs.ep
							te.bias, te.res, te.ldr, te.relu = ep.Bias[ic+ir:], nil, 0, ep.ReLU
							if ep.Res != nil {
								te.res, te.ldr = ep.Res[(ic+ir)*ep.LDR+jc+jr:], ep.LDR
							}
						}
						if nn == nr && (te == nil || kern.tileEp != nil || !alias) {
							// A plain tile takes the plain tiles of its
							// height below it into the same call.
							if kern.tileRun != nil && plain(t, ir) {
								run := 1
								for t+run < tiles {
									ir2, mm2 := rowTile(t+run, tiles, mc, mr, inPlaceA)
									if mm2 != mm || !plain(t+run, ir2) {
										break
									}
									run++
								}
								if run > 1 {
									kern.tileRun(kc, mm, run, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet, te)
									t += run - 1
									continue
								}
							}
							switch {
							case pfA && jr == 0 && (te == nil || te.res == nil) && (ic+ir+mm)*lda < len(a):
								// The next tile's rows of A (and a few
								// more), while this one streams its own.
								kern.tilePF(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet, te, a[(ic+ir+mm)*lda:])
							case kern.tileNB != nil && ir == 0 && jr+nr < fullB:
								// The first tile of a panel of B in place
								// prefetches the next panel's lines.
								kern.tileNB(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet, te)
							case te == nil && pfNext && jr == 0 && t > 0 && t <= ldb/16 && (pc+kc)*ldb+(t-1)*kc*16 < len(b):
								// The second and later tiles of this slice
								// (of its first panel) each prefetch kc
								// lines of the next kc rows of B.
								kern.tilePF(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet, nil, b[(pc+kc)*ldb+(t-1)*kc*16:])
							case te == nil:
								kern.tile(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet)
							case kern.tileEp != nil:
								kern.tileEp(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet, te)
							default:
								kern.tile(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet)
								te.apply(c[off:], ldc, mm, nn)
							}
							continue
						}
						if inPlaceEdge {
							if halfW > 0 && (te == nil || !alias) {
								kern.half(kc, mm, ap, rsa, csa, bp, rsb, c[off:], ldc, alpha, bet)
								if te != nil {
									te.apply(c[off:], ldc, mm, halfW)
								}
							} else if halfW > 0 {
								kern.half(kc, mm, ap, rsa, csa, bp, rsb, tmp, halfW, 1, 0)
								mergeTile(c[off:], ldc, tmp, halfW, mm, halfW, alpha, bet, te, 0)
							}
							for j := 0; j < dotW; j++ {
								kern.dotRows(kc, mm, ap, rsa, pb[j*kc:(j+1)*kc], tmp[j:], dotW)
							}
							if dotW > 0 {
								mergeTile(c[off:], ldc, tmp, dotW, mm, dotW, alpha, bet, te, halfW)
							}
							continue
						}
						// Right edge: compute the tile into tmp (its first
						// nr/2 columns when they are enough), then merge the
						// columns that lie inside C.
						ldt := nr
						if nn <= nr/2 && kern.half != nil {
							ldt = nr / 2
							kern.half(kc, mm, ap, rsa, csa, bp, rsb, tmp, ldt, 1, 0)
						} else {
							kern.tile(kc, mm, ap, rsa, csa, bp, rsb, tmp, nr, 1, 0)
						}
						mergeTile(c[off:], ldc, tmp, ldt, mm, nn, alpha, bet, te, 0)
					}
				}
			}
		}
	}
}

// rowTile returns the first row and the height of row tile t of the
// tiles = ⌈mc/mr⌉ of a block of mc rows of C, for a kernel of mr-row
// tiles: mr rows each (the last what is left) when A is packed in mr-row
// panels; with A read in place, the block's rows shared as evenly as
// whole rows allow, since a tile of few rows loads nearly as much per
// multiply-add as a full one: 49 rows (a 7×7 map's positions, computed
// transposed) as 10+10+10+10+9 rather than 4·12+1, whose 1-row tile loads
// a broadcast and two vectors for every two multiply-adds (a 49×32
// product with K = 4608 on one thread took 69.5 µs instead of 72.2, 48
// rows 68.1). The sums are the same whatever the tile.
func rowTile(t, tiles, mc, mr int, inPlaceA bool) (ir, mm int) {
	if !inPlaceA {
		return t * mr, min(mr, mc-t*mr)
	}
	// The taller tiles first, so that tiles of one height are runs
	// (microKernel.tileRun).
	q, r := mc/tiles, mc%tiles
	if t < r {
		return t * (q + 1), q + 1
	}
	return r*(q+1) + (t-r)*q, q
}

// mergeTile writes columns [col0, col0+cols) of a tile of C (c at its
// first value, rows ldc apart) from t, their unscaled products (rows ldt
// apart): alpha·t + beta·C, then te's epilogue from its column col0. The
// residual is read before C is stored, so it may be C itself.
func mergeTile(c []float32, ldc int, t []float32, ldt, rows, cols int, alpha, beta float32, te *tileEpilogue, col0 int) {
	for i := 0; i < rows; i++ {
		crow := c[i*ldc+col0 : i*ldc+col0+cols]
		trow := t[i*ldt : i*ldt+cols]
		dst := crow // the merged row, before the epilogue
		if te != nil {
			dst = trow // C may be the residual: read it first
		}
		if beta == 0 {
			for j, v := range trow {
				dst[j] = alpha * v
			}
		} else {
			for j, v := range trow {
				dst[j] = alpha*v + beta*crow[j]
			}
		}
		if te != nil {
			var r []float32
			if te.res != nil {
				r = te.res[i*te.ldr+col0 : i*te.ldr+col0+cols]
			}
			BiasAct(crow, trow, r, te.bias[i], te.relu)
		}
	}
}

func roundUp(x, m int) int { return (x + m - 1) / m * m }

// packA copies op(A)[i0:i0+mc, p0:p0+kc] into dst as mr-high micro-panels,
// each stored column by column (kc groups of mr values), zero-padding the
// last panel's missing rows.
func packA(trans bool, a []float32, lda, i0, mc, p0, kc, mr int, dst []float32) {
	for ir := 0; ir < mc; ir += mr {
		panel := dst[ir*kc : (ir+mr)*kc]
		rows := min(mr, mc-ir)
		if trans {
			// op(A)[i, p] = a[p*lda+i]: each column of the panel is contiguous.
			for p := 0; p < kc; p++ {
				src := a[(p0+p)*lda+i0+ir:]
				d := panel[p*mr : p*mr+mr]
				copy(d[:rows], src[:rows])
				clear(d[rows:])
			}
			continue
		}
		for i := 0; i < rows; i++ {
			src := a[(i0+ir+i)*lda+p0 : (i0+ir+i)*lda+p0+kc]
			for p, v := range src {
				panel[p*mr+i] = v
			}
		}
		for i := rows; i < mr; i++ {
			for p := 0; p < kc; p++ {
				panel[p*mr+i] = 0
			}
		}
	}
}

// packB copies op(B)[p0:p0+kc, j0:j0+nc] into dst as nr-wide micro-panels,
// each stored row by row (kc groups of nr values), zero-padding the last
// panel's missing columns.
// packTranspose, when set (an AVX-512 or AVX2 CPU), stores the
// transposes of blocks w×w blocks of src side by side (columns wb…) from
// row wb of dst, w = packTransposeW: packTransposeGeneric in assembly.
var (
	packTranspose  func(dst []float32, ldd int, src []float32, lds, blocks int)
	packTransposeW int
)

// packTransposeGeneric is packTranspose's definition, for its tests:
// dst[(wb+q)·ldd + i] = src[i·lds + wb + q] for i, q < w.
func packTransposeGeneric(w int, dst []float32, ldd int, src []float32, lds, blocks int) {
	for i := 0; i < w; i++ {
		for q := 0; q < w*blocks; q++ {
			dst[q*ldd+i] = src[i*lds+q]
		}
	}
}

func packB(trans bool, b []float32, ldb, p0, kc, j0, nc, nr int, dst []float32) {
	for jr := 0; jr < nc; jr += nr {
		panel := dst[jr*kc : (jr+nr)*kc]
		cols := min(nr, nc-jr)
		if !trans {
			// op(B)[p, j] = b[p*ldb+j]: each row of the panel is contiguous.
			for p := 0; p < kc; p++ {
				src := b[(p0+p)*ldb+j0+jr:]
				d := panel[p*nr : p*nr+nr]
				copy(d[:cols], src[:cols])
				clear(d[cols:])
			}
			continue
		}
		if w := packTransposeW; packTranspose != nil && cols == nr && nr%w == 0 && kc >= w {
			// w×w blocks transposed in registers (an InPlace engine
			// plan's small maps gather their weights so), the last
			// kc mod w rows of the panel as below.
			full := kc / w
			for jb := 0; jb < nr; jb += w {
				packTranspose(panel[jb:], nr, b[(j0+jr+jb)*ldb+p0:], ldb, full)
			}
			for j := 0; j < nr; j++ {
				row := (j0+jr+j)*ldb + p0
				for p := w * full; p < kc; p++ {
					panel[p*nr+j] = b[row+p]
				}
			}
			continue
		}
		// A transpose, 16 values (a cache line) of each row of B at a time,
		// so that the reads and the writes both stay in a few cache lines.
		for p := 0; p < kc; p += 16 {
			pe := min(p+16, kc)
			for j := 0; j < cols; j++ {
				row := (j0+jr+j)*ldb + p0
				d := panel[p*nr+j:]
				for q, v := range b[row+p : row+pe] {
					d[q*nr] = v
				}
			}
		}
		for j := cols; j < nr; j++ {
			for p := 0; p < kc; p++ {
				panel[p*nr+j] = 0
			}
		}
	}
}

// PackTransposeNative reports whether the GEMMs gather a transposed B in
// assembly (SgemmSerialATBT at full speed: 16×16 or 8×8 blocks
// transposed in registers); without it they gather it value by value, at
// about the cost of the product itself.
func PackTransposeNative() bool { return packTranspose != nil }
