package kernels

// Sgemm computes C = alpha·op(A)·op(B) + beta·C for row-major matrices,
// where op(A) is m×k (A is k×m if transA), op(B) is k×n (B is n×k if
// transB) and C is m×n. lda, ldb and ldc are the row strides. When beta
// is 0, C is overwritten without being read (NaNs in C do not propagate).
// Sgemm splits large products across Threads() goroutines.
//
// This is a placeholder reference implementation; see gemm_*.go.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	ParallelFor(m, 1, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			crow := c[i*ldc : i*ldc+n]
			if beta == 0 {
				for j := range crow {
					crow[j] = 0
				}
			} else if beta != 1 {
				for j := range crow {
					crow[j] *= beta
				}
			}
			for p := 0; p < k; p++ {
				var av float32
				if transA {
					av = alpha * a[p*lda+i]
				} else {
					av = alpha * a[i*lda+p]
				}
				if av == 0 {
					continue
				}
				if transB {
					for j := range crow {
						crow[j] += av * b[j*ldb+p]
					}
				} else {
					brow := b[p*ldb : p*ldb+n]
					for j, bv := range brow {
						crow[j] += av * bv
					}
				}
			}
		}
	})
}
