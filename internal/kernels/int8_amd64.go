//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

// useVNNI: GemmU8S8 and PackU8 run the AVX512-VNNI kernels (VPDPBUSD on
// zmm registers; the tiles also use AVX512F).
var useVNNI = !asmDisabled && hasAVX512 && cpu.X86.HasAVX512VNNI

type int8AsmTile func(kq int, a *float32, lda int, b *float32, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int)

// int8Tiles[v-1][r] computes an r×16v tile (gemm_stubs_amd64.go).
var int8Tiles = [2][13]int8AsmTile{
	{nil, int8Tile1x16AVX512, int8Tile2x16AVX512, int8Tile3x16AVX512, int8Tile4x16AVX512,
		int8Tile5x16AVX512, int8Tile6x16AVX512, int8Tile7x16AVX512, int8Tile8x16AVX512,
		int8Tile9x16AVX512, int8Tile10x16AVX512, int8Tile11x16AVX512, int8Tile12x16AVX512},
	{nil, int8Tile1x32AVX512, int8Tile2x32AVX512, int8Tile3x32AVX512, int8Tile4x32AVX512,
		int8Tile5x32AVX512, int8Tile6x32AVX512, int8Tile7x32AVX512, int8Tile8x32AVX512,
		int8Tile9x32AVX512, int8Tile10x32AVX512, int8Tile11x32AVX512, int8Tile12x32AVX512},
}

// int8TileAsm is int8TileGeneric with the VNNI kernels; GemmU8S8 checked
// the extents (the tile writes its first cols columns).
func int8TileAsm(kq, rows, width, cols int, a []float32, lda int, b, c []float32, ldc int, sa, sb, bias, res []float32, corr []int32, ldr, flags int) {
	var pb, pr *float32
	var pc *int32
	if corr != nil {
		pc = &corr[0]
	}
	if bias != nil {
		pb = &bias[0]
	}
	if res != nil {
		pr = &res[0]
	}
	int8Tiles[width/16-1][rows](kq, &a[0], lda, &b[0], &c[0], ldc, &sa[0], &sb[0], pb, pr, pc, ldr, flags)
}

// packU8Panels[o][v-1] quantizes a panel of 16v columns, PackU8's
// (o = 0) or PackU8Offset's (o = 1).
var packU8Panels = [2][2]func(dst, sb, src *float32, offs *int32, k, cols int){
	{packU8x16AVX512, packU8x32AVX512},
	{packU8Offx16AVX512, packU8Offx32AVX512},
}

// packU8PanelAsm is packU8PanelGeneric with the AVX-512 kernels; PackU8
// checked the extents.
func packU8PanelAsm(dst, sb, src []float32, offs []int32, k, cols, width int, offset bool) {
	var po *int32
	if k > 0 {
		po = &offs[0]
	}
	o := 0
	if offset {
		o = 1
	}
	packU8Panels[o][width/16-1](&dst[0], &sb[0], &src[0], po, k, cols)
}
