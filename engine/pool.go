package engine

import "github.com/resnetgo/resnet/internal/kernels"

// maxPool is kernels.MaxPool2d (floor mode, implicit −∞ padding, NaN
// propagates): ResNet's 3×3/2 pool with kernels.MaxPool3x3s2Row, others
// computed separably: the max down each window's rows into a row buffer,
// then across each window's columns, with the branch-free builtin max.
// planes h×w planes of x → oh×ow planes of out.
func maxPool(t *team, p *kernels.PoolParams, planes, h, w int, x, out []float32) {
	oh, ow := p.OutSize(h, w)
	if *p == resnetPool {
		// ResNet's pool: a vectorised kernel per output row.
		t.forRange(planes, 4, func(lo, hi int) {
			for c := lo; c < hi; c++ {
				src := x[c*h*w : (c+1)*h*w]
				dst := out[c*oh*ow : (c+1)*oh*ow]
				for oy := 0; oy < oh; oy++ {
					y := 2 * oy
					r0, r1, r2 := max(y-1, 0), y, min(y+1, h-1)
					kernels.MaxPool3x3s2Row(dst[oy*ow:(oy+1)*ow], src[r0*w:], src[r1*w:], src[r2*w:], w)
				}
			}
		})
		return
	}
	t.forRange(planes, 4, func(lo, hi int) {
		var stack [512]float32
		col := stack[:]
		if w > len(stack) {
			col = make([]float32, w)
		}
		col = col[:w]
		for c := lo; c < hi; c++ {
			src := x[c*h*w : (c+1)*h*w]
			dst := out[c*oh*ow : (c+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*p.StrideH - p.PadH
				y1 := min(y0+p.KH, h)
				y0 = max(y0, 0)
				copy(col, src[y0*w:(y0+1)*w])
				for y := y0 + 1; y < y1; y++ {
					row := src[y*w : (y+1)*w]
					for i, v := range row {
						col[i] = max(col[i], v)
					}
				}
				d := dst[oy*ow : (oy+1)*ow]
				for ox := range d {
					x0 := ox*p.StrideW - p.PadW
					x1 := min(x0+p.KW, w)
					x0 = max(x0, 0)
					m := col[x0]
					for _, v := range col[x0+1 : x1] {
						m = max(m, v)
					}
					d[ox] = m
				}
			}
		}
	})
}
