//go:build !purego

package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

func addConvAsm(v map[string]func(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool)) {
	if hasAVX512 {
		v["avx512"] = convGemmAVX512
	}
	if hasAVX2 {
		v["avx2"] = convGemmAVX2
	}
}

// TestConvTiles calls every convTile kernel directly against its Go twin:
// depths 1..5 and longer (the K loop is unrolled by 2; from 18 on it
// prefetches rows of B ahead), 1..3 tiles, full and partial masks (lanes
// masked off are neither written nor read: B ends right after the last
// lane on), accumulating or not, unaligned. The offsets end at a page
// that cannot be read (on Linux): the prefetching must not read past them.
func TestConvTiles(t *testing.T) {
	for _, set := range []struct {
		name  string
		ok    bool
		tiles [][]convTileFunc
		lanes int
	}{{"AVX512", hasAVX512, convTilesAVX512, 16}, {"AVX2", hasAVX2, convTilesAVX2, 8}} {
		t.Run(set.name, func(t *testing.T) {
			if !set.ok {
				t.Skip("not on this CPU")
			}
			testConvTiles(t, set.name, set.tiles, set.lanes)
		})
	}
}

func testConvTiles(t *testing.T, isa string, tiles [][]convTileFunc, full int) {
	rng := rand.New(rand.NewPCG(7, 8))
	for r := 1; r < len(tiles); r++ {
		for v, f := range tiles[r] {
			if f == nil {
				continue
			}
			w := full * v
			for _, k := range []int{1, 2, 3, 4, 5, 16, 17, 18, 19, 36, 147} {
				for nblk := 1; nblk <= 3; nblk++ {
					lanes := full
					if rng.IntN(2) == 0 {
						lanes = 1 + rng.IntN(full)
					}
					mask := uint16(1<<lanes - 1)
					acc := rng.IntN(2)
					n := w * nblk
					lda, ldc, off := k+rng.IntN(3), n+rng.IntN(5), rng.IntN(4)
					a, b, offs, c := convOperands(rng, r, n, k, lda, ldc, off)
					written := func(j int) bool { return j%w < w-full+lanes }
					// Masked-off lanes of B are NaN, and some rows end at the
					// end of b with their last lane read: a lane masked off
					// that were read would show, or fault.
					last := int32(len(b) - n + full - lanes)
					for p := range offs {
						if rng.IntN(3) == 0 {
							offs[p] = last
						}
						for j := 0; j < n && int(offs[p])+j < len(b); j++ {
							if !written(j) {
								b[int(offs[p])+j] = float32(math.NaN())
							}
						}
					}
					offs = guardedInt32s(t, offs)
					want, bound := convReference(r, n, k, a, lda, b, offs, c, ldc, acc == 1, written)
					f(k, &a[0], lda, &b[0], &offs[0], &c[0], ldc, nblk, mask, acc)
					checkConv(t, fmt.Sprintf("convTile%dx%d%s k=%d nblk=%d lanes=%d acc=%d", r, v, isa, k, nblk, lanes, acc),
						r, n, c, ldc, want, bound, written)
				}
			}
		}
	}
}

// BenchmarkConvGemm measures ConvGemm on the shapes of ResNeXt's grouped
// 3×3 layers (one group: og×og·9 by a 56×58 or 7×9 grid) and of the 7×7
// stem (64×147 by a chunk of 512 columns), against the gather-and-GEMM
// path it replaces (packed-avx2: with the AVX2 SGEMM kernel, as on a CPU
// without AVX-512), in GFLOP per CPU second:
//
//	go test -run X -bench ConvGemm ./internal/kernels/
func BenchmarkConvGemm(b *testing.B) {
	for _, s := range []struct {
		name    string
		m, n, k int
	}{
		{"group4-56x56", 4, 56 * 58, 36}, {"group8-28x28", 8, 28 * 30, 72}, {"group32-7x7", 32, 7 * 9, 288},
		{"group64-7x7", 64, 7 * 9, 576}, {"stem", 64, 512, 147},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		a, bb, offs, c := convOperands(rng, s.m, s.n, s.k, s.k, s.n, 0)
		for _, v := range []string{"packed", "packed-avx2", "avx2", "avx512"} {
			f := convVariants()[v]
			if v == "packed-avx2" && hasAVX2 {
				f = convGemmPacked
			}
			if f == nil {
				continue
			}
			b.Run(s.name+"/"+v, func(b *testing.B) {
				if v == "packed-avx2" {
					// What an AVX2 CPU ran before: the gather with its SGEMM kernel.
					k := gemmKernel
					gemmKernel = &avx2Kernel
					defer func() { gemmKernel = k }()
				}
				cpu0 := cputime.Process().Seconds()
				for b.Loop() {
					f(s.m, s.n, s.k, a, s.k, bb, offs, c, s.n, false)
				}
				reportGFLOPS(b, 2*float64(s.m*s.n*s.k), cpu0)
			})
		}
	}
}
