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

func addEpilogueRowsAsm(v map[string]func([]float32, int, []float32, int, []float32, int, int, int, float32, bool)) {
	if hasAVX512 {
		v["avx512"] = biasActRowsAVX512
	}
	if hasAVX2 {
		v["avx2"] = biasActRowsAVX2
	}
}

func addTransposeAsm(v map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool)) {
	if hasAVX512 {
		v["avx512"] = transposeBiasActAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = transposeBiasActAVX2Go
	}
}

// packTransposeAsm lists the block transposes this CPU runs, with their
// block width.
func packTransposeAsm() []packTransposeVariant {
	var vs []packTransposeVariant
	if hasAVX512 {
		vs = append(vs, packTransposeVariant{16, packTransposeAVX512Go})
	}
	if hasAVX2 {
		vs = append(vs, packTransposeVariant{8, packTransposeAVX2Go})
	}
	return vs
}
