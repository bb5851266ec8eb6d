//go:build !purego

package kernels

// ResNet's max pool rows on arm64: NEON (engine_arm64.s, written by
// _gen_arm64), four outputs a step; the outputs whose windows reach past
// the last whole step's columns on the portable twin.

func maxPool3x3s2RowNEONGo(dst, r0, r1, r2 []float32, w int) {
	// A step of 4 outputs from output 4g reads columns 8g to 8g+7.
	groups := min(len(dst)/4, w/8)
	if groups > 0 {
		_, _, _, _ = dst[4*groups-1], r0[8*groups-1], r1[8*groups-1], r2[8*groups-1]
		maxPool3x3s2RowNEON(&dst[0], &r0[0], &r1[0], &r2[0], groups)
	}
	maxPoolRowFrom(dst, r0, r1, r2, w, 4*groups)
}
