package engine

import (
	"fmt"

	"github.com/resnetgo/resnet/internal/kernels"
)

// convKind is how a convolution is computed (see the package comment).
type convKind int

const (
	pointwise convKind = iota
	shifted
	unfolded
)

// conv is a convolution with its batch norm folded in. w is laid out as
// (OutC, InC/Groups·KH·KW) for pointwise and unfolded convolutions, and as
// (KH·KW, OutC, InC) — one GEMM operand per tap — for shifted ones.
type conv struct {
	kind                convKind
	inC, outC, kh, kw   int
	stride, pad, groups int
	w, bias             []float32
	wino                []float32 // Winograd F(2×2, 3×3) weights, or nil (winograd.go)
}

// minShiftedInC is the fewest input channels for which a shifted
// convolution (a GEMM of depth InC per tap) beats im2col (depth InC·KH·KW).
const minShiftedInC = 32

func chooseKind(c *conv) convKind {
	switch {
	case c.kh == 1 && c.kw == 1 && c.pad == 0 && c.groups == 1:
		return pointwise
	case c.groups == 1 && c.inC >= minShiftedInC:
		return shifted
	}
	return unfolded
}

func (c *conv) outSize(h, w int) (int, int) {
	oh := (h+2*c.pad-c.kh)/c.stride + 1
	ow := (w+2*c.pad-c.kw)/c.stride + 1
	if h+2*c.pad < c.kh || w+2*c.pad < c.kw {
		return 0, 0
	}
	return oh, ow
}

// accum is a second 1×1 convolution whose output is summed into the same
// tiles: a bottleneck's projection shortcut, on the block input x (h×w).
type accum struct {
	c    *conv
	x    []float32
	h, w int
}

// conv runs c on x (n, InC, h, w) into buffer outID, then the epilogue
// out = relu?(out + bias + res) (bias defaults to c's own).
func (ws *workspace) conv(c *conv, x []float32, outID bufID, h, w int, res, bias []float32, acc *accum, relu bool) ([]float32, int, int, error) {
	oh, ow := c.outSize(h, w)
	if oh <= 0 || ow <= 0 {
		return nil, 0, 0, fmt.Errorf("input %dx%d too small for a %dx%d convolution with padding %d", h, w, c.kh, c.kw, c.pad)
	}
	out := ws.buf(outID, ws.n*c.outC*oh*ow)
	if bias == nil {
		bias = c.bias
	}
	switch c.kind {
	case pointwise:
		ws.pointwise(c, x, h, w, oh, ow, out, res, bias, acc, relu)
	case shifted:
		ws.shifted(c, x, h, w, oh, ow, out, res, bias, relu)
	default:
		ws.unfolded(c, x, h, w, oh, ow, out, res, bias, relu)
	}
	return out, oh, ow, nil
}

// tiling picks the tiles a layer's m×n output (per image) is split into:
// column blocks of at most 512 (Sgemm blocks K and M itself, and narrower
// blocks measured 5–20% slower), then, while there are too few tiles to
// share among the threads, rows and then columns split in halves.
func tiling(m, n, images, threads int) (mb, nb int) {
	nb = n
	if n > 512 {
		tn := (n + 511) / 512
		nb = ((n+tn-1)/tn + 31) / 32 * 32
	}
	mb = m
	tiles := func() int { return images * ((n + nb - 1) / nb) * ((m + mb - 1) / mb) }
	// Fewer than 96 rows a tile measured slower than narrower columns.
	for tiles() < 4*threads && mb >= 192 {
		mb = ((mb+1)/2 + 11) / 12 * 12
	}
	for tiles() < 4*threads && nb >= 64 {
		nb = ((nb+1)/2 + 31) / 32 * 32
	}
	return mb, nb
}

// subsample returns x (n, c, h, w) taken every s-th row and column into
// buffer bufSub, or x itself when s is 1.
func (ws *workspace) subsample(x []float32, c, h, w, s, oh, ow int) []float32 {
	if s == 1 {
		return x
	}
	y := ws.buf(bufSub, ws.n*c*oh*ow)
	if ws.sizing {
		return nil
	}
	kernels.ParallelFor(ws.n*c, 16, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			src, dst := x[p*h*w:(p+1)*h*w], y[p*oh*ow:(p+1)*oh*ow]
			for oy := 0; oy < oh; oy++ {
				row := src[oy*s*w:]
				d := dst[oy*ow : (oy+1)*ow]
				for ox := range d {
					d[ox] = row[ox*s]
				}
			}
		}
	})
	return y
}

