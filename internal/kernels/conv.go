package kernels

// ConvParams describes a 2-D convolution over NCHW data with weights
// shaped (OutC, InC/Groups, KH, KW), as torch.nn.Conv2d.
type ConvParams struct {
	InC, OutC        int
	KH, KW           int
	StrideH, StrideW int
	PadH, PadW       int
	DilH, DilW       int
	Groups           int
}

// OutSize returns the output height and width for an H×W input, using
// PyTorch's rule ⌊(H + 2p − d·(k−1) − 1)/s⌋ + 1. Either may be ≤ 0 when
// the input is too small.
func (p *ConvParams) OutSize(h, w int) (oh, ow int) {
	oh = (h+2*p.PadH-p.DilH*(p.KH-1)-1)/p.StrideH + 1
	ow = (w+2*p.PadW-p.DilW*(p.KW-1)-1)/p.StrideW + 1
	if h+2*p.PadH-p.DilH*(p.KH-1)-1 < 0 {
		oh = 0
	}
	if w+2*p.PadW-p.DilW*(p.KW-1)-1 < 0 {
		ow = 0
	}
	return oh, ow
}

// pointwise reports whether the convolution is a 1×1, stride 1, unpadded
// one, whose input already is the GEMM's right-hand matrix.
func (p *ConvParams) pointwise() bool {
	return p.KH == 1 && p.KW == 1 && p.StrideH == 1 && p.StrideW == 1 && p.PadH == 0 && p.PadW == 0
}

// Conv2d computes out = conv(x, w) + bias for a batch of n images.
// x: (n, InC, h, w), weight: (OutC, InC/Groups, KH, KW), bias: OutC values
// or nil, out: (n, OutC, oh, ow) from OutSize. out is overwritten.
//
// A batch of several images is split across the threads image by image
// (each thread runs its images' GEMMs alone, with its own column buffer);
// a single image is split inside its GEMM. The result is the same either
// way: no thread split ever divides a sum.
func Conv2d(p *ConvParams, n, h, w int, x, weight, bias, out []float32) {
	oh, ow := p.OutSize(h, w)
	inImg, outImg := p.InC*h*w, p.OutC*oh*ow
	if workers := batchWorkers(n); workers > 1 {
		forWorkers(workers, n, func(_, lo, hi int) {
			for b := lo; b < hi; b++ {
				convImage(p, 1, h, w, x[b*inImg:(b+1)*inImg], weight, bias, out[b*outImg:(b+1)*outImg])
			}
		})
		return
	}
	for b := 0; b < n; b++ {
		convImage(p, Threads(), h, w, x[b*inImg:(b+1)*inImg], weight, bias, out[b*outImg:(b+1)*outImg])
	}
}

// convImage is Conv2d for one image on at most threads goroutines.
func convImage(p *ConvParams, threads, h, w int, xb, weight, bias, ob []float32) {
	oh, ow := p.OutSize(h, w)
	cinG, coutG := p.InC/p.Groups, p.OutC/p.Groups
	kdim := cinG * p.KH * p.KW
	plane := oh * ow
	pw := p.pointwise()
	if p.Groups == 1 {
		if pw {
			sgemm(gemmKernel, threads, false, false, p.OutC, plane, kdim, 1, weight, kdim, xb, plane, 0, ob, plane)
		} else {
			cp := getScratch(kdim * plane)
			col := *cp
			parallelFor(threads, p.InC, 1, func(lo, hi int) {
				im2col(p, xb, h, w, oh, ow, lo, hi, col[lo*p.KH*p.KW*plane:])
			})
			sgemm(gemmKernel, threads, false, false, p.OutC, plane, kdim, 1, weight, kdim, col, plane, 0, ob, plane)
			putScratch(cp)
		}
	} else {
		// Many small GEMMs: groups split across the threads, each thread
		// with its own column buffer.
		parallelFor(threads, p.Groups, 1, func(lo, hi int) {
			var cp *[]float32
			if !pw {
				cp = getScratch(kdim * plane)
				defer putScratch(cp)
			}
			for g := lo; g < hi; g++ {
				col := groupColumns(p, xb, h, w, oh, ow, g, cp)
				sgemm(gemmKernel, 1, false, false, coutG, plane, kdim, 1, weight[g*coutG*kdim:], kdim, col, plane, 0, ob[g*coutG*plane:], plane)
			}
		})
	}
	if bias != nil {
		for c := 0; c < p.OutC; c++ {
			addConst(ob[c*plane:(c+1)*plane], bias[c])
		}
	}
}

