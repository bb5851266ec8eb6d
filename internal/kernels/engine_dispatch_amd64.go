//go:build !purego

package kernels

// engineISA names the instruction set of one variant of each engine
// kernel: ConvGemm (and ConvGemmT), WinoInput and WinoOutput (and F(4×4)'s), BiasAct,
// TransposeBiasAct, MaxPool3x3s2Row, EveryOther, DeinterleaveRows and Im2colChannel.
type engineISA int

const (
	engineGo     engineISA = iota // the portable twins (and the gathering ConvGemm)
	engineAVX2                    // AVX2 and FMA, 8 lanes in 16 ymm registers
	engineAVX512                  // AVX-512 F and DQ, 16 lanes in 32 zmm registers
)

// The engine kernels' dispatch (cpu.go holds the GEMM's): the widest
// variant this CPU runs, unless RESNET_NOASM is set.
func init() { useEngineKernels(defaultEngineISA()) }

// defaultEngineISA is the widest engine ISA this CPU runs, or the
// portable twins when RESNET_NOASM is set.
func defaultEngineISA() engineISA {
	switch {
	case asmDisabled:
		return engineGo
	case hasAVX512:
		return engineAVX512
	case hasAVX2:
		return engineAVX2
	}
	return engineGo
}

// useEngineKernels points the engine kernels' variables at the variants
// of isa. Besides init, only tests call it: to run the AVX2 kernels
// through the exported functions on an AVX-512 CPU.
func useEngineKernels(isa engineISA) {
	switch isa {
	case engineAVX512:
		convGemm = convGemmAVX512
		convGemmT, convTNative = convGemmTAVX512, true
		winoInput, winoOutput = winoInputAVX512Go, winoOutputAVX512Go
		wino4Input, wino4Output, wino4Native = wino4InputAVX512Go, wino4OutputAVX512Go, true
		biasAct, biasActRows = biasActAVX512, biasActRowsAVX512
		transposeBiasAct, transposeNative = transposeBiasActAVX512Go, true
		packTranspose, packTransposeW = packTransposeAVX512Go, 16
		maxPool3x3s2Row = maxPool3x3s2RowAVX512Go
		everyOther, everyOtherRows = everyOtherAVX512Go, everyOtherRowsAVX512Go
		im2colChannel = im2colChannelAVX512Go
		copyRows = copyRowsAVX512Go
		deinterleaveRows = deinterleaveRowsAVX512Go
		copyPlanes = copyPlanesAVX512Go
		copyNT, storeFence, copyNTNative = copyNTAVX512Go, storeFenceAsm, true
	case engineAVX2:
		convGemm = convGemmAVX2
		convGemmT, convTNative = convGemmTGeneric, false
		winoInput, winoOutput = winoInputAVX2Go, winoOutputAVX2Go
		wino4Input, wino4Output, wino4Native = wino4InputAVX2Go, wino4OutputAVX2Go, true
		biasAct, biasActRows = biasActAVX2, biasActRowsAVX2
		transposeBiasAct, transposeNative = transposeBiasActAVX2Go, true
		packTranspose, packTransposeW = packTransposeAVX2Go, 8
		maxPool3x3s2Row = maxPool3x3s2RowAVX2Go
		everyOther, everyOtherRows = everyOtherAVX2Go, everyOtherRowsGeneric
		im2colChannel = im2colChannelAVX2Go
		copyRows = copyRowsAVX2Go
		deinterleaveRows = deinterleaveRowsAVX2Go
		copyPlanes = copyPlanesAVX2Go
		copyNT, storeFence, copyNTNative = copyNTAVX2Go, storeFenceAsm, true
	default:
		convGemm = convGemmPacked
		convGemmT, convTNative = convGemmTGeneric, false
		winoInput, winoOutput = winoInputGeneric, winoOutputGeneric
		wino4Input, wino4Output, wino4Native = wino4InputGeneric, wino4OutputGeneric, false
		biasAct, biasActRows = biasActGeneric, biasActRowsGeneric
		transposeBiasAct, transposeNative = transposeBiasActGeneric, false
		packTranspose, packTransposeW = nil, 0
		maxPool3x3s2Row = maxPool3x3s2RowGeneric
		everyOther, everyOtherRows = everyOtherGeneric, everyOtherRowsGeneric
		im2colChannel = im2colChannelGeneric
		copyRows = copyRowsGeneric
		deinterleaveRows = deinterleaveRowsGeneric
		copyPlanes = copyPlanesGeneric
		copyNT, storeFence, copyNTNative = copyNTGeneric, func() {}, false
	}
}
