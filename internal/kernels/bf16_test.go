package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// TestBF16 checks the rounding against its definition: the nearer of the
// two bfloat16 values around x (by float64 distance), the even one on a
// tie, NaN to the quiet NaN, and overflow to infinity.
func TestBF16(t *testing.T) {
	for _, c := range []struct {
		bits uint32
		want uint16
	}{
		{0x3f800000, 0x3f80}, // 1
		{0x3f808000, 0x3f80}, // tie, even below
		{0x3f818000, 0x3f82}, // tie, even above
		{0x3f808001, 0x3f81},
		{0xbf807fff, 0xbf80},
		{0x7f800000, 0x7f80}, // +Inf
		{0xff800000, 0xff80}, // −Inf
		{0x7f7fffff, 0x7f80}, // the largest float32 rounds to +Inf
		{0x7f800001, 0x7fc0}, // signalling NaN → quiet
		{0xffc12345, 0x7fc0},
		{0x00000001, 0x0000}, // the smallest denormal
		{0x80000000, 0x8000}, // −0
	} {
		if got := BF16(math.Float32frombits(c.bits)); got != c.want {
			t.Errorf("BF16(%#08x) = %#04x, want %#04x", c.bits, got, c.want)
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		x := math.Float32frombits(rng.Uint32())
		if x != x || math.IsInf(float64(x), 0) || math.Abs(float64(x)) > 3e38 {
			continue
		}
		b := math.Float32bits(x)
		lo := b &^ 0xffff // truncated: toward zero
		hi := lo + 0x10000
		dl := math.Abs(float64(x) - float64(math.Float32frombits(lo)))
		dh := math.Abs(float64(math.Float32frombits(hi)) - float64(x))
		want := lo
		if dh < dl || dh == dl && lo>>16&1 == 1 {
			want = hi
		}
		if got := BF16(x); uint32(got) != want>>16 {
			t.Fatalf("BF16(%#08x) = %#04x, want %#04x", b, got, want>>16)
		}
	}
}

// bf16TestMatrix returns rows×cols random values with some special ones
// (for PackBF16) or normal ones only (for the GEMM, whose native kernel
// flushes denormals).
func bf16TestMatrix(rng *rand.Rand, n int, special bool) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
		if special && rng.IntN(8) == 0 {
			x[i] = []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0, 1e-40, -3.4e38,
				math.Float32frombits(0x3f808000), math.Float32frombits(0x7f800001), math.Float32frombits(0xffc12345),
				math.Float32frombits(0x3f818000)}[rng.IntN(10)] // ties to even below and above, NaNs of any sign and payload
		}
	}
	return x
}

// TestPackBF16 compares PackBF16 (the AVX-512 kernel where the CPU has
// AVX512-BF16) with the definition, bit for bit, on every width up to 70
// (full and masked steps) and odd and even k.
func TestPackBF16(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 2, 3, 8, 17} {
		for n := 1; n <= 70; n++ {
			lds, ldd := n+3, n+1
			src := bf16TestMatrix(rng, k*lds, true)
			got := make([]float32, BF16Pairs(k)*ldd)
			PackBF16(got, ldd, src, lds, k, n)
			for p := 0; p < BF16Pairs(k); p++ {
				for j := 0; j < n; j++ {
					want := uint32(BF16(src[2*p*lds+j]))
					if 2*p+1 < k {
						want |= uint32(BF16(src[(2*p+1)*lds+j])) << 16
					}
					if g := math.Float32bits(got[p*ldd+j]); g != want {
						t.Fatalf("k=%d n=%d: word (%d, %d) = %#08x, want %#08x", k, n, p, j, g, want)
					}
				}
			}
		}
	}
}

// TestPackBF16Offs checks PackBF16Offs against PackBF16 on rows gathered
// from offsets that go back and forth (as a strided convolution's do).
func TestPackBF16Offs(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, k := range []int{1, 2, 5, 18, 147} {
		for _, n := range []int{1, 15, 16, 17, 63, 200} {
			src := bf16TestMatrix(rng, 4000, true)
			offs := make([]int32, k)
			rows := make([]float32, k*n)
			for r := range offs {
				offs[r] = int32(rng.IntN(len(src) - n + 1))
				copy(rows[r*n:], src[offs[r]:int(offs[r])+n])
			}
			want := make([]float32, BF16Pairs(k)*n)
			PackBF16(want, n, rows, n, k, n)
			got := make([]float32, BF16Pairs(k)*(n+2))
			PackBF16Offs(got, n+2, src, offs, k, n)
			for p := 0; p < BF16Pairs(k); p++ {
				for j := 0; j < n; j++ {
					if g, w := math.Float32bits(got[p*(n+2)+j]), math.Float32bits(want[p*n+j]); g != w {
						t.Fatalf("k=%d n=%d: word (%d, %d) = %#08x, want %#08x", k, n, p, j, g, w)
					}
				}
			}
		}
	}
}

