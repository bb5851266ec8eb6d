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
