package main

import (
	"fmt"
	"math"
	"strings"

	"github.com/mmcloughlin/avo/ir"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// The int8 kernels for CPUs with AVX2 and AVX-VNNI but not AVX512-VNNI
// (Intel's cores since Alder Lake, whose VEX-encoded VPDPBUSD works on
// ymm registers). They read and write PackU8's layout unchanged: a tile
// computes 16 columns of a panel 16 or 32 wide (B's row stride ldb words)
// and up to 6 rows, 12 ymm accumulators; the Go wrapper splits the
// AVX-512 tiles' 12×32 into these.

// int8SignatureAVX2 is the Go declaration of the AVX-VNNI int8 tiles.
const int8SignatureAVX2 = "func(kq int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int)"

// int8TileAVX2 emits int8Tile{mr}x16AVX2: int8Tile's kernel on ymm
// registers with the VEX VPDPBUSD of AVX-VNNI, for whole 16-column tiles
// (no lane mask: the wrapper computes a partial tile into a buffer of its
// own).
func int8TileAVX2(mr int) {
	const vecs, nr = 2, 16
	name := fmt.Sprintf("int8Tile%dx%dAVX2", mr, nr)
	TEXT(name, NOSPLIT, int8SignatureAVX2)
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes the %[2]d×%[3]d tile C = sa[i]·sb[j]·(A·B)[i, j]
from quads of bytes with AVX-VNNI's VPDPBUSD on ymm registers, B's quads ldb
words apart (a panel of PackU8's, or its second half), then the epilogue the
flags ask for, on the registers: with bit 3, + C[i, j]; with bit 0, + bias[i];
with bit 1, + res[i*ldr+j]; with bit 2, max(·, 0) (NaN stays NaN). All %[3]d
columns of C are written. Bits 8–15 = n > 0: n more tiles follow, each %[2]d rows
of A, C, sa, bias, res and corr below the one before, with the same B. In Go:

	for i := 0; i < %[2]d; i++ {
		for j := 0; j < %[3]d; j++ {
			var s int32
			for q := 0; q < kq; q++ {
				for t := 0; t < 4; t++ {
					s += int32(int8(bits(a[i*lda+q]) >> (8 * t))) * int32(uint8(bits(b[q*ldb+j]) >> (8 * t)))
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
	if mr > 6 {
		panic("int8TileAVX2: at most 6 rows")
	}
	x := avx2
	acc := func(i, v int) VecPhysical { return x.regs[i*vecs+v] }
	bv := func(v int) VecPhysical { return x.regs[12+v] }
	bcast := Y14

	Label(name + "_top")
	kq := Load(Param("kq"), GP64())
	rs := Load(Param("lda"), GP64())
	SHLQ(U8(2), rs)
	b := Load(Param("b"), GP64())
	ldb := Load(Param("ldb"), GP64())
	SHLQ(U8(2), ldb)
	bases, rowAt := rowBases(mr, rs)
	Comment("Zero the accumulators.")
	for i := 0; i < mr*vecs; i++ {
		VPXOR(x.regs[i], x.regs[i], x.regs[i])
	}
	step := func(u int) {
		for v := 0; v < vecs; v++ {
			VMOVDQU(Mem{Base: b, Disp: 32 * v}, bv(v))
		}
		ADDQ(ldb, b)
		for i := 0; i < mr; i++ {
			VPBROADCASTD(rowAt(i, 4*u), bcast)
			for v := 0; v < vecs; v++ {
				vpdpbusdVEX(bcast, bv(v), acc(i, v))
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
	for _, r := range bases {
		ADDQ(U8(4), r)
	}
	DECQ(kq)
	JNZ(LabelRef(name + "_tailloop"))

	Label(name + "_scale")
	int8Epilogue(name, tileRegs{x, mr, vecs, acc, false}, bv, bcast, Load(Param("flags"), GP64()), true)
}

// packU8AVX2 emits packU8x16AVX2 (with offset, packU8Offx16AVX2): packU8's
// kernel for 16 columns on ymm registers, the quads' rows ldd words apart
// (a panel of 16, or either half of one of 32), the columns past cols
// (0 to 16) read as 0 through VMASKMOVPS masks.
func packU8AVX2(offset bool) {
	const vecs, nr = 2, 16
	name := "packU8x16AVX2"
	doc := fmt.Sprintf(`%[1]s quantizes %[2]d columns of a panel whose quads are ldd words
apart (see PackU8 and packU8PanelGeneric, which it equals bit for bit): for
each column j < cols (0 ≤ cols ≤ 16), mx = the largest src[offs[r]+j] (0 at
least, NaN skipped), sb[j] = mx/255, and word j of quad q of dst gets, in byte
t, row 4q+t (0 past row k) times 255/mx (0 when mx is 0), rounded to nearest
even, clamped to [0, 255]; columns past cols are 0 (and their scales), and
are not read.`, name, nr)
	lim := float32(255)
	if offset {
		name = "packU8Offx16AVX2"
		doc = fmt.Sprintf(`%[1]s quantizes %[2]d columns of signed values of a panel whose
quads are ldd words apart (see PackU8Offset and packU8PanelGeneric, which it
equals bit for bit): for each column j < cols (0 ≤ cols ≤ 16), mx = the
largest |src[offs[r]+j]| (NaN skipped), sb[j] = mx/127, and word j of quad q
of dst gets, in byte t, 128 + row 4q+t times 127/mx (0 when mx is 0; NaN to
0), rounded to nearest even; bytes past row k are 0, columns past cols 128
(scale 0), and are not read.`, name, nr)
		lim = 127
	}
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, sb, src *float32, offs *int32, k, cols int)")
	Pragma("noescape")
	Doc(strings.Split(doc, "\n")...)
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	sbp := Load(Param("sb"), GP64())
	src := Load(Param("src"), GP64())
	offs := Load(Param("offs"), GP64())
	k := Load(Param("k"), GP64())
	cols := Load(Param("cols"), GP64())
	mx := []VecPhysical{Y0, Y1}
	inv := []VecPhysical{Y2, Y3}
	val := []VecPhysical{Y4, Y5}
	quad := []VecPhysical{Y6, Y7}
	c255, absMask, zero, c128 := Y8, Y9, Y10, Y11
	masks := []VecPhysical{Y12, Y13}
	tmp := Y14
	Comment("Y12, Y13: the VMASKMOVPS masks of the columns j < cols of each vector.")
	MOVQ(cols, tmp.AsX())
	VPBROADCASTD(tmp.AsX(), tmp)
	for v := 0; v < vecs; v++ {
		VMOVDQU(laneIndex.Offset(32*v), masks[v])
		VPCMPGTD(masks[v], tmp, masks[v])
	}
	t := GP32()
	MOVL(U32(math.Float32bits(lim)), t) // 255 or 127
	MOVQ(t.As64(), c255.AsX())
	VPBROADCASTD(c255.AsX(), c255)
	VPXOR(zero, zero, zero)
	if offset {
		MOVL(U32(0x7fffffff), t)
		MOVQ(t.As64(), absMask.AsX())
		VPBROADCASTD(absMask.AsX(), absMask)
		MOVL(U32(128), t)
		MOVQ(t.As64(), c128.AsX())
		VPBROADCASTD(c128.AsX(), c128)
	}
	for v := 0; v < vecs; v++ {
		VPXOR(mx[v], mx[v], mx[v])
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
		VMASKMOVPS(Mem{Base: p, Disp: 32 * v}, masks[v], val[v])
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
		Comment("inv = lim/mx where mx ≠ 0, else 0; sb = mx/lim.")
		VDIVPS(mx[v], c255, inv[v])
		VCMPPS(U8(4), zero, mx[v], tmp) // mx != 0
		VANDPS(tmp, inv[v], inv[v])
		VDIVPS(c255, mx[v], val[v])
		VMOVUPS(val[v], Mem{Base: sbp, Disp: 32 * v})
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
			VMASKMOVPS(Mem{Base: p, Disp: 32 * v}, masks[v], val[v])
			VMULPS(inv[v], val[v], val[v])
			if offset {
				Comment("NaN to 0, then 128 + round(v).")
				VCMPPS(U8(7), val[v], val[v], tmp) // ordered
				VANDPS(tmp, val[v], val[v])
				VCVTPS2DQ(val[v], val[v])
				VPADDD(c128, val[v], val[v])
			} else {
				Comment("max(v, 0), NaN to 0: then v ≤ 255·(1+2⁻²⁴)², which rounds to 255 at most.")
				VMAXPS(zero, val[v], val[v])
				VCVTPS2DQ(val[v], val[v])
			}
			if tt == 0 {
				VMOVDQA(val[v], quad[v])
			} else {
				VPSLLD(U8(8*tt), val[v], val[v])
				VPOR(val[v], quad[v], quad[v])
			}
		}
	}
	Label(name + "_store")
	for v := 0; v < vecs; v++ {
		VMOVDQU(quad[v], Mem{Base: dst, Disp: 32 * v})
	}
	ADDQ(ldd, dst)
	ADDQ(U8(16), po)
	SUBQ(U8(4), r)
	JG(LabelRef(name + "_quad"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// laneIndex holds the int32 lane numbers 0–15, from which packU8AVX2
// builds its column masks.
var laneIndex Mem

func int8AVX2Data() {
	laneIndex = GLOBL("int8LaneIndex", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(i))
	}
}

// vnniPeakAVX2 emits vnniPeakAVX2: n rounds of chains independent VEX
// VPDPBUSD on ymm (64 integer operations each).
func vnniPeakAVX2(chains int) {
	peakLoop("vnniPeakAVX2", ymm, chains, chains*8*8, "VPDPBUSD (AVX-VNNI)", "AVX-VNNI int8 GEMM is", vpdpbusdVEX)
}

// vpdpbusdVEX emits AVX-VNNI's VPDPBUSD rm, v, dst on ymm registers (Go
// operand order: each 32-bit lane of dst gains the four products of v's
// unsigned bytes with rm's signed ones), as bytes: VEX.256.66.0F38.W0 50
// /r, three-byte VEX with R, X, B and vvvv inverted (Intel SDM vol. 2,
// 2.3); checked against GNU as ({vex} vpdpbusd %ymm13, %ymm12, %ymm3 is
// c4 c2 1d 50 dd), and the tests check what the kernels compute.
func vpdpbusdVEX(rm, v, dst VecPhysical) {
	d, s1, s2 := int(dst.PhysicalIndex()), int(v.PhysicalIndex()), int(rm.PhysicalIndex())
	if d > 15 || s1 > 15 || s2 > 15 {
		panic("vpdpbusdVEX: ymm0–15 only")
	}
	inv := func(r int) int { return 1 - r>>3&1 }
	b1 := inv(d)<<7 | 1<<6 | inv(s2)<<5 | 0b00010
	b2 := (^s1&0xf)<<3 | 1<<2 | 0b01
	modrm := 0xc0 | (d&7)<<3 | s2&7
	Comment(fmt.Sprintf("VPDPBUSD (VEX) %s, %s, %s", rm.Asm(), v.Asm(), dst.Asm()))
	for _, b := range []int{0xc4, b1, b2, 0x50, modrm} {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(b)}})
	}
}
