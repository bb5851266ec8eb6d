//go:build !purego

package kernels

// hasBF16 reports FEAT_BF16 (BFDOT: Neoverse V1, N2 and later, Apple M2
// and later), which golang.org/x/sys/cpu does not report on arm64: the
// operating system's word for it (bf16_linux_arm64.go and the others).
var hasBF16 = bf16Supported()

// bf16NEONTiles[v/2-1][r] computes an r×4v tile of bf16 pairs with BFDOT
// (gemm_stubs_arm64.go): v = 2 for the right edge's 8 columns, 4 for 16.
var bf16NEONTiles = [2][maxNEONRows + 1]asmTile{
	{nil, bf16Tile1x8NEON, bf16Tile2x8NEON, bf16Tile3x8NEON,
		bf16Tile4x8NEON, bf16Tile5x8NEON, bf16Tile6x8NEON},
	{nil, bf16Tile1x16NEON, bf16Tile2x16NEON, bf16Tile3x16NEON,
		bf16Tile4x16NEON, bf16Tile5x16NEON, bf16Tile6x16NEON},
}

// maxNEONRows is the tallest NEON tile.
const maxNEONRows = 6

// bf16NEONKernel is neonKernel's blocking with the BFDOT tiles: kc counts
// pairs, so a slice covers 2·kc values of K. BFDOT sums a pair's two
// products and adds them to the accumulator rounding to odd, where
// VDPBF16PS and the portable twin add each product rounding to nearest:
// its sums may differ from theirs in the last bits (each step within one
// unit of the last place, not half).
var bf16NEONKernel = microKernel{
	name: "neon-bf16",
	mr:   6, nr: 16,
	kc: 384, mc: 72, nc: 2048,
	strided: true,
	tile:    tileOf(bf16NEONTiles[1][:], 16),
	tileEp:  tileEpOf(bf16NEONTiles[1][:], 16),
	tileRun: tileRunOf(bf16NEONTiles[1][:], 16),
	half:    tileOf(bf16NEONTiles[0][:], 8),
}

func init() {
	if asmDisabled {
		return
	}
	if hasBF16 {
		bf16Kernel = &bf16NEONKernel
	}
	// The rounding into pairs is plain NEON: every arm64 CPU runs it.
	packBF16 = func(dst []float32, ldd int, src []float32, lds, pairs, n int) {
		// PackBF16 checked the extents.
		n4 := n &^ 3
		if n4 > 0 {
			packBF16NEON(&dst[0], ldd, &src[0], lds, pairs, n4)
		}
		for p := 0; p < pairs && n4 < n; p++ {
			packPair(dst[p*ldd+n4:p*ldd+n], src[2*p*lds+n4:], src[(2*p+1)*lds+n4:])
		}
	}
	packBF16Offs = func(dst []float32, ldd int, src []float32, offs []int32, pairs, n int) {
		// PackBF16Offs checked the extents.
		n4 := n &^ 3
		if n4 > 0 {
			packBF16OffsNEON(&dst[0], ldd, &src[0], &offs[0], pairs, n4)
		}
		for p := 0; p < pairs && n4 < n; p++ {
			packPair(dst[p*ldd+n4:p*ldd+n], src[int(offs[2*p])+n4:], src[int(offs[2*p+1])+n4:])
		}
	}
}
