//go:build !purego

package kernels

// The engine kernels' dispatch on arm64 (cpu_arm64.go holds the GEMM's):
// the NEON variants, written by _gen_arm64 into engine_arm64.s, unless
// RESNET_NOASM is set. Every arm64 CPU has NEON (Advanced SIMD).
func init() {
	if asmDisabled {
		return
	}
	winoInput, winoOutput = winoInputNEONGo, winoOutputNEONGo
	wino4Input, wino4Output, wino4Native = wino4InputNEONGo, wino4OutputNEONGo, true
	convGemm = convGemmNEON
	convGemmT, convTNative = convGemmTNEON, true
	biasAct, biasActRows = biasActNEONGo, biasActRowsNEONGo
	transposeBiasAct, transposeNative = transposeBiasActNEONGo, true
	packTranspose, packTransposeW = packTransposeNEONGo, 4
	maxPool3x3s2Row = maxPool3x3s2RowNEONGo
	everyOther, everyOtherRows = everyOtherNEONGo, everyOtherRowsNEONGo
	deinterleaveRows = deinterleaveRowsNEONGo
}
