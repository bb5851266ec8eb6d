//go:build !purego

package kernels

// neonTiles[r] computes an r×16 tile (gemm_stubs_arm64.go).
var neonTiles = [...]asmTile{nil,
	sgemmTile1x16NEON, sgemmTile2x16NEON, sgemmTile3x16NEON,
	sgemmTile4x16NEON, sgemmTile5x16NEON, sgemmTile6x16NEON,
}

// neonKernel is the arm64 SGEMM micro-kernel: 6×16 tiles of NEON's
// 4-lane registers (24 accumulators), A and B read in place.
var neonKernel = microKernel{
	name: "neon",
	mr:   6, nr: 16,
	kc: 384, mc: 72, nc: 2048,
	strided: true,
	tile: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
		checkTile(k, rows, 6, 16, a, rsa, csa, b, rsb, c, ldc)
		neonTiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, nil, nil, 0, 0)
	},
	tileEp: func(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32, ep *tileEpilogue) {
		checkTile(k, rows, 6, 16, a, rsa, csa, b, rsb, c, ldc)
		bias, res, ldr, flags := ep.args(rows, 16)
		neonTiles[rows](k, &a[0], rsa, csa, &b[0], rsb, &c[0], ldc, alpha, beta, bias, res, ldr, flags)
	},
	dot: func(n int, x, y []float32) float32 { return genericKernel.dot(n, x, y) },
}
