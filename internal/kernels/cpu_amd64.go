//go:build !purego

package kernels

// gemmKernels lists the SGEMM micro-kernels this CPU can run, best first.
func gemmKernels() []*microKernel { return []*microKernel{&genericKernel} }