// pointwise: out(img) = W · x(img) for a 1×1 convolution, plus acc's
// W' · x'(img) when set, then the epilogue, tile by tile.
func (ws *workspace) pointwise(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, acc *accum, relu bool) {
	plane := oh * ow
	x = ws.subsample(x, c.inC, h, w, c.stride, oh, ow)
	var ax []float32
	if acc != nil {
		// c itself has stride 1 here (conv3 of a bottleneck), so bufSub is free.
		ax = ws.subsample(acc.x, acc.c.inC, acc.h, acc.w, acc.c.stride, oh, ow)
	}
	if ws.sizing {
		return
	}
	n, m := ws.n, c.outC
	mb, nb := tiling(m, plane, n, ws.key.threads)
	tm, tn := (m+mb-1)/mb, (plane+nb-1)/nb
	ws.parallel(n*tm*tn, func(_, it int) {
		img, r := it/(tm*tn), it%(tm*tn)
		m0, j0 := r/tn*mb, r%tn*nb
		m1, j1 := min(m0+mb, m), min(j0+nb, plane)
		o := out[img*m*plane:]
		var beta float32
		if acc != nil {
			ci := acc.c.inC
			kernels.SgemmSerial(m1-m0, j1-j0, ci, 1, acc.c.w[m0*ci:], ci, ax[img*ci*plane+j0:], plane, 0, o[m0*plane+j0:], plane)
			beta = 1
		}
		kernels.SgemmSerial(m1-m0, j1-j0, c.inC, 1, c.w[m0*c.inC:], c.inC, x[img*c.inC*plane+j0:], plane, beta, o[m0*plane+j0:], plane)
		epilogue(o, res, bias, img*m*plane, plane, m0, m1, j0, j1, relu)
	})
}

// shiftedGeom is the layout of a shifted convolution's padded input: s²
// phase planes per channel, each hq×wq, cs values apart.
func shiftedGeom(c *conv, h, w int) (wq, hq, cs int) {
	s := c.stride
	hp, wp := h+2*c.pad, w+2*c.pad
	wq = (wp + s - 1) / s
	hq = (hp+s-1)/s + 2 // spare rows: the last tap's view (or Winograd tile) runs past the image
	cs = hq * wq
	if cs%1024 == 0 {
		cs += 32 // keep the channels of B out of one cache set (Sgemm packs B at 4 KiB strides)
	}
	return wq, hq, cs
}

// shifted computes a k×k convolution as Σ over taps (ki, kj) of
// W[ki,kj] · view(ki, kj), where the view is the padded input (phase
// plane (ki mod s, kj mod s)) from offset (ki/s)·wq + kj/s: each output
// row oy is computed over wq columns, of which the first ow are kept.
func (ws *workspace) shifted(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, relu bool) {
	s := c.stride
	wq, hq, cs := shiftedGeom(c, h, w)
	phases := s * s
	n, m, ic := ws.n, c.outC, c.inC
	pad := ws.buf(bufPad, n*phases*ic*cs)
	gn := oh * wq
	grid := ws.buf(bufGrid, n*m*gn)
	if ws.sizing {
		if c.wino != nil {
			ws.winograd(c, pad, wq, cs, oh, ow, out, res, bias, relu)
		}
		return
	}
	kernels.ParallelFor(n*ic, 8, func(lo, hi int) {
		for p := lo; p < hi; p++ {
			img, ch := p/ic, p%ic
			src := x[p*h*w : (p+1)*h*w]
			for a := 0; a < s; a++ {
				for b := 0; b < s; b++ {
					dst := pad[((img*phases+a*s+b)*ic+ch)*cs:][:hq*wq]
					fillPhase(src, h, w, c.pad, s, a, b, hq, wq, dst)
				}
			}
		}
	})
	th, tw := (oh+1)/2, (ow+1)/2
	if c.wino != nil && th*tw >= minWinogradTiles {
		ws.winograd(c, pad, wq, cs, oh, ow, out, res, bias, relu)
		return
	}
	plane := oh * ow
	taps := c.kh * c.kw
	mb, nb := tiling(m, gn, n, ws.key.threads)
	tm, tn := (m+mb-1)/mb, (gn+nb-1)/nb
	ws.parallel(n*tm*tn, func(_, it int) {
		img, r := it/(tm*tn), it%(tm*tn)
		m0, j0 := r/tn*mb, r%tn*nb
		m1, j1 := min(m0+mb, m), min(j0+nb, gn)
		g := grid[img*m*gn:]
		for t := 0; t < taps; t++ {
			ki, kj := t/c.kw, t%c.kw
			phase := (ki%s)*s + kj%s
			off := (ki/s)*wq + kj/s
			var beta float32 = 1
			if t == 0 {
				beta = 0
			}
			kernels.SgemmSerial(m1-m0, j1-j0, ic, 1, c.w[(t*m+m0)*ic:], ic,
				pad[(img*phases+phase)*ic*cs+off+j0:], cs, beta, g[m0*gn+j0:], gn)
		}
		o := out[img*m*plane:]
		var rimg []float32
		if res != nil {
			rimg = res[img*m*plane:]
		}
		for i := m0; i < m1; i++ {
			for oy := j0 / wq; oy < oh && oy*wq < j1; oy++ {
				a, e := max(j0-oy*wq, 0), min(j1-oy*wq, ow)
				if a >= e {
					continue
				}
				d := o[i*plane+oy*ow+a : i*plane+oy*ow+e]
				var rr []float32
				if rimg != nil {
					rr = rimg[i*plane+oy*ow+a : i*plane+oy*ow+e]
				}
				kernels.BiasAct(d, g[i*gn+oy*wq+a:], rr, bias[i], relu)
			}
		}
	})
}

