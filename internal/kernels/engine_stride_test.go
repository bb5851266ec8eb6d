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
