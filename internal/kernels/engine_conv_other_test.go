//go:build purego || !(amd64 || arm64)

package kernels

func addConvAsm(map[string]func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool)) {
}
