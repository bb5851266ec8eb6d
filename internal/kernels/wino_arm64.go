//go:build !purego

package kernels

// The arm64 Winograd transforms, F(2×2, 3×3) and F(4×4, 3×3): NEON, four
// tiles a register (engine_arm64.s, written by _gen_arm64), the tiles past
// the last group of four on the portable twins.

func winoInputNEONGo(v []float32, ldv int, x []float32, wq, n int) {
	groups := n / 4
	if groups > 0 {
		// Each group reads 10 values of each row from 8 per group on:
		// the last one ends at 2n+2 at most, as WinoInput checked.
		_ = v[15*ldv+4*groups-1]
		_ = x[3*wq+8*groups+1]
		winoInputNEON(&v[0], ldv, &x[0], wq, groups)
	}
	if t := 4 * groups; t < n {
		winoInputGeneric(v[t:], ldv, x[2*t:], wq, n-t)
	}
}

func winoOutputNEONGo(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	// Whole groups: all 8 columns of their output rows inside cols.
	groups := min(n/4, cols/8)
	if groups > 0 {
		rp, r := outputArgs(y, ldy, rows, 8*groups, res, relu)
		_ = m[15*ldm+4*groups-1]
		winoOutputNEON(&y[0], ldy, &m[0], ldm, groups, rows, bias, rp, r)
	}
	if t := 4 * groups; t < n {
		winoOutputGeneric(y[2*t:], ldy, m[t:], ldm, n-t, rows, cols-2*t, bias, resFrom(res, 2*t), relu)
	}
}

func wino4InputNEONGo(v []float32, ldv int, x []float32, wq, n int) {
	groups := n / 4
	if groups > 0 {
		// Each group reads 18 values of each row from 16 per group on:
		// the last one ends at 4n+2 at most, as Wino4Input checked.
		_ = v[35*ldv+4*groups-1]
		_ = x[5*wq+16*groups+1]
		var scratch [144]float32
		wino4InputNEON(&v[0], ldv, &x[0], wq, groups, &scratch[0])
	}
	if t := 4 * groups; t < n {
		wino4InputGeneric(v[t:], ldv, x[4*t:], wq, n-t)
	}
}

func wino4OutputNEONGo(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	// Whole groups: all 16 columns of their output rows inside cols.
	groups := min(n/4, cols/16)
	if groups > 0 {
		rp, r := outputArgs(y, ldy, rows, 16*groups, res, relu)
		_ = m[35*ldm+4*groups-1]
		var scratch [144]float32
		wino4OutputNEON(&y[0], ldy, &m[0], ldm, groups, rows, bias, rp, r, &scratch[0])
	}
	if t := 4 * groups; t < n {
		wino4OutputGeneric(y[4*t:], ldy, m[t:], ldm, n-t, rows, cols-4*t, bias, resFrom(res, 4*t), relu)
	}
}
