//go:build !purego

package kernels

import (
	"encoding/binary"
	"os"
)

// bf16Supported reads HWCAP2_BF16 from the auxiliary vector that Linux
// gives the process (/proc/self/auxv: pairs of 64-bit words, type and
// value); false if it cannot be read.
func bf16Supported() bool {
	const (
		atHWCAP2   = 26
		hwcap2BF16 = 1 << 14
	)
	auxv, err := os.ReadFile("/proc/self/auxv")
	if err != nil {
		return false
	}
	for i := 0; i+16 <= len(auxv); i += 16 {
		if binary.LittleEndian.Uint64(auxv[i:]) == atHWCAP2 {
			return binary.LittleEndian.Uint64(auxv[i+8:])&hwcap2BF16 != 0
		}
	}
	return false
}
