//go:build !purego

package kernels

//go:generate go run -C _gen . -out ../gemm_amd64.s -stubs ../gemm_stubs_amd64.go -pkg kernels

type asmTile func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr, flags int)

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

var avx512Kernel = microKernel{
	name: "avx512",
	mr:   12, nr: 32,
	kc: 384, mc: 144, nc: 2048,
	strided: true,
	tile: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
		checkTile(k, rows, 12, 32, a, rsa, csa, b, rsb, c, ldc)
		avx512Tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, nil, nil, 0, 0)
	},
	half: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
		checkTile(k, rows, 12, 16, a, rsa, csa, b, rsb, c, ldc)
		avx512HalfTiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, nil, nil, 0, 0)
	},
	tileEp: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		checkTile(k, rows, 12, 32, a, rsa, csa, b, rsb, c, ldc)
		bias, res, ldr, flags := ep.args(rows, 32)
		avx512Tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags)
	},
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
	tile: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
		checkTile(k, rows, 6, 16, a, rsa, csa, b, rsb, c, ldc)
		avx2Tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, nil, nil, 0, 0)
	},
	tileEp: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		checkTile(k, rows, 6, 16, a, rsa, csa, b, rsb, c, ldc)
		bias, res, ldr, flags := ep.args(rows, 16)
		avx2Tiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags)
	},
	dot: func(n int, x, y []float32) float32 {
		x, y = x[:n], y[:n]
		return sdotAVX2(n, &x[0], &y[0])
	},
}

// checkTile keeps the assembly inside the slices it is handed.
func checkTile(k, rows, mr, nr int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int) {
	if k < 1 || rows < 1 || rows > mr || rsa < 0 || csa < 0 || len(a) < (rows-1)*rsa+(k-1)*csa+1 ||
		rsb < nr || len(b) < (k-1)*rsb+nr || ldc < nr || len(c) < (rows-1)*ldc+nr {
		panic("kernels: SGEMM micro-kernel called with short panels")
	}
}

// args checks ep against a rows×nr tile and returns the assembly's
// epilogue arguments: bit 0 of flags adds the bias, bit 1 the residual,
// bit 2 clamps at 0.
func (ep *tileEpilogue) args(rows, nr int) (bias, res *float32, ldr, flags int) {
	if len(ep.bias) < rows || ep.res != nil && (ep.ldr < nr || len(ep.res) < (rows-1)*ep.ldr+nr) {
		panic("kernels: SGEMM epilogue with short bias or residual")
	}
	bias, flags = &ep.bias[0], 1
	if ep.res != nil {
		res, ldr, flags = &ep.res[0], ep.ldr, flags|2
	}
	if ep.relu {
		flags |= 4
	}
	return bias, res, ldr, flags
}
