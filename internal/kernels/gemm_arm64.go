//go:build !purego

package kernels

// neonTiles[r] computes an r×16 tile (gemm_stubs_arm64.go).
var neonTiles = [...]asmTile{nil,
	sgemmTile1x16NEON, sgemmTile2x16NEON, sgemmTile3x16NEON,
	sgemmTile4x16NEON, sgemmTile5x16NEON, sgemmTile6x16NEON,
}

// neonHalfTiles[r] computes an r×8 tile: the right edge of C when 8 to
// 12 columns are left (with dotRows for those past 8).
var neonHalfTiles = [...]asmTile{nil,
	sgemmTile1x8NEON, sgemmTile2x8NEON, sgemmTile3x8NEON,
	sgemmTile4x8NEON, sgemmTile5x8NEON, sgemmTile6x8NEON,
}

// neonDotRows[r] computes r dot products with one vector: a right edge
// of C of a few columns (Winograd's 49 tiles as 48 + 1), one at a time.
var neonDotRows = [...]asmDotRows{nil,
	sdotRows1NEON, sdotRows2NEON, sdotRows3NEON, sdotRows4NEON, sdotRows5NEON, sdotRows6NEON,
}

// neonKernel is the arm64 SGEMM micro-kernel: 6×16 tiles of NEON's
// 4-lane registers (24 accumulators), A and B read in place.
var neonKernel = microKernel{
	name: "neon",
	mr:   6, nr: 16,
	kc: 384, mc: 72, nc: 2048,
	strided: true,
	tile:    tileOf(neonTiles[:], 16),
	tileEp:  tileEpOf(neonTiles[:], 16),
	tileRun: tileRunOf(neonTiles[:], 16),
	half:    tileOf(neonHalfTiles[:], 8),
	dotRows: dotRowsOf(neonDotRows[:], 4),
	dot:     neonDot,
}

// neonDot is the NEON kernel's dot: the first n − n mod 4 products summed
// by sdotRows1NEON (a vector accumulator, its lanes then summed), the rest
// added in order (the classifier's rows, Dot).
func neonDot(n int, x, y []float32) float32 {
	_, _ = x[n-1], y[n-1]
	var s float32
	if kv := n - n%4; kv > 0 {
		sdotRows1NEON(kv, &x[0], kv, &y[0], &s, 1)
	}
	for p := n - n%4; p < n; p++ {
		s += x[p] * y[p]
	}
	return s
}
