//go:build !purego

package kernels

import "golang.org/x/sys/unix"

// bf16Supported reads HWCAP2_BF16 from the auxiliary vector Linux gives
// the process (the runtime's copy, unix.Auxv); false if it is missing.
func bf16Supported() bool {
	const (
		atHWCAP2   = 26
		hwcap2BF16 = 1 << 14
	)
	auxv, err := unix.Auxv()
	if err != nil {
		return false
	}
	for _, kv := range auxv {
		if kv[0] == atHWCAP2 {
			return kv[1]&hwcap2BF16 != 0
		}
	}
	return false
}
