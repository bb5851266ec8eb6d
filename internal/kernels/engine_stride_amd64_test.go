//go:build !purego

package kernels

func addStrideAsm(v map[string]func(dst, src []float32)) {
	if hasAVX512 {
		v["avx512"] = everyOtherAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = everyOtherAVX2Go
	}
}

func addStrideRowsAsm(v map[string]func([]float32, int, []float32, int, int, int)) {
	if hasAVX512 {
		v["avx512"] = everyOtherRowsAVX512Go
	}
}

func addIm2colChannelAsm(v map[string]func(dst, src []float32, wp, kh, kw, s, oh, ow int)) {
	if hasAVX512 {
		v["avx512"] = im2colChannelAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = im2colChannelAVX2Go
	}
}

func addCopyRowsAsm(v map[string]func([]float32, int, []float32, int, int, int)) {
	if hasAVX512 {
		v["avx512"] = copyRowsAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = copyRowsAVX2Go
	}
}

func addDeinterleaveAsm(v map[string]func([]float32, []float32, int, []float32, int, int, int)) {
	if hasAVX512 {
		v["avx512"] = deinterleaveRowsAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = deinterleaveRowsAVX2Go
	}
}

func addCopyPlanesAsm(v map[string]func([]float32, int, int, []float32, int, int, int, int, int)) {
	if hasAVX512 {
		v["avx512"] = copyPlanesAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = copyPlanesAVX2Go
	}
}

func addCopyNTAsm(v map[string]func(dst, src []float32)) {
	if hasAVX512 {
		v["avx512"] = copyNTAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = copyNTAVX2Go
	}
}
