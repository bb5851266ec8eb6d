//go:build !purego && (amd64 || arm64)

package kernels

// int8TileSixes is int8TileGeneric with the 6×16 int8 tiles that
// int8Tile6Rows calls (AVX-VNNI on amd64, NEON on arm64): the rows×width
// tile, or with flags>>8 (bits 8–15) the (1 + flags>>8)·rows rows of a
// run of such tiles, a panel of 32 in two halves. A half of 16 of C's
// columns takes its full 6-row tiles in runs (one call for up to 256 of
// them, each stepping its rows of A, C, sa, the bias, the residual and
// corr), then the rest of its rows. A half with fewer than 16 of C's
// columns is computed a 6-row tile at a time into a buffer, product and
// scales only, and its columns of C then take the epilogue in
// int8EdgeEpilogue, as int8TileGeneric applies it (each step rounded to
// float32, so the same bits): the tiles have no lane masks (AVX2's
// VMASKMOVPS stores are slow on some CPUs, NEON has none). GemmU8S8
// checked the extents.
func int8TileSixes(kq, rows, width, cols int, a []float32, lda int, b, c []float32, ldc int, sa, sb, bias, res []float32, corr []int32, ldr, flags int) {
	rows *= 1 + flags>>8&0xff
	flags &= 0x1f
	var buf [6 * 16]float32
	for h := 0; h < width && h < cols; h += 16 {
		n := min(cols-h, 16)
		for r0 := 0; r0 < rows; {
			rr, more := min(rows-r0, 6), 0
			if n == 16 && rr == 6 {
				more = min((rows-r0)/6, 256) - 1
			}
			var pcorr *int32
			if flags&16 != 0 {
				pcorr = &corr[r0]
			}
			if n == 16 {
				var pb, pr *float32
				if flags&1 != 0 {
					pb = &bias[r0]
				}
				if flags&2 != 0 {
					pr = &res[r0*ldr+h]
				}
				int8Tile6Rows(rr, kq, &a[r0*lda], lda, &b[h], width, &c[r0*ldc+h], ldc, &sa[r0], &sb[h], pb, pr, pcorr, ldr, flags|more<<8)
				r0 += rr * (more + 1)
				continue
			}
			int8Tile6Rows(rr, kq, &a[r0*lda], lda, &b[h], width, &buf[0], 16, &sa[r0], &sb[h], nil, nil, pcorr, 0, flags&16)
			var bias0, res0 []float32
			if flags&1 != 0 {
				bias0 = bias[r0:]
			}
			if flags&2 != 0 {
				res0 = res[r0*ldr+h:]
			}
			int8EdgeEpilogue(buf[:], 16, rr, n, c[r0*ldc+h:], ldc, bias0, res0, ldr, flags)
			r0 += rr
		}
	}
}
