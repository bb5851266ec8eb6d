//go:build !purego

package kernels

// gemmKernels lists the SGEMM micro-kernels this CPU can run, best first:
// NEON (Advanced SIMD) is part of every arm64 CPU.
func gemmKernels() []*microKernel { return []*microKernel{&neonKernel, &genericKernel} }

// peakLoop returns the FMA loop PeakFMA times and its floating-point
// operations a round.
func peakLoop() (func(rounds int), float64) { return fmaPeakNEON, 24 * 4 * 2 }