// groupColumns returns group g's column matrix (InC/Groups·KH·KW rows of
// oh·ow): its slice of the image xb itself for a pointwise convolution,
// else im2col written into buf.
func groupColumns(p *ConvParams, xb []float32, h, w, oh, ow, g int, buf *[]float32) []float32 {
	cinG := p.InC / p.Groups
	if p.pointwise() {
		return xb[g*cinG*h*w : (g+1)*cinG*h*w]
	}
	im2col(p, xb, h, w, oh, ow, g*cinG, (g+1)*cinG, *buf)
	return *buf
}

// im2col writes, for input channels [c0, c1), the (c·KH·KW, oh·ow) rows of
// the unfolded input into col, starting at col[0]. Out-of-image taps are 0.
func im2col(p *ConvParams, x []float32, h, w, oh, ow, c0, c1 int, col []float32) {
	plane := oh * ow
	r := 0
	for c := c0; c < c1; c++ {
		xc := x[c*h*w : (c+1)*h*w]
		for ki := 0; ki < p.KH; ki++ {
			for kj := 0; kj < p.KW; kj++ {
				dst := col[r*plane : (r+1)*plane]
				r++
				if p.StrideH == 1 && p.StrideW == 1 && ow == w {
					im2colShift(dst, xc, h, w, oh, ki*p.DilH-p.PadH, kj*p.DilW-p.PadW)
					continue
				}
				for oy := 0; oy < oh; oy++ {
					iy := oy*p.StrideH - p.PadH + ki*p.DilH
					row := dst[oy*ow : (oy+1)*ow]
					if iy < 0 || iy >= h {
						clear(row)
						continue
					}
					src := xc[iy*w : (iy+1)*w]
					ix := kj*p.DilW - p.PadW
					if p.StrideW == 1 {
						// Contiguous run with zero margins.
						lo := max(0, -ix)
						hi := min(ow, w-ix)
						if hi < lo {
							hi = lo
						}
						clear(row[:lo])
						copy(row[lo:hi], src[ix+lo:ix+hi])
						clear(row[hi:])
						continue
					}
					for ox := range row {
						if ix >= 0 && ix < w {
							row[ox] = src[ix]
						} else {
							row[ox] = 0
						}
						ix += p.StrideW
					}
				}
			}
		}
	}
}

// im2colShift writes one im2col row of a stride-1 convolution whose
// output is as wide as its input: dst[oy, ox] = xc[oy+dy, ox+dx], 0 outside
// the h×w plane. Consecutive output rows then read consecutive input
// rows, so the valid rows are one flat copy shifted by dy·w+dx, after
// which the |dx| columns that wrapped around a row edge are zeroed.
func im2colShift(dst, xc []float32, h, w, oh, dy, dx int) {
	oy0 := max(0, -dy)
	oy1 := min(oh, h-dy)
	if oy1 <= oy0 || dx >= w || -dx >= w {
		clear(dst)
		return
	}
	clear(dst[:oy0*w])
	clear(dst[oy1*w:])
	// Flat copy of dst[oy0*w : oy1*w] from xc at offset (oy0+dy)*w + dx,
	// clipped to the plane; the clipped ends are margins zeroed below.
	lo, hi := oy0*w, oy1*w
	so := (oy0+dy)*w + dx
	if so < 0 {
		lo -= so
		so = 0
	}
	if e := so + (hi - lo); e > h*w {
		hi -= e - h*w
	}
	copy(dst[lo:hi], xc[so:so+(hi-lo)])
	// Element stores: the margins are a column or two, too short for clear.
	switch {
	case dx > 0:
		for i := oy0*w + w - dx; i < oy1*w; i += w {
			for j := range dx {
				dst[i+j] = 0
			}
		}
	case dx < 0:
		for i := oy0 * w; i < oy1*w; i += w {
			for j := range -dx {
				dst[i+j] = 0
			}
		}
	}
}

func addConst(x []float32, v float32) {
	for i := range x {
		x[i] += v
	}
}
