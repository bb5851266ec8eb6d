//go:build purego || !(amd64 || arm64)

package kernels

// gemmKernels lists the SGEMM micro-kernels this CPU can run, best first.
func gemmKernels() []*microKernel { return []*microKernel{&genericKernel} }

// peakLoop returns the FMA loop PeakFMA times: none here.
func peakLoop() (func(rounds int), float64) { return nil, 0 }
