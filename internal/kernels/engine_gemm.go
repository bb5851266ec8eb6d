package kernels

import "fmt"

// SgemmSerial computes C = alpha·A·B + beta·C (no transposes, row-major,
// strides lda, ldb, ldc) like Sgemm, but always on the calling goroutine.
// It is for callers that split a layer across goroutines themselves (the
// inference engine), so that each goroutine can run an epilogue on the
// tile it just computed while the tile is still in cache. A and B are read
// in place by the strided micro-kernels, as in Sgemm.
func SgemmSerial(m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: SgemmSerial with negative size m=%d n=%d k=%d", m, n, k))
	}
	if m == 0 || n == 0 {
		return
	}
	checkMatrix("C", c, m, n, ldc)
	if k == 0 || alpha == 0 {
		scaleC(m, n, beta, c, ldc)
		return
	}
	checkMatrix("A", a, m, k, lda)
	checkMatrix("B", b, k, n, ldb)
	sgemmBlock(gemmKernel, false, false, 0, m, 0, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
