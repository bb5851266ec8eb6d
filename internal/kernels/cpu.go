package kernels

import "os"

// The arm64 kernels' generator is plain Go (avo writes amd64 only); its
// directive is here, in a file every platform builds, so that go generate
// on any machine keeps gemm_arm64.s up to date.
//go:generate go run ./_gen_arm64 -out gemm_arm64.s -stubs gemm_stubs_arm64.go -engine-out engine_arm64.s -engine-stubs engine_stubs_arm64.go

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

// Kernels names the kernel sets this process runs, for reports: GEMM is
// the SGEMM micro-kernel's instruction set ("avx512", "avx2", "neon" or
// "generic", the portable one), which the engine's other kernels follow;
// Int8 and BF16 those of the optional precision modes' products
// ("avx512-vnni", "avx-vnni", "neon-i8mm", "neon-dotprod" or "generic";
// "avx512-bf16", "neon-bf16" or "generic").
type Kernels struct{ GEMM, Int8, BF16 string }

// Running returns the kernel sets this process runs.
func Running() Kernels {
	k := Kernels{GEMM: gemmKernel.name, Int8: "generic", BF16: "generic"}
	if int8Asm {
		k.Int8 = int8KernelName()
	}
	if BF16Native() {
		k.BF16 = bf16Kernel.name
	}
	return k
}