// TestPackBF16RowsInPlace packs weights over their own storage and
// compares with a packing into a separate buffer.
func TestPackBF16RowsInPlace(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, s := range [][3]int{{1, 1, 1}, {3, 7, 7}, {5, 64, 64}, {4, 1024, 1040}, {6, 9, 9}} {
		m, k, lds := s[0], s[1], s[2]
		ldd := BF16Pairs(k)
		if k%1024 == 0 {
			ldd += 16
		}
		w := bf16TestMatrix(rng, m*lds, true)
		want := make([]float32, m*ldd)
		PackBF16Rows(want, ldd, w, lds, m, k)
		PackBF16Rows(w, ldd, w, lds, m, k)
		for i := 0; i < m; i++ {
			for p := 0; p < BF16Pairs(k); p++ {
				if g, x := math.Float32bits(w[i*ldd+p]), math.Float32bits(want[i*ldd+p]); g != x {
					t.Fatalf("%v: word (%d, %d) = %#08x in place, %#08x apart", s, i, p, g, x)
				}
			}
		}
	}
}

// TestSgemmBF16 runs SgemmSerialEpilogueBF16, with the native kernels
// where the CPU has them and with the portable ones, against float64
// products of the bfloat16-rounded operands. Bound: float32 accumulation
// of 2·kp products and the epilogue's three additions, (2·kp + 4)·u ×
// the sum of the terms' magnitudes (the products themselves are exact),
// u the error of one rounding (bf16Unit).
// TestSgemmATBF16 checks SgemmSerialATBF16 against SgemmSerialBF16 on the
// transpose of its A, bit for bit (the same pairs summed in the same
// order), on both kernels, at the engine's small maps (49 and 196 rows on
// a 32-column panel) and odd sizes, with beta 0 and 1.
func TestSgemmATBF16(t *testing.T) {
	kernels := []*microKernel{bf16Kernel}
	if bf16Kernel != &bf16GenericKernel {
		kernels = append(kernels, &bf16GenericKernel)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	for _, kern := range kernels {
		for _, s := range [][3]int{{1, 1, 1}, {49, 32, 2048}, {196, 32, 256}, {13, 17, 9}, {150, 40, 801}} {
			m, n, k := s[0], s[1], s[2]
			kp := BF16Pairs(k)
			lda, ldb, ldc := m+3, n+1, n+2
			x := bf16TestMatrix(rng, k*m, false) // k × m: A's transpose
			w := bf16TestMatrix(rng, k*n, false)
			at, b := make([]float32, kp*lda), make([]float32, kp*ldb)
			PackBF16(at, lda, x, m, k, m)
			PackBF16(b, ldb, w, n, k, n)
			a := make([]float32, m*kp) // at transposed: m × kp words
			for p := 0; p < kp; p++ {
				for i := 0; i < m; i++ {
					a[i*kp+p] = at[p*lda+i]
				}
			}
			c0 := bf16TestMatrix(rng, m*ldc, false)
			for _, beta := range []float32{0, 1} {
				saved := bf16Kernel
				bf16Kernel = kern
				got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
				SgemmSerialATBF16(m, n, kp, at, lda, b, ldb, beta, got, ldc)
				SgemmSerialBF16(m, n, kp, a, kp, b, ldb, beta, want, ldc)
				bf16Kernel = saved
				for i, v := range got {
					if math.Float32bits(v) != math.Float32bits(want[i]) {
						t.Fatalf("%s %v beta %v: C[%d] = %v, want %v", kern.name, s, beta, i, v, want[i])
					}
				}
			}
		}
	}
}

// bf16Unit is the relative error of one rounding in kern's sums: half a
// unit of the last place (2⁻²⁴) where they round to nearest, a whole one
// (2⁻²³) for BFDOT's rounding to odd (bf16NEONKernel).
func bf16Unit(kern *microKernel) float64 {
	if kern.name == "neon-bf16" {
		return math.Pow(2, -23)
	}
	return math.Pow(2, -24)
}

func TestSgemmBF16(t *testing.T) {
	kernels := []*microKernel{bf16Kernel}
	if bf16Kernel != &bf16GenericKernel {
		kernels = append(kernels, &bf16GenericKernel)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := [][3]int{{1, 1, 1}, {5, 7, 3}, {13, 33, 17}, {64, 100, 70}, {150, 40, 400}, {12, 2100, 9}, {49, 64, 70}, {24, 196, 1025}, {37, 20, 800}, {20, 48, 70}, {13, 16, 900}, {20, 49, 300}, {13, 33, 40}, {7, 3, 17}, {12, 52, 64}}
	for m := 1; m <= 13; m++ {
		// Every tile height of the 6- and 12-row kernels, in full tiles
		// and at right edges of 8 and 5 columns (the half tiles).
		shapes = append(shapes, [3]int{m, 40, 9}, [3]int{m, 21, 6})
	}
	for _, kern := range kernels {
		for _, s := range shapes {
			m, n, k := s[0], s[1], s[2]
			kp := BF16Pairs(k)
			lda, ldb, ldc := kp+3, n+5, n+2
			w := bf16TestMatrix(rng, m*k, false)
			x := bf16TestMatrix(rng, k*n, false)
			a, b := make([]float32, m*lda), make([]float32, kp*ldb)
			PackBF16Rows(a, lda, w, k, m, k)
			PackBF16(b, ldb, x, n, k, n)
			c0 := bf16TestMatrix(rng, m*ldc, false)
			bias := bf16TestMatrix(rng, m, false)
			res := bf16TestMatrix(rng, m*n, false)
			for _, beta := range []float32{0, 1} {
				for _, epMode := range []int{0, 1, 2} { // none, bias (and ReLU when beta is 1), bias and residual
					withRes := epMode == 2
					ep := Epilogue{Bias: bias, ReLU: beta == 1}
					if withRes {
						ep.Res, ep.LDR = res, n
					}
					got := append([]float32(nil), c0...)
					saved := bf16Kernel
					bf16Kernel = kern
					if epMode == 0 {
						ep = Epilogue{}
						SgemmSerialBF16(m, n, kp, a, lda, b, ldb, beta, got, ldc)
					} else {
						SgemmSerialEpilogueBF16(m, n, kp, a, lda, b, ldb, beta, got, ldc, ep)
					}
					bf16Kernel = saved
					for i := 0; i < m; i++ {
						for j := 0; j < n; j++ {
							var want, mag float64
							for p := 0; p < k; p++ {
								v := float64(BF16Value(w[i*k+p])) * float64(BF16Value(x[p*n+j]))
								want += v
								mag += math.Abs(v)
							}
							var extra []float64
							if epMode > 0 {
								extra = append(extra, float64(bias[i]))
							}
							if beta == 1 {
								extra = append(extra, float64(c0[i*ldc+j]))
							}
							if withRes {
								extra = append(extra, float64(res[i*n+j]))
							}
							for _, e := range extra {
								want += e
								mag += math.Abs(e)
							}
							if ep.ReLU {
								want = max(want, 0)
							}
							tol := float64(2*kp+4) * bf16Unit(kern) * mag
							if d := math.Abs(float64(got[i*ldc+j]) - want); d > tol {
								t.Fatalf("%s %v beta=%v res=%v: c[%d, %d] = %v, want %v (±%.3g)", kern.name, s, beta, withRes, i, j, got[i*ldc+j], want, tol)
							}
						}
					}
				}
			}
		}
	}
}

// BenchmarkSgemmBF16 compares SgemmSerialEpilogueBF16 with
// SgemmSerialEpilogue on ResNet-50's 1×1 layers at batch 1 (m×n×k: output
// channels, positions, input channels), on the calling goroutine, in
// GFLOP per CPU second (two per multiply-add, bf16 or float32):
//
//	go test -run X -bench SgemmBF16 ./internal/kernels/
func BenchmarkSgemmBF16(b *testing.B) {
	for _, s := range [][3]int{{64, 3136, 256}, {256, 3136, 64}, {256, 196, 1024}, {512, 784, 128}} {
		m, n, k := s[0], s[1], s[2]
		kp := BF16Pairs(k)
		rng := rand.New(rand.NewPCG(1, 1))
		w, x := bf16TestMatrix(rng, m*k, false), bf16TestMatrix(rng, k*n, false)
		a, bb := make([]float32, m*kp), make([]float32, kp*n)
		PackBF16Rows(a, kp, w, k, m, k)
		PackBF16(bb, n, x, n, k, n)
		c := make([]float32, m*n)
		ep := Epilogue{Bias: make([]float32, m), ReLU: true}
		flops := 2 * float64(m*n*k)
		for _, mode := range []string{"fp32", "bf16"} {
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, mode), func(b *testing.B) {
				cpu0 := cputime.Process().Seconds()
				for b.Loop() {
					if mode == "bf16" {
						SgemmSerialEpilogueBF16(m, n, kp, a, kp, bb, n, 0, c, n, ep)
					} else {
						SgemmSerialEpilogue(m, n, k, w, k, x, n, 0, c, n, ep)
					}
				}
				reportGFLOPS(b, flops, cpu0)
			})
		}
	}
}
