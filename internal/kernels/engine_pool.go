package kernels

import "fmt"

// MaxPool3x3s2Row writes one output row of a 3×3, stride-2, padding-1 max
// pool (ResNet's, floor mode: (w−1)/2+1 outputs) into dst:
//
//	dst[ox] = max of r0, r1 and r2 over columns 2ox−1 .. 2ox+1 inside [0, w)
//
// where r0, r1 and r2 are the window's input rows (w values each; a row
// that lies in the padding is passed as one of the others). NaN
// propagates, as in MaxPool2d.
func MaxPool3x3s2Row(dst, r0, r1, r2 []float32, w int) {
	ow := (w-1)/2 + 1
	if w < 1 || len(dst) < ow || len(r0) < w || len(r1) < w || len(r2) < w {
		panic(fmt.Sprintf("kernels: MaxPool3x3s2Row: width %d, rows of %d, %d, %d, dst %d", w, len(r0), len(r1), len(r2), len(dst)))
	}
	maxPool3x3s2Row(dst[:ow], r0[:w], r1[:w], r2[:w], w)
}

// maxPool3x3s2Row is the variant MaxPool3x3s2Row uses
// (engine_dispatch_amd64.go may pick an assembly one at init).
var maxPool3x3s2Row = maxPool3x3s2RowGeneric

// maxPool3x3s2RowGeneric is the portable twin of the assembly row, with
// the builtin max (branch-free; NaN if any operand is NaN).
func maxPool3x3s2RowGeneric(dst, r0, r1, r2 []float32, w int) {
	maxPoolRowFrom(dst, r0, r1, r2, w, 0)
}

// maxPoolRowFrom computes dst[ox] for ox ≥ from, as maxPool3x3s2RowGeneric.
func maxPoolRowFrom(dst, r0, r1, r2 []float32, w, from int) {
	r0, r1, r2 = r0[:w], r1[:w], r2[:w]
	for ox := from; ox < len(dst); ox++ {
		c0, c1 := max(2*ox-1, 0), min(2*ox+2, w)
		m := r0[c0]
		for c := c0; c < c1; c++ {
			m = max(m, r0[c], r1[c], r2[c])
		}
		dst[ox] = m
	}
}
