//go:build !purego

package kernels

// The arm64 epilogue of the direct convolutions: NEON (engine_arm64.s,
// written by _gen_arm64). TransposeBiasAct keeps its portable twin
// (TransposeBiasActNative is false).
func init() {
	if !asmDisabled {
		biasAct, biasActRows = biasActNEONGo, biasActRowsNEONGo
	}
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
	var rp *float32
	if res != nil {
		_ = res[(rows-1)*ldr+n-1]
		rp = &res[0]
	}
	r := 0
	if relu {
		r = 1
	}
	biasActRowsNEON(&dst[0], ldd, &src[0], lds, rp, ldr, rows, n, b, r)
}
