package kernels

import "os"

// asmDisabled forces the portable kernels when RESNET_NOASM=1. It is read
// once, here, at init.
var asmDisabled = os.Getenv("RESNET_NOASM") == "1"

// The one place kernels are dispatched: the best variant this CPU runs,
// unless assembly is disabled. cpu_*.go list the variants per platform.
func init() {
	if !asmDisabled {
		gemmKernel = gemmKernels()[0]
	}
}
