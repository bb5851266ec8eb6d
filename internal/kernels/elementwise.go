package kernels

// ReLU sets x[i] = max(x[i], 0) in place. NaN stays NaN, as in PyTorch.
func ReLU(x []float32) {
	ParallelFor(len(x), 1<<16, func(lo, hi int) {
		s := x[lo:hi]
		for i, v := range s {
			if v < 0 {
				s[i] = 0
			}
		}
	})
}

// Add sets dst[i] += src[i]; with relu, also clamps the sum at 0.
func Add(dst, src []float32, relu bool) {
	src = src[:len(dst)]
	ParallelFor(len(dst), 1<<16, func(lo, hi int) {
		d, s := dst[lo:hi], src[lo:hi]
		if relu {
			for i := range d {
				v := d[i] + s[i]
				if v < 0 {
					v = 0
				}
				d[i] = v
			}
			return
		}
		for i := range d {
			d[i] += s[i]
		}
	})
}

// ScaleShift applies per-channel y = x·scale[c] + shift[c] in place to n
// images of c planes of size plane each; with relu the result is clamped
// at 0. This is inference-mode batch norm with the statistics folded in.
func ScaleShift(x []float32, n, c, plane int, scale, shift []float32, relu bool) {
	ParallelFor(n*c, max(1, 1<<14/max(plane, 1)), func(lo, hi int) {
		for i := lo; i < hi; i++ {
			ch := i % c
			a, b := scale[ch], shift[ch]
			s := x[i*plane : (i+1)*plane]
			if relu {
				for j, v := range s {
					v = v*a + b
					if v < 0 {
						v = 0
					}
					s[j] = v
				}
			} else {
				for j, v := range s {
					s[j] = v*a + b
				}
			}
		}
	})
}

// Linear computes y = x·Wᵀ + b for x (n, in), W (out, in), b (out) or nil,
// y (n, out), as torch.nn.Linear.
func Linear(n, in, out int, x, w, b, y []float32) {
	Sgemm(false, true, n, out, in, 1, x, in, w, in, 0, y, out)
	if b != nil {
		for i := 0; i < n; i++ {
			row := y[i*out : (i+1)*out]
			for j := range row {
				row[j] += b[j]
			}
		}
	}
}
