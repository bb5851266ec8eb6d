//go:build !purego

package kernels

// The arm64 epilogues, BiasAct (the direct convolutions') and
// TransposeBiasAct (the small maps' transposed layers'): NEON
// (engine_arm64.s, written by _gen_arm64).

// packTransposeNEONGo is packTranspose with NEON's 4×4 blocks: an
// in-place plan's small maps gather their transposed weights so.
func packTransposeNEONGo(dst []float32, ldd int, src []float32, lds, blocks int) {
	_ = dst[(4*blocks-1)*ldd+3]
	_ = src[3*lds+4*blocks-1]
	transposeBlocksNEON(&dst[0], 4*ldd, &src[0], 4*lds, blocks)
}

func biasActNEONGo(dst, src, res []float32, b float32, relu bool) {
	n := len(dst)
	biasActRowsNEONGo(dst, n, src, n, res, n, 1, n, b, relu)
}

// biasActRowsNEONGo is biasActRowsNEON on arguments BiasActRows (or
// BiasAct) checked.
func biasActRowsNEONGo(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+n-1]
	biasActRowsNEON(&dst[0], ldd, &src[0], lds, resPtr(res, ldr, rows, n), ldr, rows, n, b, flag(relu))
}

// transposeBiasActNEONGo is transposeBiasActNEON on the 4×4 blocks of the
// arguments TransposeBiasAct checked, and the portable twin on the rows
// and columns past them.
func transposeBiasActNEONGo(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	n4, c4 := n/4*4, cols/4*4
	if n4 > 0 && c4 > 0 {
		_ = dst[(c4-1)*ldd+n4-1]
		_ = src[(n4-1)*lds+c4-1]
		_ = bias[c4-1]
		transposeBiasActNEON(&dst[0], ldd, &src[0], lds, resPtr(res, ldr, c4, n4), ldr, &bias[0], n4/4, c4/4, flag(relu))
	}
	if c4 < cols && n4 > 0 {
		transposeBiasActGeneric(dst[c4*ldd:], ldd, src[c4:], lds, resFrom(res, c4*ldr), ldr, bias[c4:], n4, cols-c4, relu)
	}
	if n4 < n {
		transposeBiasActGeneric(dst[n4:], ldd, src[n4*lds:], lds, resFrom(res, n4), ldr, bias, n-n4, cols, relu)
	}
}
