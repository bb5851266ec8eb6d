//go:build !purego

package kernels

import "golang.org/x/sys/unix"

// bf16Supported asks macOS whether the CPU has FEAT_BF16 (Apple M2 and
// later).
func bf16Supported() bool {
	v, err := unix.SysctlUint32("hw.optional.arm.FEAT_BF16")
	return err == nil && v == 1
}
