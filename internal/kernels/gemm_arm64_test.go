//go:build !purego

package kernels

import "testing"

// BenchmarkSgemmPeakFMA measures the FMLA (SDOT, BFDOT) throughput
// ceilings on GOMAXPROCS goroutines, to quote BenchmarkSgemm,
// BenchmarkGemmU8S8 and BenchmarkSgemmBF16 as fractions of them.
func BenchmarkSgemmPeakFMA(b *testing.B) {
	benchPeaks(b, []peakLoopCase{
		{"neon", true, fmaPeakNEON, 24 * 4 * 2},
		{"neon-dotprod", int8Asm, sdotPeakNEON, 24 * 16 * 2}, // int8 operations
		{"neon-bf16", hasBF16, bfdotPeakNEON, 24 * 8 * 2},
	})
}

func TestSDOTPeakRuns(t *testing.T) {
	if int8Asm {
		sdotPeakNEON(0)
		sdotPeakNEON(3)
	}
	if hasBF16 {
		bfdotPeakNEON(0)
		bfdotPeakNEON(3)
	}
}

// TestBF16Dispatched checks that a CPU with FEAT_BF16 (qemu-user's has it)
// gets the BFDOT tiles, unless RESNET_NOASM is set.
func TestBF16Dispatched(t *testing.T) {
	want := &bf16GenericKernel
	if hasBF16 && !asmDisabled {
		want = &bf16NEONKernel
	}
	if bf16Kernel != want {
		t.Fatalf("bf16 kernel %s, want %s (FEAT_BF16 %v)", bf16Kernel.name, want.name, hasBF16)
	}
	t.Logf("FEAT_BF16 %v: %s", hasBF16, bf16Kernel.name)
}

// TestInt8SDOTDispatched runs the int8 kernels' tests with the SDOT tiles
// dispatched where the CPU has FEAT_I8MM too (qemu-user's does), as on a
// CPU with the dot-product extension only (Neoverse N1): against the
// portable twins bit for bit, and the definition.
func TestInt8SDOTDispatched(t *testing.T) {
	if !int8I8MM {
		t.Skip("the SDOT tiles are the ones dispatched (or RESNET_NOASM=1)")
	}
	int8I8MM = false
	defer func() { int8I8MM = true }()
	t.Run("PackU8", TestPackU8)
	t.Run("GemmU8S8", TestGemmU8S8)
}
