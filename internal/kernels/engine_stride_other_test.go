//go:build purego || !(amd64 || arm64)

package kernels

func addStrideAsm(map[string]func(dst, src []float32)) {}

func addStrideRowsAsm(map[string]func([]float32, int, []float32, int, int, int)) {}

func addIm2colChannelAsm(map[string]func(dst, src []float32, wp, kh, kw, s, oh, ow int)) {}

func addCopyRowsAsm(map[string]func([]float32, int, []float32, int, int, int)) {}

func addDeinterleaveAsm(map[string]func([]float32, []float32, int, []float32, int, int, int)) {}

func addCopyPlanesAsm(map[string]func([]float32, int, int, []float32, int, int, int, int, int)) {}

func addCopyNTAsm(map[string]func(dst, src []float32)) {}
