//go:build purego || !(amd64 || arm64)

package kernels

func addPoolAsm(map[string]func(dst, r0, r1, r2 []float32, w int)) {}
