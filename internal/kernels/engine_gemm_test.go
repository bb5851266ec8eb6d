package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmSerial checks SgemmSerial, and SgemmSerialAT (A transposed),
// against Sgemm on strided operands, with and without beta, including
// sizes past the blocking limits and the engine's 49 rows (a 7×7 map).
func TestSgemmSerial(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 33, 17}, {64, 100, 70}, {150, 40, 400}, {12, 2100, 9}, {49, 64, 70}, {49, 96, 520}, {20, 48, 70}, {64, 16, 520}} {
		for _, transA := range []bool{false, true} {
			m, n, k := s[0], s[1], s[2]
			lda, ldb, ldc := k+3, n+5, n+2
			rowsA := m
			if transA {
				lda, rowsA = m+3, k
			}
			a := make([]float32, rowsA*lda)
			b := make([]float32, k*ldb)
			c0 := make([]float32, m*ldc)
			for _, x := range [][]float32{a, b, c0} {
				for i := range x {
					x[i] = float32(rng.NormFloat64())
				}
			}
			for _, beta := range []float32{0, 1} {
				want := append([]float32(nil), c0...)
				got := append([]float32(nil), c0...)
				Sgemm(transA, false, m, n, k, 1, a, lda, b, ldb, beta, want, ldc)
				if transA {
					SgemmSerialAT(m, n, k, 1, a, lda, b, ldb, beta, got, ldc)
				} else {
					SgemmSerial(m, n, k, 1, a, lda, b, ldb, beta, got, ldc)
				}
				for i := range want {
					if d := got[i] - want[i]; d > 1e-4 || d < -1e-4 {
						t.Fatalf("%v transA=%v beta=%v: c[%d] = %v, want %v", s, transA, beta, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSgemmSerialATBT checks SgemmSerialATBT against SgemmSerialAT on
// the explicit transpose of B, bit for bit (the same kernel on the same
// values in the same order), with and without beta, on strided operands,
// the engine's 49 and 196 rows, depths with and without a remainder of
// 16, and widths that leave a partial panel.
func TestSgemmSerialATBT(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, s := range [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 33, 17}, {49, 64, 70}, {49, 96, 520}, {196, 64, 1024}, {49, 40, 900}, {30, 17, 400}, {49, 256, 4608}} {
		m, n, k := s[0], s[1], s[2]
		lda, ldb, ldc := m+3, k+5, n+2
		a := make([]float32, k*lda)
		b := make([]float32, n*ldb)
		c0 := make([]float32, m*ldc)
		for _, x := range [][]float32{a, b, c0} {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
		}
		bt := make([]float32, k*n) // Bᵀ, k×n
		for j := 0; j < n; j++ {
			for p := 0; p < k; p++ {
				bt[p*n+j] = b[j*ldb+p]
			}
		}
		for _, beta := range []float32{0, 1} {
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			SgemmSerialAT(m, n, k, 1, a, lda, bt, n, beta, want, ldc)
			SgemmSerialATBT(m, n, k, 1, a, lda, b, ldb, beta, got, ldc)
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("%v beta=%v: c[%d] = %v, want %v", s, beta, i, got[i], want[i])
				}
			}
		}
	}
}

// TestSgemmSerialATPanels checks SgemmSerialAT on contiguous panels of
// B (ldb = 32, 32 columns a call: the engine's transposed weights, whose
// later tiles prefetch the next slice of the panels, tilePF) against the
// same panels with a row stride of 33 (no prefetching), bit for bit: the
// same kernel on the same values in the same order. The last panel's
// prefetch would run past B, and is dropped.
func TestSgemmSerialATPanels(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, s := range [][2]int{{49, 70}, {49, 2048}, {196, 1024}, {30, 520}, {12, 800}, {25, 385}} {
		m, k := s[0], s[1]
		const panels = 3
		lda, ldc := m+3, 32*panels+1
		a := make([]float32, k*lda)
		b := make([]float32, panels*k*32)
		c0 := make([]float32, m*ldc)
		for _, x := range [][]float32{a, b, c0} {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
		}
		b33 := make([]float32, panels*k*33)
		for p := 0; p < panels; p++ {
			for r := 0; r < k; r++ {
				copy(b33[(p*k+r)*33:][:32], b[(p*k+r)*32:][:32])
			}
		}
		for _, beta := range []float32{0, 1} {
			want := append([]float32(nil), c0...)
			got := append([]float32(nil), c0...)
			for p := 0; p < panels; p++ {
				SgemmSerialAT(m, 32, k, 1, a, lda, b33[p*k*33:], 33, beta, want[32*p:], ldc)
				SgemmSerialAT(m, 32, k, 1, a, lda, b[p*k*32:], 32, beta, got[32*p:], ldc)
			}
			for i := range want {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("m=%d k=%d beta=%v: c[%d] = %v, want %v", m, k, beta, i, got[i], want[i])
				}
			}
		}
	}
	if gemmKernel.tilePF != nil {
		x := make([]float32, 64*32)
		for _, bad := range []func(){
			func() { gemmKernel.tilePF(64, 12, x, 1, 12, x, 32, x, 32, 1, 0, nil, nil) },
			func() {
				gemmKernel.tilePF(64, 12, x, 1, 12, x, 32, x, 32, 1, 0, &tileEpilogue{bias: x, res: x, ldr: 32}, x)
			},
		} {
			func() {
				defer func() {
					if recover() == nil {
						t.Error("tilePF without a prefetch stream, or with a residual, did not panic")
					}
				}()
				bad()
			}()
		}
	}
}

// TestDot checks Dot against a float64 sum (within float32's rounding of
// n terms: n·2⁻²⁴ of the sum of |x·y|), and that it is what Sgemm computes
// for A·Bᵀ with one row of A, bit for bit, on lengths across the kernels'
// vector widths and unrolling.
func TestDot(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{0, 1, 3, 15, 16, 17, 31, 64, 100, 513, 2048} {
		x, y := make([]float32, n), make([]float32, n)
		var want, mag float64
		for i := range x {
			x[i], y[i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
			want += float64(x[i]) * float64(y[i])
			mag += math.Abs(float64(x[i]) * float64(y[i]))
		}
		got := Dot(x, y)
		if d := math.Abs(float64(got) - want); d > float64(n+1)*mag/(1<<24) {
			t.Errorf("n=%d: Dot = %v, want %v (|Δ| %g)", n, got, want, d)
		}
		if n > 0 {
			c := []float32{0}
			Sgemm(false, true, 1, 1, n, 1, x, n, y, n, 0, c, 1)
			if c[0] != got {
				t.Errorf("n=%d: Dot = %v, Sgemm = %v", n, got, c[0])
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("Dot of unequal lengths did not panic")
		}
	}()
	Dot(make([]float32, 3), make([]float32, 4))
}

// TestDotRows checks every micro-kernel's dotRows (a right edge of C a
// column at a time) against float64 sums: every height up to mr, depths
// below, at and past a vector and with a remainder, rows and outputs
// strided; a NaN in one row of A reaches that row's sum only. The bound
// is (k + 8)·2⁻²⁴·Σ|a·b|: a rounding per multiply-add of a lane, the
// four halvings of the lanes, the tail's additions.
func TestDotRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, kern := range gemmKernels() {
		if kern.dotRows == nil {
			continue
		}
		for rows := 1; rows <= kern.mr; rows++ {
			for _, k := range []int{1, 7, 8, 16, 31, 64, 257} {
				lda, ldc := k+3, 2
				a := make([]float32, (rows-1)*lda+k)
				b := make([]float32, k)
				for _, x := range [][]float32{a, b} {
					for i := range x {
						x[i] = float32(rng.NormFloat64())
					}
				}
				nanRow := -1
				if rows > 1 {
					nanRow = rows / 2
					a[nanRow*lda+k/2] = float32(math.NaN())
				}
				c := make([]float32, (rows-1)*ldc+2)
				for i := range c {
					c[i] = -7 // every value past the outputs stays so
				}
				kern.dotRows(k, rows, a, lda, b, c, ldc)
				for i := 0; i < rows; i++ {
					var want, mag float64
					for p := 0; p < k; p++ {
						v := float64(a[i*lda+p]) * float64(b[p])
						want += v
						mag += math.Abs(v)
					}
					got := c[i*ldc]
					if i == nanRow {
						if got == got {
							t.Fatalf("%s rows=%d k=%d: row %d = %v, want NaN", kern.name, rows, k, i, got)
						}
						continue
					}
					if tol := float64(k+8) * math.Pow(2, -24) * mag; math.Abs(float64(got)-want) > tol {
						t.Fatalf("%s rows=%d k=%d: row %d = %v, want %v (±%.3g)", kern.name, rows, k, i, got, want, tol)
					}
					if c[i*ldc+1] != -7 {
						t.Fatalf("%s rows=%d k=%d: wrote past row %d's output", kern.name, rows, k, i)
					}
				}
			}
		}
	}
}

// TestSerialColumns checks that SerialColumns(n) lies between n and n
// rounded up to 16, and that a product asked for that many columns has
// its first n right (float64 sums, the bound of TestDotRows), with B's
// rows as wide as the rounding: Winograd's chunks of any number of tiles.
// On AVX-512, 49 columns are computed as 49 (32 + 16 + 1).
func TestSerialColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	const m, k = 13, 40
	for n := 1; n <= 100; n++ {
		up := (n + 15) / 16 * 16
		cols := SerialColumns(n)
		if cols < n || cols > up {
			t.Fatalf("SerialColumns(%d) = %d, want %d to %d", n, cols, n, up)
		}
		a := make([]float32, m*k)
		b := make([]float32, k*up)
		for _, x := range [][]float32{a, b} {
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
		}
		c := make([]float32, m*up)
		SgemmSerial(m, cols, k, 1, a, k, b, up, 0, c, up)
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				var want, mag float64
				for p := 0; p < k; p++ {
					v := float64(a[i*k+p]) * float64(b[p*up+j])
					want += v
					mag += math.Abs(v)
				}
				if tol := float64(k+8) * math.Pow(2, -24) * mag; math.Abs(float64(c[i*up+j])-want) > tol {
					t.Fatalf("n=%d (%d columns): C[%d, %d] = %v, want %v", n, cols, i, j, c[i*up+j], want)
				}
			}
		}
	}
	if gemmKernel.name == "avx512" && SerialColumns(49) != 49 {
		t.Errorf("SerialColumns(49) = %d on AVX-512, want 49", SerialColumns(49))
	}
}
