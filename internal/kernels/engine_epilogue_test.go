package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// epilogueVariants lists every BiasAct implementation this CPU runs.
func epilogueVariants() map[string]func(dst, src, res []float32, b float32, relu bool) {
	v := map[string]func(dst, src, res []float32, b float32, relu bool){"generic": biasActGeneric}
	if biasAct != nil {
		v["dispatched"] = biasAct
	}
	addEpilogueAsm(v)
	return v
}

// TestBiasAct compares each variant with a float64-free reference loop on
// lengths 0..257 at unaligned offsets, with NaN guard cells around dst and
// NaN, ±0 and negative values inside, in place and out of place.
func TestBiasAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	nan := float32(math.NaN())
	for name, f := range epilogueVariants() {
		for n := 0; n <= 257; n++ {
			for off := 0; off < 3; off++ {
				for mode := 0; mode < 8; mode++ {
					withRes, relu, inPlace := mode&1 != 0, mode&2 != 0, mode&4 != 0
					src := make([]float32, n+off)
					res := make([]float32, n+off)
					for i := range src {
						src[i] = float32(rng.NormFloat64())
						res[i] = float32(rng.NormFloat64())
					}
					if n > 5 {
						src[off+n/2] = nan
						src[off+n/3] = float32(math.Copysign(0, -1))
						res[off+n/4] = nan
					}
					b := float32(rng.NormFloat64())
					want := make([]float32, n)
					for i := range want {
						v := src[off+i] + b
						if withRes {
							v += res[off+i]
						}
						if relu && v < 0 {
							v = 0
						}
						want[i] = v
					}
					buf := make([]float32, n+off+2)
					for i := range buf {
						buf[i] = nan
					}
					dst := buf[off+1 : off+1+n]
					s := src[off:]
					if inPlace {
						copy(dst, s)
						s = dst
					}
					var r []float32
					if withRes {
						r = res[off:]
					}
					if n > 0 {
						f(dst, s, r, b, relu)
					}
					for i := range want {
						g, w := dst[i], want[i]
						if g != w && !(g != g && w != w) {
							t.Fatalf("%s n=%d off=%d res=%v relu=%v inPlace=%v: dst[%d] = %v, want %v", name, n, off, withRes, relu, inPlace, i, g, w)
						}
					}
					if buf[off] == buf[off] || buf[off+1+n] == buf[off+1+n] {
						t.Fatalf("%s n=%d: wrote outside dst", name, n)
					}
				}
			}
		}
	}
}

// BenchmarkBiasAct times each variant on a 56×56 and a 7×7 plane with a
// residual and ReLU:
//
//	go test -run X -bench BiasAct ./internal/kernels/
func BenchmarkBiasAct(b *testing.B) {
	for _, n := range []int{56 * 56, 7 * 7} {
		dst, src, res := make([]float32, n), make([]float32, n), make([]float32, n)
		for i := range src {
			src[i], res[i] = float32(i%7)-3, float32(i%5)-2
		}
		for _, name := range []string{"generic", "avx2", "avx512"} {
			f := epilogueVariants()[name]
			if f == nil {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				for b.Loop() {
					f(dst, src, res, 0.25, true)
				}
			})
		}
	}
}

// TestBiasActRows compares each rows variant with BiasAct's portable twin
// row by row, for 1..9 rows of 1..70 values with strides past the rows,
// with and without residual and ReLU; dst is NaN outside the rows.
func TestBiasActRows(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	variants := map[string]func([]float32, int, []float32, int, []float32, int, int, int, float32, bool){
		"generic": biasActRowsGeneric, "dispatched": biasActRows,
	}
	addEpilogueRowsAsm(variants)
	for name, f := range variants {
		for rows := 1; rows <= 9; rows += 2 {
			for n := 1; n <= 70; n += 1 + n/6 {
				for mode := 0; mode < 4; mode++ {
					withRes, relu := mode&1 != 0, mode&2 != 0
					ldd, lds, ldr := n+rows%3, n+2+rows%4, n+1
					src, res := make([]float32, (rows-1)*lds+n), make([]float32, (rows-1)*ldr+n)
					for i := range src {
						src[i] = float32(rng.NormFloat64())
					}
					for i := range res {
						res[i] = float32(rng.NormFloat64())
					}
					var r []float32
					if withRes {
						r = res
					}
					b := float32(rng.NormFloat64())
					buf := nanSlice((rows-1)*ldd + n + 2)
					f(buf[1:], ldd, src, lds, r, ldr, rows, n, b, relu)
					for j, g := range buf {
						i, q := (j-1)/ldd, (j-1)%ldd
						if j == 0 || i >= rows || q >= n {
							if g == g {
								t.Fatalf("%s rows=%d n=%d: wrote dst[%d] outside the rows", name, rows, n, j-1)
							}
							continue
						}
						want := make([]float32, 1)
						var rr []float32
						if withRes {
							rr = res[i*ldr+q : i*ldr+q+1]
						}
						biasActGeneric(want, src[i*lds+q:i*lds+q+1], rr, b, relu)
						if !sameFloat(g, want[0]) {
							t.Fatalf("%s rows=%d n=%d res=%v relu=%v: dst[%d] = %v, want %v", name, rows, n, withRes, relu, j-1, g, want[0])
						}
					}
				}
			}
		}
	}
	BiasActRows(nil, 0, nil, 0, nil, 0, 0, 5, 1, false)
}

