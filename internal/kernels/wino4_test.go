package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// wino4Variants lists every implementation of the F(4×4) transforms this
// CPU runs, the portable twins first.
func wino4Variants() []winoVariant {
	v := []winoVariant{{"generic", wino4InputGeneric, wino4OutputGeneric}, {"dispatched", wino4Input, wino4Output}}
	return append(v, wino4Asm()...)
}

// The F(4×4) matrices as published, in float64, for checking the twins.
var (
	wino4BT = [6][6]float64{
		{4, 0, -5, 0, 1, 0},
		{0, -4, -4, 1, 1, 0},
		{0, 4, -4, -1, 1, 0},
		{0, -2, -1, 2, 1, 0},
		{0, 2, -1, -2, 1, 0},
		{0, 4, 0, -5, 0, 1},
	}
	wino4AT = [4][6]float64{
		{1, 1, 1, 1, 1, 0},
		{0, 1, -1, 2, -2, 0},
		{0, 1, 1, 4, 4, 0},
		{0, 1, -1, 8, -8, 1},
	}
)

// TestWino4Input compares every variant with the portable twin (bit for
// bit), and the twin with Bᵀ d B in float64, for 0..70 tiles at unaligned
// offsets; x ends right after the last value read, and v is NaN outside
// the values written. The float64 bound: each output sums 36 products of
// coefficients up to 25 with inputs |d| ≲ 4, rounded a few times in
// float32 on the way, so 1e-5 relative to the sum of absolute terms.
func TestWino4Input(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for n := 0; n <= 70; n++ {
		off := n % 5
		wq := 4*n + 2 + rng.IntN(5)
		ldv := n + rng.IntN(20)
		x := make([]float32, off+5*wq+4*n+2)
		for i := range x {
			x[i] = float32(rng.NormFloat64())
		}
		if n > 3 {
			x[off+2*wq+7] = float32(math.NaN())
		}
		x = x[off:]
		var want []float32
		for _, vr := range wino4Variants() {
			buf := nanSlice(off + 36*ldv + 3)
			v := buf[off : off+35*ldv+n]
			vr.input(v, ldv, x, wq, n)
			for i, g := range buf {
				j := i - off
				if (j < 0 || j >= 35*ldv+n || j%ldv >= n) && g == g {
					t.Fatalf("%s n=%d: wrote v[%d] outside the tiles", vr.name, n, j)
				}
			}
			if want == nil {
				want = append([]float32(nil), v...)
				for tt := 0; tt < n; tt++ {
					for xi := 0; xi < 36; xi++ {
						var s, abs float64
						for r := 0; r < 6; r++ {
							for q := 0; q < 6; q++ {
								p := wino4BT[xi/6][r] * float64(x[r*wq+4*tt+q]) * wino4BT[xi%6][q]
								s += p
								abs += math.Abs(p)
							}
						}
						g := float64(v[xi*ldv+tt])
						if math.Abs(g-s) > 1e-5*(1+abs) && !(math.IsNaN(g) && math.IsNaN(s)) {
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

// TestWino4Output compares every variant with the portable twin, and the
// twin with Aᵀ M A in float64, for 1..70 tiles, one to four rows, every
// width 4n−3 … 4n, with and without residual and ReLU, NaN guards around
// y.
func TestWino4Output(t *testing.T) {
	rng := rand.New(rand.NewPCG(23, 24))
	for n := 1; n <= 70; n++ {
		for mode := 0; mode < 64; mode++ {
			rows, withRes, relu := 1+mode&3, mode&4 != 0, mode&8 != 0
			cols := 4*n - mode>>4
			off := (n + mode) % 3
			ldy := cols + rng.IntN(7)
			ldm := n + rng.IntN(9)
			m := make([]float32, off+35*ldm+n)
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
			for _, vr := range wino4Variants() {
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
							for q := 0; q < 4 && 4*tt+q < cols; q++ {
								var s, abs float64
								for i := 0; i < 6; i++ {
									for j := 0; j < 6; j++ {
										p := wino4AT[r][i] * float64(m[(6*i+j)*ldm+tt]) * wino4AT[q][j]
										s += p
										abs += math.Abs(p)
									}
								}
								s += float64(bias)
								if res != nil {
									s += float64(res[r*ldy+4*tt+q])
								}
								if relu {
									s = max(s, 0)
								}
								g := float64(y[r*ldy+4*tt+q])
								if math.Abs(g-s) > 1e-5*(2+abs) {
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

// TestWino4Panics checks the bounds Wino4Input and Wino4Output enforce.
func TestWino4Panics(t *testing.T) {
	for name, f := range map[string]func(){
		"input x short":  func() { Wino4Input(make([]float32, 36*4), 4, make([]float32, 5*20+4*4+1), 20, 4) },
		"input v short":  func() { Wino4Input(make([]float32, 35*4+3), 4, make([]float32, 5*20+4*4+2), 20, 4) },
		"output y short": func() { Wino4Output(make([]float32, 3*20+15), 20, make([]float32, 36*4), 4, 4, 4, 16, 0, nil, false) },
		"output narrow":  func() { Wino4Output(make([]float32, 80), 20, make([]float32, 36*4), 4, 4, 4, 12, 0, nil, false) },
		"output rows":    func() { Wino4Output(make([]float32, 200), 20, make([]float32, 36*4), 4, 4, 5, 16, 0, nil, false) },
		"output res short": func() {
			Wino4Output(make([]float32, 80), 20, make([]float32, 36*4), 4, 4, 4, 16, 0, make([]float32, 20), false)
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

// BenchmarkWino4Input and BenchmarkWino4Output time each variant on one
// tile row of ResNet's 56×56, 28×28 and 14×14 stages (14, 7 and 4 tiles):
//
//	go test -run X -bench Wino4 ./internal/kernels/
func BenchmarkWino4Input(b *testing.B)  { benchWino(b, wino4Variants(), 4, []int{14, 7, 4}, true) }
func BenchmarkWino4Output(b *testing.B) { benchWino(b, wino4Variants(), 4, []int{14, 7, 4}, false) }
