//go:build !purego

package kernels

//go:generate go run -C _gen . -out ../gemm_amd64.s

// sgemmTile12x32AVX512 computes the 12×32 tile C = alpha·A·B + beta·C from
// packed panels (a: k columns of 12, b: k rows of 32) in 24 zmm
// accumulators. It is, in Go:
//
//	for i := 0; i < 12; i++ {
//		for j := 0; j < 32; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[p*12+i] * b[p*32+j]
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
func sgemmTile12x32AVX512(k int, a, b, c *float32, ldc int, alpha, beta float32)

// sgemmTile6x16AVX2 is sgemmTile12x32AVX512 for a 6×16 tile in 12 ymm
// accumulators with AVX2 and FMA (a: k columns of 6, b: k rows of 16):
//
//	for i := 0; i < 6; i++ {
//		for j := 0; j < 16; j++ {
//			var s float32
//			for p := 0; p < k; p++ {
//				s += a[p*6+i] * b[p*16+j]
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
func sgemmTile6x16AVX2(k int, a, b, c *float32, ldc int, alpha, beta float32)

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
	tile: func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
		// The checks keep the assembly inside the slices.
		if len(a) < 12*k || len(b) < 32*k || ldc < 32 || len(c) < 11*ldc+32 {
			panic("kernels: sgemmTile12x32AVX512: short panel")
		}
		sgemmTile12x32AVX512(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
	},
}

var avx2Kernel = microKernel{
	name: "avx2",
	mr:   6, nr: 16,
	kc: 256, mc: 72, nc: 2048,
	tile: func(k int, a, b, c []float32, ldc int, alpha, beta float32) {
		if len(a) < 6*k || len(b) < 16*k || ldc < 16 || len(c) < 5*ldc+16 {
			panic("kernels: sgemmTile6x16AVX2: short panel")
		}
		sgemmTile6x16AVX2(k, &a[0], &b[0], &c[0], ldc, alpha, beta)
	},
}
