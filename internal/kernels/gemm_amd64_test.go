//go:build !purego

package kernels

import (
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// BenchmarkSgemmPeakFMA measures the FMA throughput ceiling on
// GOMAXPROCS goroutines, to quote BenchmarkSgemm as a fraction of it.
func BenchmarkSgemmPeakFMA(b *testing.B) {
	benchPeaks(b, []peakLoopCase{
		{"avx512", hasAVX512, fmaPeakAVX512, 24 * 16 * 2},
		{"avx2", hasAVX2, fmaPeakAVX2, 12 * 8 * 2},
		{"avx512-bf16", hasAVX512BF16, bf16PeakAVX512, 24 * 16 * 4},
		{"avx512-vnni", hasAVX512VNNI, vnniPeakAVX512, 24 * 16 * 8}, // int8 operations
		{"avx-vnni", hasAVXVNNI, vnniPeakAVX2, 12 * 8 * 8},
	})
}

func TestFMAPeakRuns(t *testing.T) {
	if hasAVX512 {
		fmaPeakAVX512(0)
		fmaPeakAVX512(3)
	}
	if hasAVX2 {
		fmaPeakAVX2(0)
		fmaPeakAVX2(3)
	}
	if hasAVX512BF16 {
		bf16PeakAVX512(0)
		bf16PeakAVX512(3)
	}
	if hasAVX512VNNI {
		vnniPeakAVX512(0)
		vnniPeakAVX512(3)
	}
	if hasAVXVNNI {
		vnniPeakAVX2(0)
		vnniPeakAVX2(3)
	}
}

// BenchmarkSgemmTile measures each micro-kernel alone on packed panels
// that stay in cache: the ceiling of the blocked driver around it.
func BenchmarkSgemmTile(b *testing.B) {
	for _, kern := range gemmKernels() {
		b.Run(kern.name, func(b *testing.B) {
			const k = 256
			a := make([]float32, kern.mr*k)
			bp := make([]float32, kern.nr*k)
			c := make([]float32, kern.mr*kern.nr)
			for i := range a {
				a[i] = 1
			}
			for i := range bp {
				bp[i] = 1
			}
			cpu0 := cputime.Process().Seconds()
			for b.Loop() {
				kern.tile(k, kern.mr, a, 1, kern.mr, bp, kern.nr, c, kern.nr, 1, 1)
			}
			reportGFLOPS(b, 2*float64(kern.mr*kern.nr*k), cpu0)
		})
	}
}
