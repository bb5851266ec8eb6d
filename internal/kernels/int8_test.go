package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// int8TestRows returns k row offsets into a buffer of (k+3)·ld values,
// shuffled (the rows of an implicit GEMM are not in order), and the buffer
// filled with ReLU-like values: a third of them 0, the rest in [0, 4),
// with every 37th column all zero.
func int8TestRows(rng *rand.Rand, k, n int) ([]float32, []int32) {
	ld := n + 3
	src := make([]float32, (k+3)*ld)
	for i := range src {
		if i%ld%37 != 36 && rng.IntN(3) > 0 {
			src[i] = 4 * rng.Float32()
		}
	}
	offs := make([]int32, k)
	for r, p := range rng.Perm(k + 3)[:k] {
		offs[r] = int32(p*ld + rng.IntN(3))
	}
	return src, offs
}

// unpackU8 returns byte t of quad q of column j of PackU8's layout.
func unpackU8(dst []float32, kq, n, r, j int) uint8 {
	j0 := j / 32 * 32
	w := panelWidth(n, j0)
	return uint8(math.Float32bits(dst[kq*j0+r/4*w+j-j0]) >> (8 * (r % 4)))
}

// TestPackU8 checks PackU8 and PackU8Offset (signed values): the
// assembly against its twin bit for bit, and both against the definition.
func TestPackU8(t *testing.T) {
	for _, offset := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(3, 4))
		for _, k := range []int{1, 2, 3, 4, 5, 7, 64, 67} {
			for _, n := range []int{1, 5, 10, 16, 17, 27, 31, 32, 33, 44, 48, 49, 100} {
				t.Run(fmt.Sprintf("offset=%v/k=%d/n=%d", offset, k, n), func(t *testing.T) { checkPackU8(t, rng, offset, k, n) })
			}
		}
	}
}

