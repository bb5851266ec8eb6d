package kernels

import (
	"fmt"
	"math"
)

// bfloat16 products for the engine's optional BF16 precision mode: the
// 1×1 convolutions' GEMMs run on weights and activations rounded to
// bfloat16 (8 bits of significand), accumulating in float32. AVX512-BF16's
// VDPBF16PS does 32 such multiply-adds a zmm instruction at the rate
// VFMADD231PS does 16, arm64's BFDOT (FEAT_BF16) 8 a vector where FMLA
// does 4. Operands are pairs: a 32-bit word holds the
// bfloat16 values of two consecutive K indices, the even one in its low
// half, so that a float32 slice carries them (its values only copied,
// never computed with).

// BF16 rounds x to bfloat16 (to nearest, ties to even, as VCVTNEPS2BF16
// does; NaN becomes the quiet NaN 0x7fc0) and returns its bits.
func BF16(x float32) uint16 {
	b := math.Float32bits(x)
	if x != x {
		return 0x7fc0
	}
	return uint16((b + 0x7fff + (b >> 16 & 1)) >> 16)
}

// BF16Value returns x rounded to bfloat16, as a float32.
func BF16Value(x float32) float32 { return math.Float32frombits(uint32(BF16(x)) << 16) }

// BF16Pairs returns the number of pair rows (words) of k values: ⌈k/2⌉.
func BF16Pairs(k int) int { return (k + 1) / 2 }

// PackBF16 writes the k×n matrix src (rows lds apart) as ⌈k/2⌉ rows of
// bfloat16 pairs into dst (rows ldd apart): word j of row p holds
// BF16(src[2p, j]) in its low half and BF16(src[2p+1, j]) in its high half
// (0 past the last row of an odd k): B's layout for
// SgemmSerialEpilogueBF16 (PackBF16Rows writes A's).
func PackBF16(dst []float32, ldd int, src []float32, lds, k, n int) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("kernels: PackBF16 with negative size k=%d n=%d", k, n))
	}
	if k == 0 || n == 0 {
		return
	}
	checkMatrix("src", src, k, n, lds)
	checkMatrix("dst", dst, BF16Pairs(k), n, ldd)
	pairs := k / 2
	if pairs > 0 {
		packBF16(dst, ldd, src, lds, pairs, n)
	}
	if k%2 == 1 {
		packPair(dst[pairs*ldd:pairs*ldd+n], src[(k-1)*lds:], nil)
	}
}

// packPair writes the words of bfloat16 pairs (lo[j], hi[j]) into d; a nil
// hi is a row of zeros (the last row of an odd K).
func packPair(d, lo, hi []float32) {
	lo = lo[:len(d)]
	if hi == nil {
		for j, v := range lo {
			d[j] = math.Float32frombits(uint32(BF16(v)))
		}
		return
	}
	hi = hi[:len(d)]
	for j := range d {
		d[j] = math.Float32frombits(uint32(BF16(hi[j]))<<16 | uint32(BF16(lo[j])))
	}
}

// packBF16 is PackBF16's implementation of whole pairs for this CPU.
var packBF16 = packBF16Generic

func packBF16Generic(dst []float32, ldd int, src []float32, lds, pairs, n int) {
	for p := 0; p < pairs; p++ {
		packPair(dst[p*ldd:p*ldd+n], src[2*p*lds:], src[(2*p+1)*lds:])
	}
}

// PackBF16Offs is PackBF16 with row r of src starting at src[offs[r]]
// (the rows of an implicit GEMM's B, as kernels.ConvGemm reads them).
func PackBF16Offs(dst []float32, ldd int, src []float32, offs []int32, k, n int) {
	if k < 0 || n < 0 {
		panic(fmt.Sprintf("kernels: PackBF16Offs with negative size k=%d n=%d", k, n))
	}
	if k == 0 || n == 0 {
		return
	}
	if len(offs) < k {
		panic(fmt.Sprintf("kernels: PackBF16Offs: %d offsets for k=%d", len(offs), k))
	}
	for _, o := range offs[:k] {
		if o < 0 || int(o)+n > len(src) {
			panic(fmt.Sprintf("kernels: PackBF16Offs: row at %d with %d columns outside %d values", o, n, len(src)))
		}
	}
	checkMatrix("dst", dst, BF16Pairs(k), n, ldd)
	pairs := k / 2
	if pairs > 0 {
		packBF16Offs(dst, ldd, src, offs, pairs, n)
	}
	if k%2 == 1 {
		packPair(dst[pairs*ldd:pairs*ldd+n], src[offs[k-1]:], nil)
	}
}

// packBF16Offs is PackBF16Offs's implementation of whole pairs for this CPU.
var packBF16Offs = packBF16OffsGeneric

func packBF16OffsGeneric(dst []float32, ldd int, src []float32, offs []int32, pairs, n int) {
	for p := 0; p < pairs; p++ {
		packPair(dst[p*ldd:p*ldd+n], src[offs[2*p]:], src[offs[2*p+1]:])
	}
}

