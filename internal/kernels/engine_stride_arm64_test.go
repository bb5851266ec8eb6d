//go:build !purego

package kernels

func addStrideAsm(v map[string]func(dst, src []float32)) { v["neon"] = everyOtherNEONGo }

func addStrideRowsAsm(v map[string]func([]float32, int, []float32, int, int, int)) {
	v["neon"] = everyOtherRowsNEONGo
}

func addIm2colChannelAsm(map[string]func(dst, src []float32, wp, kh, kw, s, oh, ow int)) {}

func addCopyRowsAsm(map[string]func([]float32, int, []float32, int, int, int)) {}

func addDeinterleaveAsm(v map[string]func([]float32, []float32, int, []float32, int, int, int)) {
	v["neon"] = deinterleaveRowsNEONGo
}

func addCopyPlanesAsm(map[string]func([]float32, int, int, []float32, int, int, int, int, int)) {}

func addCopyNTAsm(map[string]func(dst, src []float32)) {}
