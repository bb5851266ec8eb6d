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

// TestPackTranspose16 compares the AVX-512 block transpose with its
// definition on 1–3 blocks and strides past the block (the values moved,
// bit for bit; the rest of dst untouched).
func TestPackTranspose16(t *testing.T) {
	if !hasAVX512 {
		t.Skip("no AVX-512")
	}
	for blocks := 1; blocks <= 3; blocks++ {
		for _, st := range [][2]int{{16, 16 * blocks}, {32, 16*blocks + 5}, {37, 1000}} {
			ldd, lds := st[0], st[1]
			src := make([]float32, 15*lds+16*blocks)
			for i := range src {
				src[i] = float32(i) + 0.5
			}
			want := make([]float32, (16*blocks-1)*ldd+16+3)
			for i := range want {
				want[i] = -1
			}
			got := append([]float32(nil), want...)
			packTranspose16Generic(want, ldd, src, lds, blocks)
			packTranspose16AVX512Go(got, ldd, src, lds, blocks)
			for i := range want {
				if got[i] != want[i] {
					t.Fatalf("blocks=%d ldd=%d lds=%d: dst[%d] = %v, want %v", blocks, ldd, lds, i, got[i], want[i])
				}
			}
		}
	}
}
