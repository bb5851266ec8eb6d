package kernels

import "math"

// PoolParams describes a 2-D max pool (torch.nn.MaxPool2d, floor mode,
// dilation 1): window KH×KW, stride and zero-cost implicit -∞ padding.
type PoolParams struct {
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
}

// OutSize returns the pooled height and width (floor mode).
func (p *PoolParams) OutSize(h, w int) (oh, ow int) {
	oh = (h+2*p.PadH-p.KH)/p.StrideH + 1
	ow = (w+2*p.PadW-p.KW)/p.StrideW + 1
	if h+2*p.PadH-p.KH < 0 {
		oh = 0
	}
	if w+2*p.PadW-p.KW < 0 {
		ow = 0
	}
	return oh, ow
}

// MaxPool2d pools planes (n·c planes of h×w) into out (planes of oh×ow).
// A NaN in a window propagates, as in PyTorch.
func MaxPool2d(p *PoolParams, planes, h, w int, x, out []float32) {
	oh, ow := p.OutSize(h, w)
	ParallelFor(planes, 1, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := x[c*h*w : (c+1)*h*w]
			dst := out[c*oh*ow : (c+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				y0 := oy*p.StrideH - p.PadH
				y1 := min(y0+p.KH, h)
				y0 = max(y0, 0)
				for ox := 0; ox < ow; ox++ {
					x0 := ox*p.StrideW - p.PadW
					x1 := min(x0+p.KW, w)
					x0 = max(x0, 0)
					m := float32(math.Inf(-1))
					for y := y0; y < y1; y++ {
						for _, v := range src[y*w+x0 : y*w+x1] {
							if v > m || v != v {
								m = v
							}
						}
						if m != m {
							break
						}
					}
					dst[oy*ow+ox] = m
				}
			}
		}
	})
}

// AdaptiveAvgPool2d averages each of planes h×w planes into oh×ow cells
// using PyTorch's bins: rows ⌊i·h/oh⌋ to ⌈(i+1)·h/oh⌉.
func AdaptiveAvgPool2d(planes, h, w, oh, ow int, x, out []float32) {
	ParallelFor(planes, 16, func(lo, hi int) {
		for c := lo; c < hi; c++ {
			src := x[c*h*w : (c+1)*h*w]
			dst := out[c*oh*ow : (c+1)*oh*ow]
			for i := 0; i < oh; i++ {
				y0, y1 := i*h/oh, ((i+1)*h+oh-1)/oh
				for j := 0; j < ow; j++ {
					x0, x1 := j*w/ow, ((j+1)*w+ow-1)/ow
					var s float32
					for y := y0; y < y1; y++ {
						for _, v := range src[y*w+x0 : y*w+x1] {
							s += v
						}
					}
					dst[i*ow+j] = s / float32((y1-y0)*(x1-x0))
				}
			}
		}
	})
}
