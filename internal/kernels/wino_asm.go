//go:build !purego && (amd64 || arm64)

package kernels

// outputArgs checks that y, and res when not nil, hold rows rows of cols
// outputs ldy apart, and returns the output transforms' res pointer (nil
// for none) and relu flag.
func outputArgs(y []float32, ldy, rows, cols int, res []float32, relu bool) (rp *float32, r int) {
	if res != nil {
		_ = res[(rows-1)*ldy+cols-1]
		rp = &res[0]
	}
	_ = y[(rows-1)*ldy+cols-1]
	if relu {
		r = 1
	}
	return rp, r
}
