//go:build purego || !amd64

package kernels

func addStrideAsm(map[string]func(dst, src []float32)) {}
