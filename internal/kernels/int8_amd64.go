//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

var (
	// int8Asm: GemmU8S8 and PackU8 run assembly: the AVX512-VNNI kernels
	// (VPDPBUSD on zmm registers; the tiles also use AVX512F), or on a CPU
	// with AVX2 and AVX-VNNI but not those (Intel's cores since Alder
	// Lake), the AVX-VNNI ones (int8AVX2).
	int8Asm = !asmDisabled && (hasAVX512VNNI || hasAVXVNNI)
	// int8AVX2: the assembly is the AVX-VNNI kernels (VEX VPDPBUSD on
	// ymm registers, 6×16 tiles).
	int8AVX2 = int8Asm && !hasAVX512VNNI

	hasAVX512VNNI = hasAVX512 && cpu.X86.HasAVX512VNNI
	hasAVXVNNI    = hasAVX2 && cpu.X86.HasAVXVNNI
)

// int8Runs reports whether int8TileAsm takes runs of 12-row tiles (flags
// bits 8–15: how many more follow): the AVX512-VNNI tiles run them, and
// the AVX-VNNI wrapper hands them on as runs of its 6-row tiles.
func int8Runs() bool { return int8Asm }

// int8KernelName names the int8 kernels that run (Running).
func int8KernelName() string {
	if int8AVX2 {
		return "avx-vnni"
	}
	return "avx512-vnni"
}

// int8NeedsRowSums is false: VPDPBUSD multiplies B's unsigned bytes as
// they are.
func int8NeedsRowSums() bool { return false }

func s8RowSums(out []int32, a []float32, lda, m, kq int, corr []int32) {
	panic("kernels: no SDOT on amd64")
}

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
	if int8AVX2 {
		int8TileSixes(kq, rows, width, cols, a, lda, b, c, ldc, sa, sb, bias, res, corr, ldr, flags)
		return
	}
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

// packU8PanelAsm is packU8PanelGeneric with the AVX-512 kernels (AVX-VNNI:
// the AVX2 ones); PackU8 checked the extents.
func packU8PanelAsm(dst, sb, src []float32, offs []int32, k, cols, width, room int, offset bool) {
	var po *int32
	if k > 0 {
		po = &offs[0]
	}
	if int8AVX2 {
		pack := packU8x16AVX2
		if offset {
			pack = packU8Offx16AVX2
		}
		// A panel of 32 in two halves of 16, the second from column 16
		// of src when it has any of B's columns (else src's first value,
		// none of which its all-off masks read).
		for h := 0; h < width; h += 16 {
			n := min(max(cols-h, 0), 16)
			s := &src[0]
			if n > 0 {
				s = &src[h]
			}
			pack(&dst[h], width, &sb[h], s, po, k, n)
		}
		return
	}
	o := 0
	if offset {
		o = 1
	}
	packU8Panels[o][width/16-1](&dst[0], &sb[0], &src[0], po, k, cols)
}

// int8Tile6Rows computes an r×16 tile with AVX-VNNI (gemm_stubs_amd64.go)
// for int8TileSixes, calling the kernels directly so that the compiler
// sees them keep no pointer (a stack buffer passed through a function
// value escapes).
func int8Tile6Rows(r, kq int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int) {
	switch r {
	case 1:
		int8Tile1x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case 2:
		int8Tile2x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case 3:
		int8Tile3x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case 4:
		int8Tile4x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case 5:
		int8Tile5x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case 6:
		int8Tile6x16AVX2(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	default:
		panic("kernels: AVX-VNNI int8 tile of more than 6 rows")
	}
}
