package kernels

import (
	"fmt"
	"sync"
)

// ConvGemm computes the m×n matrix C = A·B, or C += A·B when acc, where A
// is m×k (row stride lda) and row p of B is the n values at b[offs[p]:]:
// an implicit GEMM. With b a zero-padded input plane set and offs[p] the
// offset of input channel c and tap (ki, kj) of row p, B is the im2col
// matrix of a convolution without being built (the engine's direct
// convolutions: the 7×7 stem, ResNeXt's grouped 3×3 layers):
//
//	c[i*ldc+j] (+)= Σ_p a[i*lda+p] · b[offs[p]+j]
//
// With AVX-512 or AVX2 the micro-kernels read B through offs in place;
// elsewhere B is gathered in blocks into a buffer for the GEMM
// micro-kernel.
func ConvGemm(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: ConvGemm with negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("C", c, m, n, ldc)
	if k == 0 {
		if !acc {
			scaleC(m, n, 0, c, ldc)
		}
		return
	}
	checkMatrix("A", a, m, k, lda)
	if len(offs) < k {
		panic(fmt.Sprintf("kernels: ConvGemm: %d offsets for k=%d", len(offs), k))
	}
	for _, o := range offs[:k] {
		if o < 0 || int(o)+n > len(b) {
			panic(fmt.Sprintf("kernels: ConvGemm: row of B at %d with %d columns outside %d values", o, n, len(b)))
		}
	}
	convGemm(m, n, k, a, lda, b, offs, c, ldc, acc)
}

// convGemm is ConvGemm's implementation for this CPU (set at init).
var convGemm = convGemmPacked

// convPackCols and convPackDepth bound the block of B that convGemmPacked
// gathers: 256×256 floats, 256 KiB, stays in L2.
const convPackCols, convPackDepth = 256, 256

var convPackPool = sync.Pool{New: func() any { return new([]float32) }}

// convGemmPacked gathers B a block at a time and runs the blocked SGEMM
// (with the best micro-kernel this CPU has) on it.
func convGemmPacked(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	bp := convPackPool.Get().(*[]float32)
	defer convPackPool.Put(bp)
	*bp = grow(*bp, convPackCols*convPackDepth)
	buf := *bp
	for j0 := 0; j0 < n; j0 += convPackCols {
		nc := min(convPackCols, n-j0)
		for p0 := 0; p0 < k; p0 += convPackDepth {
			kc := min(convPackDepth, k-p0)
			for p, o := range offs[p0 : p0+kc] {
				copy(buf[p*nc:(p+1)*nc], b[int(o)+j0:])
			}
			var beta float32
			if acc || p0 > 0 {
				beta = 1
			}
			sgemmBlock(gemmKernel, false, false, 0, m, 0, nc, kc, 1, a[p0:], lda, buf, nc, beta, c[j0:], ldc)
		}
	}
}

// convTileGeneric is the portable twin of the convTile assembly kernels:
// rows×cols of C = A·B (+ C when acc), B's row p at b[offs[p]:].
func convTileGeneric(rows, cols, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	for i := 0; i < rows; i++ {
		arow := a[i*lda : i*lda+k]
		crow := c[i*ldc : i*ldc+cols]
		if !acc {
			clear(crow)
		}
		for p, w := range arow {
			brow := b[offs[p] : int(offs[p])+cols]
			for j, v := range brow {
				crow[j] += w * v
			}
		}
	}
}

// ConvGemmT computes the implicit GEMM of ConvGemm transposed, on a block
// of oh rows of ow grid positions: positions as rows of C, the m output
// channels as its columns, with A the weights transposed (k × m, row
// stride lda):
//
//	c[(y·ow+x)·ldc + j] = Σ_p b[y·ldb + offs[p] + x] · a[p·lda + j]
//
// for y < oh, x < ow, j < m. Unlike ConvGemm's grid, only the ow
// positions of each row are computed, not the padded row's columns past
// them: ResNeXt's grouped layers at 7×7 computed 63 columns for 49
// outputs. With AVX-512 (ConvGemmTNative) a row's positions are one tile
// (up to 14, else several), broadcast from B against 16 or 32 channels
// of A; elsewhere a portable loop.
func ConvGemmT(m, oh, ow, k int, a []float32, lda int, b []float32, ldb int, offs []int32, c []float32, ldc int) {
	if m < 0 || oh < 0 || ow < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: ConvGemmT with negative size m=%d oh=%d ow=%d k=%d", m, oh, ow, k))
	}
	if m == 0 || oh == 0 || ow == 0 {
		return
	}
	checkMatrix("C", c, oh*ow, m, ldc)
	if k == 0 {
		scaleC(oh*ow, m, 0, c, ldc)
		return
	}
	checkMatrix("A", a, k, m, lda)
	if len(offs) < k || ldb < 0 {
		panic(fmt.Sprintf("kernels: ConvGemmT: %d offsets for k=%d, ldb %d", len(offs), k, ldb))
	}
	for _, o := range offs[:k] {
		if o < 0 || (oh-1)*ldb+int(o)+ow > len(b) {
			panic(fmt.Sprintf("kernels: ConvGemmT: %d rows of %d positions %d apart from %d outside %d values", oh, ow, ldb, o, len(b)))
		}
	}
	convGemmT(m, oh, ow, k, a, lda, b, ldb, offs, c, ldc)
}

// ConvGemmTNative reports whether ConvGemmT runs in assembly here.
func ConvGemmTNative() bool { return convTNative }

// convGemmT is ConvGemmT's implementation for this CPU (set at init).
var (
	convGemmT   = convGemmTGeneric
	convTNative bool
)

// convGemmTGeneric is ConvGemmT's portable twin: each sum in the order of
// p, as the tiles make it.
func convGemmTGeneric(m, oh, ow, k int, a []float32, lda int, b []float32, ldb int, offs []int32, c []float32, ldc int) {
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			crow := c[(y*ow+x)*ldc : (y*ow+x)*ldc+m]
			clear(crow)
			for p, o := range offs[:k] {
				v := b[y*ldb+int(o)+x]
				for j, w := range a[p*lda : p*lda+m] {
					crow[j] += v * w
				}
			}
		}
	}
}
