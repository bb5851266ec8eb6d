package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// winoVariants lists every implementation of the two transforms this CPU
// runs, the portable twins first.
func winoVariants() []winoVariant {
	v := []winoVariant{{"generic", winoInputGeneric, winoOutputGeneric}, {"dispatched", winoInput, winoOutput}}
	return append(v, winoAsm()...)
}

type winoVariant struct {
	name   string
	input  func(v []float32, ldv int, x []float32, wq, n int)
	output func(y []float32, ldy int, m []float32, ldm, n, rows, cols int, bias float32, res []float32, relu bool)
}

func nanSlice(n int) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = float32(math.NaN())
	}
	return s
}

func sameFloat(a, b float32) bool { return a == b || a != a && b != b }

// TestWinoInput compares every variant with the portable twin, and the
// twin with Bᵀ d B computed in float64, for 0..80 tiles at unaligned
// offsets; x ends right after the last value read, and v is NaN outside
// the values written.
func TestWinoInput(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	bt := [4][4]float64{{1, 0, -1, 0}, {0, 1, 1, 0}, {0, -1, 1, 0}, {0, 1, 0, -1}}
	for n := 0; n <= 80; n++ {
		off := n % 5
		wq := 2*n + 2 + rng.IntN(5)
		ldv := n + rng.IntN(20)
		x := make([]float32, off+3*wq+2*n+2)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		if n > 3 {
			x[off+wq+5] = float32(math.NaN())
		}
		x = x[off:]
		var want []float32
		for _, vr := range winoVariants() {
			buf := nanSlice(off + 16*ldv + 3)
			v := buf[off : off+15*ldv+n]
			if n > 0 {
				vr.input(v, ldv, x, wq, n)
			}
			for i, g := range buf {
				j := i - off
				if j < 0 || j >= 15*ldv+n || j%ldv >= n {
					if g == g {
						t.Fatalf("%s n=%d: wrote v[%d] outside the tiles", vr.name, n, j)
					}
				}
			}
			if want == nil {
				want = append([]float32(nil), v...)
				// The twin against float64: v_ξ = Σ_{r,q} Bᵀ[ξ/4][r] d[r][q] Bᵀ[ξ%4][q].
				for tt := 0; tt < n; tt++ {
					for xi := 0; xi < 16; xi++ {
						var s float64
						for r := 0; r < 4; r++ {
							for q := 0; q < 4; q++ {
								s += bt[xi/4][r] * float64(x[r*wq+2*tt+q]) * bt[xi%4][q]
							}
						}
						g := float64(v[xi*ldv+tt])
						if math.Abs(g-s) > 1e-5*(1+math.Abs(s)) && !(math.IsNaN(g) && math.IsNaN(s)) {
							t.Fatalf("generic n=%d tile %d ξ=%d: %v, want %v", n, tt, xi, g, s)
						}
					}
				}
				continue
			}
			for i := range want {
				if !sameFloat(v[i], want[i]) {
					t.Fatalf("%s n=%d: v[%d] = %v, generic %v", vr.name, n, i, v[i], want[i])
				}
			}
		}
	}
}