// TestTransposeBiasAct compares every variant of TransposeBiasAct with
// BiasAct on the transposed values, bit for bit (NaN as NaN, −0 and
// ReLU's 0 included), for 1–40 rows (full 16-row blocks and a masked
// tail) and column counts around the assembly's blocks of 16, with and
// without residual and ReLU; dst is NaN outside what may be written.
func TestTransposeBiasAct(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	nan := float32(math.NaN())
	variants := map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool){
		"generic": transposeBiasActGeneric, "dispatched": transposeBiasAct,
	}
	addTransposeAsm(variants)
	for name, f := range variants {
		for n := 1; n <= 40; n++ {
			for _, cols := range []int{1, 7, 8, 15, 16, 17, 32, 40} {
				for mode := 0; mode < 4; mode++ {
					withRes, relu := mode&1 != 0, mode&2 != 0
					lds, ldd, ldr := cols+rng.IntN(3), n+rng.IntN(3), n+rng.IntN(3)
					src := make([]float32, (n-1)*lds+cols)
					for i := range src {
						src[i] = float32(rng.NormFloat64())
					}
					src[rng.IntN(len(src))] = nan
					src[rng.IntN(len(src))] = float32(math.Copysign(0, -1))
					bias := make([]float32, cols)
					for i := range bias {
						bias[i] = float32(rng.NormFloat64())
					}
					var res []float32
					if withRes {
						res = make([]float32, (cols-1)*ldr+n)
						for i := range res {
							res[i] = float32(rng.NormFloat64())
						}
						res[rng.IntN(len(res))] = nan
					}
					dst := nanSlice((cols-1)*ldd + n)
					f(dst, ldd, src, lds, res, ldr, bias, n, cols, relu)
					for o := 0; o < cols; o++ {
						col := make([]float32, n)
						for i := range col {
							col[i] = src[i*lds+o]
						}
						want := make([]float32, n)
						var r []float32
						if withRes {
							r = res[o*ldr : o*ldr+n]
						}
						biasActGeneric(want, col, r, bias[o], relu)
						for i, w := range want {
							if g := dst[o*ldd+i]; !sameFloat(g, w) || math.Signbit(float64(g)) != math.Signbit(float64(w)) && g == g {
								t.Fatalf("%s n=%d cols=%d res=%v relu=%v: dst[%d][%d] = %v, want %v", name, n, cols, withRes, relu, o, i, g, w)
							}
						}
						for i := n; i < ldd && o < cols-1; i++ {
							if g := dst[o*ldd+i]; g == g {
								t.Fatalf("%s n=%d cols=%d: wrote dst[%d][%d] past the rows", name, n, cols, o, i)
							}
						}
					}
					if withRes {
						// dst may be res itself: the same values.
						over := append([]float32(nil), res...)
						f(over, ldr, src, lds, over, ldr, bias, n, cols, relu)
						for o := 0; o < cols; o++ {
							for i := 0; i < n; i++ {
								if g, w := over[o*ldr+i], dst[o*ldd+i]; math.Float32bits(g) != math.Float32bits(w) {
									t.Fatalf("%s n=%d cols=%d relu=%v over the residual: dst[%d][%d] = %v, want %v", name, n, cols, relu, o, i, g, w)
								}
							}
						}
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("TransposeBiasAct with a short dst did not panic")
		}
	}()
	TransposeBiasAct(make([]float32, 4), 3, make([]float32, 4), 2, nil, 0, make([]float32, 2), 2, 2, false)
}

// BenchmarkTransposeBiasAct times each variant on ResNet-50's 7×7 and
// 14×14 transposed stores (49 positions × 512 channels, 196 × 256), with
// residual and ReLU.
func BenchmarkTransposeBiasAct(b *testing.B) {
	variants := map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool){
		"generic": transposeBiasActGeneric,
	}
	addTransposeAsm(variants)
	for _, s := range [][2]int{{49, 512}, {196, 256}} {
		n, cols := s[0], s[1]
		src, dst, res, bias := make([]float32, n*cols), make([]float32, n*cols), make([]float32, n*cols), make([]float32, cols)
		for name, f := range variants {
			b.Run(fmt.Sprintf("%dx%d/%s", n, cols, name), func(b *testing.B) {
				b.SetBytes(int64(12 * n * cols))
				for b.Loop() {
					f(dst, n, src, cols, res, n, bias, n, cols, true)
				}
			})
		}
	}
}

// packTransposeVariant is an assembly block transpose (packTranspose)
// and its block width.
type packTransposeVariant struct {
	w int
	f func([]float32, int, []float32, int, int)
}

// TestPackTranspose compares the assembly block transposes (AVX-512
// 16×16, AVX2 8×8, NEON 4×4) with their definition on 1–3 blocks and
// strides past the block (the values moved, bit for bit; the rest of dst
// untouched).
func TestPackTranspose(t *testing.T) {
	for _, v := range packTransposeAsm() {
		w := v.w
		for blocks := 1; blocks <= 3; blocks++ {
			for _, st := range [][2]int{{w, w * blocks}, {32, w*blocks + 5}, {37, 1000}} {
				ldd, lds := st[0], st[1]
				src := make([]float32, (w-1)*lds+w*blocks)
				for i := range src {
					src[i] = float32(i) + 0.5
				}
				want := make([]float32, (w*blocks-1)*ldd+w+3)
				for i := range want {
					want[i] = -1
				}
				got := append([]float32(nil), want...)
				packTransposeGeneric(w, want, ldd, src, lds, blocks)
				v.f(got, ldd, src, lds, blocks)
				for i := range want {
					if got[i] != want[i] {
						t.Fatalf("%d×%d blocks=%d ldd=%d lds=%d: dst[%d] = %v, want %v", w, w, blocks, ldd, lds, i, got[i], want[i])
					}
				}
			}
		}
	}
}
