//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -out ../engine_epilogue_amd64.s -stubs ../engine_epilogue_stubs_amd64.go -pkg kernels

func biasActAVX512(dst, src, res []float32, b float32, relu bool) {
	n := len(dst)
	src = src[:n]
	switch {
	case res != nil && relu:
		engineBiasResReLUAVX512(&dst[0], &src[0], &res[:n][0], n, b)
	case res != nil:
		engineBiasResAVX512(&dst[0], &src[0], &res[:n][0], n, b)
	case relu:
		engineBiasReLUAVX512(&dst[0], &src[0], nil, n, b)
	default:
		engineBiasAVX512(&dst[0], &src[0], nil, n, b)
	}
}

func biasActAVX2(dst, src, res []float32, b float32, relu bool) {
	n := len(dst)
	src = src[:n]
	switch {
	case res != nil && relu:
		engineBiasResReLUAVX2(&dst[0], &src[0], &res[:n][0], n, b)
	case res != nil:
		engineBiasResAVX2(&dst[0], &src[0], &res[:n][0], n, b)
	case relu:
		engineBiasReLUAVX2(&dst[0], &src[0], nil, n, b)
	default:
		engineBiasAVX2(&dst[0], &src[0], nil, n, b)
	}
}
