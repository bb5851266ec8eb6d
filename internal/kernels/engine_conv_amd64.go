//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -set conv -out ../engine_conv_amd64.s -stubs ../engine_conv_stubs_amd64.go -pkg kernels

// convTileFunc is one implicit-GEMM micro-kernel (engine_conv_stubs_amd64.go).
type convTileFunc func(k int, a *float32, lda int, b *float32, offs *int32, c *float32, ldc int, nblk int, mask uint16, acc int)

// convTilesAVX512[r][v] computes r rows by 16v columns.
var convTilesAVX512 = [][]convTileFunc{
	{},
	{nil, convTile1x1AVX512, convTile1x2AVX512, convTile1x3AVX512, convTile1x4AVX512, convTile1x5AVX512, convTile1x6AVX512, convTile1x7AVX512, convTile1x8AVX512},
	{nil, convTile2x1AVX512, convTile2x2AVX512, convTile2x3AVX512, convTile2x4AVX512, convTile2x5AVX512, convTile2x6AVX512, convTile2x7AVX512, convTile2x8AVX512},
	{nil, convTile3x1AVX512, convTile3x2AVX512, convTile3x3AVX512, convTile3x4AVX512, convTile3x5AVX512, convTile3x6AVX512, convTile3x7AVX512},
	{nil, convTile4x1AVX512, convTile4x2AVX512, convTile4x3AVX512, convTile4x4AVX512, convTile4x5AVX512, convTile4x6AVX512},
	{nil, convTile5x1AVX512, convTile5x2AVX512, convTile5x3AVX512, convTile5x4AVX512, convTile5x5AVX512},
	{nil, convTile6x1AVX512, convTile6x2AVX512, convTile6x3AVX512, convTile6x4AVX512},
	{nil, convTile7x1AVX512, convTile7x2AVX512, convTile7x3AVX512},
	{nil, convTile8x1AVX512, convTile8x2AVX512, convTile8x3AVX512},
	{nil, convTile9x1AVX512, convTile9x2AVX512, convTile9x3AVX512},
	{nil, convTile10x1AVX512, convTile10x2AVX512},
	{nil, convTile11x1AVX512, convTile11x2AVX512},
	{nil, convTile12x1AVX512, convTile12x2AVX512},
}

// convTilesAVX2[r][v] computes r rows by 8v columns.
var convTilesAVX2 = [][]convTileFunc{
	{},
	{nil, convTile1x1AVX2, convTile1x2AVX2, convTile1x3AVX2, convTile1x4AVX2},
	{nil, convTile2x1AVX2, convTile2x2AVX2, convTile2x3AVX2, convTile2x4AVX2},
	{nil, convTile3x1AVX2, convTile3x2AVX2, convTile3x3AVX2},
	{nil, convTile4x1AVX2, convTile4x2AVX2},
	{nil, convTile5x1AVX2, convTile5x2AVX2},
	{nil, convTile6x1AVX2, convTile6x2AVX2},
}

// convGemmAVX512 runs the AVX-512 tiles: row blocks of up to 12 rows,
// else 8 (8×48 tiles: 24 accumulators, 11 loads per 24 FMAs).
func convGemmAVX512(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	convGemmTiles(convTilesAVX512, 16, 12, 8, m, n, k, a, lda, b, offs, c, ldc, acc)
}

// convGemmAVX2 runs the AVX2 tiles: row blocks of up to 6 rows (6×16
// tiles: 12 accumulators, 9 loads per 12 FMAs).
func convGemmAVX2(m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	convGemmTiles(convTilesAVX2, 8, 6, 6, m, n, k, a, lda, b, offs, c, ldc, acc)
}

