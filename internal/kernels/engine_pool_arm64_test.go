//go:build !purego

package kernels

func addPoolAsm(v map[string]func(dst, r0, r1, r2 []float32, w int)) {
	v["neon"] = maxPool3x3s2RowNEONGo
}
