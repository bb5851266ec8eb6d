package kernels

import "fmt"

// Winograd F(4×4, 3×3) transforms (Lavin & Gray 2015, interpolation
// points 0, ±1, ±2): each 4×4 output tile is Aᵀ[Σ_c U_c ⊙ (Bᵀ d_c B)]A
// for the 6×6 input patch d_c of channel c, U_c = G g_c Gᵀ. The 36
// positions ξ make 36 GEMMs of depth InC: 36 multiply-adds per 16 outputs
// and channel pair where F(2×2) needs 64 and the direct convolution 144.
//
//	Bᵀ = [4  0 −5  0 1 0]      Aᵀ = [1 1  1 1  1 0]
//	     [0 −4 −4  1 1 0]           [0 1 −1 2 −2 0]
//	     [0  4 −4 −1 1 0]           [0 1  1 4  4 0]
//	     [0 −2 −1  2 1 0]           [0 1 −1 8 −8 1]
//	     [0  2 −1 −2 1 0]
//	     [0  4  0 −5 0 1]
//
// Both transforms are written with multiplications by 2, 4 and 8 only
// (bwd6, awd6), which are exact, so the assembly's fused multiply-adds
// round exactly as the portable twins' separate operations.

// bwd6 is one dimension of Bᵀ d B: o = Bᵀ·(d0 … d5).
func bwd6(d0, d1, d2, d3, d4, d5 float32) (o0, o1, o2, o3, o4, o5 float32) {
	t2, t3 := d4-d2, d3-d1
	o0 = 4*(d0-d2) + t2
	t0, t1 := d4-4*d2, d3-4*d1
	o1, o2 = t0+t1, t0-t1
	o3, o4 = t2+2*t3, t2-2*t3
	o5 = (d5 - d3) - 4*t3
	return
}

// awd6 is one dimension of Aᵀ M A: y = Aᵀ·(m0 … m5).
func awd6(m0, m1, m2, m3, m4, m5 float32) (y0, y1, y2, y3 float32) {
	a, b, c, d := m1+m2, m1-m2, m3+m4, m3-m4
	y0 = (m0 + a) + c
	y1 = b + 2*d
	y2 = a + 4*c
	y3 = (b + 8*d) + m5
	return
}

// Wino4Input transforms the 6×6 patches of n tiles side by side: tile
// t's patch is d[r][q] = x[r·wq + 4t + q] (six rows of a zero-padded
// input, wq apart), and v[ξ·ldv + t] = (Bᵀ d B)[ξ/6][ξ%6] for ξ < 36.
func Wino4Input(v []float32, ldv int, x []float32, wq, n int) {
	if n <= 0 {
		return
	}
	if ldv < n || len(v) < 35*ldv+n || wq < 0 || len(x) < 5*wq+4*n+2 {
		panic(fmt.Sprintf("kernels: Wino4Input: %d tiles, v %d (ldv %d), x %d (wq %d)", n, len(v), ldv, len(x), wq))
	}
	wino4Input(v, ldv, x, wq, n)
}

// Wino4Output transforms n tiles side by side back and applies the
// epilogue: with M_t[ξ] = m[ξ·ldm + t] and Y_t = Aᵀ M_t A (4×4),
//
//	y[r·ldy + 4t + q] = relu?(Y_t[r][q] + bias + res[r·ldy + 4t + q])
//
// for r < rows (1 to 4) and the columns 4t+q < cols, where cols is more
// than 4n − 4 and at most 4n; res may be nil.
func Wino4Output(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	if n <= 0 || rows <= 0 || cols <= 0 {
		return
	}
	end := (rows-1)*ldy + min(cols, 4*n)
	if rows > 4 || cols > 4*n || cols <= 4*n-4 || (rows > 1 && ldy < cols) || ldm < n || len(m) < 35*ldm+n || len(y) < end || res != nil && len(res) < end {
		panic(fmt.Sprintf("kernels: Wino4Output: %d tiles, %d×%d outputs, y %d (ldy %d), m %d (ldm %d)", n, rows, cols, len(y), ldy, len(m), ldm))
	}
	wino4Output(y, ldy, m, ldm, n, rows, cols, bias, res, relu)
}

// Wino4Native reports whether this CPU runs F(4×4)'s transforms in
// assembly (AVX-512 or AVX2); where it does not, the engine keeps to
// F(2×2), whose portable transforms cost less.
func Wino4Native() bool { return wino4Native }

// The variants Wino4Input and Wino4Output use (engine_dispatch_amd64.go
// may pick assembly ones at init).
var (
	wino4Input  = wino4InputGeneric
	wino4Output = wino4OutputGeneric
	wino4Native = false
)

// wino4InputGeneric is the portable twin of the assembly input transform:
// rows (d B) first, then columns, in bwd6's order.
func wino4InputGeneric(v []float32, ldv int, x []float32, wq, n int) {
	for t := 0; t < n; t++ {
		var e [6][6]float32
		for r := 0; r < 6; r++ {
			d := x[r*wq+4*t : r*wq+4*t+6]
			e[r][0], e[r][1], e[r][2], e[r][3], e[r][4], e[r][5] = bwd6(d[0], d[1], d[2], d[3], d[4], d[5])
		}
		for q := 0; q < 6; q++ {
			o0, o1, o2, o3, o4, o5 := bwd6(e[0][q], e[1][q], e[2][q], e[3][q], e[4][q], e[5][q])
			v[q*ldv+t] = o0
			v[(6+q)*ldv+t] = o1
			v[(12+q)*ldv+t] = o2
			v[(18+q)*ldv+t] = o3
			v[(24+q)*ldv+t] = o4
			v[(30+q)*ldv+t] = o5
		}
	}
}

// wino4OutputGeneric is the portable twin of the assembly output
// transform: the columns of M first (Aᵀ M), then the rows, in awd6's
// order, then bias, residual and ReLU.
func wino4OutputGeneric(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool) {
	for t := 0; t < n; t++ {
		var p [4][6]float32
		for q := 0; q < 6; q++ {
			p[0][q], p[1][q], p[2][q], p[3][q] = awd6(m[q*ldm+t], m[(6+q)*ldm+t], m[(12+q)*ldm+t], m[(18+q)*ldm+t], m[(24+q)*ldm+t], m[(30+q)*ldm+t])
		}
		for r := 0; r < rows; r++ {
			var out [4]float32
			out[0], out[1], out[2], out[3] = awd6(p[r][0], p[r][1], p[r][2], p[r][3], p[r][4], p[r][5])
			for q, v := range out {
				col := 4*t + q
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
