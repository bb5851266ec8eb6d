package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// everyOther emits everyOtherAVX512: dst[i·ldd + q] = src[i·lds + 2q]
// for q < n and i < rows, 16 a step from two loads and a VPERMI2PS, the
// last step of each row masked (src is read only up to src[2n−2] of a
// row); the masks are computed once for all rows.
func everyOther() {
	even := GLOBL("strideEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i))
	}
	TEXT("everyOtherAVX512", NOSPLIT, "func(dst, src *float32, n, rows, ldd, lds int)")
	Doc("everyOtherAVX512 sets dst[i*ldd+q] = src[i*lds+2q] for q < n and i < rows",
		"(n, rows ≥ 1); see everyOtherGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("n"), GP64())
	rows := Load(Param("rows"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	idx := Z31
	VMOVUPS(even, idx)
	Comment("steps = (n−1)/16 unmasked steps a row (src[2q+1] is then there), then",
		"t = n − 16·steps (1..16) outputs: K1 = (1<<t) − 1 for them; the 2t−1",
		"values read are K2 (the first 16) and K3 (the rest).")
	steps := GP64()
	LEAQ(Mem{Base: n, Disp: -1}, steps)
	SHRQ(U8(4), steps)
	t := GP64()
	MOVQ(steps, t)
	SHLQ(U8(4), t)
	NEGQ(t)
	ADDQ(n, t)
	MOVQ(t, RCX)
	m := GP32()
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K1)
	m2 := GP64()
	LEAQ(Mem{Base: t, Index: t, Scale: 1, Disp: -1}, m2) // 2t−1 values
	MOVQ(m2, RCX)
	CMPQ(m2, U32(16))
	JB(LabelRef("every_short"))
	MOVL(U32(0xffff), m)
	KMOVW(m, K2)
	SUBQ(U32(16), RCX)
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K3)
	JMP(LabelRef("every_rows"))
	Label("every_short")
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K2)
	KXORW(K3, K3, K3)

	Label("every_rows")
	d, sp, c := GP64(), GP64(), GP64()
	MOVQ(dst, d)
	MOVQ(src, sp)
	MOVQ(steps, c)
	Label("every_loop")
	TESTQ(c, c)
	JZ(LabelRef("every_tail"))
	VMOVUPS(Mem{Base: sp}, Z0)
	VMOVAPS(idx, Z2)
	VPERMI2PS(Mem{Base: sp, Disp: 64}, Z0, Z2)
	VMOVUPS(Z2, Mem{Base: d})
	ADDQ(U32(128), sp)
	ADDQ(U32(64), d)
	DECQ(c)
	JMP(LabelRef("every_loop"))
	Label("every_tail")
	VMOVUPS_Z(Mem{Base: sp}, K2, Z0)
	VMOVUPS_Z(Mem{Base: sp, Disp: 64}, K3, Z1)
	VMOVAPS(idx, Z2)
	VPERMI2PS(Z1, Z0, Z2)
	VMOVUPS(Z2, K1, Mem{Base: d})
	ADDQ(ldd, dst)
	ADDQ(lds, src)
	DECQ(rows)
	JNZ(LabelRef("every_rows"))
	VZEROUPPER()
	RET()
}

// everyOtherAVX2 emits everyOtherAVX2: dst[q] = src[2q], 8 a step from
// src loaded in halves as [s0–3 | s8–11] and [s4–7 | s12–15], whose
// VSHUFPS is the even values in order; full steps only (the caller copies
// the last ≤ 8, whose src[2q+1] may lie past the end).
func everyOtherAVX2() {
	TEXT("everyOtherAVX2", NOSPLIT, "func(dst, src *float32, steps int)")
	Doc("everyOtherAVX2 sets dst[q] = src[2q] for q < 8·steps (steps ≥ 1),",
		"reading src[0 .. 16·steps); see everyOtherGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	n := Load(Param("steps"), GP64())
	Label("everyAVX2_loop")
	VMOVUPS(Mem{Base: src}, X0)
	VINSERTF128(U8(1), Mem{Base: src, Disp: 32}, Y0, Y0)
	VMOVUPS(Mem{Base: src, Disp: 16}, X1)
	VINSERTF128(U8(1), Mem{Base: src, Disp: 48}, Y1, Y1)
	VSHUFPS(U8(0x88), Y1, Y0, Y0)
	VMOVUPS(Y0, Mem{Base: dst})
	ADDQ(U32(64), src)
	ADDQ(U32(32), dst)
	DECQ(n)
	JNZ(LabelRef("everyAVX2_loop"))
	VZEROUPPER()
	RET()
}
