package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
)

// naiveSgemm is the reference: a plain triple loop accumulating in float64.
func naiveSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) (want, bound []float64) {
	want = make([]float64, m*n)
	bound = make([]float64, m*n) // Σ|alpha·a·b| + |beta·c|, to scale the tolerance
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s, abs float64
			for p := 0; p < k; p++ {
				var av, bv float64
				if transA {
					av = float64(a[p*lda+i])
				} else {
					av = float64(a[i*lda+p])
				}
				if transB {
					bv = float64(b[j*ldb+p])
				} else {
					bv = float64(b[p*ldb+j])
				}
				s += av * bv
				abs += math.Abs(av * bv)
			}
			if k == 0 || alpha == 0 {
				s, abs = 0, 0
			}
			s *= float64(alpha)
			abs *= math.Abs(float64(alpha))
			if beta != 0 {
				cv := float64(c[i*ldc+j])
				s += float64(beta) * cv
				abs += math.Abs(float64(beta) * cv)
			}
			want[i*n+j], bound[i*n+j] = s, abs
		}
	}
	return want, bound
}

// matrix returns a rows×cols matrix with row stride ld, starting off
// elements into its slice, with every cell outside the matrix NaN.
func matrix(rng *rand.Rand, rows, cols, ld, off int) []float32 {
	s := make([]float32, off+rows*ld+3)
	nan := float32(math.NaN())
	for i := range s {
		s[i] = nan
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			s[off+i*ld+j] = rng.Float32()*2 - 1
		}
	}
	return s
}

type gemmCase struct {
	transA, transB bool
	m, n, k        int
	alpha, beta    float32
	pad, off       int // extra stride and slice offset for A, B and C
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("tA=%v,tB=%v,m=%d,n=%d,k=%d,alpha=%g,beta=%g,pad=%d,off=%d",
		tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.pad, tc.off)
}

func checkGemm(t *testing.T, kern *microKernel, rng *rand.Rand, tc gemmCase) {
	t.Helper()
	m, n, k := tc.m, tc.n, tc.k
	ar, ac := m, k
	if tc.transA {
		ar, ac = k, m
	}
	br, bc := k, n
	if tc.transB {
		br, bc = n, k
	}
	lda, ldb, ldc := max(ac, 1)+tc.pad, max(bc, 1)+tc.pad, max(n, 1)+tc.pad
	a := matrix(rng, ar, ac, lda, tc.off)
	b := matrix(rng, br, bc, ldb, tc.off)
	c := matrix(rng, m, n, ldc, tc.off)
	if tc.beta == 0 {
		// C must be overwritten without being read.
		for i := 0; i < m; i++ {
			for j := 0; j < n; j++ {
				c[tc.off+i*ldc+j] = float32(math.NaN())
			}
		}
	}
	want, bound := naiveSgemm(tc.transA, tc.transB, m, n, k, tc.alpha, a[tc.off:], lda, b[tc.off:], ldb, tc.beta, c[tc.off:], ldc)
	sgemm(kern, Threads(), tc.transA, tc.transB, m, n, k, tc.alpha, a[tc.off:], lda, b[tc.off:], ldb, tc.beta, c[tc.off:], ldc)
	bad := 0
	for idx, v := range c {
		i, j := (idx-tc.off)/ldc, (idx-tc.off)%ldc
		inside := idx >= tc.off && i < m && j < n
		if !inside {
			if !math.IsNaN(float64(v)) {
				t.Errorf("%s %v: guard cell %d overwritten with %g", kern.name, tc, idx, v)
				return
			}
			continue
		}
		w := want[i*n+j]
		tol := 1e-5*bound[i*n+j] + 1e-30
		if d := math.Abs(float64(v) - w); !(d <= tol) {
			t.Errorf("%s %v: C[%d,%d] = %g, want %g (tolerance %g)", kern.name, tc, i, j, v, w, tol)
			if bad++; bad > 5 {
				return
			}
		}
	}
}

// smallBlocking returns kern with tiny cache blocks, so that small
// products cross every kc, mc and nc boundary of the loop nest.
func smallBlocking(kern *microKernel) *microKernel {
	s := *kern
	s.name += "/small-blocks"
	s.kc, s.mc, s.nc = 7, 2*s.mr, 2*s.nr
	return &s
}

