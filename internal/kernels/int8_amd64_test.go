//go:build !purego

package kernels

// forceGenericInt8 runs f with the portable int8 kernels.
func forceGenericInt8(f func()) {
	saved := useVNNI
	useVNNI = false
	defer func() { useVNNI = saved }()
	f()
}
