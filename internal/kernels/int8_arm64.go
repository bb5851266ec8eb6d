//go:build !purego

package kernels

import "golang.org/x/sys/cpu"

var (
	// int8Asm: GemmU8S8 and PackU8 run the NEON kernels with SDOT (the
	// dot-product extension, FEAT_DotProd: Neoverse N1 and later, Apple
	// M1 and later).
	int8Asm = !asmDisabled && cpu.ARM64.HasASIMDDP
	// int8I8MM: the tiles are those with FEAT_I8MM's USMMLA (Neoverse V1,
	// N2 and later, Apple M2 and later), which multiplies B's unsigned
	// bytes as they are, 2×2 blocks of C at a time; else SDOT's, on
	// signed bytes only.
	int8I8MM = int8Asm && cpu.ARM64.HasI8MM
)

// int8NeedsRowSums reports whether the tiles are SDOT's: they read B's
// bytes less 128, and GemmU8S8 passes them corrections that take
// 128·Σ_k A[i, k] back (s8RowSums).
func int8NeedsRowSums() bool { return !int8I8MM }

// int8Runs reports whether GemmU8S8 hands int8TileAsm a panel's 12-row
// tiles together, which it gives the NEON tiles as runs of 6-row ones:
// whenever the NEON tiles run.
func int8Runs() bool { return int8Asm }

// int8KernelName names the int8 kernels that run (Running).
func int8KernelName() string {
	if int8I8MM {
		return "neon-i8mm"
	}
	return "neon-dotprod"
}

// s8RowSums sets out[i] = corr[i] (0 when corr is nil) − 128·Σ_k A[i, k]
// for the m rows of kq quads of A (lda words apart), kq ≥ 1.
func s8RowSums(out []int32, a []float32, lda, m, kq int, corr []int32) {
	var pc *int32
	if corr != nil {
		pc = &corr[0]
	}
	s8RowSumsNEON(&a[0], lda, m, kq, pc, &out[0])
}

// int8Tile6Rows computes an r×16 tile with USMMLA (int8I8MM) or SDOT
// (engine_stubs_arm64.go) for int8TileSixes, calling the kernels directly
// so that the compiler sees them keep no pointer (a stack buffer passed
// through a function value escapes).
func int8Tile6Rows(r, kq int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int) {
	switch {
	case r == 1 && int8I8MM:
		int8Tile1x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 2 && int8I8MM:
		int8Tile2x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 3 && int8I8MM:
		int8Tile3x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 4 && int8I8MM:
		int8Tile4x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 5 && int8I8MM:
		int8Tile5x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 6 && int8I8MM:
		int8Tile6x16I8MM(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 1:
		int8Tile1x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 2:
		int8Tile2x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 3:
		int8Tile3x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 4:
		int8Tile4x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 5:
		int8Tile5x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	case r == 6:
		int8Tile6x16NEON(kq, a, lda, b, ldb, c, ldc, sa, sb, bias, res, corr, ldr, flags)
	default:
		panic("kernels: NEON int8 tile of more than 6 rows")
	}
}

// int8TileAsm is int8TileGeneric with the NEON kernels (for SDOT's, corr
// holds s8RowSums' corrections and flags bit 4 is set: GemmU8S8).
func int8TileAsm(kq, rows, width, cols int, a []float32, lda int, b, c []float32, ldc int, sa, sb, bias, res []float32, corr []int32, ldr, flags int) {
	int8TileSixes(kq, rows, width, cols, a, lda, b, c, ldc, sa, sb, bias, res, corr, ldr, flags)
}

// packU8Half quantizes a 16-column half of a panel with the NEON kernel
// that reads 4·nv columns, the last vector's lanes ANDed with mask.
func packU8Half(nv int, offset bool, dst *float32, ldd int, sb, src *float32, offs *int32, k int, mask *uint32) {
	switch {
	case nv == 1 && !offset:
		packU8Cols4NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 2 && !offset:
		packU8Cols8NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 3 && !offset:
		packU8Cols12NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 4 && !offset:
		packU8Cols16NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 1:
		packU8OffCols4NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 2:
		packU8OffCols8NEON(dst, ldd, sb, src, offs, k, mask)
	case nv == 3:
		packU8OffCols12NEON(dst, ldd, sb, src, offs, k, mask)
	default:
		packU8OffCols16NEON(dst, ldd, sb, src, offs, k, mask)
	}
}

// packU8PanelAsm is packU8PanelGeneric with the NEON kernels, a panel of
// 32 in two halves of 16; PackU8 checked the extents and k ≥ 1, and every
// row may be read room values from the panel's first column. The kernels
// read whole vectors of 4 values: a panel whose last vector would run past
// that (its last row's last columns at src's very end) takes the portable
// twin.
func packU8PanelAsm(dst, sb, src []float32, offs []int32, k, cols, width, room int, offset bool) {
	if (cols+3)/4*4 > room {
		packU8PanelGeneric(dst, sb, src, offs, k, cols, width, offset)
		return
	}
	for h := 0; h < width; h += 16 {
		n := min(cols-h, 16) // ≥ 1: a panel of 32 has more than 16 columns
		nv := (n + 3) / 4
		var mask [4]uint32
		for l := range mask {
			if 4*(nv-1)+l < n {
				mask[l] = ^uint32(0)
			}
		}
		packU8Half(nv, offset, &dst[h], width, &sb[h], &src[h], &offs[0], k, &mask[0])
	}
}
