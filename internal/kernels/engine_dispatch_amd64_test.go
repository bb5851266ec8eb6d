//go:build !purego

package kernels

import "testing"

// useEngineKernelsFor dispatches the engine kernels of isa for the rest
// of the test, then puts back the ones init chose.
func useEngineKernelsFor(t *testing.T, isa engineISA) {
	t.Cleanup(func() { useEngineKernels(defaultEngineISA()) })
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
		"Im2colChannel": TestIm2colChannel, "CopyRows": TestCopyRows, "DeinterleaveRows": TestDeinterleaveRows, "CopyPlanes": TestCopyPlanes, "SgemmSerialATBT": TestSgemmSerialATBT,
	} {
		t.Run(name, f)
	}
}
