//go:build !purego && !linux && !darwin

package kernels

// bf16Supported is false where the operating system's report of FEAT_BF16
// is not read: the bf16 products run the portable twin.
func bf16Supported() bool { return false }
