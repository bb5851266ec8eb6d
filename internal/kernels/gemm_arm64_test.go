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
