package kernels

import (
	"fmt"
	"math"
	"sync"
)

// 8-bit products for the engine's optional Int8 precision mode: a layer's
// weights are rounded to signed bytes with one scale per output channel
// (row of A), its input to unsigned bytes with one scale per position
// (column of B, computed over all of K when the column is packed), and the
// GEMM sums the byte products exactly in int32 before it scales them back
// to float32. AVX512-VNNI's VPDPBUSD does 64 such multiply-adds a zmm
// instruction, AVX-VNNI's (CPUs with AVX2 but no AVX-512, e.g. Intel's
// since Alder Lake) 32 a ymm one, arm64's USMMLA (FEAT_I8MM) 32 a NEON
// one, or where the core has only the dot-product extension its SDOT, 16,
// on signed bytes (B's read less 128 and the sums corrected, int8_arm64.go). Unsigned activations suit ResNet, where every convolution
// but the stem reads the output of a ReLU; negative inputs are clamped
// to 0.
//
// Operands are quads: a 32-bit word holds the bytes of four consecutive K
// indices, the first in its low byte, carried in float32 slices (whose
// values are only copied, never computed with) so that they can share the
// engine's buffers and, for weights, the model's own storage.

// U8Quads returns the number of quads (words) of k values: ⌈k/4⌉.
func U8Quads(k int) int { return (k + 3) / 4 }

// U8Cols returns the number of columns PackU8 writes for n: n rounded up
// to panels of 32, the last one 16 wide when 16 or fewer columns are left.
func U8Cols(n int) int {
	full := n / 32 * 32
	switch r := n - full; {
	case r == 0:
		return full
	case r <= 16:
		return full + 16
	default:
		return full + 32
	}
}

// panelWidth is the width of the panel of PackU8's layout for n columns
// that starts at column j0.
func panelWidth(n, j0 int) int {
	if n-j0 <= 16 {
		return 16
	}
	return 32
}

// PackU8 quantizes the k×n matrix B whose row r starts at src[offs[r]]
// (the rows of a 1×1 convolution's input, or those an implicit GEMM reads)
// to unsigned bytes, one scale a column: sb[j] = mx/255 for the column's
// largest value mx (at least 0; NaN ignored), each value v becomes
// round(v·255/mx) clamped to [0, 255] (0 for every value when mx is 0, and
// for NaN). dst receives panels of 32 columns (the last 16 wide when 16 or
// fewer are left; U8Cols(n) columns in all, the padding 0), panel by
// panel: the panel starting at column j0 is U8Quads(k)·width words at
// dst[U8Quads(k)·j0], quad q's word of column j0+j at q·width+j. sb
// receives U8Cols(n) scales. The arm64 kernels read a row's last
// columns as a vector of 4 and ignore the values past them: within src's
// capacity when it has room there (the engine's buffers keep a few
// values spare), else that panel is computed without them.
func PackU8(dst, sb, src []float32, offs []int32, k, n int) {
	packU8(dst, sb, src, offs, k, n, false)
}

// PackU8Offset is PackU8 for signed values (a network's first
// convolution, on the normalised image): sb[j] = mx/127 for the column's
// largest magnitude mx, each value v becomes 128 + round(v·127/mx) (to
// nearest even, in [1, 255]; 128 for NaN and when mx is 0), padding
// columns 128 and bytes past row k 0. GemmU8S8 takes the offset back with
// corr = OffsetCorrection of A.
func PackU8Offset(dst, sb, src []float32, offs []int32, k, n int) {
	packU8(dst, sb, src, offs, k, n, true)
}

// OffsetCorrection sets corr[i] = 128·Σ_k A[i, k] for the m rows of
// signed bytes of A (kq quads a row, rows lda words apart): what the
// offset of PackU8Offset's bytes adds to row i of the product.
func OffsetCorrection(corr []int32, a []float32, lda, m, kq int) {
	if m <= 0 {
		return
	}
	if kq > 0 {
		checkMatrix("A", a, m, kq, lda)
	}
	for i := range corr[:m] {
		var s int32
		for q := 0; q < kq; q++ {
			w := math.Float32bits(a[i*lda+q])
			for t := 0; t < 32; t += 8 {
				s += int32(int8(w >> t))
			}
		}
		corr[i] = 128 * s
	}
}

