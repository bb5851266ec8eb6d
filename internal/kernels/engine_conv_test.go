package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// convOperands returns A (m×k, stride lda, off values into its slice), a
// B of span values plus slack starting off values in, random offsets
// into it for k rows of n columns, and C (m×n, stride ldc) with every
// cell outside the matrices NaN.
func convOperands(rng *rand.Rand, m, n, k, lda, ldc, off int) (a, b []float32, offs []int32, c []float32) {
	nan := float32(math.NaN())
	fill := func(s []float32) {
		for i := range s {
			s[i] = nan
		}
	}
	a = make([]float32, off+m*lda+2)
	fill(a)
	for i := 0; i < m; i++ {
		for p := 0; p < k; p++ {
			a[off+i*lda+p] = rng.Float32()*2 - 1
		}
	}
	span := n + rng.IntN(3*n+40)
	b = make([]float32, off+span)
	for i := range b {
		b[i] = rng.Float32()*2 - 1
	}
	offs = make([]int32, k)
	for p := range offs {
		offs[p] = int32(rng.IntN(span - n + 1))
	}
	c = make([]float32, off+m*ldc+2)
	fill(c)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			c[off+i*ldc+j] = rng.Float32()*2 - 1
		}
	}
	return a[off:], b[off:], offs, c[off:]
}

// convReference is the float64 result of ConvGemm and a bound for the
// rounding error of each value (Σ|a·b| + |c|).
func convReference(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool, written func(j int) bool) (want, bound []float64) {
	want, bound = make([]float64, m*n), make([]float64, m*n)
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			if !written(j) {
				want[i*n+j] = float64(c[i*ldc+j])
				continue
			}
			var s, abs float64
			if acc {
				s, abs = float64(c[i*ldc+j]), math.Abs(float64(c[i*ldc+j]))
			}
			for p := 0; p < k; p++ {
				v := float64(a[i*lda+p]) * float64(b[int(offs[p])+j])
				s += v
				abs += math.Abs(v)
			}
			want[i*n+j], bound[i*n+j] = s, abs
		}
	}
	return want, bound
}

// checkConv compares C after a call with the reference; cells of C
// outside the m×n matrix (the stride padding, the guards) stay NaN, and
// the columns not written keep their value.
func checkConv(t *testing.T, what string, m, n int, c []float32, ldc int, want, bound []float64, written func(j int) bool) {
	t.Helper()
	for i := 0; i < m; i++ {
		for j := 0; j < ldc && i*ldc+j < len(c); j++ {
			g := c[i*ldc+j]
			if j >= n {
				if g == g {
					t.Fatalf("%s: c[%d,%d] = %v written outside C", what, i, j, g)
				}
				continue
			}
			if !written(j) {
				if float64(g) != want[i*n+j] {
					t.Fatalf("%s: c[%d,%d] = %v, masked off, was %v", what, i, j, g, want[i*n+j])
				}
				continue
			}
			w := want[i*n+j]
			if math.Abs(float64(g)-w) > 1e-6*bound[i*n+j]+1e-6 {
				t.Fatalf("%s: c[%d,%d] = %v, want %v", what, i, j, g, w)
			}
		}
	}
	if g := c[len(c)-1]; g == g {
		t.Fatalf("%s: guard after C overwritten", what)
	}
}

// convVariants lists every ConvGemm implementation this CPU runs.
func allColumns(int) bool { return true }

func convVariants() map[string]func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	v := map[string]func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool){
		"packed":     convGemmPacked,
		"dispatched": convGemm,
		"twin": func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
			convTileGeneric(m, n, k, a, lda, b, offs, c, ldc, acc)
		},
	}
	addConvAsm(v)
	return v
}

// TestConvGemm runs every variant through ConvGemm's checks on random
// shapes: heights across the row blocks, widths 1..257 across the tile
// widths and masks, depths across the K split, unaligned operands.
func TestConvGemm(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	type shape struct{ m, n, k int }
	shapes := []shape{{1, 1, 1}, {0, 5, 3}, {3, 0, 2}, {4, 7, 0}, {12, 32, 9}, {13, 33, 9}, {64, 257, 147}, {8, 96, 1100}, {5, 200, 2100}}
	for range 60 {
		shapes = append(shapes, shape{1 + rng.IntN(40), 1 + rng.IntN(257), 1 + rng.IntN(80)})
	}
	if testing.Short() {
		shapes = shapes[:30]
	}
	// Every row-block height by every tile width and partial vector
	// (NEON's 1–6 rows × 4–16 columns and 1–3 columns past them, AVX2's
	// and AVX-512's heights and masks too), small depths.
	for m := 1; m <= 13; m++ {
		for _, n := range []int{3, 4, 7, 8, 12, 13, 16, 21, 26, 31, 47, 50} {
			shapes = append(shapes, shape{m, n, 1 + (m+n)%5})
		}
	}
	for name, f := range convVariants() {
		for si, s := range shapes {
			for _, acc := range []bool{false, true} {
				lda, ldc, off := s.k+si%3, s.n+si%5, si%4
				a, b, offs, c := convOperands(rng, s.m, s.n, s.k, lda, ldc, off)
				want, bound := convReference(s.m, s.n, s.k, a, lda, b, offs, c, ldc, acc, allColumns)
				what := fmt.Sprintf("%s m=%d n=%d k=%d acc=%v", name, s.m, s.n, s.k, acc)
				ConvGemm(s.m, s.n, s.k, a, lda, b, offs, c, ldc, acc)
				checkConv(t, "ConvGemm "+what, s.m, s.n, c, ldc, want, bound, allColumns)
				if s.m == 0 || s.n == 0 || s.k == 0 {
					continue // the variants are called with all three ≥ 1
				}
				a, b, offs, c = convOperands(rng, s.m, s.n, s.k, lda, ldc, off)
				want, bound = convReference(s.m, s.n, s.k, a, lda, b, offs, c, ldc, acc, allColumns)
				f(s.m, s.n, s.k, a, lda, b, offs, c, ldc, acc)
				checkConv(t, what, s.m, s.n, c, ldc, want, bound, allColumns)
			}
		}
	}
}

