//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -out ../engine_epilogue_amd64.s -stubs ../engine_epilogue_stubs_amd64.go -pkg kernels

// The engine's epilogue dispatch (cpu.go holds the GEMM's): AVX-512 when
// the CPU has it and RESNET_NOASM is not set. There is no AVX2 variant
// yet; the portable loop serves those CPUs.
func init() {
	if hasAVX512 && !asmDisabled {
		biasAct = biasActAVX512
	}
}

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
