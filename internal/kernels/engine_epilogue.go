package kernels

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
