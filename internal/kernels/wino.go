package kernels

import "fmt"

// Winograd F(2×2, 3×3) transforms (Lavin & Gray 2015) for the inference
// engine: each 2×2 output tile of a 3×3 stride-1 convolution is
// Aᵀ[Σ_c U_c ⊙ (Bᵀ d_c B)]A for the 4×4 input patch d_c of channel c,
// with U_c = G g_c Gᵀ the transformed weights. The 16 positions ξ of the
// 4×4 products make 16 GEMMs of depth InC; WinoInput and WinoOutput are
// the transforms on either side of them, vectorised across 16 tiles of a
// tile row. The transforms' coefficients are 0 and ±1 (± ½ in G), so they
// add no rounding beyond the sums they are made of.
//
//	Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//	Aᵀ = [1 1 1 0; 0 1 −1 −1]

// WinoInput transforms the 4×4 patches of n tiles side by side: tile t's
// patch is d[r][q] = x[r·wq + 2t + q] (four rows of a zero-padded input,
// wq apart), and v[ξ·ldv + t] = (Bᵀ d B)[ξ/4][ξ%4] for ξ < 16.
func WinoInput(v []float32, ldv int, x []float32, wq, n int) {
	if n <= 0 {
		return
	}
	if ldv < n || len(v) < 15*ldv+n || wq < 0 || len(x) < 3*wq+2*n+2 {
		panic(fmt.Sprintf("kernels: WinoInput: %d tiles, v %d (ldv %d), x %d (wq %d)", n, len(v), ldv, len(x), wq))
	}
	winoInput(v, ldv, x, wq, n)
}

// WinoOutput transforms n tiles side by side back and applies the
// epilogue: with M_t[ξ] = m[ξ·ldm + t] and Y_t = Aᵀ M_t A (2×2),
//
//	y[r·ldy + 2t + q] = relu?(Y_t[r][q] + bias + res[r·ldy + 2t + q])
//
// for r < rows (1 or 2) and the columns 2t+q < cols, where cols is 2n or
// 2n−1 (an odd output width); res may be nil.
func WinoOutput(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	if n <= 0 || rows <= 0 || cols <= 0 {
		return
	}
	end := (rows-1)*ldy + min(cols, 2*n)
	if rows > 2 || cols > 2*n || cols < 2*n-1 || (rows == 2 && ldy < cols) || ldm < n || len(m) < 15*ldm+n || len(y) < end || res != nil && len(res) < end {
		panic(fmt.Sprintf("kernels: WinoOutput: %d tiles, %d×%d outputs, y %d (ldy %d), m %d (ldm %d)", n, rows, cols, len(y), ldy, len(m), ldm))
	}
	winoOutput(y, ldy, m, ldm, n, rows, cols, bias, res, relu)
}

// The variants WinoInput and WinoOutput use (engine_dispatch_amd64.go may
// pick assembly ones at init).
var (
	winoInput  = winoInputGeneric
	winoOutput = winoOutputGeneric
)

// winoInputGeneric is the portable twin of the assembly input transform.
func winoInputGeneric(v []float32, ldv int, x []float32, wq, n int) {
	x0, x1, x2, x3 := x[:2*n+2], x[wq:wq+2*n+2], x[2*wq:2*wq+2*n+2], x[3*wq:3*wq+2*n+2]
	for t := 0; t < n; t++ {
		j := 2 * t
		// Bᵀ d: rows.
		var e [4][4]float32
		for q := 0; q < 4; q++ {
			d0, d1, d2, d3 := x0[j+q], x1[j+q], x2[j+q], x3[j+q]
			e[0][q] = d0 - d2
			e[1][q] = d1 + d2
			e[2][q] = d2 - d1
			e[3][q] = d1 - d3
		}
		// (Bᵀ d) B: columns.
		for r := 0; r < 4; r++ {
			s := v[4*r*ldv:]
			s[t] = e[r][0] - e[r][2]
			s[ldv+t] = e[r][1] + e[r][2]
			s[2*ldv+t] = e[r][2] - e[r][1]
			s[3*ldv+t] = e[r][1] - e[r][3]
		}
	}
}

// winoOutputGeneric is the portable twin of the assembly output
// transform; its sums are in the assembly's order.
func winoOutputGeneric(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	for t := 0; t < n; t++ {
		var a [16]float32
		for xi := range a {
			a[xi] = m[xi*ldm+t]
		}
		// Aᵀ M: rows, then (Aᵀ M) A: columns.
		var p [2][4]float32
		for q := 0; q < 4; q++ {
			p[0][q] = (a[q] + a[4+q]) + a[8+q]
			p[1][q] = (a[4+q] - a[8+q]) - a[12+q]
		}
		for r := 0; r < rows; r++ {
			out := [2]float32{(p[r][0] + p[r][1]) + p[r][2], (p[r][1] - p[r][2]) - p[r][3]}
			for q, v := range out {
				col := 2*t + q
				if col >= cols {
					break
				}
				v += bias
				if res != nil {
					v += res[r*ldy+col]
				}
				if relu {
					v = max(v, 0)
				}
				y[r*ldy+col] = v
			}
		}
	}
}
