//go:build !purego

package kernels

func addEpilogueAsm(v map[string]func(dst, src, res []float32, b float32, relu bool)) {
	v["neon"] = biasActNEONGo
}

func addEpilogueRowsAsm(v map[string]func([]float32, int, []float32, int, []float32, int, int, int, float32, bool)) {
	v["neon"] = biasActRowsNEONGo
}

func addTransposeAsm(v map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool)) {
	v["neon"] = transposeBiasActNEONGo
}

func packTransposeAsm() []packTransposeVariant {
	return []packTransposeVariant{{4, packTransposeNEONGo}}
}
