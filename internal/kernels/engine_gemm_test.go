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
