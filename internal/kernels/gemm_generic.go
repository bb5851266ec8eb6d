package kernels

// genericKernel is the portable micro-kernel: a 2×4 tile of scalar
// accumulators. Larger tiles do not fit the 15 float registers Go's
// compiler allocates on amd64 and spill in the inner loop.
var genericKernel = microKernel{
	name: "generic",
	mr:   2, nr: 4,
	kc: 256, mc: 64, nc: 1024,
	tile: sgemmTile2x4,
	dot:  sdot,
}

// sdot returns the dot product of x[:n] and y[:n].
func sdot(n int, x, y []float32) float32 {
	x, y = x[:n], y[:n]
	var s0, s1, s2, s3 float32
	for len(x) >= 4 && len(y) >= 4 {
		s0 += x[0] * y[0]
		s1 += x[1] * y[1]
		s2 += x[2] * y[2]
		s3 += x[3] * y[3]
		x, y = x[4:], y[4:]
	}
	for i := range x {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// sgemmTile2x4 computes the rows×4 tile C = alpha·A·B + beta·C (rows ≤ 2),
// where a is a packed, zero-padded panel of k columns of 2 values (rsa=1,
// csa=2) and b holds k rows of 4 values. C is not read when beta is 0.
func sgemmTile2x4(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
	if rsa != 1 || csa != 2 || rsb != 4 {
		panic("kernels: sgemmTile2x4 needs packed panels")
	}
	var c00, c01, c02, c03 float32
	var c10, c11, c12, c13 float32
	a = a[:2*k]
	b = b[:4*k]
	for len(a) >= 2 && len(b) >= 4 {
		b0, b1, b2, b3 := b[0], b[1], b[2], b[3]
		a0, a1 := a[0], a[1]
		c00 += a0 * b0
		c01 += a0 * b1
		c02 += a0 * b2
		c03 += a0 * b3
		c10 += a1 * b0
		c11 += a1 * b1
		c12 += a1 * b2
		c13 += a1 * b3
		a, b = a[2:], b[4:]
	}
	store := func(r []float32, c0, c1, c2, c3 float32) {
		r = r[:4:4]
		if beta == 0 {
			r[0], r[1], r[2], r[3] = alpha*c0, alpha*c1, alpha*c2, alpha*c3
		} else {
			r[0], r[1], r[2], r[3] = alpha*c0+beta*r[0], alpha*c1+beta*r[1], alpha*c2+beta*r[2], alpha*c3+beta*r[3]
		}
	}
	store(c, c00, c01, c02, c03)
	if rows > 1 {
		store(c[ldc:], c10, c11, c12, c13)
	}
}