func testKernels() []*microKernel {
	var ks []*microKernel
	for _, k := range gemmKernels() {
		ks = append(ks, k, smallBlocking(k))
	}
	return ks
}

var edgeSizes = []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 11, 12, 13, 16, 17, 23, 29, 31, 32, 33, 37, 48, 61, 64, 65, 97, 127, 128, 129, 130}

func TestSgemmEdgeSizes(t *testing.T) {
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			sizes := edgeSizes
			if testing.Short() {
				sizes = []int{0, 1, 3, 5, 12, 13, 17, 32, 33, 65, 130}
			}
			for _, m := range sizes {
				for _, n := range sizes {
					tc := gemmCase{
						transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
						m: m, n: n, k: sizes[rng.IntN(len(sizes))],
						alpha: 1, beta: 0, pad: rng.IntN(3), off: rng.IntN(4),
					}
					if rng.IntN(2) == 0 {
						tc.alpha, tc.beta = 0.5, -1.5
					}
					checkGemm(t, kern, rng, tc)
				}
			}
		})
	}
}

// TestRowTile checks that the row tiles of a block cover its rows once,
// in order, each at most mr high, and, with A in place, as even as whole
// rows allow (heights within one of each other).
func TestRowTile(t *testing.T) {
	for _, mr := range []int{2, 6, 12} {
		for mc := 1; mc <= 150; mc++ {
			for _, inPlace := range []bool{false, true} {
				tiles := (mc + mr - 1) / mr
				next, lo, hi := 0, mr, 0
				for i := range tiles {
					ir, mm := rowTile(i, tiles, mc, mr, inPlace)
					if ir != next || mm < 1 || mm > mr {
						t.Fatalf("mr=%d mc=%d inPlace=%v: tile %d at row %d, %d rows; want row %d, 1..%d rows", mr, mc, inPlace, i, ir, mm, next, mr)
					}
					next += mm
					lo, hi = min(lo, mm), max(hi, mm)
				}
				if next != mc {
					t.Fatalf("mr=%d mc=%d inPlace=%v: tiles end at row %d", mr, mc, inPlace, next)
				}
				if inPlace && hi-lo > 1 {
					t.Fatalf("mr=%d mc=%d: tiles of %d to %d rows", mr, mc, lo, hi)
				}
			}
		}
	}
}

func TestSgemmTransposesAndScalars(t *testing.T) {
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, 4))
			for _, tA := range []bool{false, true} {
				for _, tB := range []bool{false, true} {
					for _, ab := range [][2]float32{{1, 0}, {1, 1}, {-2, 0.5}, {0, 2}, {0, 0}, {0.25, 0}} {
						for _, off := range []int{0, 1, 3} {
							checkGemm(t, kern, rng, gemmCase{tA, tB, 37, 45, 29, ab[0], ab[1], 2, off})
							checkGemm(t, kern, rng, gemmCase{tA, tB, 1, 130, 7, ab[0], ab[1], 1, off})
							checkGemm(t, kern, rng, gemmCase{tA, tB, 130, 1, 0, ab[0], ab[1], 0, off})
						}
					}
				}
			}
		})
	}
}

func TestSgemmRandom(t *testing.T) {
	iters := 300
	if testing.Short() {
		iters = 60
	}
	for _, kern := range testKernels() {
		t.Run(kern.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(5, 6))
			for it := 0; it < iters; it++ {
				tc := gemmCase{
					transA: rng.IntN(2) == 0, transB: rng.IntN(2) == 0,
					m: rng.IntN(131), n: rng.IntN(131), k: rng.IntN(131),
					alpha: rng.Float32()*4 - 2, beta: []float32{0, 1, rng.Float32()*4 - 2}[rng.IntN(3)],
					pad: rng.IntN(5), off: rng.IntN(8),
				}
				checkGemm(t, kern, rng, tc)
			}
		})
	}
}

