package kernels

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// peakLoopCase is a throughput loop of BenchmarkSgemmPeakFMA: fn runs its
// rounds of independent chains, ops operations a round.
type peakLoopCase struct {
	name string
	ok   bool
	fn   func(rounds int)
	ops  float64
}

// benchPeaks runs each loop on GOMAXPROCS goroutines and reports its
// GFLOP/s (or int8 GOP/s) per CPU-second.
func benchPeaks(b *testing.B, loops []peakLoopCase) {
	for _, p := range loops {
		b.Run(p.name, func(b *testing.B) {
			if !p.ok {
				b.Skip("CPU lacks", p.name)
			}
			const rounds = 1 << 16
			threads := Threads()
			cpu0 := cputime.Process().Seconds()
			for b.Loop() {
				var wg sync.WaitGroup
				for range threads {
					wg.Go(func() { p.fn(rounds) })
				}
				wg.Wait()
			}
			reportGFLOPS(b, p.ops*rounds*float64(threads), cpu0)
		})
	}
}

// benchShapes are the products behind ResNet-50 at 224×224, batch 1, as
// im2col GEMMs C[Cout, OH·OW] = W[Cout, Cin·kh·kw] × col, plus the
// classifier, a ResNeXt-50 32x4d group and a square reference.
var benchShapes = []struct {
	name           string
	transA, transB bool
	m, n, k        int
}{
	{"stem7x7_64x12544x147", false, false, 64, 12544, 147},
	{"l1_1x1_64x3136x256", false, false, 64, 3136, 256},
	{"l1_3x3_64x3136x576", false, false, 64, 3136, 576},
	{"l1_1x1_256x3136x64", false, false, 256, 3136, 64},
	{"l2_3x3_128x784x1152", false, false, 128, 784, 1152},
	{"l3_3x3_256x196x2304", false, false, 256, 196, 2304},
	{"l3_1x1_256x196x1024", false, false, 256, 196, 1024},
	{"l4_3x3_512x49x4608", false, false, 512, 49, 4608},
	{"l4_1x1_512x49x2048", false, false, 512, 49, 2048},
	{"l4_1x1_2048x49x512", false, false, 2048, 49, 512},
	{"fc_1x1000x2048_tB", false, true, 1, 1000, 2048},
	{"fc_256x1000x2048_tB", false, true, 256, 1000, 2048},
	{"dW_64x576x3136_tB", false, true, 64, 576, 3136},
	{"dcol_576x3136x64_tA", true, false, 576, 3136, 64},
	{"resnext_group_4x3136x36", false, false, 4, 3136, 36},
	{"resnext_group_8x3136x72", false, false, 8, 3136, 72},
	{"resnext_group_16x784x144", false, false, 16, 784, 144},
	{"wsl32x48d_group_48x3136x432", false, false, 48, 3136, 432},
	{"square_1024", false, false, 1024, 1024, 1024},
	{"x101_l3_1x1_1024x196x1024", false, false, 1024, 196, 1024},
	{"x101_l4_1x1_2048x49x2048", false, false, 2048, 49, 2048},
	{"r50_train_1x1_256x3136x1024", false, false, 256, 3136, 1024},
}

// BenchmarkSgemm runs every kernel on every shape; use -cpu 1,2 for the
// thread counts (Sgemm splits across GOMAXPROCS goroutines):
//
//	go test -run XXX -bench Sgemm -benchtime 0.3s -cpu 1,2 -count 3 ./internal/kernels/
//
// On the 2-core AMD EPYC (AVX-512) dev machine, busy with other work, one
// core, GFLOP per CPU-second, with BenchmarkSgemmPeakFMA/avx512 at 185–215
// in the same runs: 12×32 tile alone 190–208; ResNet-50 layer1/2 3×3 and
// 1×1 shapes 150–187 (80–95%); layer3 135–170; layer4 (N = 49) 100–146;
// stem 147–166; 1024³ 116–178; ResNeXt/WSL groups 124–188; linear
// 256×1000×2048 ᵀ 96–145; AVX2 63–90 against a 88–96 AVX2 peak; the
// portable Go kernel 2–6.
func BenchmarkSgemm(b *testing.B) {
	for _, kern := range gemmKernels() {
		for _, s := range benchShapes {
			b.Run(kern.name+"/"+s.name, func(b *testing.B) {
				rng := rand.New(rand.NewPCG(1, 1))
				lda, ldb := s.k, s.n
				if s.transA {
					lda = s.m
				}
				if s.transB {
					ldb = s.k
				}
				a := matrix(rng, s.m, s.k, s.k, 0)[:s.m*s.k]
				bm := matrix(rng, s.k, s.n, s.n, 0)[:s.k*s.n]
				c := make([]float32, s.m*s.n)
				sgemm(kern, Threads(), s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				cpu0 := cputime.Process().Seconds()
				for b.Loop() {
					sgemm(kern, Threads(), s.transA, s.transB, s.m, s.n, s.k, 1, a, lda, bm, ldb, 0, c, s.n)
				}
				reportGFLOPS(b, 2*float64(s.m)*float64(s.n)*float64(s.k), cpu0)
			})
		}
	}
}

// reportGFLOPS reports GFLOP/s of wall time and, where the OS tells,
// GFLOP per CPU-second since cpu0: on a shared machine the second is the
// steadier figure to compare with BenchmarkSgemmPeakFMA (with several
// goroutines it is the rate per busy core, so idle waits do not count).
func reportGFLOPS(b *testing.B, flopsPerOp, cpu0 float64) {
	flops := flopsPerOp * float64(b.N)
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOP/s")
	if cpu := cputime.Process().Seconds() - cpu0; cpu0 > 0 && cpu > 0 {
		b.ReportMetric(flops/cpu/1e9, "GFLOP/cpu-s")
	}
}

func ExampleSgemm() {
	// C = A·B for A 2×3 and B 3×2.
	a := []float32{1, 2, 3, 4, 5, 6}
	b := []float32{7, 8, 9, 10, 11, 12}
	c := make([]float32, 4)
	Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 0, c, 2)
	fmt.Println(c)
	// Output: [58 64 139 154]
}
