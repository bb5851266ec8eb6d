package kernels

import "testing"

// TestRunning checks Running against the dispatch: the SGEMM's kernel,
// and the precision modes' names agreeing with Int8Native and BF16Native;
// none of them, nor CopyNT's non-temporal stores, with RESNET_NOASM.
func TestRunning(t *testing.T) {
	k := Running()
	if k.GEMM != gemmKernel.name || k.GEMM == "" {
		t.Errorf("GEMM %q, the dispatched kernel is %q", k.GEMM, gemmKernel.name)
	}
	if (k.Int8 != "generic") != Int8Native() || (k.BF16 != "generic") != BF16Native() {
		t.Errorf("Int8 %q (native %v), BF16 %q (native %v)", k.Int8, Int8Native(), k.BF16, BF16Native())
	}
	if asmDisabled && (k.GEMM != "generic" || k.Int8 != "generic" || k.BF16 != "generic" || CopyNTNative()) {
		t.Errorf("RESNET_NOASM=1 but %+v, CopyNTNative %v", k, CopyNTNative())
	}
}