// TestSgemmLarge crosses the real cache blocks (kc, mc, nc) and the
// multi-goroutine split of every kernel.
func TestSgemmLarge(t *testing.T) {
	cases := []gemmCase{
		{false, false, 67, 1100, 520, 1, 0, 1, 1},
		{true, false, 300, 77, 600, 1, 1, 0, 2},
		{false, true, 130, 259, 1030, -1, 0.5, 3, 0},
		// Strides of 4 KiB: the assembly packs such B rather than read it in place.
		{false, false, 40, 1024, 1024, 1, 0, 0, 1},
		{true, false, 1000, 70, 50, 1, 2, 24, 0},
	}
	if testing.Short() {
		cases = []gemmCase{cases[0], cases[3]}
		cases[0].k = 300
		cases[1].m = 5
	}
	for _, kern := range gemmKernels() {
		rng := rand.New(rand.NewPCG(7, 8))
		for _, tc := range cases {
			checkGemm(t, kern, rng, tc)
		}
	}
}

// TestSgemmNaNPropagates checks that NaN and Inf in A or B reach C as in a
// plain loop, even where they meet zeros.
func TestSgemmNaNPropagates(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, kern := range gemmKernels() {
		for _, tc := range []struct {
			name   string
			av, bv float32
		}{{"NaN·0", float32(math.NaN()), 0}, {"Inf·0", inf, 0}, {"0·NaN", 0, float32(math.NaN())}} {
			const m, n, k = 20, 40, 9
			a := make([]float32, m*k)
			b := make([]float32, k*n)
			c := make([]float32, m*n)
			// A[3, 4] and B[4, 5] hold the special values; everything else is 0.
			a[3*k+4] = tc.av
			b[4*n+5] = tc.bv
			if tc.av != 0 {
				for j := range n {
					b[4*n+j] = 0
				}
			}
			sgemm(kern, Threads(), false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			for i := range m {
				for j := range n {
					got := c[i*n+j]
					wantNaN := (tc.av != 0 && i == 3) || (tc.bv != 0 && j == 5)
					if wantNaN != math.IsNaN(float64(got)) {
						t.Errorf("%s %s: C[%d,%d] = %g, want NaN: %v", kern.name, tc.name, i, j, got, wantNaN)
					}
				}
			}
		}
	}
}

func TestSgemmConcurrent(t *testing.T) {
	const m, n, k = 64, 200, 150
	rng := rand.New(rand.NewPCG(9, 10))
	a := matrix(rng, m, k, k, 0)
	b := matrix(rng, k, n, n, 0)
	want := make([]float32, m*n)
	Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, want, n)
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := make([]float32, m*n)
			for it := 0; it < 5; it++ {
				Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
				for i := range c {
					if c[i] != want[i] {
						t.Errorf("concurrent Sgemm: C[%d] = %g, want %g", i, c[i], want[i])
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func TestSgemmPanicsOnShortSlice(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("Sgemm with a short C did not panic")
		}
	}()
	Sgemm(false, false, 2, 2, 2, 1, make([]float32, 4), 2, make([]float32, 4), 2, 0, make([]float32, 3), 2)
}

func TestSdot(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, kern := range gemmKernels() {
		for n := 1; n <= 257; n++ {
			for off := 0; off < 4; off++ {
				x := matrix(rng, 1, n, n, off)
				y := matrix(rng, 1, n, n, 3-off)
				var want, bound float64
				for i := 0; i < n; i++ {
					p := float64(x[off+i]) * float64(y[3-off+i])
					want += p
					bound += math.Abs(p)
				}
				// The NaN cells after x[:n] and y[:n] must not be read.
				got := kern.dot(n, x[off:], y[3-off:])
				if d := math.Abs(float64(got) - want); !(d <= 1e-5*bound) {
					t.Errorf("%s: dot of length %d, offset %d = %g, want %g", kern.name, n, off, got, want)
				}
			}
		}
	}
}

// TestDispatch checks that Sgemm uses the best kernel the CPU has, or the
// portable one under RESNET_NOASM=1.
func TestDispatch(t *testing.T) {
	want := gemmKernels()[0]
	if asmDisabled {
		want = &genericKernel
	}
	if gemmKernel != want {
		t.Errorf("Sgemm uses %s, want %s", gemmKernel.name, want.name)
	}
	t.Logf("Sgemm kernel: %s (of %d available)", gemmKernel.name, len(gemmKernels()))
}