// TestConvGemmPanics checks that operands too short are refused before
// any kernel reads them.
func TestConvGemmPanics(t *testing.T) {
	a, b, c := make([]float32, 2*3), make([]float32, 10), make([]float32, 2*4)
	for name, f := range map[string]func(){
		"B row past the end": func() { ConvGemm(2, 4, 3, a, 3, b, []int32{0, 6, 7}, c, 4, false) },
		"negative offset":    func() { ConvGemm(2, 4, 3, a, 3, b, []int32{0, -1, 2}, c, 4, false) },
		"few offsets":        func() { ConvGemm(2, 4, 3, a, 3, b, []int32{0, 1}, c, 4, false) },
		"short C":            func() { ConvGemm(2, 4, 3, a, 3, b, []int32{0, 1, 2}, c[:7], 4, false) },
		"short A":            func() { ConvGemm(2, 4, 3, a[:5], 3, b, []int32{0, 1, 2}, c, 4, false) },
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

// TestConvGemmT checks ConvGemmT (the dispatched kernels and the portable
// twin) against a float64 reference on random shapes: channel counts
// across the 16- and 32-channel tiles and a remainder past the last
// multiple of 16, rows of 1..30 positions (one tile up to 14, else
// several), one to a dozen rows, unaligned operands; C's padding and a
// guard past it stay NaN.
func TestConvGemmT(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	type shape struct{ m, oh, ow, k int }
	shapes := []shape{{16, 1, 1, 1}, {32, 14, 14, 288}, {64, 7, 7, 576}, {16, 14, 14, 144}, {32, 28, 28, 9}, {48, 3, 15, 20}, {24, 2, 5, 7}, {5, 3, 3, 4}}
	for range 40 {
		shapes = append(shapes, shape{1 + rng.IntN(80), 1 + rng.IntN(12), 1 + rng.IntN(30), 1 + rng.IntN(100)})
	}
	variants := map[string]func(m, oh, ow, k int, a []float32, lda int, b []float32, ldb int, offs []int32, c []float32, ldc int){
		"exported": ConvGemmT,
		"twin":     convGemmTGeneric,
	}
	nan := float32(math.NaN())
	for name, f := range variants {
		for si, s := range shapes {
			lda, ldc, ldb, off := s.m+si%3*16, s.m+si%5, s.ow+2+si%3, si%4
			a := make([]float32, off+s.k*lda)
			for i := range a {
				a[i] = rng.Float32()*2 - 1
			}
			a = a[off:]
			span := (s.oh-1)*ldb + s.ow + rng.IntN(200)
			b := make([]float32, off+span)
			for i := range b {
				b[i] = rng.Float32()*2 - 1
			}
			b = b[off:]
			offs := make([]int32, s.k)
			for p := range offs {
				offs[p] = int32(rng.IntN(span - (s.oh-1)*ldb - s.ow + 1))
			}
			n := s.oh * s.ow
			c := make([]float32, off+n*ldc+1)
			for i := range c {
				c[i] = nan
			}
			c = c[off:]
			f(s.m, s.oh, s.ow, s.k, a, lda, b, ldb, offs, c, ldc)
			what := fmt.Sprintf("%s m=%d oh=%d ow=%d k=%d", name, s.m, s.oh, s.ow, s.k)
			for y := 0; y < s.oh; y++ {
				for x := 0; x < s.ow; x++ {
					row := (y*s.ow + x) * ldc
					for j := 0; j < ldc; j++ {
						g := c[row+j]
						if j >= s.m {
							if g == g {
								t.Fatalf("%s: c[%d,%d] = %v written outside C", what, y*s.ow+x, j, g)
							}
							continue
						}
						var want, bound float64
						for p := 0; p < s.k; p++ {
							v := float64(b[y*ldb+int(offs[p])+x]) * float64(a[p*lda+j])
							want += v
							bound += math.Abs(v)
						}
						if math.Abs(float64(g)-want) > 1e-6*bound+1e-6 {
							t.Fatalf("%s: position (%d, %d) channel %d = %v, want %v", what, y, x, j, g, want)
						}
					}
				}
			}
			if g := c[n*ldc]; g == g {
				t.Fatalf("%s: guard after C overwritten", what)
			}
		}
	}
}

// TestConvGemmTPanics checks that operands too short are refused before
// any kernel reads them.
func TestConvGemmTPanics(t *testing.T) {
	a, b, c := make([]float32, 3*16), make([]float32, 20), make([]float32, 4*16)
	for name, f := range map[string]func(){
		"B row past the end": func() { ConvGemmT(16, 2, 2, 3, a, 16, b, 10, []int32{0, 8, 9}, c, 16) },
		"negative offset":    func() { ConvGemmT(16, 2, 2, 3, a, 16, b, 10, []int32{0, -1, 2}, c, 16) },
		"few offsets":        func() { ConvGemmT(16, 2, 2, 3, a, 16, b, 10, []int32{0, 1}, c, 16) },
		"short C":            func() { ConvGemmT(16, 2, 2, 3, a, 16, b, 10, []int32{0, 1, 2}, c[:63], 16) },
		"short A":            func() { ConvGemmT(16, 2, 2, 3, a[:47], 16, b, 10, []int32{0, 1, 2}, c, 16) },
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