func packU8(dst, sb, src []float32, offs []int32, k, n int, offset bool) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("kernels: PackU8 with negative size k=%d n=%d", k, n))
	}
	if n == 0 {
		return
	}
	if len(offs) < k {
		panic(fmt.Sprintf("kernels: PackU8: %d offsets for k=%d", len(offs), k))
	}
	var last int32 // the last row's offset
	for _, o := range offs[:k] {
		if o < 0 || int(o)+n > len(src) {
			panic(fmt.Sprintf("kernels: PackU8: row at %d with %d columns outside %d values", o, n, len(src)))
		}
		last = max(last, o)
	}
	kq, nc := U8Quads(k), U8Cols(n)
	if len(dst) < kq*nc || len(sb) < nc {
		panic(fmt.Sprintf("kernels: PackU8: %d words and %d scales for %d quads × %d columns", len(dst), len(sb), kq, nc))
	}
	if k == 0 {
		clear(sb[:nc])
		return
	}
	for j0 := 0; j0 < n; j0 += 32 {
		w, cols := panelWidth(n, j0), min(32, n-j0)
		d := dst[kq*j0 : kq*(j0+w)]
		if int8Asm {
			// Each row may be read room values from the panel's first
			// column: up to src's capacity, its own memory (kernels that
			// read whole vectors ignore the values past a row's columns).
			room := cap(src) - int(last) - j0
			packU8PanelAsm(d, sb[j0:j0+w], src[j0:], offs, k, cols, w, room, offset)
		} else {
			packU8PanelGeneric(d, sb[j0:j0+w], src[j0:], offs, k, cols, w, offset)
		}
	}
}

// packU8PanelGeneric is PackU8 (PackU8Offset when offset) for one panel
// of width columns (16 or 32) of which the first cols are B's, rows at
// src[offs[r]:].
func packU8PanelGeneric(dst, sb, src []float32, offs []int32, k, cols, width int, offset bool) {
	lim, pad := float32(255), uint8(0)
	if offset {
		lim, pad = 127, 128
	}
	var inv [32]float32
	for j := 0; j < width; j++ {
		var mx float32
		if j < cols {
			for _, o := range offs[:k] {
				v := src[int(o)+j]
				if offset {
					v = float32(math.Abs(float64(v)))
				}
				if v > mx {
					mx = v
				}
			}
		}
		sb[j] = mx / lim
		if mx != 0 {
			inv[j] = lim / mx
		}
	}
	for q := 0; q < U8Quads(k); q++ {
		d := dst[q*width : (q+1)*width]
		clear(d)
		for t := 0; t < 4 && 4*q+t < k; t++ {
			row := src[offs[4*q+t]:]
			for j := range d {
				b := pad
				if j < cols {
					if offset {
						b = quantOffset(row[j] * inv[j])
					} else {
						b = quantU8(row[j] * inv[j])
					}
				}
				d[j] = math.Float32frombits(math.Float32bits(d[j]) | uint32(b)<<(8*t))
			}
		}
	}
}

// quantOffset returns 128 + v rounded to nearest even, NaN counting as 0
// (|v| is at most 127·(1+2⁻²⁴)² here, so the result is in [1, 255]).
func quantOffset(v float32) uint8 {
	if v != v {
		return 128
	}
	return uint8(128 + int32(math.RoundToEven(float64(v))))
}

// quantU8 converts v to an integer as VCVTPS2DQ does (to nearest even; NaN
// and values out of int32's range give its minimum) and clamps it to
// [0, 255].
func quantU8(v float32) uint8 {
	r := math.RoundToEven(float64(v))
	if !(r >= -2147483648 && r < 2147483648) {
		return 0
	}
	return uint8(min(max(int32(r), 0), 255))
}

