//go:build !purego

package kernels

func addPoolAsm(v map[string]func(dst, r0, r1, r2 []float32, w int)) {
	if hasAVX512 {
		v["avx512"] = maxPool3x3s2RowAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = maxPool3x3s2RowAVX2Go
	}
}
