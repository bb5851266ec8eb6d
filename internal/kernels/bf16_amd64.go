//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// hasAVX512BF16: VDPBF16PS on zmm registers (the bf16 tiles also use
// AVX512F and DQ).
var hasAVX512BF16 = hasAVX512 && cpu.X86.HasAVX512BF16

// bf16Tiles[v-1][r] computes an r×16v tile of bf16 pairs (gemm_stubs_amd64.go).
var bf16Tiles = [2][13]asmTile{
	{nil, bf16Tile1x16AVX512, bf16Tile2x16AVX512, bf16Tile3x16AVX512, bf16Tile4x16AVX512,
		bf16Tile5x16AVX512, bf16Tile6x16AVX512, bf16Tile7x16AVX512, bf16Tile8x16AVX512,
		bf16Tile9x16AVX512, bf16Tile10x16AVX512, bf16Tile11x16AVX512, bf16Tile12x16AVX512},
	{nil, bf16Tile1x32AVX512, bf16Tile2x32AVX512, bf16Tile3x32AVX512, bf16Tile4x32AVX512,
		bf16Tile5x32AVX512, bf16Tile6x32AVX512, bf16Tile7x32AVX512, bf16Tile8x32AVX512,
		bf16Tile9x32AVX512, bf16Tile10x32AVX512, bf16Tile11x32AVX512, bf16Tile12x32AVX512},
}

// bf16AVX512Kernel is avx512Kernel's blocking with the bf16 tiles: kc
// counts pairs, so a slice covers 2·kc values of K in the same bytes.
var bf16AVX512Kernel = microKernel{
	name: "avx512-bf16",
	mr:   12, nr: 32,
	kc: 384, mc: 144, nc: 2048,
	strided: true,
	tile:    tileOf(bf16Tiles[1][:], 32),
	half:    tileOf(bf16Tiles[0][:], 16),
	tileEp:  tileEpOf(bf16Tiles[1][:], 32),
	tileRun: tileRunOf(bf16Tiles[1][:], 32),
}

func init() {
	if !asmDisabled && hasAVX512BF16 {
		bf16Kernel = &bf16AVX512Kernel
		packBF16 = func(dst []float32, ldd int, src []float32, lds, pairs, n int) {
			// PackBF16 checked the extents.
			packBF16AVX512(&dst[0], ldd, &src[0], lds, pairs, n)
		}
		packBF16Offs = func(dst []float32, ldd int, src []float32, offs []int32, pairs, n int) {
			// PackBF16Offs checked the extents.
			packBF16OffsAVX512(&dst[0], ldd, &src[0], &offs[0], pairs, n)
		}
	}
}
