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
				s += sum64(x[(b*c+ch)*plane : (b*c+ch+1)*plane])
			}
			cnt := float64(n * plane)
			m := s / cnt
			var q float64
			for b := 0; b < n; b++ {
				q += sqDev64(x[(b*c+ch)*plane:(b*c+ch+1)*plane], m)
			}
			mean[ch], variance[ch] = m, q/cnt
		}
	})
}

// sum64 returns Σ x in float64 (four partial sums, for speed).
func sum64(x []float32) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += float64(x[i])
		s1 += float64(x[i+1])
		s2 += float64(x[i+2])
		s3 += float64(x[i+3])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return (s0 + s1) + (s2 + s3)
}

// sqDev64 returns Σ (x − m)² in float64.
func sqDev64(x []float32, m float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		d0, d1, d2, d3 := float64(x[i])-m, float64(x[i+1])-m, float64(x[i+2])-m, float64(x[i+3])-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
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
			// sum = Σ dy, dot = Σ dy·(x − mean), over the batch and plane,
			// with dy masked by the ReLU (PyTorch's threshold_backward
			// zeroes it where y <= 0). The masked dy is parked in dx,
			// which the second pass overwrites.
			var sum, dot float64
			for b := 0; b < n; b++ {
				o := (b*c + ch) * plane
				var ys, ds []float32
				if y != nil {
					ys = y[o : o+plane]
				}
				if dx != nil {
					ds = dx[o : o+plane]
				}
				s, d := bnSums(x[o:o+plane], dy[o:o+plane], ys, ds, m)
				sum += s
				dot += d
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
				xs, ds := x[o:o+plane], dx[o:o+plane]
				xs = xs[:len(ds)]
				for i, g := range ds {
					ds[i] = float32((float64(g) - gm - (float64(xs[i])-m)*k) * scale)
				}
			}
		}
	})
}

// bnSums returns Σ g and Σ g·(x − m) over one plane, where g is dy masked
// by the ReLU (reluGrad) when y is not nil; it also stores g in park when that is not
// nil.
func bnSums(x, dy, y, park []float32, m float64) (sum, dot float64) {
	x = x[:len(dy)]
	if y != nil {
		y = y[:len(dy)]
	}
	if park != nil {
		park = park[:len(dy)]
	}
	var s0, s1, d0, d1 float64
	i := 0
	for ; i+2 <= len(dy); i += 2 {
		g0, g1 := dy[i], dy[i+1]
		if y != nil {
			g0, g1 = reluGrad(g0, y[i]), reluGrad(g1, y[i+1])
		}
		if park != nil {
			park[i], park[i+1] = g0, g1
		}
		s0 += float64(g0)
		s1 += float64(g1)
		d0 += float64(g0) * (float64(x[i]) - m)
		d1 += float64(g1) * (float64(x[i+1]) - m)
	}
	for ; i < len(dy); i++ {
		g := dy[i]
		if y != nil {
			g = reluGrad(g, y[i])
		}
		if park != nil {
			park[i] = g
		}
		s0 += float64(g)
		d0 += float64(g) * (float64(x[i]) - m)
	}
	return s0 + s1, d0 + d1
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
			d = d[:len(s)]
			if relu {
				for j, v := range s {
					d[j] = max(v*a+b, 0)
				}
				continue
			}
			for j, v := range s {
				d[j] = v*a + b
			}
		}
	})
}
