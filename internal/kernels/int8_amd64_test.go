//go:build !purego

package kernels

import "testing"

// TestInt8AVXVNNIDispatched runs the int8 kernels' tests with the AVX-VNNI
// kernels dispatched, as on a CPU with AVX2 and AVX-VNNI but no
// AVX512-VNNI: against the portable twins bit for bit, and the definition.
func TestInt8AVXVNNIDispatched(t *testing.T) {
	if asmDisabled || !hasAVXVNNI {
		t.Skip("no AVX-VNNI (or RESNET_NOASM=1)")
	}
	savedUse, savedAVX2 := int8Asm, int8AVX2
	int8Asm, int8AVX2 = true, true
	defer func() { int8Asm, int8AVX2 = savedUse, savedAVX2 }()
	t.Run("PackU8", TestPackU8)
	t.Run("GemmU8S8", TestGemmU8S8)
}
