//go:build !purego

package kernels

// The direct convolutions' implicit GEMM on arm64: NEON tiles reading B
// through offs in place (engine_arm64.s, written by _gen_arm64) instead
// of gathering it into blocks for the SGEMM (convGemmPacked), which for
// ResNeXt's groups of 4 output channels copied a value of B for every 4
// multiply-adds.

// convTileNEONFunc is one NEON implicit-GEMM tile (engine_stubs_arm64.go).
type convTileNEONFunc func(k int, a *float32, lda int, b *float32, offs *int32, c *float32, ldc int, nblk int, acc int)

// convTilesNEON[r][v] computes r rows by 4v columns.
var convTilesNEON = [7][5]convTileNEONFunc{
	{},
	{nil, convTile1x1NEON, convTile1x2NEON, convTile1x3NEON, convTile1x4NEON},
	{nil, convTile2x1NEON, convTile2x2NEON, convTile2x3NEON, convTile2x4NEON},
	{nil, convTile3x1NEON, convTile3x2NEON, convTile3x3NEON, convTile3x4NEON},
	{nil, convTile4x1NEON, convTile4x2NEON, convTile4x3NEON, convTile4x4NEON},
	{nil, convTile5x1NEON, convTile5x2NEON, convTile5x3NEON, convTile5x4NEON},
	{nil, convTile6x1NEON, convTile6x2NEON, convTile6x3NEON, convTile6x4NEON},
}

// convGemmNEON runs the NEON tiles as convGemmTiles runs the AVX ones: K in
// slices of 512 when longer than 1024, chunks of columns whose rows of B
// stay in L2, row blocks of up to 6 rows sweeping a chunk in 6×16 tiles,
// then one narrower tile of whole vectors; the last columns of a chunk
// (fewer than 4) on the portable tile.
func convGemmNEON(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	kc := k
	if k > 1024 {
		kc = 512
	}
	nc := max(384, (192<<10)/(4*kc)/384*384)
	for p0 := 0; p0 < k; p0 += kc {
		kk := min(kc, k-p0)
		accFlag, accB := 0, acc || p0 > 0
		if accB {
			accFlag = 1
		}
		for j0 := 0; j0 < n; j0 += nc {
			cols := min(nc, n-j0)
			for i0 := 0; i0 < m; i0 += 6 {
				r := min(6, m-i0)
				ap, cp := a[i0*lda+p0:], c[i0*ldc+j0:]
				// The tiles read r rows of A from ap and of C from cp,
				// and columns of B within each row's n values.
				_, _ = ap[(r-1)*lda+kk-1], cp[(r-1)*ldc+cols-1]
				if full := cols / 16; full > 0 {
					convTilesNEON[r][4](kk, &ap[0], lda, &b[j0], &offs[p0], &cp[0], ldc, full, accFlag)
				}
				j := cols / 16 * 16
				if v := (cols - j) / 4; v > 0 {
					convTilesNEON[r][v](kk, &ap[0], lda, &b[j0+j], &offs[p0], &cp[j], ldc, 1, accFlag)
					j += 4 * v
				}
				if j < cols {
					convTileGeneric(r, cols-j, kk, ap, lda, b[j0+j:], offs[p0:], cp[j:], ldc, accB)
				}
			}
		}
	}
}

// convTilesTNEON[r] computes r positions by 16 channels of ConvGemmT.
var convTilesTNEON = [7]func(k int, a *float32, lda int, b *float32, ldb int, offs *int32, c *float32, ldc int, ldcq int, nblk int){
	nil, convTileT1x4NEON, convTileT2x4NEON, convTileT3x4NEON, convTileT4x4NEON, convTileT5x4NEON, convTileT6x4NEON,
}

// convGemmTNEON runs ConvGemmT on the NEON tiles: 16 channels at a time,
// each row's positions in tiles of up to 6, all oh rows in one call;
// channels past the last multiple of 16 on the portable loop.
func convGemmTNEON(m, oh, ow, k int, a []float32, lda int, b []float32, ldb int, offs []int32, c []float32, ldc int) {
	full := m &^ 15
	for j := 0; j < full; j += 16 {
		for x0 := 0; x0 < ow; x0 += 6 {
			r := min(6, ow-x0)
			convTilesTNEON[r](k, &a[j], lda, &b[x0], ldb, &offs[0], &c[x0*ldc+j], ldc, ow*ldc, oh)
		}
	}
	if full < m {
		convGemmTGeneric(m-full, oh, ow, k, a[full:], lda, b, ldb, offs, c[full:], ldc)
	}
}
