package kernels

// Conv2dBackward computes the gradients of Conv2d for a batch of n
// images. x: (n, InC, h, w) as given to Conv2d (only read when dw is
// non-nil), weight: (OutC, InC/Groups, KH, KW), dy: (n, OutC, oh, ow).
// It accumulates ∂L/∂w into dw and ∂L/∂b into db (either may be nil to
// skip it) and overwrites dx with ∂L/∂x (nil skips the input gradient).
//
// dw += dy·colᵀ per image and group (col = im2col(x), recomputed rather
// than kept from the forward pass). For a stride-1 convolution dx is the
// convolution of dy with the flipped, transposed weights (im2col of dy and
// one GEMM); otherwise dcol = wᵀ·dy is folded back by col2im. A batch is
// split across the threads image by image as in Conv2d, each thread
// summing its images' dw into its own buffer; the buffers are added at
// the end.
func Conv2dBackward(p *ConvParams, n, h, w int, x, weight, dy, dx, dw, db []float32) {
	oh, ow := p.OutSize(h, w)
	plane := oh * ow
	inImg, outImg := p.InC*h*w, p.OutC*plane
	if db != nil {
		for b := 0; b < n; b++ {
			for c := 0; c < p.OutC; c++ {
				db[c] += sum32(dy[b*outImg+c*plane : b*outImg+(c+1)*plane])
			}
		}
	}
	if dw == nil && dx == nil {
		return
	}
	var wt []float32
	tp, viaConv := p.transposed()
	if dx != nil && viaConv {
		wp := getScratch(len(weight))
		defer putScratch(wp)
		wt = *wp
		flipTranspose(p, weight, wt)
	}
	// With one group, each thread sums its images' weight gradients
	// transposed, dwᵀ (kdim × OutC) += col·dyᵀ: the GEMM then reads col in
	// place and only packs dy, and dw is updated once at the end.
	transW := dw != nil && p.Groups == 1
	kdim := p.InC / p.Groups * p.KH * p.KW
	image := func(threads, b int, dwb []float32) {
		var xb, dxb []float32
		if dw != nil {
			xb = x[b*inImg : (b+1)*inImg]
		}
		if dx != nil {
			dxb = dx[b*inImg : (b+1)*inImg]
		}
		convBackwardImage(p, &tp, threads, h, w, xb, weight, wt, dy[b*outImg:(b+1)*outImg], dxb, dwb, transW)
	}
	workers := batchWorkers(n)
	threads := Threads()
	if workers > 1 {
		threads = 1
	}
	// Worker 0 accumulates into dw itself (unless transposed), the others
	// into zeroed partial sums added to dw at the end.
	partial := make([]*[]float32, workers)
	if dw != nil {
		for i := range partial {
			if i > 0 || transW {
				partial[i] = getScratch(len(dw))
				clear(*partial[i])
			}
		}
	}
	forWorkers(workers, n, func(wi, lo, hi int) {
		dwb := dw
		if partial[wi] != nil {
			dwb = *partial[wi]
		}
		for b := lo; b < hi; b++ {
			image(threads, b, dwb)
		}
	})
	if dw == nil {
		return
	}
	if transW {
		ParallelFor(p.OutC, 1, func(lo, hi int) {
			for co := lo; co < hi; co++ {
				row := dw[co*kdim : (co+1)*kdim]
				for _, pp := range partial {
					t := *pp
					for k := range row {
						row[k] += t[k*p.OutC+co]
					}
				}
			}
		})
	} else {
		ParallelFor(len(dw), 1<<14, func(lo, hi int) {
			for _, pp := range partial[1:] {
				for i, v := range (*pp)[lo:hi] {
					dw[lo+i] += v
				}
			}
		})
	}
	for _, pp := range partial {
		if pp != nil {
			putScratch(pp)
		}
	}
}

// transposed returns the convolution whose forward pass is this one's
// input gradient, when there is one: for stride 1, no dilation, one group
// and padding below the kernel size, ∂L/∂x = conv(dy, flipped wᵀ) with
// padding k−1−p. ok is false otherwise (and for 1×1 unpadded convolutions,
// whose input gradient is one GEMM anyway).
func (p *ConvParams) transposed() (t ConvParams, ok bool) {
	if p.Groups != 1 || p.StrideH != 1 || p.StrideW != 1 || p.DilH != 1 || p.DilW != 1 ||
		p.PadH > p.KH-1 || p.PadW > p.KW-1 || p.pointwise() {
		return t, false
	}
	return ConvParams{
		InC: p.OutC, OutC: p.InC, KH: p.KH, KW: p.KW,
		StrideH: 1, StrideW: 1, PadH: p.KH - 1 - p.PadH, PadW: p.KW - 1 - p.PadW,
		DilH: 1, DilW: 1, Groups: 1,
	}, true
}

