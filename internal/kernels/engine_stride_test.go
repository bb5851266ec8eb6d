package kernels

import (
	"fmt"
	"math"
	"testing"
)

// strideVariants lists every EveryOther implementation this CPU runs.
func strideVariants() map[string]func(dst, src []float32) {
	v := map[string]func(dst, src []float32){"generic": everyOtherGeneric, "dispatched": everyOther}
	addStrideAsm(v)
	return v
}

// TestEveryOther calls every variant for 1..257 outputs at unaligned
// offsets; src ends at its last value read, dst has NaN guards.
func TestEveryOther(t *testing.T) {
	for name, f := range strideVariants() {
		for n := 1; n <= 257; n++ {
			off := n % 4
			src := make([]float32, off+2*n-1)
			for i := range src {
				src[i] = float32(i)
			}
			src = src[off:]
			buf := make([]float32, n+2)
			for i := range buf {
				buf[i] = float32(math.NaN())
			}
			f(buf[1:n+1], src)
			if buf[0] == buf[0] || buf[n+1] == buf[n+1] {
				t.Fatalf("%s n=%d: wrote outside dst", name, n)
			}
			for q := 0; q < n; q++ {
				if buf[1+q] != src[2*q] {
					t.Fatalf("%s n=%d: dst[%d] = %v, want %v", name, n, q, buf[1+q], src[2*q])
				}
			}
		}
	}
	EveryOther(nil, nil)
}

// BenchmarkEveryOther times each variant on rows of 56 and 7 outputs:
//
//	go test -run X -bench EveryOther ./internal/kernels/
func BenchmarkEveryOther(b *testing.B) {
	for _, n := range []int{56, 7} {
		src, dst := make([]float32, 2*n), make([]float32, n)
		for _, name := range []string{"generic", "avx2", "avx512"} {
			f := strideVariants()[name]
			if f == nil {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				for b.Loop() {
					f(dst, src)
				}
			})
		}
	}
}

// TestEveryOtherRows calls every rows variant for 1..40 rows of 1..70
// outputs with padded strides; src ends at its last value read, and dst
// is NaN outside the outputs.
func TestEveryOtherRows(t *testing.T) {
	variants := map[string]func([]float32, int, []float32, int, int, int){"generic": everyOtherRowsGeneric, "dispatched": everyOtherRows}
	addStrideRowsAsm(variants)
	for name, f := range variants {
		for rows := 1; rows <= 40; rows += 3 {
			for n := 1; n <= 70; n += 1 + n/8 {
				ldd, lds := n+rows%3, 2*n+rows%5
				src := make([]float32, (rows-1)*lds+2*n-1)
				for i := range src {
					src[i] = float32(i)
				}
				buf := make([]float32, (rows-1)*ldd+n+2)
				for i := range buf {
					buf[i] = float32(math.NaN())
				}
				f(buf[1:], ldd, src, lds, rows, n)
				for j, g := range buf {
					i, q := (j-1)/ldd, (j-1)%ldd
					if j == 0 || i >= rows || q >= n {
						if g == g {
							t.Fatalf("%s rows=%d n=%d: wrote dst[%d] outside the rows", name, rows, n, j-1)
						}
						continue
					}
					if want := src[i*lds+2*q]; g != want {
						t.Fatalf("%s rows=%d n=%d: dst[%d] = %v, want %v", name, rows, n, j-1, g, want)
					}
				}
			}
		}
	}
	EveryOtherRows(nil, 0, nil, 0, 0, 5)
}
