//go:build !purego && (amd64 || arm64)

package kernels

// asmTile is an SGEMM micro-kernel in assembly: the tile C = alpha·A·B +
// beta·C with the epilogue flags ask for (gemm_stubs_amd64.go has the
// full contract).
type asmTile func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr, flags int)

// tileOf returns a microKernel's tile for the assembly tiles, tiles[r]
// computing r rows of nr columns (r < len(tiles)), each call checked.
func tileOf(tiles []asmTile, nr int) func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
	mr := len(tiles) - 1
	return func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
		checkTile(k, rows, mr, nr, a, rsa, csa, b, rsb, c, ldc)
		tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, nil, nil, 0, 0)
	}
}

// tilePFOf is tileOf for a microKernel's tilePF: the tile prefetching
// from pf on, a line a step of k (flags 8: res is the stream), with ep's
// bias and ReLU when ep is not nil (never a residual: res is taken). The
// prefetches are hints and may run past pf's end: a prefetch neither
// faults nor changes memory or registers.
func tilePFOf(tiles []asmTile, nr int) func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue, pf []float32) {
	mr := len(tiles) - 1
	return func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue, pf []float32) {
		checkTile(k, rows, mr, nr, a, rsa, csa, b, rsb, c, ldc)
		if len(pf) == 0 || ep != nil && ep.res != nil {
			panic("kernels: SGEMM micro-kernel called with no prefetch stream, or a residual")
		}
		var bias *float32
		flags := 8
		if ep != nil {
			bias, _, _, flags = ep.args(rows, nr)
			flags |= 8
		}
		tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, &pf[0], 0, flags)
	}
}

// tileEpOf is tileOf for a microKernel's tileEp: the tile with its
// epilogue.
func tileEpOf(tiles []asmTile, nr int) func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
	mr := len(tiles) - 1
	return func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		checkTile(k, rows, mr, nr, a, rsa, csa, b, rsb, c, ldc)
		bias, res, ldr, flags := ep.args(rows, nr)
		tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags)
	}
}

// tileNBOf is tileEpOf for a microKernel's tileNB: flags 16, with ep's
// epilogue when ep is not nil.
func tileNBOf(tiles []asmTile, nr int) func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
	mr := len(tiles) - 1
	return func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		checkTile(k, rows, mr, nr, a, rsa, csa, b, rsb, c, ldc)
		var bias, res *float32
		var ldr, flags int
		if ep != nil {
			bias, res, ldr, flags = ep.args(rows, nr)
		}
		tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags|16)
	}
}

// tileRunOf returns a microKernel's tileRun for the assembly tiles
// (flags>>8: the tiles after the first), each call checked against the
// whole run.
func tileRunOf(tiles []asmTile, nr int) func(k, rows, count int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
	mr := len(tiles) - 1
	return func(k, rows, count int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		if count < 1 {
			panic("kernels: SGEMM micro-kernel run of no tiles")
		}
		all := count * rows
		checkTile(k, rows, mr, nr, a, rsa, csa, b, rsb, c, ldc)
		if len(a) < (all-1)*rsa+(k-1)*csa+1 || len(c) < (all-1)*ldc+nr {
			panic("kernels: SGEMM micro-kernel run with short panels")
		}
		var bias, res *float32
		var ldr, flags int
		if ep != nil {
			bias, res, ldr, flags = ep.args(all, nr)
		}
		tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags|(count-1)<<8)
	}
}

// checkTile keeps the assembly inside the slices it is handed.
func checkTile(k, rows, mr, nr int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int) {
	if k < 1 || rows < 1 || rows > mr || rsa < 0 || csa < 0 || len(a) < (rows-1)*rsa+(k-1)*csa+1 ||
		rsb < nr || len(b) < (k-1)*rsb+nr || ldc < nr || len(c) < (rows-1)*ldc+nr {
		panic("kernels: SGEMM micro-kernel called with short panels")
	}
}

// args checks ep against a rows×nr tile and returns the assembly's
// epilogue arguments: bit 0 of flags adds the bias, bit 1 the residual,
// bit 2 clamps at 0.
func (ep *tileEpilogue) args(rows, nr int) (bias, res *float32, ldr, flags int) {
	if len(ep.bias) < rows || ep.res != nil && (ep.ldr < nr || len(ep.res) < (rows-1)*ep.ldr+nr) {
		panic("kernels: SGEMM epilogue with short bias or residual")
	}
	bias, flags = &ep.bias[0], 1
	if ep.res != nil {
		res, ldr, flags = &ep.res[0], ep.ldr, flags|2
	}
	if ep.relu {
		flags |= 4
	}
	return bias, res, ldr, flags
}

// asmDotRows is an assembly sdotRows kernel: c[i*ldc] = Σ_p a[i*lda+p]·b[p]
// for its fixed number of rows and p < k, k a multiple of its lanes.
type asmDotRows func(k int, a *float32, lda int, b, c *float32, ldc int)

// dotRowsOf returns a microKernel's dotRows for the assembly kernels
// rows[r] (r rows, r < len(rows)) of lanes-wide vectors: they sum the
// first k − k mod lanes columns, the rest are added in order after, each
// call checked.
func dotRowsOf(rows []asmDotRows, lanes int) func(k, n int, a []float32, lda int, b, c []float32, ldc int) {
	return func(k, n int, a []float32, lda int, b, c []float32, ldc int) {
		if k < 1 || n < 1 || n >= len(rows) || lda < k || len(a) < (n-1)*lda+k || len(b) < k || ldc < 1 || len(c) < (n-1)*ldc+1 {
			panic("kernels: dotRows called with short operands")
		}
		kv := k - k%lanes
		rows[n](kv, &a[0], lda, &b[0], &c[0], ldc)
		for i := 0; i < n && kv < k; i++ {
			s := c[i*ldc]
			for p, v := range a[i*lda+kv : i*lda+k] {
				s += v * b[kv+p]
			}
			c[i*ldc] = s
		}
	}
}