// flipTranspose writes the weights of p.transposed(): wt[ci, co, i, j] =
// w[co, ci, KH−1−i, KW−1−j].
func flipTranspose(p *ConvParams, w, wt []float32) {
	kk := p.KH * p.KW
	for co := 0; co < p.OutC; co++ {
		for ci := 0; ci < p.InC; ci++ {
			src := w[(co*p.InC+ci)*kk : (co*p.InC+ci+1)*kk]
			dst := wt[(ci*p.OutC+co)*kk : (ci*p.OutC+co+1)*kk]
			for i, v := range src {
				dst[kk-1-i] = v
			}
		}
	}
}

// convBackwardImage is Conv2dBackward for one image on at most threads
// goroutines: dw += ∂L/∂w (dw nil: skip; transW: dw holds it transposed,
// (kdim × OutC), one group only), dx = ∂L/∂x (dx nil: skip). wt holds the
// flipped weights of tp when dx goes through the transposed convolution,
// else nil.
func convBackwardImage(p, tp *ConvParams, threads, h, w int, xb, weight, wt, dyb, dxb, dw []float32, transW bool) {
	oh, ow := p.OutSize(h, w)
	cinG, coutG := p.InC/p.Groups, p.OutC/p.Groups
	kdim := cinG * p.KH * p.KW
	plane := oh * ow
	pw := p.pointwise()
	if p.Groups == 1 {
		if dw != nil {
			col := xb
			if !pw {
				cp := getScratch(kdim * plane)
				defer putScratch(cp)
				col = *cp
				parallelFor(threads, p.InC, 1, func(lo, hi int) {
					im2col(p, xb, h, w, oh, ow, lo, hi, col[lo*p.KH*p.KW*plane:])
				})
			}
			if transW {
				sgemm(gemmKernel, threads, false, true, kdim, p.OutC, plane, 1, col, plane, dyb, plane, 1, dw, p.OutC)
			} else {
				sgemm(gemmKernel, threads, false, true, p.OutC, kdim, plane, 1, dyb, plane, col, plane, 1, dw, kdim)
			}
		}
		switch {
		case dxb == nil:
		case pw:
			sgemm(gemmKernel, threads, true, false, kdim, plane, p.OutC, 1, weight, kdim, dyb, plane, 0, dxb, plane)
		case wt != nil:
			// dx = conv(dy, wt): im2col of dy (OutC·KH·KW rows of h·w).
			tk := p.OutC * p.KH * p.KW
			cp := getScratch(tk * h * w)
			defer putScratch(cp)
			col := *cp
			parallelFor(threads, p.OutC, 1, func(lo, hi int) {
				im2col(tp, dyb, oh, ow, h, w, lo, hi, col[lo*p.KH*p.KW*h*w:])
			})
			sgemm(gemmKernel, threads, false, false, p.InC, h*w, tk, 1, wt, tk, col, h*w, 0, dxb, h*w)
		default:
			cp := getScratch(kdim * plane)
			defer putScratch(cp)
			dcol := *cp
			sgemm(gemmKernel, threads, true, false, kdim, plane, p.OutC, 1, weight, kdim, dyb, plane, 0, dcol, plane)
			parallelFor(threads, p.InC, 1, func(lo, hi int) {
				col2im(p, dcol[lo*p.KH*p.KW*plane:], h, w, oh, ow, lo, hi, dxb)
			})
		}
		return
	}
	// One group per task; each task owns its slices of dw and dx.
	parallelFor(threads, p.Groups, 1, func(lo, hi int) {
		var cp *[]float32
		if !pw {
			cp = getScratch(kdim * plane)
			defer putScratch(cp)
		}
		for g := lo; g < hi; g++ {
			dyg := dyb[g*coutG*plane:]
			wg := weight[g*coutG*kdim:]
			if dw != nil {
				col := groupColumns(p, xb, h, w, oh, ow, g, cp)
				sgemm(gemmKernel, 1, false, true, coutG, kdim, plane, 1, dyg, plane, col, plane, 1, dw[g*coutG*kdim:], kdim)
			}
			if dxb != nil {
				if pw {
					sgemm(gemmKernel, 1, true, false, kdim, plane, coutG, 1, wg, kdim, dyg, plane, 0, dxb[g*cinG*h*w:], plane)
				} else {
					col := *cp
					sgemm(gemmKernel, 1, true, false, kdim, plane, coutG, 1, wg, kdim, dyg, plane, 0, col, plane)
					col2im(p, col, h, w, oh, ow, g*cinG, (g+1)*cinG, dxb)
				}
			}
		}
	})
}

// sum32 returns the sum of x in float32 with four partial sums.
func sum32(x []float32) float32 {
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i]
		s1 += x[i+1]
		s2 += x[i+2]
		s3 += x[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i]
	}
	return (s0 + s1) + (s2 + s3)
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