func checkPackU8(t *testing.T, rng *rand.Rand, offset bool, k, n int) {
	src, offs := int8TestRows(rng, k, n)
	if offset {
		for i := range src {
			src[i] -= 1.5 // signed values
		}
	}
	if k > 4 {
		src[int(offs[3])+n/2] = -1                      // clamped to 0 unless offset
		src[int(offs[4])+n/3] = float32(math.NaN())     // ignored, then 0
		src[int(offs[k-1])+n-1] = float32(math.Inf(-1)) // clamped to 0 unless offset (then the column is NaN and 0)
	}
	kq, nc := U8Quads(k), U8Cols(n)
	dst, sb := make([]float32, kq*nc+5), make([]float32, nc+5)
	for i := range dst {
		dst[i] = 7 // every word written over
	}
	pack, lim, zero := PackU8, float32(255), uint8(0)
	if offset {
		pack, lim, zero = PackU8Offset, 127, 128
	}
	pack(dst, sb, src, offs, k, n)
	if int8Asm {
		// The assembly against its twin, bit for bit.
		d2, s2 := make([]float32, len(dst)), make([]float32, len(sb))
		for j0 := 0; j0 < n; j0 += 32 {
			w := panelWidth(n, j0)
			packU8PanelGeneric(d2[kq*j0:kq*(j0+w)], s2[j0:j0+w], src[j0:], offs, k, min(32, n-j0), w, offset)
		}
		for i := 0; i < kq*nc; i++ {
			if math.Float32bits(dst[i]) != math.Float32bits(d2[i]) {
				t.Fatalf("word %d = %#x, generic %#x", i, math.Float32bits(dst[i]), math.Float32bits(d2[i]))
			}
		}
		for j := 0; j < nc; j++ {
			if math.Float32bits(sb[j]) != math.Float32bits(s2[j]) {
				t.Fatalf("scale %d = %v, generic %v", j, sb[j], s2[j])
			}
		}
		// src with room past its end (NaN there), which the kernels that
		// read whole vectors may read and must ignore: the same bits.
		wide := make([]float32, len(src)+3)
		for i := range wide {
			wide[i] = float32(math.NaN())
		}
		copy(wide, src)
		d3, s3 := make([]float32, len(dst)), make([]float32, len(sb))
		pack(d3, s3, wide[:len(src)], offs, k, n)
		for i := 0; i < kq*nc; i++ {
			if math.Float32bits(d3[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("with room past src: word %d = %#x, without %#x", i, math.Float32bits(d3[i]), math.Float32bits(dst[i]))
			}
		}
		for j := 0; j < nc; j++ {
			if math.Float32bits(s3[j]) != math.Float32bits(sb[j]) {
				t.Fatalf("with room past src: scale %d = %v, without %v", j, s3[j], sb[j])
			}
		}
	}
	// Against the definition: each value within half a step of its byte
	// (less the offset) times the column's scale, the largest one ±lim.
	for j := 0; j < nc; j++ {
		var mx float32
		for r := 0; r < k && j < n; r++ {
			v := src[int(offs[r])+j]
			if offset {
				v = float32(math.Abs(float64(v)))
			}
			if v > mx {
				mx = v
			}
		}
		if want := mx / lim; math.Float32bits(sb[j]) != math.Float32bits(want) {
			t.Fatalf("scale %d = %v, want %v", j, sb[j], want)
		}
		for r := 0; r < 4*kq; r++ {
			q := unpackU8(dst, kq, n, r, j)
			if r >= k {
				if q != 0 {
					t.Fatalf("B[%d, %d] past row %d = %d", r, j, k, q)
				}
				continue
			}
			var v float64
			if j < n {
				v = float64(src[int(offs[r])+j])
			}
			qv := float64(int(q) - int(zero))
			s := float64(sb[j])
			if math.IsNaN(v) || math.IsInf(float64(mx), 0) || (!offset && v <= 0) {
				if q != zero {
					t.Fatalf("B[%d, %d] = %v quantized to %d, want %d", r, j, v, q, zero)
				}
				continue
			}
			if d := math.Abs(qv*s - v); d > s/2*(1+1e-5) {
				t.Fatalf("B[%d, %d] = %v quantized to %d (step %v)", r, j, v, q, s)
			}
			if float32(math.Abs(v)) == mx && mx > 0 && math.Abs(qv) != float64(lim) {
				t.Fatalf("column %d's largest magnitude %v quantized to %d", j, v, q)
			}
		}
	}
}

func TestPackS8Rows(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, k := range []int{1, 3, 4, 9, 64, 70} {
		m, lds := 5, k+2
		src := make([]float32, m*lds)
		for i := range src {
			src[i] = float32(rng.NormFloat64())
		}
		for p := 0; p < k; p++ {
			src[2*lds+p] = 0 // a row of zeros
		}
		kq := U8Quads(k)
		dst, sa := make([]float32, m*kq), make([]float32, m)
		if err := PackS8Rows(dst, kq, sa, src, lds, m, k); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < m; i++ {
			var mx float64
			for p := 0; p < k; p++ {
				mx = max(mx, math.Abs(float64(src[i*lds+p])))
			}
			if want := float32(mx) / 127; sa[i] != want {
				t.Fatalf("k=%d: scale %d = %v, want %v", k, i, sa[i], want)
			}
			for p := 0; p < 4*kq; p++ {
				q := int8(math.Float32bits(dst[i*kq+p/4]) >> (8 * (p % 4)))
				var v float64
				if p < k {
					v = float64(src[i*lds+p])
				}
				if d := math.Abs(float64(q)*float64(sa[i]) - v); d > float64(sa[i])/2*(1+1e-5) || (v == 0 && q != 0) {
					t.Fatalf("k=%d: A[%d, %d] = %v quantized to %d (step %v)", k, i, p, v, q, sa[i])
				}
				if math.Abs(v) == mx && mx > 0 && q != 127 && q != -127 {
					t.Fatalf("k=%d: row %d's largest magnitude quantized to %d", k, i, q)
				}
			}
		}
		// In place, over the rows themselves.
		in := append([]float32(nil), src...)
		sa2 := make([]float32, m)
		if err := PackS8Rows(in, kq, sa2, in, lds, m, k); err != nil {
			t.Fatal(err)
		}
		for i := range dst {
			if math.Float32bits(in[i]) != math.Float32bits(dst[i]) {
				t.Fatalf("k=%d: in-place word %d differs", k, i)
			}
		}
	}
	bad := []float32{1, float32(math.NaN()), 2, 3}
	if err := PackS8Rows(make([]float32, 1), 1, make([]float32, 1), bad, 4, 1, 4); err == nil {
		t.Fatal("a NaN weight packed without an error")
	}
}

// int8TestOperands returns random packed operands of an m×n product over
// k: A's bytes and B's values, packed, and their scales; with offset, B
// signed (PackU8Offset) and A's corrections.
func int8TestOperands(rng *rand.Rand, m, n, k int, offset bool) (a, sa, b, sb []float32, corr []int32) {
	kq := U8Quads(k)
	w := make([]float32, m*k)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
	}
	a, sa = make([]float32, m*kq), make([]float32, m)
	if err := PackS8Rows(a, kq, sa, w, k, m, k); err != nil {
		panic(err)
	}
	src, offs := int8TestRows(rng, k, n)
	b, sb = make([]float32, kq*U8Cols(n)), make([]float32, U8Cols(n))
	if !offset {
		PackU8(b, sb, src, offs, k, n)
		return a, sa, b, sb, nil
	}
	for i := range src {
		src[i] -= 2
	}
	PackU8Offset(b, sb, src, offs, k, n)
	corr = make([]int32, m)
	OffsetCorrection(corr, a, kq, m, kq)
	return a, sa, b, sb, corr
}

