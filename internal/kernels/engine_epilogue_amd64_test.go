//go:build !purego

package kernels

import "testing"

func addEpilogueAsm(v map[string]func(dst, src, res []float32, b float32, relu bool)) {
	if hasAVX512 {
		v["avx512"] = biasActAVX512
	}
	if hasAVX2 {
		v["avx2"] = biasActAVX2
	}
}

func addEpilogueRowsAsm(v map[string]func([]float32, int, []float32, int, []float32, int, int, int, float32, bool)) {
	if hasAVX512 {
		v["avx512"] = biasActRowsAVX512
	}
	if hasAVX2 {
		v["avx2"] = biasActRowsAVX2
	}
}

func addTransposeAsm(v map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool)) {
	if hasAVX512 {
		v["avx512"] = transposeBiasActAVX512Go
	}
	if hasAVX2 {
		v["avx2"] = transposeBiasActAVX2Go
	}
}

// TestPackTranspose compares the AVX-512 (16×16) and AVX2 (8×8) block
// transposes with their definition on 1–3 blocks and strides past the
// block (the values moved, bit for bit; the rest of dst untouched).
func TestPackTranspose(t *testing.T) {
	type variant struct {
		w int
		f func([]float32, int, []float32, int, int)
	}
	var vs []variant
	if hasAVX512 {
		vs = append(vs, variant{16, packTransposeAVX512Go})
	}
	if hasAVX2 {
		vs = append(vs, variant{8, packTransposeAVX2Go})
	}
	for _, v := range vs {
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
