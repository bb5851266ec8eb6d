//go:build !purego

package kernels

//go:generate go run -C _gen . -out ../gemm_amd64.s

// sgemmTile12x32AVX512 computes the 12×32 tile C = alpha·A·B + beta·C from
// A, addressed with the row and column strides rsa and csa, and the packed
// B panel b (k rows of 32) in 24 zmm accumulators. It is, in Go:
//
//	for i := 0; i < 12; i++ {
//		for j := 0; j < 32; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[i*rsa+p*csa] * b[p*32+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * s // C is not read
//			} else {
//				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
//go:noescape
func sgemmTile12x32AVX512(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)

// sgemmTile6x16AVX2 is sgemmTile12x32AVX512 for a 6×16 tile in 12 ymm
// accumulators with AVX2 and FMA (b: k rows of 16):
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[i*rsa+p*csa] * b[p*16+j]
//			}
//			if beta == 0 {
//				c[i*ldc+j] = alpha * s // C is not read
//			} else {
//				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
//			}
//		}
//	}
//
//go:noescape
func sgemmTile6x16AVX2(k int, a *float32, rsa, csa int, b, c *float32, ldc int, alpha, beta float32)

// fmaPeakAVX512 runs n rounds of 24 independent VFMADD231PS zmm chains
// (768 flops a round): the ceiling GEMM benchmarks are compared with.
//
//go:noescape
func fmaPeakAVX512(n int)

// fmaPeakAVX2 runs n rounds of 12 independent VFMADD231PS ymm chains
// (192 flops a round).
//
//go:noescape
func fmaPeakAVX2(n int)

var avx512Kernel = microKernel{
	name: "avx512",
	mr:   12, nr: 32,
	kc: 256, mc: 144, nc: 2048,
	strided: true,
	tile: func(k int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32) {
		// The checks keep the assembly inside the slices.
		if k < 1 || len(a) < 11*rsa+(k-1)*csa+1 || len(b) < 32*k || ldc < 32 || len(c) < 11*ldc+32 {
			panic("kernels: sgemmTile12x32AVX512: short panel")
		}
		sgemmTile12x32AVX512(k, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
	},
}

var avx2Kernel = microKernel{
	name: "avx2",
	mr:   6, nr: 16,
	kc: 256, mc: 72, nc: 2048,
	strided: true,
	tile: func(k int, a []float32, rsa, csa int, b, c []float32, ldc int, alpha, beta float32) {
		if k < 1 || len(a) < 5*rsa+(k-1)*csa+1 || len(b) < 16*k || ldc < 16 || len(c) < 5*ldc+16 {
			panic("kernels: sgemmTile6x16AVX2: short panel")
		}
		sgemmTile6x16AVX2(k, &a[0], rsa, csa, &b[0], &c[0], ldc, alpha, beta)
	},
}
