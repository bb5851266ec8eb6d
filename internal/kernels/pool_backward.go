package kernels

import "math"

// MaxPool2dArgmax is MaxPool2d that also records, for every output, the
// index within its h×w plane of the input it came from (argmax). PyTorch's
// rule: the first maximum in row-major window order wins ties, and a NaN
// replaces the running maximum (so the last NaN wins). A window of -∞
// points at its first in-bounds element.
func MaxPool2dArgmax(p *PoolParams, planes, h, w int, x, out []float32, argmax []int32) {
	oh, ow := p.OutSize(h, w)
	ParallelFor(planes, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := x[c*h*w : (c+1)*h*w]
			dst := out[c*oh*ow : (c+1)*oh*ow]
			idx := argmax[c*oh*ow : (c+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*p.StrideH - p.PadH
				y1 := min(y0+p.KH, h)
				y0 = max(y0, 0)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*p.StrideW - p.PadW
					x1 := min(x0+p.KW, w)
					x0 = max(x0, 0)
					m := float32(math.Inf(-1))
					mi := y0*w + x0
					for y := y0; y < y1; y++ {
						for i := y*w + x0; i < y*w+x1; i++ {
							if v := src[i]; v > m || v != v {
								m, mi = v, i
							}
						}
					}
					dst[oy*ow+ox] = m
					idx[oy*ow+ox] = int32(mi)
				}
			}
		}
	})
}

// MaxPool2dBackward overwrites dx (planes of h×w) with the pooled
// gradients dy (planes of oh×ow) routed to their argmax positions.
func MaxPool2dBackward(planes, h, w, oh, ow int, dy []float32, argmax []int32, dx []float32) {
	ParallelFor(planes, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			d := dx[c*h*w : (c+1)*h*w]
			clear(d)
			g := dy[c*oh*ow : (c+1)*oh*ow]
			for i, j := range argmax[c*oh*ow : (c+1)*oh*ow] {
				d[j] += g[i]
			}
		}
	})
}

// AdaptiveAvgPool2dBackward overwrites dx (planes of h×w) with the
// gradient of AdaptiveAvgPool2d: each output's gradient spread evenly over
// its bin (bins may overlap; overlaps add up).
func AdaptiveAvgPool2dBackward(planes, h, w, oh, ow int, dy, dx []float32) {
	ParallelFor(planes, 16, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			d := dx[c*h*w : (c+1)*h*w]
			clear(d)
			g := dy[c*oh*ow : (c+1)*oh*ow]
			for i := 0; i < oh; i++ {
				y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
				for j := 0; j < ow; j++ {
					x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
					v := g[i*ow+j] / float32(y1-y0) / float32(x1-x0) // PyTorch divides twice
					for y := y0; y < y1; y++ {
						row := d[y*w+x0 : y*w+x1]
						for k := range row {
							row[k] += v
						}
					}
				}
			}
		}
	})
}
