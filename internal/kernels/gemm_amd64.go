//go:build !purego

package kernels

//go:generate go run -C _gen . -out ../gemm_amd64.s -stubs ../gemm_stubs_amd64.go -pkg kernels

// avx512Tiles[r] computes an r×32 tile (gemm_stubs_amd64.go).
var avx512Tiles = [...]asmTile{nil,
	sgemmTile1x32AVX512, sgemmTile2x32AVX512, sgemmTile3x32AVX512, sgemmTile4x32AVX512,
	sgemmTile5x32AVX512, sgemmTile6x32AVX512, sgemmTile7x32AVX512, sgemmTile8x32AVX512,
	sgemmTile9x32AVX512, sgemmTile10x32AVX512, sgemmTile11x32AVX512, sgemmTile12x32AVX512,
}

// avx512HalfTiles[r] computes an r×16 tile: the right edge of C when 16
// columns or fewer are left (ResNet's 14×14 maps: 196 = 6·32 + 4).
var avx512HalfTiles = [...]asmTile{nil,
	sgemmTile1x16AVX512, sgemmTile2x16AVX512, sgemmTile3x16AVX512, sgemmTile4x16AVX512,
	sgemmTile5x16AVX512, sgemmTile6x16AVX512, sgemmTile7x16AVX512, sgemmTile8x16AVX512,
	sgemmTile9x16AVX512, sgemmTile10x16AVX512, sgemmTile11x16AVX512, sgemmTile12x16AVX512,
}

// avx2Tiles[r] computes an r×16 tile.
var avx2Tiles = [...]asmTile{nil,
	sgemmTile1x16AVX2, sgemmTile2x16AVX2, sgemmTile3x16AVX2,
	sgemmTile4x16AVX2, sgemmTile5x16AVX2, sgemmTile6x16AVX2,
}

// avx512DotRows[r] and avx2DotRows[r] compute r dot products with one
// vector: a right edge of C of a few columns, one at a time.
var avx512DotRows = [...]asmDotRows{nil,
	sdotRows1AVX512, sdotRows2AVX512, sdotRows3AVX512, sdotRows4AVX512,
	sdotRows5AVX512, sdotRows6AVX512, sdotRows7AVX512, sdotRows8AVX512,
	sdotRows9AVX512, sdotRows10AVX512, sdotRows11AVX512, sdotRows12AVX512,
}

var avx2DotRows = [...]asmDotRows{nil,
	sdotRows1AVX2, sdotRows2AVX2, sdotRows3AVX2, sdotRows4AVX2,
	sdotRows5AVX2, sdotRows6AVX2,
}

var avx512Kernel = microKernel{
	name: "avx512",
	mr:   12, nr: 32,
	kc: 384, mc: 144, nc: 2048,
	strided: true,
	tile:    tileOf(avx512Tiles[:], 32),
	half:    tileOf(avx512HalfTiles[:], 16),
	tileEp:  tileEpOf(avx512Tiles[:], 32),
	tilePF:  tilePFOf(avx512Tiles[:], 32),
	tileNB:  tileNBOf(avx512Tiles[:], 32),
	tileRun: tileRunOf(avx512Tiles[:], 32),
	dotRows: dotRowsOf(avx512DotRows[:], 16),
	dot: func(n int, x, y []float32) float32 {
		x, y = x[:n], y[:n]
		return sdotAVX512(n, &x[0], &y[0])
	},
}

var avx2Kernel = microKernel{
	name: "avx2",
	mr:   6, nr: 16,
	kc: 384, mc: 72, nc: 2048,
	strided: true,
	tile:    tileOf(avx2Tiles[:], 16),
	tileEp:  tileEpOf(avx2Tiles[:], 16),
	tilePF:  tilePFOf(avx2Tiles[:], 16),
	tileNB:  tileNBOf(avx2Tiles[:], 16),
	tileRun: tileRunOf(avx2Tiles[:], 16),
	dotRows: dotRowsOf(avx2DotRows[:], 8),
	dot: func(n int, x, y []float32) float32 {
		x, y = x[:n], y[:n]
		return sdotAVX2(n, &x[0], &y[0])
	},
}