// PackS8Rows quantizes each of the m rows of the m×k matrix src (rows lds
// apart) to signed bytes, one scale a row: sa[i] = mx/127 for the row's
// largest magnitude mx, each value v becomes round(v·127/mx) (to nearest
// even, in [-127, 127]; 0 for a row of zeros). Row i's U8Quads(k) words
// go to dst[i·ldd:], byte t of word q from column 4q+t (0 past k): A's
// layout for GemmU8S8, a layer's weights, packed once. dst may be src's
// own storage (the same first element) when ldd ≤ lds: each row is read
// whole before its words are written, in order. A NaN or infinite weight
// is an error.
func PackS8Rows(dst []float32, ldd int, sa, src []float32, lds, m, k int) error {
	kq := U8Quads(k)
	if m <= 0 || k <= 0 {
		clear(sa[:max(m, 0)])
		return nil
	}
	checkMatrix("src", src, m, k, lds)
	checkMatrix("dst", dst, m, kq, ldd)
	if len(sa) < m {
		panic(fmt.Sprintf("kernels: PackS8Rows: %d scales for %d rows", len(sa), m))
	}
	for i := 0; i < m; i++ {
		s := src[i*lds : i*lds+k]
		var mx float32
		for _, v := range s {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("kernels: PackS8Rows: row %d holds %v", i, v)
			}
			mx = max(mx, float32(math.Abs(float64(v))))
		}
		var inv float32
		if mx != 0 {
			inv = 127 / mx
		}
		sa[i] = mx / 127
		var q [4]int8
		d := dst[i*ldd : i*ldd+kq]
		for p := range d {
			for t := range q {
				q[t] = 0
				if 4*p+t < k {
					q[t] = int8(math.RoundToEven(float64(s[4*p+t] * inv)))
				}
			}
			d[p] = math.Float32frombits(uint32(uint8(q[0])) | uint32(uint8(q[1]))<<8 | uint32(uint8(q[2]))<<16 | uint32(uint8(q[3]))<<24)
		}
	}
	return nil
}

// MaxU8Quads is the deepest product GemmU8S8 sums exactly: 4·MaxU8Quads
// products of at most 127·255 (or, of PackU8Offset's bytes, 127·255 before
// the offset is taken back) stay within int32.
const MaxU8Quads = (1<<31 - 1) / (4 * 127 * 255)

// Int8Native reports whether GemmU8S8 and PackU8 run the AVX512-VNNI,
// AVX-VNNI or arm64 USMMLA/SDOT kernels; without them they run portable twins,
// correct but slow.
func Int8Native() bool { return int8Asm }

// GemmU8S8 computes C = epilogue(sa[i]·sb[j]·((A·B)[i, j] − corr[i])
// (+ C when addC)) for the m×n product of A, m rows of kq quads of signed
// bytes (rows lda words apart, as PackS8Rows writes them), and B, kq quads
// of n columns of unsigned bytes as PackU8 writes them; sa has m scales,
// sb PackU8's. corr is nil, or (for B from PackU8Offset) m values from
// OffsetCorrection. kq is at most MaxU8Quads.
// The byte products are summed exactly in int32, converted to float32
// and multiplied by sb[j], then by sa[i]; C is then added when addC, and
// the epilogue applied as in SgemmSerialEpilogue, each step rounded to
// float32. It runs on the calling goroutine.
func GemmU8S8(m, n, kq int, a []float32, lda int, sa []float32, corr []int32, b, sb []float32, addC bool, c []float32, ldc int, ep Epilogue) {
	if m < 0 || n < 0 || kq < 0 {
		panic(fmt.Sprintf("kernels: GemmU8S8 with negative size m=%d n=%d kq=%d", m, n, kq))
	}
	if m == 0 || n == 0 {
		return
	}
	if kq > MaxU8Quads {
		panic(fmt.Sprintf("kernels: GemmU8S8: %d quads, more than int32 sums exactly (%d)", kq, MaxU8Quads))
	}
	checkMatrix("C", c, m, n, ldc)
	if kq > 0 {
		checkMatrix("A", a, m, kq, lda)
	}
	nc := U8Cols(n)
	if len(b) < kq*nc || len(sb) < nc || len(sa) < m {
		panic(fmt.Sprintf("kernels: GemmU8S8: %d words of B, %d and %d scales for m=%d kq=%d n=%d", len(b), len(sb), len(sa), m, kq, n))
	}
	flags := 0
	if addC {
		flags |= 8
	}
	if corr != nil {
		if len(corr) < m {
			panic(fmt.Sprintf("kernels: GemmU8S8: %d corrections for %d rows", len(corr), m))
		}
		flags |= 16
	}
	if ep.Bias != nil {
		if len(ep.Bias) < m {
			panic(fmt.Sprintf("kernels: GemmU8S8: %d bias values for %d rows", len(ep.Bias), m))
		}
		flags |= 1
	}
	if ep.Res != nil {
		checkMatrix("Res", ep.Res, m, n, ep.LDR)
		flags |= 2
	}
	if ep.ReLU {
		flags |= 4
	}
	if int8Asm && int8NeedsRowSums() && kq > 0 {
		// SDOT multiplies signed bytes: the tiles read B's bytes less 128
		// and subtract corr less 128·Σ_k A[i, k], computed once here.
		buf := sdotCorrPool.Get().(*[]int32)
		defer sdotCorrPool.Put(buf)
		if cap(*buf) < m {
			*buf = make([]int32, m)
		}
		eff := (*buf)[:m]
		s8RowSums(eff, a, lda, m, kq, corr)
		corr = eff
		flags |= 16
	}
	for j0 := 0; j0 < n; j0 += 32 {
		w, cols := panelWidth(n, j0), min(32, n-j0)
		bp, sbp := b[kq*j0:kq*(j0+w)], sb[j0:j0+w]
		// The last 16 columns' lanes that are C's: the kernels mask the
		// others' loads and stores.
		tf := flags | (1<<(cols-(w-16))-1)<<16
		for i0 := 0; i0 < m; {
			rows, runs := min(12, m-i0), 0
			if rows == 12 && kq > 0 && int8Runs() {
				// The panel's full tiles in one call (at most 256 a call:
				// the count has 8 bits): their rows of A, C, sa, the bias,
				// the residual and corr follow 12 rows apart.
				runs = min((m-i0)/12, 256) - 1
			}
			span := rows * (runs + 1) // the rows the call computes
			var bias, res []float32
			var ci32 []int32
			if corr != nil {
				ci32 = corr[i0 : i0+span]
			}
			if flags&1 != 0 {
				bias = ep.Bias[i0 : i0+span]
			}
			if flags&2 != 0 {
				res = ep.Res[i0*ep.LDR+j0:]
			}
			ai := a
			if kq > 0 {
				ai = a[i0*lda:]
			}
			if int8Asm && kq > 0 {
				int8TileAsm(kq, rows, w, cols, ai, lda, bp, c[i0*ldc+j0:], ldc, sa[i0:i0+span], sbp, bias, res, ci32, ep.LDR, tf|runs<<8)
			} else {
				int8TileGeneric(kq, rows, w, cols, ai, lda, bp, c[i0*ldc+j0:], ldc, sa[i0:i0+span], sbp, bias, res, ci32, ep.LDR, tf)
			}
			i0 += span
		}
	}
}

