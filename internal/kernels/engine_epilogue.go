package kernels

import "fmt"

// BiasAct sets dst[i] = src[i] + b, plus res[i] when res is not nil, then
// clamps at 0 when relu (NaN stays NaN, as in PyTorch): the epilogue of a
// convolution whose batch norm is folded into its weights and bias.
// dst may be src; src and res (if not nil) hold at least len(dst) values.
func BiasAct(dst, src, res []float32, b float32, relu bool) {
	if len(dst) == 0 {
		return
	}
	src = src[:len(dst)]
	if res != nil {
		res = res[:len(dst)]
	}
	biasAct(dst, src, res, b, relu)
}

// BiasActRows is BiasAct on rows rows at once: for i < rows, BiasAct of
// dst[i·ldd:][:n], src[i·lds:] and res[i·ldr:] (res may be nil): a
// convolution's output rows from the wider rows of its padded grid, in
// one call (a call per row of a 7×7 map cost more than its values).
func BiasActRows(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	if rows <= 0 || n <= 0 {
		return
	}
	if ldd < 0 || lds < 0 || ldr < 0 || len(dst) < (rows-1)*ldd+n || len(src) < (rows-1)*lds+n || res != nil && len(res) < (rows-1)*ldr+n {
		panic(fmt.Sprintf("kernels: BiasActRows: %d rows of %d values, dst %d (ldd %d), src %d (lds %d), res %d (ldr %d)", rows, n, len(dst), ldd, len(src), lds, len(res), ldr))
	}
	biasActRows(dst, ldd, src, lds, res, ldr, rows, n, b, relu)
}

// biasActRows is the variant BiasActRows uses.
var biasActRows = biasActRowsGeneric

// biasActRowsGeneric runs biasAct (this CPU's) row by row.
func biasActRowsGeneric(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	for i := 0; i < rows; i++ {
		var r []float32
		if res != nil {
			r = res[i*ldr : i*ldr+n]
		}
		biasAct(dst[i*ldd:i*ldd+n], src[i*lds:i*lds+n], r, b, relu)
	}
}

// biasAct is the variant BiasAct uses (engine_dispatch_amd64.go may pick
// an assembly one at init).
var biasAct = biasActGeneric

// biasActGeneric is the portable twin of the assembly epilogues. The sum
// is (src + b) + res in that order, as in the assembly. The builtin max
// is branch-free (a branch on the sign mispredicts half the time) and
// returns NaN for NaN.
func biasActGeneric(dst, src, res []float32, b float32, relu bool) {
	src = src[:len(dst)]
	switch {
	case res != nil && relu:
		res = res[:len(dst)]
		for i, v := range src {
			dst[i] = max(v+b+res[i], 0)
		}
	case res != nil:
		res = res[:len(dst)]
		for i, v := range src {
			dst[i] = v + b + res[i]
		}
	case relu:
		for i, v := range src {
			dst[i] = max(v+b, 0)
		}
	default:
		for i, v := range src {
			dst[i] = v + b
		}
	}
}
