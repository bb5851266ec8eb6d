package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// poolRowVariants lists every MaxPool3x3s2Row implementation this CPU runs.
func poolRowVariants() map[string]func(dst, r0, r1, r2 []float32, w int) {
	v := map[string]func(dst, r0, r1, r2 []float32, w int){"generic": maxPool3x3s2RowGeneric, "dispatched": maxPool3x3s2Row}
	addPoolAsm(v)
	return v
}

// TestMaxPool3x3s2Row compares every variant with MaxPool2d on a 3-row
// image for widths 1..257 at unaligned offsets (rows ending where the
// slices end), with NaN guards around dst, and NaN, ±Inf and ±0 inside.
func TestMaxPool3x3s2Row(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	p := PoolParams{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}
	inf := float32(math.Inf(1))
	for name, f := range poolRowVariants() {
		for w := 1; w <= 257; w++ {
			for mode := 0; mode < 4; mode++ {
				off := (w + mode) % 4
				img := make([]float32, 3*w)
				for i := range img {
					img[i] = float32(rng.NormFloat64())
				}
				switch mode {
				case 1:
					img[rng.IntN(len(img))] = float32(math.NaN())
				case 2:
					img[rng.IntN(len(img))], img[rng.IntN(len(img))] = inf, -inf
					img[rng.IntN(len(img))] = float32(math.Copysign(0, -1))
				case 3:
					for i := range img {
						img[i] = -inf
					}
				}
				// The 3-row image pooled: its output row 1 has rows 1..2 in
				// the window (row 3 is padding); use rows 0..2 for the test.
				want := make([]float32, 2*((w-1)/2+1))
				MaxPool2d(&p, 1, 3, w, img, want)
				ow := (w-1)/2 + 1
				// Row 0's window: rows 0, 1 (−1 is padding): pass row 0 twice.
				rows := [][3]int{{0, 0, 1}, {1, 2, 2}}
				for oy, rr := range rows {
					var r [3][]float32
					for i, y := range rr {
						buf := make([]float32, off+w)
						copy(buf[off:], img[y*w:(y+1)*w])
						r[i] = buf[off:]
					}
					out := make([]float32, ow+2)
					for i := range out {
						out[i] = float32(math.NaN())
					}
					f(out[1:1+ow], r[0], r[1], r[2], w)
					if out[0] == out[0] || out[ow+1] == out[ow+1] {
						t.Fatalf("%s w=%d: wrote outside dst", name, w)
					}
					for ox := 0; ox < ow; ox++ {
						g, wv := out[1+ox], want[oy*ow+ox]
						if g != wv && !(g != g && wv != wv) {
							t.Fatalf("%s w=%d mode=%d row %d: out[%d] = %v, want %v", name, w, mode, oy, ox, g, wv)
						}
					}
				}
			}
		}
	}
}

// BenchmarkMaxPool3x3s2Row times each variant on a row of ResNet's stem
// pool (112 columns in, 56 out) and a narrow odd one:
//
//	go test -run X -bench MaxPool3x3s2Row ./internal/kernels/
func BenchmarkMaxPool3x3s2Row(b *testing.B) {
	for _, w := range []int{112, 29} {
		r := make([]float32, 3*w)
		for i := range r {
			r[i] = float32(i%9) - 4
		}
		dst := make([]float32, (w-1)/2+1)
		for _, name := range []string{"generic", "avx2", "avx512"} {
			f := poolRowVariants()[name]
			if f == nil {
				continue
			}
			b.Run(fmt.Sprintf("w=%d/%s", w, name), func(b *testing.B) {
				for b.Loop() {
					f(dst, r, r[w:], r[2*w:], w)
				}
			})
		}
	}
}
