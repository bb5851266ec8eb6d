//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -set wino -out ../wino_amd64.s -stubs ../wino_stubs_amd64.go -pkg kernels

// lowBits returns a mask of the n (0..64) low bits.
func lowBits(n int) uint64 {
	if n >= 64 {
		return ^uint64(0)
	}
	return 1<<max(n, 0) - 1
}

func winoInputAVX512Go(v []float32, ldv int, x []float32, wq, n int) {
	full, tail := n/16, n%16
	// The tail group of L tiles reads floats [0, 2L+2) of each row from
	// its first: the loads at 0, 16, 2 and 18 take what lies inside.
	need := 2*tail + 2
	masks := lowBits(min(16, need)) | lowBits(min(16, need-16))<<16 | lowBits(min(16, need-2))<<32 | lowBits(min(16, need-18))<<48
	if tail == 0 {
		masks = 0
	}
	_ = v[15*ldv+n-1]
	_ = x[3*wq+2*n+1]
	winoInputAVX512(&v[0], ldv, &x[0], wq, full, tail, masks)
}

func winoOutputAVX512Go(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	full := n / 16
	if 32*full > cols {
		full-- // the last full group writes fewer than 32 columns
	}
	tail := n - 16*full
	smask := uint32(lowBits(min(cols-32*full, 2*tail)))
	rp, r := outputArgs(y, ldy, rows, cols, res, relu)
	_ = m[15*ldm+n-1]
	winoOutputAVX512(&y[0], ldy, &m[0], ldm, full, tail, smask, rows, bias, rp, r)
}

func winoInputAVX2Go(v []float32, ldv int, x []float32, wq, n int) {
	_ = v[15*ldv+n-1]
	_ = x[3*wq+2*n+1]
	winoInputAVX2(&v[0], ldv, &x[0], wq, n/8, n%8)
}

func winoOutputAVX2Go(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	full := n / 8
	if 16*full > cols {
		full-- // the last full group writes fewer than 16 columns
	}
	rp, r := outputArgs(y, ldy, rows, cols, res, relu)
	_ = m[15*ldm+n-1]
	winoOutputAVX2(&y[0], ldy, &m[0], ldm, full, n-8*full, cols-16*full, rows, bias, rp, r)
}

func wino4InputAVX512Go(v []float32, ldv int, x []float32, wq, n int) {
	full, tail := n/16, n%16
	// The tail group of L tiles reads floats [0, 4L+2) of each row from
	// its first: the loads at 0, 16, 32 and 48 take what lies inside.
	need := 4*tail + 2
	var masks uint64
	if tail > 0 {
		for i := 0; i < 4; i++ {
			masks |= lowBits(min(16, need-16*i)) << (16 * i)
		}
	}
	_ = v[35*ldv+n-1]
	_ = x[5*wq+4*n+1]
	wino4InputAVX512(&v[0], ldv, &x[0], wq, full, tail, masks)
}

func wino4OutputAVX512Go(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	full := n / 16
	if 64*full > cols {
		full-- // the last full group writes fewer than 64 columns
	}
	tail := n - 16*full
	smask := lowBits(min(cols-64*full, 4*tail))
	rp, r := outputArgs(y, ldy, rows, cols, res, relu)
	_ = m[35*ldm+n-1]
	wino4OutputAVX512(&y[0], ldy, &m[0], ldm, full, tail, smask, rows, bias, rp, r)
}

func wino4InputAVX2Go(v []float32, ldv int, x []float32, wq, n int) {
	_ = v[35*ldv+n-1]
	_ = x[5*wq+4*n+1]
	wino4InputAVX2(&v[0], ldv, &x[0], wq, n/8, n%8)
}

func wino4OutputAVX2Go(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	full := n / 8
	if 32*full > cols {
		full-- // the last full group writes fewer than 32 columns
	}
	rp, r := outputArgs(y, ldy, rows, cols, res, relu)
	_ = m[35*ldm+n-1]
	wino4OutputAVX2(&y[0], ldy, &m[0], ldm, full, n-8*full, cols-32*full, rows, bias, rp, r)
}
