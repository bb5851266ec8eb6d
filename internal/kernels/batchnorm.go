package kernels

import "math"

// BatchNormStats computes, for x of n images with c planes of size plane
// each, every channel's mean and biased variance (sums in float64, as
// PyTorch's CPU kernel accumulates in double).
func BatchNormStats(x []float32, n, c, plane int, mean, variance []float64) {
	ParallelFor(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			var s float64
			for b := 0; b < n; b++ {
				for _, v := range x[(b*c+ch)*plane : (b*c+ch+1)*plane] {
					s += float64(v)
				}
			}
			cnt := float64(n * plane)
			m := s / cnt
			var q float64
			for b := 0; b < n; b++ {
				for _, v := range x[(b*c+ch)*plane : (b*c+ch+1)*plane] {
					d := float64(v) - m
					q += d * d
				}
			}
			mean[ch], variance[ch] = m, q/cnt
		}
	})
}

// BatchNormBackward computes batch norm's gradients for x (n, c, plane)
// normalised with per-channel mean and invstd, scaled by weight (nil
// means 1). dy is the gradient of the output y; with relu the output was
// clamped at 0, and y (the clamped output) masks dy. If batchStats, mean
// and invstd were the batch's own (training mode) and their dependence on
// x is differentiated; otherwise they are constants (eval mode).
// It accumulates into dweight and dbias (nil skips them) and overwrites dx
// (nil skips the input gradient).
func BatchNormBackward(x, y, dy []float32, n, c, plane int, mean, invstd []float64, weight []float32,
	batchStats bool, dx, dweight, dbias []float32) {
	ParallelFor(c, 1, func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			m, is := mean[ch], invstd[ch]
			// sum = Σ dy, dot = Σ dy·(x − mean), over the batch and plane.
			var sum, dot float64
			for b := 0; b < n; b++ {
				o := (b*c + ch) * plane
				xs, gs := x[o:o+plane], dy[o:o+plane]
				if y != nil {
					ys := y[o : o+plane]
					for i, g := range gs {
						if !(ys[i] <= 0) { // PyTorch: threshold_backward zeroes where y <= 0
							sum += float64(g)
							dot += float64(g) * (float64(xs[i]) - m)
						}
					}
					continue
				}
				for i, g := range gs {
					sum += float64(g)
					dot += float64(g) * (float64(xs[i]) - m)
				}
			}
			if dweight != nil {
				dweight[ch] += float32(dot * is)
			}
			if dbias != nil {
				dbias[ch] += float32(sum)
			}
			if dx == nil {
				continue
			}
			w := 1.0
			if weight != nil {
				w = float64(weight[ch])
			}
			cnt := float64(n * plane)
			// Training: dx = (dy − mean(dy) − (x−mean)·is²·mean(dy·(x−mean)))·is·w.
			var k, gm float64
			if batchStats {
				k = dot * is * is / cnt
				gm = sum / cnt
			}
			scale := is * w
			for b := 0; b < n; b++ {
				o := (b*c + ch) * plane
				xs, gs, ds := x[o:o+plane], dy[o:o+plane], dx[o:o+plane]
				var ys []float32
				if y != nil {
					ys = y[o : o+plane]
				}
				for i, g := range gs {
					gv := float64(g)
					if ys != nil && ys[i] <= 0 {
						gv = 0
					}
					ds[i] = float32((gv - gm - (float64(xs[i])-m)*k) * scale)
				}
			}
		}
	})
}

// InvStd returns 1/√(v + eps) for each variance.
func InvStd(variance []float64, eps float64, out []float64) {
	for i, v := range variance {
		out[i] = 1 / math.Sqrt(v+eps)
	}
}

// ScaleShiftTo is ScaleShift writing to dst instead of in place: per
// channel dst = src·scale[c] + shift[c], clamped at 0 with relu.
func ScaleShiftTo(dst, src []float32, n, c, plane int, scale, shift []float32, relu bool) {
	ParallelFor(n*c, max(1, 1<<14/max(plane, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ch := i % c
			a, b := scale[ch], shift[ch]
			s, d := src[i*plane:(i+1)*plane], dst[i*plane:(i+1)*plane]
			for j, v := range s {
				v = v*a + b
				if relu && v < 0 {
					v = 0
				}
				d[j] = v
			}
		}
	})
}
