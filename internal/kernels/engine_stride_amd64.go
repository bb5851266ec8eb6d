//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -set stride -out ../engine_stride_amd64.s -stubs ../engine_stride_stubs_amd64.go -pkg kernels

func init() {
	if hasAVX512 && !asmDisabled {
		everyOther = everyOtherAVX512Go
	}
}

func everyOtherAVX512Go(dst, src []float32) {
	_ = src[2*len(dst)-2]
	everyOtherAVX512(&dst[0], &src[0], len(dst))
}
