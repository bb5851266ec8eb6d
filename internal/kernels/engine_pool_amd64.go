//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -set pool -out ../engine_pool_amd64.s -stubs ../engine_pool_stubs_amd64.go -pkg kernels

// maxPool3x3s2RowAVX512Go runs the assembly row, and the portable one
// again when the row holds a NaN (which VMAXPS would not propagate).
func maxPool3x3s2RowAVX512Go(dst, r0, r1, r2 []float32, w int) {
	if maxPool3x3s2RowAVX512(&dst[0], &r0[0], &r1[0], &r2[0], w) != 0 {
		maxPool3x3s2RowGeneric(dst, r0, r1, r2, w)
	}
}

// maxPool3x3s2RowAVX2Go runs the assembly on the row's whole 16-column
// steps and the portable loop on the rest, or on all of it when the
// assembly saw a NaN.
func maxPool3x3s2RowAVX2Go(dst, r0, r1, r2 []float32, w int) {
	steps := w / 16
	if steps > 0 && maxPool3x3s2RowAVX2(&dst[0], &r0[0], &r1[0], &r2[0], steps) != 0 {
		steps = 0
	}
	maxPoolRowFrom(dst, r0, r1, r2, w, 8*steps)
}
