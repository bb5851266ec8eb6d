package kernels

import "fmt"

// SgemmSerial computes C = alpha·A·B + beta·C (no transposes, row-major,
// strides lda, ldb, ldc) like Sgemm, but always on the calling goroutine.
// It is for callers that split a layer across goroutines themselves (the
// inference engine), so that each goroutine can run an epilogue on the
// tile it just computed while the tile is still in cache. A and B are read
// in place by the strided micro-kernels, as in Sgemm.
func SgemmSerial(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	serialGemm("SgemmSerial", gemmKernel, false, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// SerialColumns returns how many columns to ask SgemmSerial (and
// SgemmSerialEpilogue) for when a product has n columns of data and room
// for up to a multiple of 16, columns past n being ignored: n when this
// CPU's micro-kernel reads its right edge in place (whole tiles, half a
// tile, and at most dotCols columns past those a column at a time), else
// n rounded up to 16, which the tiles compute whole. On AVX-512, 49
// columns (Winograd's tiles of a 14×14 or 28×28 map) cost 32 + 16 + 1
// instead of 64.
func SerialColumns(n int) int { return serialColumns(gemmKernel, n) }

// SerialColumnsBF16 is SerialColumns for SgemmSerialBF16.
func SerialColumnsBF16(n int) int { return serialColumns(bf16Kernel, n) }

func serialColumns(kern *microKernel, n int) int {
	up := (n + 15) / 16 * 16
	if !kern.strided || n%16 == 0 {
		return up
	}
	if _, _, ok := kern.edgeSplit(n%kern.nr, true); ok {
		return n
	}
	return up
}

// SgemmSerialAT is SgemmSerial with A transposed: C = alpha·Aᵀ·B +
// beta·C, where A is stored k×m (row stride lda) and read in place. The
// inference engine computes the 1×1 convolutions of small maps so, as
// Cᵀ = Xᵀ·Wᵀ: the map's few positions become rows of C, which the
// micro-kernels tile in twelves, instead of columns, which they tile in
// 16s and 32s (7×7 = 49 columns cost 64).
func SgemmSerialAT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	serialGemm("SgemmSerialAT", gemmKernel, true, false, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// SgemmSerialATBT is SgemmSerialAT with B transposed too: C = alpha·Aᵀ·Bᵀ +
// beta·C, where B is stored n×k (row stride ldb) and gathered into
// panels as the product goes (16×16 blocks transposed in registers on
// AVX-512). The inference engine computes a small map's layer so when it
// keeps no transposed copy of the weights (engine.Options.InPlace): B is
// then the weights as stored. The sums are SgemmSerialAT's on Bᵀ, in the
// same order, so the two agree bit for bit.
func SgemmSerialATBT(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	serialGemm("SgemmSerialATBT", gemmKernel, true, true, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, nil)
}

// Epilogue is what SgemmSerialEpilogue does to each value of C after the
// product, in this order, before the tile holding it leaves the
// registers: add Bias[i] to row i; add Res[i*LDR+j] when Res is not nil;
// clamp at 0 when ReLU (NaN stays NaN). The arithmetic is BiasAct's on
// the product, so the result is the same as SgemmSerial then BiasAct row
// by row, without the second pass over C.
//
// Res may be C itself (the same first value and LDR = ldc) when beta is
// 0 and ResidualOverC(k, false) (SgemmSerialEpilogueBF16: ResidualOverC(kp,
// true)): the output is then written over the residual, each value's
// read before it is stored, with the same result (the inference engine's
// identity blocks, whose last convolution so does not read the output's
// lines from memory before writing them). Res and C must not overlap
// otherwise.
type Epilogue struct {
	Bias []float32 // one value per row of C
	Res  []float32 // m×n with row stride LDR, or nil
	LDR  int
	ReLU bool
}

// SgemmSerialEpilogue is SgemmSerial (alpha 1) followed by ep, fused:
// C = epilogue(A·B + beta·C).
func SgemmSerialEpilogue(m, n, k int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	serialGemm("SgemmSerialEpilogue", gemmKernel, false, false, m, n, k, 1, a, lda, b, ldb, beta, c, ldc, &ep)
}

// ResidualOverC reports whether SgemmSerialEpilogue (SgemmSerialEpilogueBF16
// when bf16, k counting pairs) may take its residual in C itself: when
// its micro-kernel sums K in one slice, k at least 1 and at most 384 in
// assembly (values, or pairs with AVX512-BF16; 256 on the portable
// kernels), so that the product is stored only once, with the epilogue.
func ResidualOverC(k int, bf16 bool) bool {
	kern := gemmKernel
	if bf16 {
		kern = bf16Kernel
	}
	return kern.oneSlice(k)
}

// oneSlice reports whether the blocked GEMM sums k ≥ 1 values of K in
// one slice with kern.
func (kern *microKernel) oneSlice(k int) bool { return k >= 1 && k <= kern.kc }

// aliases reports whether ep's residual is C itself: the same first value
// and row stride.
func (ep *Epilogue) aliases(c []float32, ldc int) bool {
	return len(ep.Res) > 0 && len(c) > 0 && &ep.Res[0] == &c[0] && ep.LDR == ldc
}

// serialGemm checks the arguments of the Sgemm*Serial* functions (A is
// k×m when transA, B n×k when transB) and runs the blocked algorithm with
// kern on the calling goroutine, with the epilogue ep when it is not nil.
func serialGemm(name string, kern *microKernel, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep *Epilogue) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: %s with negative size m=%d n=%d k=%d", name, m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("C", c, m, n, ldc)
	if ep != nil {
		if len(ep.Bias) < m {
			panic(fmt.Sprintf("kernels: %s: %d bias values for %d rows", name, len(ep.Bias), m))
		}
		if ep.Res != nil {
			checkMatrix("Res", ep.Res, m, n, ep.LDR)
			if ep.aliases(c, ldc) && (beta != 0 || !kern.oneSlice(k) || alpha == 0) {
				panic(fmt.Sprintf("kernels: %s: the residual is C, with beta %g, k=%d, alpha %g (want 0, 1 to %d, not 0)", name, beta, k, alpha, kern.kc))
			}
		}
	}
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		if ep != nil {
			(&tileEpilogue{bias: ep.Bias, res: ep.Res, ldr: ep.LDR, relu: ep.ReLU}).apply(c, ldc, m, n)
		}
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
	sgemmBlockEp(kern, transA, transB, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc, ep)
}

// Dot returns the dot product of x and y (of equal lengths) with the
// micro-kernel Sgemm uses on this CPU, on the calling goroutine: what
// Sgemm computes for each value of A·Bᵀ when A has at most a few rows (a
// linear layer on a small batch), in the same order.
func Dot(x, y []float32) float32 {
	if len(x) != len(y) {
		panic(fmt.Sprintf("kernels: Dot of %d and %d values", len(x), len(y)))
	}
	if len(x) == 0 {
		return 0
	}
	return gemmKernel.dot(len(x), x, y)
}
