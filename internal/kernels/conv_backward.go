package kernels

// Conv2dBackward computes the gradients of Conv2d for a batch of n
// images. x: (n, InC, h, w) as given to Conv2d (only read when dw is
// non-nil), weight: (OutC, InC/Groups, KH, KW), dy: (n, OutC, oh, ow).
// It accumulates ∂L/∂w into dw and ∂L/∂b into db (either may be nil to
// skip it) and overwrites dx with ∂L/∂x (nil skips the input gradient).
//
// dw += dy·colᵀ per image and group (col = im2col(x), recomputed rather
// than kept from the forward pass); dcol = wᵀ·dy is folded back by col2im.
func Conv2dBackward(p *ConvParams, n, h, w int, x, weight, dy, dx, dw, db []float32) {
	oh, ow := p.OutSize(h, w)
	cinG, coutG := p.InC/p.Groups, p.OutC/p.Groups
	kdim := cinG * p.KH * p.KW
	plane := oh * ow
	inImg, outImg := p.InC*h*w, p.OutC*plane
	if db != nil {
		for b := 0; b < n; b++ {
			for c := 0; c < p.OutC; c++ {
				var s float32
				for _, v := range dy[b*outImg+c*plane : b*outImg+(c+1)*plane] {
					s += v
				}
				db[c] += s
			}
		}
	}
	if dw == nil && dx == nil {
		return
	}
	pw := p.pointwise()
	// One column buffer and one for its gradient, reused for every image.
	var col, dcol []float32
	if p.Groups == 1 && !pw {
		if dw != nil {
			col = make([]float32, kdim*plane)
		}
		if dx != nil {
			dcol = make([]float32, kdim*plane)
		}
	}
	for b := 0; b < n; b++ {
		dyb := dy[b*outImg : (b+1)*outImg]
		var xb, dxb []float32
		if dw != nil {
			xb = x[b*inImg : (b+1)*inImg]
		}
		if dx != nil {
			dxb = dx[b*inImg : (b+1)*inImg]
		}
		if p.Groups == 1 {
			if dw != nil {
				c := xb
				if !pw {
					c = col
					ParallelFor(p.InC, 1, func(lo, hi int) {
						im2col(p, xb, h, w, oh, ow, lo, hi, c[lo*p.KH*p.KW*plane:])
					})
				}
				Sgemm(false, true, p.OutC, kdim, plane, 1, dyb, plane, c, plane, 1, dw, kdim)
			}
			if dx != nil {
				if pw {
					Sgemm(true, false, kdim, plane, p.OutC, 1, weight, kdim, dyb, plane, 0, dxb, plane)
				} else {
					Sgemm(true, false, kdim, plane, p.OutC, 1, weight, kdim, dyb, plane, 0, dcol, plane)
					ParallelFor(p.InC, 1, func(lo, hi int) {
						col2im(p, dcol[lo*p.KH*p.KW*plane:], h, w, oh, ow, lo, hi, dxb)
					})
				}
			}
			continue
		}
		// One group per task; each task owns its slices of dw and dx.
		ParallelFor(p.Groups, 1, func(lo, hi int) {
			var col []float32
			if !pw {
				col = make([]float32, kdim*plane)
			}
			for g := lo; g < hi; g++ {
				dyg := dyb[g*coutG*plane:]
				wg := weight[g*coutG*kdim:]
				if dw != nil {
					src := xb[g*cinG*h*w : (g+1)*cinG*h*w]
					if pw {
						col = src
					} else {
						im2col(p, xb, h, w, oh, ow, g*cinG, (g+1)*cinG, col)
					}
					Sgemm(false, true, coutG, kdim, plane, 1, dyg, plane, col, plane, 1, dw[g*coutG*kdim:], kdim)
				}
				if dx != nil {
					if pw {
						Sgemm(true, false, kdim, plane, coutG, 1, wg, kdim, dyg, plane, 0, dxb[g*cinG*h*w:], plane)
					} else {
						Sgemm(true, false, kdim, plane, coutG, 1, wg, kdim, dyg, plane, 0, col, plane)
						col2im(p, col, h, w, oh, ow, g*cinG, (g+1)*cinG, dxb)
					}
				}
			}
		})
	}
}

// col2im is im2col's adjoint: for input channels [c0, c1) it overwrites
// dx's planes with the sum of the (c·KH·KW, oh·ow) rows of col (starting
// at col[0]) over every tap that read each pixel.
func col2im(p *ConvParams, col []float32, h, w, oh, ow, c0, c1 int, dx []float32) {
	plane := oh * ow
	r := 0
	for c := c0; c < c1; c++ {
		xc := dx[c*h*w : (c+1)*h*w]
		clear(xc)
		for ki := 0; ki < p.KH; ki++ {
			for kj := 0; kj < p.KW; kj++ {
				src := col[r*plane : (r+1)*plane]
				r++
				for oy := 0; oy < oh; oy++ {
					iy := oy*p.StrideH - p.PadH + ki*p.DilH
					if iy < 0 || iy >= h {
						continue
					}
					row := src[oy*ow : (oy+1)*ow]
					dst := xc[iy*w : (iy+1)*w]
					ix := kj*p.DilW - p.PadW
					if p.StrideW == 1 {
						lo := max(0, -ix)
						hi := min(ow, w-ix)
						for ox := lo; ox < hi; ox++ {
							dst[ix+ox] += row[ox]
						}
						continue
					}
					for _, v := range row {
						if ix >= 0 && ix < w {
							dst[ix] += v
						}
						ix += p.StrideW
					}
				}
			}
		}
	}
}
