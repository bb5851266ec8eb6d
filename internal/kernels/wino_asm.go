//go:build !purego && (amd64 || arm64)

package kernels

// outputArgs checks that y, and res when not nil, hold rows rows of cols
// outputs ldy apart, and returns the output transforms' res pointer (nil
// for none) and relu flag.
func outputArgs(y []float32, ldy, rows, cols int, res []float32, relu bool) (rp *float32, r int) {
	_ = y[(rows-1)*ldy+cols-1]
	return resPtr(res, ldy, rows, cols), flag(relu)
}

// resPtr checks that res, when not nil, holds rows rows of cols values
// ldr apart, and returns its first value's address for an assembly
// epilogue (nil for none).
func resPtr(res []float32, ldr, rows, cols int) *float32 {
	if res == nil {
		return nil
	}
	_ = res[(rows-1)*ldr+cols-1]
	return &res[0]
}

// resFrom is res from its value off on, or nil when res is: the residual
// of the part of an output that a portable twin finishes.
func resFrom(res []float32, off int) []float32 {
	if res == nil {
		return nil
	}
	return res[off:]
}

// flag is 1 for true, 0 for false: a boolean argument of the assembly.
func flag(b bool) int {
	if b {
		return 1
	}
	return 0
}
