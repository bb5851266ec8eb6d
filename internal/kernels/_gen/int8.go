package main

import (
	"fmt"
	"math"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// int8Signature is the Go declaration of the int8 tiles.
const int8Signature = "func(kq int, a *float32, lda int, b *float32, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int)"

// int8Tile emits int8Tile{mr}x{nr}AVX512: an mr×nr tile (nr = 16·vecs) of
// C from quads of 8-bit values with VPDPBUSD (AVX512-VNNI). A holds signed
// bytes (a layer's weights), row i at a + i·lda words; B unsigned bytes
// (activations) in a packed panel of nr words a quad. Each word holds the
// bytes of four consecutive K indices, the first in its low byte; kq
// counts the quads. The exact int32 sums, less corr[i] (flags bit 4: B
// held signed values offset by 128), are converted to float32 and scaled
// by row (sa) and column (sb), then C is added (flags bit 3), the bias
// (bit 0), the residual (bit 1) and ReLU applied (bit 2). Flags bits 8–15
// count the tiles of the same height that follow on the same panel of B
// (int8NextTile).
func int8Tile(mr, vecs int) {
	nr := 16 * vecs
	name := fmt.Sprintf("int8Tile%dx%dAVX512", mr, nr)
	TEXT(name, NOSPLIT, int8Signature)
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes the %[2]d×%[3]d tile C = sa[i]·sb[j]·(A·B)[i, j]
from quads of bytes with VPDPBUSD, then the epilogue the flags ask for, on the
registers: with bit 3, + C[i, j]; with bit 0, + bias[i]; with bit 1,
+ res[i*ldr+j]; with bit 2, max(·, 0) (NaN stays NaN). Bits 16–31 are the
lanes of each row's last 16 columns that are C's: only those of C and res are
read and written. Bits 8–15 = n > 0: n more tiles follow, each %[2]d rows of A,
C, sa, bias, res and corr below the one before, with the same B and sb. In Go:

	for i := 0; i < %[2]d; i++ {
		for j := 0; j < %[3]d; j++ {
			var s int32
			for q := 0; q < kq; q++ {
				for t := 0; t < 4; t++ {
					s += int32(int8(bits(a[i*lda+q]) >> (8 * t))) * int32(uint8(bits(b[q*%[3]d+j]) >> (8 * t)))
				}
			}
			if flags&16 != 0 {
				s -= corr[i]
			}
			v := float32(s) * sb[j]
			v *= sa[i]
			// then the epilogue, one rounded operation at a time
		}
	}`, name, mr, nr), "\n")...)
	Pragma("noescape")
	x := avx512
	acc := func(i, v int) VecPhysical { return x.regs[i*vecs+v] }
	bv := func(v int) VecPhysical { return x.regs[mr*vecs+v] }
	bcast := x.regs[mr*vecs+vecs]

	Label(name + "_top")
	kq := Load(Param("kq"), GP64())
	rs := Load(Param("lda"), GP64())
	SHLQ(U8(2), rs)
	b := Load(Param("b"), GP64())
	bases, rowAt := rowBases(mr, rs)
	rowAddr := func(i, u int) Mem { return rowAt(i, 4*u) }
	prefetchNextResidual(name, mr, 4*nr)
	Comment("Zero the accumulators.")
	for i := 0; i < mr*vecs; i++ {
		VPXORD(x.regs[i], x.regs[i], x.regs[i])
	}
	step := func(u int) {
		for v := 0; v < vecs; v++ {
			VMOVDQU32(Mem{Base: b, Disp: 4 * (u*nr + v*16)}, bv(v))
		}
		for i := 0; i < mr; i++ {
			VPBROADCASTD(rowAddr(i, u), bcast)
			for v := 0; v < vecs; v++ {
				vpdpbusd(bcast, bv(v), acc(i, v))
			}
		}
	}
	const unroll = 4
	n := GP64()
	MOVQ(kq, n)
	SHRQ(U8(2), n)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	ADDQ(U32(4*unroll*nr), b)
	for _, r := range bases {
		ADDQ(U8(4*unroll), r)
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	ANDQ(U8(unroll-1), kq)
	JZ(LabelRef(name + "_scale"))
	Label(name + "_tailloop")
	step(0)
	ADDQ(U32(4*nr), b)
	for _, r := range bases {
		ADDQ(U8(4), r)
	}
	DECQ(kq)
	JNZ(LabelRef(name + "_tailloop"))

	Label(name + "_scale")
	flags := Load(Param("flags"), GP64())
	Comment("K1: the lanes of the last vector of each row that are C's (flags bits 16–31).")
	lanes := GP64()
	MOVQ(flags, lanes)
	SHRQ(U8(16), lanes)
	KMOVW(lanes.As32(), K1)
	int8Epilogue(name, tileRegs{x, mr, vecs, acc, true}, bv, bcast, flags, true)
}

// int8NextTile emits the end of an int8 tile that flags bits 8–15 say
// more tiles follow: the next one's mr rows of A, C, sa, the bias (flags
// bit 0), the residual (bit 1) and corr (bit 4) start mr rows further
// on; the count goes down by one in the flags and the kernel starts again
// at name+"_top" (as sgemmTile's nextTile).
func int8NextTile(name string, mr int) {
	Comment("flags bits 8–15: more tiles of the same height below this one.")
	fl := Load(Param("flags"), GP64())
	TESTQ(U32(0xff00), fl)
	JZ(LabelRef(name + "_done"))
	SUBQ(U32(256), fl)
	Store(fl, Param("flags"))
	stepRows("a", "lda", mr)
	stepRows("c", "ldc", mr)
	stepValues("sa", mr)
	TESTQ(U32(1), fl)
	JZ(LabelRef(name + "_nobias"))
	stepValues("bias", mr)
	Label(name + "_nobias")
	TESTQ(U32(16), fl)
	JZ(LabelRef(name + "_nocorr"))
	stepValues("corr", mr)
	Label(name + "_nocorr")
	TESTQ(U32(2), fl)
	JZ(LabelRef(name + "_top"))
	stepRows("res", "ldr", mr)
	JMP(LabelRef(name + "_top"))
	Label(name + "_done")
}

// int8Epilogue emits the end of an int8 tile, from its flags on: less
// corr[i] (flags bit 4), the conversion to float32 and the two scales,
// then + C (bit 3), the bias (bit 0), the residual (bit 1) and ReLU (bit
// 2), and the store; bv(v) and bcast are free vector registers (the
// AVX-512 tiles' K1 masks their last vector when t.mask). With runs, the
// tile then starts again on the next tile of a run (int8NextTile).
func int8Epilogue(name string, t tileRegs, bv func(v int) VecPhysical, bcast VecPhysical, flags Register, runs bool) {
	mr, vecs, acc := t.mr, t.vecs, t.acc
	TESTQ(U32(16), flags)
	JZ(LabelRef(name + "_convert"))
	Comment("Less corr[i]: B held signed values offset by 128.")
	corr := Load(Param("corr"), GP64())
	for i := 0; i < mr; i++ {
		VPBROADCASTD(Mem{Base: corr, Disp: 4 * i}, bcast)
		for v := 0; v < vecs; v++ {
			VPSUBD(bcast, acc(i, v), acc(i, v))
		}
	}
	Label(name + "_convert")
	Comment("float32(sum) · sb[j], then · sa[i]: two roundings, as in Go.")
	sb := Load(Param("sb"), GP64())
	for v := 0; v < vecs; v++ {
		VMOVUPS(Mem{Base: sb, Disp: 4 * t.x.lanes * v}, bv(v))
	}
	sa := Load(Param("sa"), GP64())
	for i := 0; i < mr; i++ {
		VBROADCASTSS(Mem{Base: sa, Disp: 4 * i}, bcast)
		for v := 0; v < vecs; v++ {
			VCVTDQ2PS(acc(i, v), acc(i, v))
			VMULPS(bv(v), acc(i, v), acc(i, v))
			VMULPS(bcast, acc(i, v), acc(i, v))
		}
	}
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	TESTQ(U32(8), flags)
	JZ(LabelRef(name + "_bias"))
	Comment("Add C (a second product summed into the same tile).")
	cr := GP64()
	MOVQ(c, cr)
	t.addMem(cr, ldc)
	Label(name + "_bias")
	TESTQ(U32(1), flags)
	JZ(LabelRef(name + "_res"))
	t.addBias(Load(Param("bias"), GP64()), bcast)
	Label(name + "_res")
	TESTQ(U32(2), flags)
	JZ(LabelRef(name + "_relu"))
	res := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	SHLQ(U8(2), ldr)
	t.addMem(res, ldr)
	Label(name + "_relu")
	TESTQ(U32(4), flags)
	JZ(LabelRef(name + "_write"))
	t.relu(bcast)
	Label(name + "_write")
	t.store(c, ldc)
	if runs {
		int8NextTile(name, mr)
	}
	VZEROUPPER()
	RET()
}

// packU8 emits packU8x{16·vecs}AVX512: one panel of PackU8, the first cols
// columns (the rest are zero) of the k rows src + offs[r], quantized to
// unsigned bytes by column; with offset, packU8Offx{16·vecs}AVX512, the
// panel of PackU8Offset: signed values as bytes offset by 128.
func packU8(vecs int, offset bool) {
	nr := 16 * vecs
	name := fmt.Sprintf("packU8x%dAVX512", nr)
	doc := fmt.Sprintf(`%[1]s quantizes a panel of %[2]d columns (see PackU8 and
packU8PanelGeneric, which it equals bit for bit): for each column j < cols,
mx = the largest src[offs[r]+j] (0 at least, NaN skipped), sb[j] = mx/255,
and word j of quad q of dst gets, in byte t, row 4q+t (0 past row k) times
255/mx (0 when mx is 0), rounded to nearest even, clamped to [0, 255]
(negative and NaN values clamped to 0 before the rounding, the product being
at most 255·(1+2⁻²⁴)² since every value is at most mx); columns past cols
are 0.`, name, nr)
	lim := float32(255)
	if offset {
		name = fmt.Sprintf("packU8Offx%dAVX512", nr)
		doc = fmt.Sprintf(`%[1]s quantizes a panel of %[2]d columns of signed values (see
PackU8Offset and packU8PanelGeneric, which it equals bit for bit): for each
column j < cols, mx = the largest |src[offs[r]+j]| (NaN skipped), sb[j] =
mx/127, and word j of quad q of dst gets, in byte t, 128 + row 4q+t times
127/mx (0 when mx is 0; NaN to 0), rounded to nearest even (in [-127, 127]:
the product is at most 127·(1+2⁻²⁴)² in magnitude); bytes past row k are 0,
columns past cols 128.`, name, nr)
		lim = 127
	}
	TEXT(name, NOSPLIT, "func(dst, sb, src *float32, offs *int32, k, cols int)")
	Pragma("noescape")
	Doc(strings.Split(doc, "\n")...)
	dst := Load(Param("dst"), GP64())
	sbp := Load(Param("sb"), GP64())
	src := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	k := Load(Param("k"), GP64())
	cols := Load(Param("cols"), GP64())
	masks := []Op{K1, K2}
	Comment("K1, K2: the valid columns of each vector.")
	one := GP64()
	MOVQ(U32(1), one)
	SHLXQ(cols, one, one)
	DECQ(one)
	KMOVW(one.As32(), K1)
	if vecs == 2 {
		SHRQ(U8(16), one)
		KMOVW(one.As32(), K2)
	}
	mx := []VecPhysical{Z0, Z1}
	inv := []VecPhysical{Z2, Z3}
	val := []VecPhysical{Z4, Z5}
	quad := []VecPhysical{Z6, Z7}
	c255, absMask, c128, zero := Z8, Z9, Z11, Z10
	t := GP32()
	MOVL(U32(math.Float32bits(lim)), t) // 255 or 127
	VPBROADCASTD(t, c255)
	VPXORD(zero, zero, zero)
	if offset {
		MOVL(U32(0x7fffffff), t)
		VPBROADCASTD(t, absMask)
		MOVL(U32(128), t)
		VPBROADCASTD(t, c128)
	}
	for v := 0; v < vecs; v++ {
		VPXORD(mx[v], mx[v], mx[v])
	}
	Comment("Pass 1: the columns' maxima.")
	po, r, p := GP64(), GP64(), GP64()
	MOVQ(offs, po)
	MOVQ(k, r)
	TESTQ(r, r)
	JZ(LabelRef(name + "_scales"))
	Label(name + "_max")
	MOVLQSX(Mem{Base: po}, p)
	LEAQ(Mem{Base: src, Index: p, Scale: 4}, p)
	for v := 0; v < vecs; v++ {
		VMOVUPS_Z(Mem{Base: p, Disp: 64 * v}, masks[v], val[v])
		if offset {
			VANDPS(absMask, val[v], val[v])
		}
		Comment("mx = val > mx ? val : mx (NaN keeps mx)")
		VMAXPS(mx[v], val[v], mx[v])
	}
	ADDQ(U8(4), po)
	DECQ(r)
	JNZ(LabelRef(name + "_max"))
	Label(name + "_scales")
	for v := 0; v < vecs; v++ {
		VCMPPS(U8(4), zero, mx[v], K3) // mx != 0
		VDIVPS_Z(mx[v], c255, K3, inv[v])
		VDIVPS(c255, mx[v], val[v])
		VMOVUPS(val[v], Mem{Base: sbp, Disp: 64 * v})
	}
	Comment("Pass 2: quads of rows, quantized and interleaved into words.")
	MOVQ(offs, po)
	MOVQ(k, r)
	TESTQ(r, r)
	JZ(LabelRef(name + "_done"))
	Label(name + "_quad")
	for tt := 0; tt < 4; tt++ {
		if tt > 0 {
			CMPQ(r, U8(tt))
			JLE(LabelRef(name + "_store"))
		}
		MOVLQSX(Mem{Base: po, Disp: 4 * tt}, p)
		LEAQ(Mem{Base: src, Index: p, Scale: 4}, p)
		for v := 0; v < vecs; v++ {
			VMOVUPS_Z(Mem{Base: p, Disp: 64 * v}, masks[v], val[v])
			VMULPS(inv[v], val[v], val[v])
			if offset {
				Comment("NaN to 0, then 128 + round(v).")
				VCMPPS(U8(7), val[v], val[v], K3) // ordered
				VMOVAPS_Z(val[v], K3, val[v])
				VCVTPS2DQ(val[v], val[v])
				VPADDD(c128, val[v], val[v])
			} else {
				Comment("max(v, 0), NaN to 0: then v ≤ 255·(1+2⁻²⁴)², which rounds to 255 at most.")
				VMAXPS(zero, val[v], val[v])
				VCVTPS2DQ(val[v], val[v])
			}
			if tt == 0 {
				VMOVDQA32(val[v], quad[v])
			} else {
				VPSLLD(U8(8*tt), val[v], val[v])
				VPORD(val[v], quad[v], quad[v])
			}
		}
	}
	Label(name + "_store")
	for v := 0; v < vecs; v++ {
		VMOVDQU32(quad[v], Mem{Base: dst, Disp: 64 * v})
	}
	ADDQ(U32(4*nr), dst)
	ADDQ(U8(16), po)
	SUBQ(U8(4), r)
	JG(LabelRef(name + "_quad"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// vnniPeak emits vnniPeakAVX512: n rounds of chains independent VPDPBUSD
// (128 integer operations each: 64 products and their sums).
func vnniPeak(chains int) {
	peakLoop("vnniPeakAVX512", zmm, chains, chains*16*8, "VPDPBUSD", "int8 GEMM is", vpdpbusd)
}