// fillPhase writes phase plane (a, b) of one zero-padded channel:
// dst[r, q] = x[r·s+a−pad, q·s+b−pad], 0 outside the image.
func fillPhase(x []float32, h, w, pad, s, a, b, hq, wq int, dst []float32) {
	for r := 0; r < hq; r++ {
		row := dst[r*wq : (r+1)*wq]
		y := r*s + a - pad
		if y < 0 || y >= h {
			clear(row)
			continue
		}
		src := x[y*w : (y+1)*w]
		if s == 1 {
			// columns q ↔ x = q − pad
			lo := min(pad, wq)
			hi := min(pad+w, wq)
			clear(row[:lo])
			copy(row[lo:hi], src)
			clear(row[hi:])
			continue
		}
		for q := range row {
			xx := q*s + b - pad
			if xx >= 0 && xx < w {
				row[q] = src[xx]
			} else {
				row[q] = 0
			}
		}
	}
}

// unfolded runs im2col on one chunk of output columns at a time, for one
// group, into the thread's buffer, and one GEMM per chunk and group.
func (ws *workspace) unfolded(c *conv, x []float32, h, w, oh, ow int, out, res, bias []float32, relu bool) {
	icg, ocg := c.inC/c.groups, c.outC/c.groups
	k := icg * c.kh * c.kw
	plane := oh * ow
	nb := min(plane, max(32, (32<<10)/k/32*32))
	if ws.sizing {
		ws.colSize = max(ws.colSize, k*nb)
		return
	}
	n, m, g := ws.n, c.outC, c.groups
	tn := (plane + nb - 1) / nb
	ws.parallel(n*g*tn, func(worker, it int) {
		img, r := it/(g*tn), it%(g*tn)
		grp, j0 := r/tn, r%tn*nb
		j1 := min(j0+nb, plane)
		cols := j1 - j0
		col := ws.cols[worker][:k*cols]
		im2colChunk(x[img*c.inC*h*w:], h, w, grp*icg, (grp+1)*icg, c, ow, j0, j1, col)
		m0, m1 := grp*ocg, (grp+1)*ocg
		o := out[img*m*plane:]
		kernels.SgemmSerial(ocg, cols, k, 1, c.w[m0*k:], k, col, cols, 0, o[m0*plane+j0:], plane)
		epilogue(o, res, bias, img*m*plane, plane, m0, m1, j0, j1, relu)
	})
}

// im2colChunk writes rows (ch, ki, kj) for channels [c0, c1) and output
// columns [j0, j1) of the unfolded input into col, (j1−j0) values a row.
func im2colChunk(x []float32, h, w, c0, c1 int, c *conv, ow, j0, j1 int, col []float32) {
	cols := j1 - j0
	s, p := c.stride, c.pad
	r := 0
	for ch := c0; ch < c1; ch++ {
		xc := x[ch*h*w : (ch+1)*h*w]
		for ki := 0; ki < c.kh; ki++ {
			for kj := 0; kj < c.kw; kj++ {
				dst := col[r*cols : (r+1)*cols]
				r++
				for j := j0; j < j1; {
					oy, ox0 := j/ow, j%ow
					ox1 := min(ow, ox0+j1-j)
					seg := dst[j-j0 : j-j0+ox1-ox0]
					j += ox1 - ox0
					iy := oy*s - p + ki
					if iy < 0 || iy >= h {
						clear(seg)
						continue
					}
					row := xc[iy*w : (iy+1)*w]
					ix := ox0*s - p + kj
					if s == 1 {
						lo := min(max(0, -ix), len(seg))
						hi := max(min(len(seg), w-ix), lo)
						clear(seg[:lo])
						copy(seg[lo:hi], row[ix+lo:])
						clear(seg[hi:])
						continue
					}
					for q := range seg {
						if ix >= 0 && ix < w {
							seg[q] = row[ix]
						} else {
							seg[q] = 0
						}
						ix += s
					}
				}
			}
		}
	}
}

// epilogue applies bias, the residual (res at offset off, if any) and ReLU
// to rows m0..m1, columns j0..j1 of one image's output tile o.
func epilogue(o, res, bias []float32, off, plane, m0, m1, j0, j1 int, relu bool) {
	var rimg []float32
	if res != nil {
		rimg = res[off:]
	}
	for i := m0; i < m1; i++ {
		row := o[i*plane+j0 : i*plane+j1]
		var rr []float32
		if rimg != nil {
			rr = rimg[i*plane+j0 : i*plane+j1]
		}
		kernels.BiasAct(row, row, rr, bias[i], relu)
	}
}
