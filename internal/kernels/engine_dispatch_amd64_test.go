//go:build !purego

package kernels

import "testing"

// useEngineKernelsFor dispatches the engine kernels of isa for the rest
// of the test, then puts back the ones init chose.
func useEngineKernelsFor(t *testing.T, isa engineISA) {
	conv, wi, wo, ba, mp, eo := convGemm, winoInput, winoOutput, biasAct, maxPool3x3s2Row, everyOther
	w4i, w4o, w4n, bar, eor, tba, tbn, i2c, tbl, tbw, cpr := wino4Input, wino4Output, wino4Native, biasActRows, everyOtherRows, transposeBiasAct, transposeNative, im2colChannel, packTranspose, packTransposeW, copyRows
	t.Cleanup(func() {
		convGemm, winoInput, winoOutput, biasAct, maxPool3x3s2Row, everyOther = conv, wi, wo, ba, mp, eo
		wino4Input, wino4Output, wino4Native, biasActRows, everyOtherRows = w4i, w4o, w4n, bar, eor
		transposeBiasAct, transposeNative, im2colChannel, packTranspose, packTransposeW, copyRows = tba, tbn, i2c, tbl, tbw, cpr
	})
	useEngineKernels(isa)
}

// TestEngineAVX2Dispatched runs the exported engine kernels' tests with
// the AVX2 variants dispatched, as on a CPU with AVX2 but no AVX-512.
func TestEngineAVX2Dispatched(t *testing.T) {
	if !hasAVX2 {
		t.Skip("no AVX2")
	}
	useEngineKernelsFor(t, engineAVX2)
	for name, f := range map[string]func(*testing.T){
		"ConvGemm": TestConvGemm, "WinoInput": TestWinoInput, "WinoOutput": TestWinoOutput,
		"Wino4Input": TestWino4Input, "Wino4Output": TestWino4Output,
		"BiasAct": TestBiasAct, "TransposeBiasAct": TestTransposeBiasAct, "MaxPool3x3s2Row": TestMaxPool3x3s2Row, "EveryOther": TestEveryOther,
		"Im2colChannel": TestIm2colChannel, "CopyRows": TestCopyRows, "SgemmSerialATBT": TestSgemmSerialATBT,
	} {
		t.Run(name, f)
	}
}
