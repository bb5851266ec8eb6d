//go:build (amd64 || arm64) && !purego

package kernels

// forceGenericInt8 runs f with the portable int8 kernels.
func forceGenericInt8(f func()) {
	saved := int8Asm
	int8Asm = false
	defer func() { int8Asm = saved }()
	f()
}