// PackBF16Rows writes each of the m rows of the m×k matrix src (rows lds
// apart) as ⌈k/2⌉ words of bfloat16 pairs (the even index in the low half)
// into dst (rows ldd apart): A's layout for SgemmSerialEpilogueBF16, for a
// layer's weights, packed once. dst may be src's own storage (the same
// first element) when ldd ≤ lds: rows are written in order, and each word
// after the values it replaces are read.
func PackBF16Rows(dst []float32, ldd int, src []float32, lds, m, k int) {
	kp := BF16Pairs(k)
	checkMatrix("src", src, m, k, lds)
	checkMatrix("dst", dst, m, kp, ldd)
	for i := 0; i < m; i++ {
		s, d := src[i*lds:i*lds+k], dst[i*ldd:i*ldd+kp]
		for p := range d {
			w := uint32(BF16(s[2*p]))
			if 2*p+1 < k {
				w |= uint32(BF16(s[2*p+1])) << 16
			}
			d[p] = math.Float32frombits(w)
		}
	}
}

// BF16Native reports whether SgemmSerialEpilogueBF16 runs native kernels
// (AVX512-BF16's VDPBF16PS, or arm64's BFDOT); without them it runs a
// portable twin, correct but slow.
func BF16Native() bool { return bf16Kernel != &bf16GenericKernel }

// bf16Kernel is the bf16 micro-kernel for this CPU (set at init).
var bf16Kernel = &bf16GenericKernel

// SgemmSerialBF16 is SgemmSerial (alpha 1) on bfloat16 pairs: A is m × kp
// words (rows lda apart) and B kp × n words (rows ldb apart), both as
// PackBF16Rows and PackBF16 write them, and C (float32) = A·B + beta·C,
// where each pair adds its odd product and then its even one to a float32
// accumulator.
func SgemmSerialBF16(m, n, kp int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	serialGemm("SgemmSerialBF16", bf16Kernel, false, false, m, n, kp, 1, a, lda, b, ldb, beta, c, ldc, nil)
}

// SgemmSerialATBF16 is SgemmSerialBF16 with A transposed: A is stored
// kp × m words (rows lda apart, as PackBF16 writes a matrix of m
// columns) and read in place. The engine computes the 1×1 layers of small
// maps so with BF16, as Cᵀ = Xᵀ·Wᵀ on the packed input: the positions
// are the rows of C, which the micro-kernels tile in twelves (7×7 = 49
// rows cost 52), instead of its columns, which they tile in 32s (49 cost
// 64). The sums are SgemmSerialBF16's on A's transpose, in the same
// order, bit for bit.
func SgemmSerialATBF16(m, n, kp int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	serialGemm("SgemmSerialATBF16", bf16Kernel, true, false, m, n, kp, 1, a, lda, b, ldb, beta, c, ldc, nil)
}

// SgemmSerialEpilogueBF16 is SgemmSerialBF16 followed by ep, fused:
// C = epilogue(A·B + beta·C).
func SgemmSerialEpilogueBF16(m, n, kp int, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int, ep Epilogue) {
	serialGemm("SgemmSerialEpilogueBF16", bf16Kernel, false, false, m, n, kp, 1, a, lda, b, ldb, beta, c, ldc, &ep)
}

// bf16GenericKernel is the portable bf16 micro-kernel: genericKernel's
// 2×4 tile with bf16Dot for the multiply-add.
var bf16GenericKernel = microKernel{
	name: "bf16-generic",
	mr:   2, nr: 4,
	kc: 256, mc: 64, nc: 1024,
	tile: bf16Tile2x4,
}

// bf16Dot adds the two products of the bfloat16 pairs a and b to acc, the
// odd one first, as VDPBF16PS does (each product is exact in float32).
func bf16Dot(acc, a, b float32) float32 {
	x, y := math.Float32bits(a), math.Float32bits(b)
	acc += math.Float32frombits(x&0xffff0000) * math.Float32frombits(y&0xffff0000)
	acc += math.Float32frombits(x<<16) * math.Float32frombits(y<<16)
	return acc
}

// bf16Tile2x4 is sgemmTile2x4 on bfloat16 pairs.
func bf16Tile2x4(k, rows int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc int, alpha, beta float32) {
	if rsa != 1 || csa != 2 || rsb != 4 {
		panic("kernels: bf16Tile2x4 needs packed panels")
	}
	var acc [2][4]float32
	a, b = a[:2*k], b[:4*k]
	for p := 0; p < k; p++ {
		for i := 0; i < 2; i++ {
			for j := 0; j < 4; j++ {
				acc[i][j] = bf16Dot(acc[i][j], a[2*p+i], b[4*p+j])
			}
		}
	}
	for i := 0; i < rows; i++ {
		r := c[i*ldc : i*ldc+4]
		for j := range r {
			if beta == 0 {
				r[j] = alpha * acc[i][j]
			} else {
				r[j] = alpha*acc[i][j] + beta*r[j]
			}
		}
	}
}