// sdotCorrPool holds GemmU8S8's buffers of corrections for the SDOT
// tiles (int8NeedsRowSums).
var sdotCorrPool = sync.Pool{New: func() any { return new([]int32) }}

// int8EdgeEpilogue finishes rows×n values of C (c at the first, rows ldc
// apart) from t (rows ldt apart), an int8 tile's product and scales
// computed aside, with flags' addition of C, bias, residual (res at the
// tile's first column, rows ldr apart) and ReLU, each step rounded to
// float32 as int8TileGeneric's: the bits the kernels' own epilogue gives.
func int8EdgeEpilogue(t []float32, ldt, rows, n int, c []float32, ldc int, bias, res []float32, ldr, flags int) {
	for i := 0; i < rows; i++ {
		row := c[i*ldc : i*ldc+n]
		for j, v := range t[i*ldt : i*ldt+n] {
			if flags&8 != 0 {
				v = float32(v + row[j])
			}
			if flags&1 != 0 {
				v = float32(v + bias[i])
			}
			if flags&2 != 0 {
				v = float32(v + res[i*ldr+j])
			}
			if flags&4 != 0 && v < 0 {
				v = 0
			}
			row[j] = v
		}
	}
}

// int8TileGeneric is the portable twin of the int8 tiles: rows × cols of
// C from rows of A (lda apart) and a panel of B width words a quad.
func int8TileGeneric(kq, rows, width, cols int, a []float32, lda int, b, c []float32, ldc int, sa, sb, bias, res []float32, corr []int32, ldr, flags int) {
	for i := 0; i < rows; i++ {
		var ai []float32
		if kq > 0 {
			ai = a[i*lda : i*lda+kq]
		}
		for j := 0; j < cols; j++ {
			var s int32
			for q, aw := range ai {
				x, y := math.Float32bits(aw), math.Float32bits(b[q*width+j])
				for t := 0; t < 32; t += 8 {
					s += int32(int8(x>>t)) * int32(uint8(y>>t))
				}
			}
			if flags&16 != 0 {
				s -= corr[i]
			}
			v := float32(s) * sb[j]
			v = float32(v * sa[i])
			if flags&8 != 0 {
				v = float32(v + c[i*ldc+j])
			}
			if flags&1 != 0 {
				v = float32(v + bias[i])
			}
			if flags&2 != 0 {
				v = float32(v + res[i*ldr+j])
			}
			if flags&4 != 0 && v < 0 {
				v = 0
			}
			c[i*ldc+j] = v
		}
	}
}
