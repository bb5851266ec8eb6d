//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

var (
	// x/sys/cpu also checks that the OS saves the zmm and ymm state. The
	// "Requires:" lines in gemm_amd64.s list what each kernel uses
	// (VXORPS on zmm is AVX512DQ).
	hasAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512DQ
	hasAVX2   = cpu.X86.HasAVX2 && cpu.X86.HasFMA
)

// gemmKernels lists the SGEMM micro-kernels this CPU can run, best first.
func gemmKernels() []*microKernel {
	var ks []*microKernel
	if hasAVX512 {
		ks = append(ks, &avx512Kernel)
	}
	if hasAVX2 {
		ks = append(ks, &avx2Kernel)
	}
	return append(ks, &genericKernel)
}

// peakLoop returns the FMA loop PeakFMA times and its floating-point
// operations a round, or nil.
func peakLoop() (func(rounds int), float64) {
	switch {
	case hasAVX512:
		return fmaPeakAVX512, 24 * 16 * 2
	case hasAVX2:
		return fmaPeakAVX2, 12 * 8 * 2
	}
	return nil, 0
}
