//go:build !purego

package kernels

func addConvAsm(v map[string]func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool)) {
	v["neon"] = convGemmNEON
}