// TestWinoOutput compares every variant with the portable twin, and the
// twin with Aᵀ M A in float64, for 1..80 tiles, one or two rows, even and
// odd widths, with and without residual and ReLU, NaN guards around y.
func TestWinoOutput(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	at := [2][4]float64{{1, 1, 1, 0}, {0, 1, -1, -1}}
	for n := 1; n <= 80; n++ {
		for mode := 0; mode < 16; mode++ {
			rows, withRes, relu := 1+mode&1, mode&2 != 0, mode&4 != 0
			cols := 2 * n
			if mode&8 != 0 {
				cols--
			}
			off := (n + mode) % 3
			ldy := cols + rng.IntN(7)
			ldm := n + rng.IntN(9)
			m := make([]float32, off+15*ldm+n)
			for i := range m {
				m[i] = float32(rng.NormFloat64())
			}
			m = m[off:]
			var res []float32
			if withRes {
				res = make([]float32, off+(rows-1)*ldy+cols)
				for i := range res {
					res[i] = float32(rng.NormFloat64())
				}
				res = res[off:]
			}
			bias := float32(rng.NormFloat64())
			var want []float32
			for _, vr := range winoVariants() {
				what := fmt.Sprintf("%s n=%d rows=%d cols=%d res=%v relu=%v", vr.name, n, rows, cols, withRes, relu)
				buf := nanSlice(off + rows*ldy + 2)
				y := buf[off+1 : off+1+(rows-1)*ldy+cols]
				vr.output(y, ldy, m, ldm, n, rows, cols, bias, res, relu)
				for i, g := range buf {
					j := i - off - 1
					if (j < 0 || j%ldy >= cols || j/ldy >= rows) && g == g {
						t.Fatalf("%s: wrote y[%d] outside the outputs", what, j)
					}
				}
				if want == nil {
					want = append([]float32(nil), y...)
					for tt := 0; tt < n; tt++ {
						for r := 0; r < rows; r++ {
							for q := 0; q < 2 && 2*tt+q < cols; q++ {
								var s float64
								for i := 0; i < 4; i++ {
									for j := 0; j < 4; j++ {
										s += at[r][i] * float64(m[(4*i+j)*ldm+tt]) * at[q][j]
									}
								}
								s += float64(bias)
								if res != nil {
									s += float64(res[r*ldy+2*tt+q])
								}
								if relu {
									s = max(s, 0)
								}
								g := float64(y[r*ldy+2*tt+q])
								if math.Abs(g-s) > 1e-5*(1+math.Abs(s)) {
									t.Fatalf("%s: tile %d (%d,%d) = %v, want %v", what, tt, r, q, g, s)
								}
							}
						}
					}
					continue
				}
				for i := range want {
					if !sameFloat(y[i], want[i]) {
						t.Fatalf("%s: y[%d] = %v, generic %v", what, i, y[i], want[i])
					}
				}
			}
		}
	}
}

// TestWinoPanics checks the bounds WinoInput and WinoOutput enforce.
func TestWinoPanics(t *testing.T) {
	for name, f := range map[string]func(){
		"input x short":  func() { WinoInput(make([]float32, 16*4), 4, make([]float32, 3*10+2*4+1), 10, 4) },
		"input v short":  func() { WinoInput(make([]float32, 15*4+3), 4, make([]float32, 3*10+2*4+2), 10, 4) },
		"output y short": func() { WinoOutput(make([]float32, 10+7), 10, make([]float32, 16*4), 4, 4, 2, 8, 0, nil, false) },
		"output narrow":  func() { WinoOutput(make([]float32, 40), 10, make([]float32, 16*4), 4, 4, 2, 6, 0, nil, false) },
		"output res short": func() {
			WinoOutput(make([]float32, 40), 10, make([]float32, 16*4), 4, 4, 2, 8, 0, make([]float32, 17), false)
		},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			f()
		}()
	}
}

// BenchmarkWinoInput and BenchmarkWinoOutput time each variant on one
// tile row of ResNet's 56×56, 14×14 and 7×7 stages (28, 7 and 4 tiles):
//
//	go test -run X -bench Wino ./internal/kernels/
func BenchmarkWinoInput(b *testing.B)  { benchWino(b, winoVariants(), 2, []int{28, 7, 4}, true) }
func BenchmarkWinoOutput(b *testing.B) { benchWino(b, winoVariants(), 2, []int{28, 7, 4}, false) }

// benchWino times the input (or output) transform of each variant of
// F(m×m, 3×3) on one tile row of each of the tile counts.
func benchWino(b *testing.B, variants []winoVariant, m int, tiles []int, input bool) {
	a := m + 2
	for _, n := range tiles {
		wq, ld, cols := m*n+2, n+4, m*n
		x, v := make([]float32, a*wq), make([]float32, a*a*ld)
		y, res := make([]float32, m*cols), make([]float32, m*cols)
		for i := range x {
			x[i] = float32(i%13) - 6
		}
		for i := range v {
			v[i] = float32(i%11) - 5
		}
		for _, vr := range variants {
			if vr.name == "dispatched" {
				continue
			}
			b.Run(fmt.Sprintf("tiles=%d/%s", n, vr.name), func(b *testing.B) {
				for b.Loop() {
					if input {
						vr.input(v, ld, x, wq, n)
					} else {
						vr.output(y, cols, v, ld, n, m, cols, 0.5, res, true)
					}
				}
			})
		}
	}
}