func TestGemmU8S8(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	// Every tile height of every kernel set (AVX-512: 1–12 rows;
	// AVX-VNNI and NEON: 1–6), partial halves and K's tails included; runs
	// of 12-row tiles (AVX-512) of 2, 3 and 258 tiles (a call of 256, the
	// most the count holds, then one of 2), with a shorter tile after; on
	// NEON runs of 6-row tiles, 516 in the 3103-row call (two of 256 and
	// one of 4) beside a half of 3 columns a tile at a time.
	shapes := [][3]int{{1, 1, 4}, {12, 32, 64}, {13, 33, 67}, {5, 17, 8}, {24, 16, 3}, {7, 100, 256}, {30, 49, 1}, {3, 5, 0},
		{2, 20, 9}, {3, 40, 12}, {4, 16, 20}, {8, 33, 5}, {9, 7, 16}, {10, 64, 33}, {11, 31, 13}, {41, 35, 70}, {258*12 + 7, 19, 5}}
	for m := 1; m <= 13; m++ {
		// Every height with an odd number of quads, one and three (the
		// I8MM tiles take K in pairs of quads), and an even one.
		shapes = append(shapes, [3]int{m, 21, 4}, [3]int{m, 40, 12}, [3]int{m, 16, 32})
	}
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		kq := U8Quads(k)
		for _, offset := range []bool{false, true} {
			a, sa, b, sb, corr := int8TestOperands(rng, m, n, k, offset)
			zero := int64(0)
			if offset {
				zero = 128
			}
			ldc := n + 5
			c0 := make([]float32, m*ldc)
			res := make([]float32, m*n)
			bias := make([]float32, m)
			for i := range c0 {
				c0[i] = float32(rng.NormFloat64())
			}
			for i := range res {
				res[i] = float32(rng.NormFloat64())
			}
			for i := range bias {
				bias[i] = float32(rng.NormFloat64())
			}
			for mode := 0; mode < 8; mode++ {
				addC, withRes, relu := mode&1 != 0, mode&2 != 0, mode&4 != 0
				ep := Epilogue{Bias: bias, ReLU: relu, LDR: n}
				if withRes {
					ep.Res = res
				}
				got := append([]float32(nil), c0...)
				GemmU8S8(m, n, kq, a, kq, sa, corr, b, sb, addC, got, ldc, ep)
				name := fmt.Sprintf("%v offset=%v addC=%v res=%v relu=%v", s, offset, addC, withRes, relu)
				for i := 0; i < m; i++ {
					for j := 0; j < ldc; j++ {
						if j >= n {
							if got[i*ldc+j] != c0[i*ldc+j] {
								t.Fatalf("%s: c[%d, %d] past n written", name, i, j)
							}
							continue
						}
						// The exact integer sum, then the scales and the
						// epilogue in float64: float32 rounds each of up to
						// six steps (conversion, two products, three sums).
						var sum int64
						for p := 0; p < 4*kq; p++ {
							qa := int8(math.Float32bits(a[i*kq+p/4]) >> (8 * (p % 4)))
							sum += int64(qa) * (int64(unpackU8(b, kq, n, p, j)) - zero) // A is 0 past k
						}
						want := float64(sum) * float64(sa[i]) * float64(sb[j])
						mag := math.Abs(want)
						for _, e := range []struct {
							on bool
							v  float32
						}{{addC, c0[i*ldc+j]}, {true, bias[i]}, {withRes, res[i*n+j]}} {
							if e.on {
								want += float64(e.v)
								mag += math.Abs(float64(e.v))
							}
						}
						if relu {
							want = max(want, 0)
						}
						tol := 6 * math.Pow(2, -24) * mag
						if d := math.Abs(float64(got[i*ldc+j]) - want); d > tol {
							t.Fatalf("%s: c[%d, %d] = %v, want %v (±%.3g)", name, i, j, got[i*ldc+j], want, tol)
						}
					}
				}
				if int8Asm {
					// The assembly against its twin, bit for bit.
					gen := append([]float32(nil), c0...)
					forceGenericInt8(func() { GemmU8S8(m, n, kq, a, kq, sa, corr, b, sb, addC, gen, ldc, ep) })
					for i := range gen {
						if math.Float32bits(gen[i]) != math.Float32bits(got[i]) {
							t.Fatalf("%s: value %d = %v, generic %v", name, i, got[i], gen[i])
						}
					}
				}
			}
		}
	}
}

