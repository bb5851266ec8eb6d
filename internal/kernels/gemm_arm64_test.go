//go:build !purego

package kernels

import "testing"

// BenchmarkSgemmPeakFMA measures the FMLA (and SDOT) throughput ceilings
// on GOMAXPROCS goroutines, to quote BenchmarkSgemm and BenchmarkGemmU8S8
// as fractions of them.
func BenchmarkSgemmPeakFMA(b *testing.B) {
	benchPeaks(b, []peakLoopCase{
		{"neon", true, fmaPeakNEON, 24 * 4 * 2},
		{"neon-dotprod", int8Asm, sdotPeakNEON, 24 * 16 * 2}, // int8 operations
	})
}

func TestSDOTPeakRuns(t *testing.T) {
	if int8Asm {
		sdotPeakNEON(0)
		sdotPeakNEON(3)
	}
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
