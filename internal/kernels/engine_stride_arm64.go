//go:build !purego

package kernels

// The stride-2 layers' subsampling on arm64: NEON (engine_arm64.s,
// written by _gen_arm64), LD2 splitting 8 values a step.

func everyOtherNEONGo(dst, src []float32) {
	everyOtherRowsNEONGo(dst, len(dst), src, len(src), 1, len(dst))
}

// everyOtherRowsNEONGo is everyOtherRowsNEON on arguments EveryOtherRows
// (or EveryOther) checked: a row's steps of 4 read 8 values, so those
// of its first (n−1)/4·4 stay within its 2n−1.
func everyOtherRowsNEONGo(dst []float32, ldd int, src []float32, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+2*n-2]
	groups := (n - 1) / 4
	everyOtherRowsNEON(&dst[0], ldd, &src[0], lds, rows, groups, n-4*groups)
}

func deinterleaveRowsNEONGo(even, odd []float32, ldd int, src []float32, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = even[(rows-1)*ldd+(n+1)/2-1]
	if n > 1 {
		_ = odd[(rows-1)*ldd+n/2-1]
	}
	_ = src[(rows-1)*lds+n-1]
	deinterleaveRowsNEON(&even[0], &odd[0], ldd, &src[0], lds, rows, n/8, n%8)
}
