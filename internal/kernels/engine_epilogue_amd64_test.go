//go:build !purego

package kernels

func addEpilogueAsm(v map[string]func(dst, src, res []float32, b float32, relu bool)) {
	if hasAVX512 {
		v["avx512"] = biasActAVX512
	}
	if hasAVX2 {
		v["avx2"] = biasActAVX2
	}
}
