//go:build tune && amd64 && !purego

package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// BenchmarkTune sweeps the AVX-512 cache blocking (kc, mc) over the
// non-transposed benchmark shapes; run it on a new CPU with
//
//	go test -tags tune -run XXX -bench Tune -cpu 1 ./internal/kernels/
func BenchmarkTune(b *testing.B) {
	for _, kc := range []int{192, 256, 384, 512} {
		for _, mc := range []int{96, 144, 240} {
			kern := avx512Kernel
			kern.kc, kern.mc = kc, mc
			for _, s := range benchShapes {
				if s.m <= 4 || s.transA || s.transB {
					continue
				}
				b.Run(fmt.Sprintf("kc%d/mc%d/%s", kc, mc, s.name), func(b *testing.B) {
					rng := rand.New(rand.NewPCG(1, 1))
					a := matrix(rng, s.m, s.k, s.k, 0)[:s.m*s.k]
					bm := matrix(rng, s.k, s.n, s.n, 0)[:s.k*s.n]
					c := make([]float32, s.m*s.n)
					cpu0 := cputime.Process().Seconds()
					for b.Loop() {
						sgemm(&kern, Threads(), false, false, s.m, s.n, s.k, 1, a, s.k, bm, s.n, 0, c, s.n)
					}
					reportGFLOPS(b, 2*float64(s.m)*float64(s.n)*float64(s.k), cpu0)
				})
			}
		}
	}
}
