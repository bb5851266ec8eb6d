package kernels

import "math"

// ReLU sets x[i] = max(x[i], 0) in place. NaN stays NaN, as in PyTorch.
func ReLU(x []float32) {
	ParallelFor(len(x), 1<<16, func(lo, hi int) {
		s := x[lo:hi]
		for i, v := range s {
			s[i] = max(v, 0) // branch-free; max(NaN, 0) is NaN
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
				d[i] = max(d[i]+s[i], 0)
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
					s[j] = max(v*a+b, 0)
				}
			} else {
				for j, v := range s {
					s[j] = v*a + b
				}
			}
		}
	})
}

// ReLUBackward sets dx[i] = dy[i] except where y[i] <= 0, where it is 0:
// PyTorch's threshold_backward for y = relu(·) (a NaN y passes dy).
func ReLUBackward(dx, dy, y []float32) {
	dy, y = dy[:len(dx)], y[:len(dx)]
	ParallelFor(len(dx), 1<<16, func(lo, hi int) {
		d, g, o := dx[lo:hi], dy[lo:hi], y[lo:hi]
		g, o = g[:len(d)], o[:len(d)]
		for i := range d {
			d[i] = reluGrad(g[i], o[i])
		}
	})
}

// reluGrad is g where y > 0 or y is NaN, else 0, without a branch (the
// compiler turns the mask's if into a conditional move; a branch on the
// sign of activations mispredicts half the time).
func reluGrad(g, y float32) float32 {
	m := uint32(0xffffffff)
	if y <= 0 {
		m = 0
	}
	return math.Float32frombits(math.Float32bits(g) & m)
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