// convGemmTiles runs the convTile kernels of tiles (lanes floats a vector)
// over C: per chunk of columns whose B (k rows) stays in L2, each row
// block (all the rows left up to upTo, else block rows) sweeps the chunk
// in its widest tiles, then one narrower, masked tile. K is split in
// slices of 512 when longer, so that A's rows stay in L1.
func convGemmTiles(tiles [][]convTileFunc, lanes, upTo, block int, m, n, k int, a []float32, lda int, b []float32, offs []int32, c []float32, ldc int, acc bool) {
	kc := k
	if k > 1024 {
		kc = 512
	}
	nc := max(384, (192<<10)/(4*kc)/384*384)
	all := uint16(lowBits(lanes))
	for p0 := 0; p0 < k; p0 += kc {
		kk := min(kc, k-p0)
		accFlag := 0
		if acc || p0 > 0 {
			accFlag = 1
		}
		for j0 := 0; j0 < n; j0 += nc {
			cols := min(nc, n-j0)
			for i0 := 0; i0 < m; {
				r := m - i0
				if r > upTo {
					r = block
				}
				ts := tiles[r]
				v := len(ts) - 1
				w := lanes * v
				ap := &a[i0*lda+p0]
				cp := c[i0*ldc+j0:]
				if full := cols / w; full > 0 {
					ts[v](kk, ap, lda, &b[j0], &offs[p0], &cp[0], ldc, full, all, accFlag)
				}
				if rest := cols % w; rest > 0 {
					j := cols - rest
					mask := all
					if rest%lanes != 0 {
						mask = uint16(lowBits(rest % lanes))
					}
					ts[(rest+lanes-1)/lanes](kk, ap, lda, &b[j0+j], &offs[p0], &cp[j], ldc, 1, mask, accFlag)
				}
				i0 += r
			}
		}
	}
}

// convTileTFunc is one transposed implicit-GEMM micro-kernel.
type convTileTFunc func(k int, a *float32, lda int, b *float32, ldb int, offs *int32, c *float32, ldc int, ldcq int, nblk int)

// convTilesTAVX512[r][v] computes r positions by 16v channels.
var convTilesTAVX512 = [][3]convTileTFunc{
	{},
	{nil, convTileT1x1AVX512, convTileT1x2AVX512},
	{nil, convTileT2x1AVX512, convTileT2x2AVX512},
	{nil, convTileT3x1AVX512, convTileT3x2AVX512},
	{nil, convTileT4x1AVX512, convTileT4x2AVX512},
	{nil, convTileT5x1AVX512, convTileT5x2AVX512},
	{nil, convTileT6x1AVX512, convTileT6x2AVX512},
	{nil, convTileT7x1AVX512, convTileT7x2AVX512},
	{nil, convTileT8x1AVX512, convTileT8x2AVX512},
	{nil, convTileT9x1AVX512, convTileT9x2AVX512},
	{nil, convTileT10x1AVX512, convTileT10x2AVX512},
	{nil, convTileT11x1AVX512, convTileT11x2AVX512},
	{nil, convTileT12x1AVX512, convTileT12x2AVX512},
	{nil, convTileT13x1AVX512, convTileT13x2AVX512},
	{nil, convTileT14x1AVX512, convTileT14x2AVX512},
}

// convGemmTAVX512 runs ConvGemmT on the AVX-512 tiles: 32 channels at a
// time (16 for the last when m is an odd multiple of 16), each row's
// positions in tiles of up to 14, all oh rows in one call; channels past
// the last multiple of 16 on the portable loop.
func convGemmTAVX512(m, oh, ow, k int, a []float32, lda int, b []float32, ldb int, offs []int32, c []float32, ldc int) {
	full := m &^ 15
	for j := 0; j < full; j += 32 {
		v := min(2, (full-j)/16)
		for x0 := 0; x0 < ow; x0 += len(convTilesTAVX512) - 1 {
			r := min(len(convTilesTAVX512)-1, ow-x0)
			convTilesTAVX512[r][v](k, &a[j], lda, &b[x0], ldb, &offs[0], &c[x0*ldc+j], ldc, ow*ldc, oh)
		}
	}
	if full < m {
		convGemmTGeneric(m-full, oh, ow, k, a[full:], lda, b, ldb, offs, c[full:], ldc)
	}
}
