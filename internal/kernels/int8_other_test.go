//go:build !(amd64 || arm64) || purego

package kernels

// forceGenericInt8 runs f: the int8 kernels are the portable ones here.
func forceGenericInt8(f func()) { f() }
