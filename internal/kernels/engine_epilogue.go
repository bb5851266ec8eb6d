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
// assembly here (AVX-512, AVX2 or NEON), about ten times faster than its
// portable twin (BenchmarkTransposeBiasAct).
func TransposeBiasActNative() bool { return transposeNative }

// transposeBiasAct is the variant TransposeBiasAct uses, transposeNative
// whether it is assembly (engine_dispatch_amd64.go may pick one at init).
var (
	transposeBiasAct = transposeBiasActGeneric
	transposeNative  = false
)

// transposeBiasActGeneric is the portable twin of the assembly: eight
// columns of src at a time (a loop over single values cost 1.6–2 ns
// each, as much as a quarter of the product it stored), each value
// getting BiasAct's epilogue as it is stored. Like the assembly, it reads
// each value's residual just before storing the value, so res may be dst
// itself (the engine's identity blocks write their output over their
// input).
func transposeBiasActGeneric(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	for o := 0; o < cols; o += 8 {
		w := min(8, cols-o)
		var d, r [8][]float32
		var b [8]float32
		for j := range w {
			d[j] = dst[(o+j)*ldd : (o+j)*ldd+n]
			if res != nil {
				r[j] = res[(o+j)*ldr : (o+j)*ldr+n]
			}
			b[j] = bias[o+j]
		}
		for i := range n {
			var v [8]float32
			copy(v[:w], src[i*lds+o:i*lds+o+w])
			for j := range w {
				v[j] += b[j]
			}
			if res != nil {
				for j := range w {
					v[j] += r[j][i]
				}
			}
			if relu {
				for j := range w {
					v[j] = max(v[j], 0)
				}
			}
			for j := range w {
				d[j][i] = v[j]
			}
		}
	}
}
