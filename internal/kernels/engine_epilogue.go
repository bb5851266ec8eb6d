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

// TransposeBiasAct stores the transpose of src (n rows of cols values, lds
// apart) into dst with BiasAct's epilogue:
//
//	dst[o·ldd + i] = relu?(src[i·lds + o] + bias[o] + res[o·ldr + i])
//
// for o < cols and i < n (res may be nil), in one pass: the store of a
// layer computed transposed (the engine's small maps: positions as rows,
// channels as columns), with the same arithmetic as BiasAct.
func TransposeBiasAct(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	if n <= 0 || cols <= 0 {
		return
	}
	if ldd < n || lds < cols || res != nil && ldr < n || len(bias) < cols || len(dst) < (cols-1)*ldd+n || len(src) < (n-1)*lds+cols || res != nil && len(res) < (cols-1)*ldr+n {
		panic(fmt.Sprintf("kernels: TransposeBiasAct: %d×%d values, dst %d (ldd %d), src %d (lds %d), res %d (ldr %d), bias %d", n, cols, len(dst), ldd, len(src), lds, len(res), ldr, len(bias)))
	}
	transposeBiasAct(dst, ldd, src, lds, res, ldr, bias, n, cols, relu)
}

// TransposeBiasActNative reports whether TransposeBiasAct runs in
// assembly here (AVX-512 or AVX2), about ten times faster than its
// portable twin (BenchmarkTransposeBiasAct).
func TransposeBiasActNative() bool { return transposeNative }

// transposeBiasAct is the variant TransposeBiasAct uses, transposeNative
// whether it is assembly (engine_dispatch_amd64.go may pick one at init).
var (
	transposeBiasAct = transposeBiasActGeneric
	transposeNative  = false
)

// transposeBiasActGeneric is the portable twin of the assembly: the
// transpose, eight columns of src at a time (a loop over single values
// cost 1.6–2 ns each, as much as a quarter of the product it stored),
// then biasActGeneric on each row of dst in place.
func transposeBiasActGeneric(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	o := 0
	for ; o+8 <= cols; o += 8 {
		var d [8][]float32
		for j := range d {
			d[j] = dst[(o+j)*ldd : (o+j)*ldd+n]
		}
		for i := range n {
			t := src[i*lds+o : i*lds+o+8]
			d[0][i], d[1][i], d[2][i], d[3][i] = t[0], t[1], t[2], t[3]
			d[4][i], d[5][i], d[6][i], d[7][i] = t[4], t[5], t[6], t[7]
		}
	}
	for ; o < cols; o++ {
		d := dst[o*ldd : o*ldd+n]
		for i := range d {
			d[i] = src[i*lds+o]
		}
	}
	for o := range cols {
		d := dst[o*ldd : o*ldd+n]
		var r []float32
		if res != nil {
			r = res[o*ldr : o*ldr+n]
		}
		biasActGeneric(d, d, r, bias[o], relu)
	}
}