// BenchmarkGemmU8S8 runs GemmU8S8 (with and without PackU8 of its
// input, as the engine does a tile at a time, in blocks of 512 columns) on ResNet-50's 1×1 layers at batch 1, on
// the calling goroutine, in GOP per CPU second (two per multiply-add), to
// set beside BenchmarkSgemmBF16:
//
//	go test -run X -bench GemmU8S8 ./internal/kernels/
func BenchmarkGemmU8S8(b *testing.B) {
	for _, s := range [][3]int{{64, 3136, 256}, {256, 3136, 64}, {256, 196, 1024}, {512, 784, 128}} {
		m, n, k := s[0], s[1], s[2]
		kq := U8Quads(k)
		rng := rand.New(rand.NewPCG(1, 1))
		a, sa, _, _, _ := int8TestOperands(rng, m, 1, k, false)
		x := make([]float32, k*n)
		for i := range x {
			x[i] = rng.Float32()
		}
		offs := make([]int32, k)
		for r := range offs {
			offs[r] = int32(r * n)
		}
		bb, sb := make([]float32, kq*U8Cols(n)), make([]float32, U8Cols(n))
		c := make([]float32, m*n)
		ep := Epilogue{Bias: make([]float32, m), ReLU: true}
		for _, part := range []string{"pack+gemm", "gemm"} {
			PackU8(bb, sb, x, offs, k, n)
			b.Run(fmt.Sprintf("%dx%dx%d/%s", m, n, k, part), func(b *testing.B) {
				cpu0 := cputime.Process().Seconds()
				for b.Loop() {
					// In blocks of at most 512 columns, as the engine's tiles.
					for j0 := 0; j0 < n; j0 += 512 {
						cols := min(512, n-j0)
						if part != "gemm" {
							PackU8(bb, sb, x[j0:], offs, k, cols)
						}
						GemmU8S8(m, cols, kq, a, kq, sa, nil, bb, sb, false, c[j0:], n, ep)
					}
				}
				reportGFLOPS(b, 2*float64(m*n*k), cpu0)
			})
		}
	}
}

// TestGemmU8S8TooDeep: a product whose int32 sums could overflow is
// refused.
func TestGemmU8S8TooDeep(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("GemmU8S8 accepted more quads than int32 sums exactly")
		}
	}()
	kq := MaxU8Quads + 1
	GemmU8S8(1, 1, kq, make([]float32, kq), kq, make([]float32, 1), nil, make([]float32, 16*kq), make([]float32, 16), false, make([]float32, 1), 1, Epilogue{})
}
