package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// maxPoolRow emits maxPool3x3s2RowAVX512: one output row of ResNet's
// 3×3, stride 2, padding 1 max pool, 16 outputs a step: the max down the
// three input rows (32 columns: two vectors, lanes past the row −∞), then
// across: out[ox] = max(col[2ox−1], col[2ox], col[2ox+1]) from the even
// and odd columns (VPERMI2PS) and the odd ones shifted by a lane
// (VALIGND, carrying the last of the previous step). VMAXPS drops a NaN
// in one of its operands, so the kernel also ORs together the unordered
// compares of every value it reads and returns whether it saw a NaN: the
// caller then recomputes the row with the portable code.
func maxPoolRow() {
	even := GLOBL("poolEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i))
	}
	odd := GLOBL("poolOdd", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i+1))
	}
	TEXT("maxPool3x3s2RowAVX512", NOSPLIT, "func(dst, r0, r1, r2 *float32, w int) int")
	Doc("maxPool3x3s2RowAVX512 writes the (w−1)/2+1 outputs of one row of a 3×3,",
		"stride 2, padding 1 max pool over the input rows r0, r1, r2 (w ≥ 1 values",
		"each; pass a row twice where the window leaves the image). It returns 1",
		"if any value read was NaN (the outputs are then not to be trusted), else 0.",
		"See maxPool3x3s2RowGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	r2 := Load(Param("r2"), GP64())
	w := Load(Param("w"), GP64())
	n := GP64() // outputs left
	MOVQ(w, n)
	DECQ(n)
	SHRQ(U8(1), n)
	INCQ(n)
	ninf, idxE, idxO, prev := Z31, Z30, Z29, Z28
	Comment("−∞ in every lane: 0xff800000.")
	t := GP32()
	MOVL(U32(0xff800000), t)
	VPBROADCASTD(t, ninf)
	VMOVUPS(even, idxE)
	VMOVUPS(odd, idxO)
	VMOVAPS(ninf, prev)
	KXORW(K7, K7, K7) // NaNs seen
	ones := GP32()
	MOVL(U32(0xffff), ones)

	Label("pool_loop")
	Comment("K1, K2: the input columns of this step inside the row (w left of them).")
	cnt := GP64()
	MOVQ(w, cnt)
	m := GP32()
	KMOVW(ones, K1)
	KMOVW(ones, K2)
	CMPQ(cnt, U32(32))
	JAE(LabelRef("pool_masked"))
	MOVQ(cnt, RCX)
	CMPQ(cnt, U32(16))
	JAE(LabelRef("pool_hi"))
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K1)
	KXORW(K2, K2, K2)
	JMP(LabelRef("pool_masked"))
	Label("pool_hi")
	SUBQ(U32(16), RCX)
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K2)
	Label("pool_masked")

	// Vertical max of the two vectors.
	var col [2]VecPhysical
	for h := 0; h < 2; h++ {
		k := []Op{K1, K2}[h]
		acc := []VecPhysical{Z0, Z1}[h]
		col[h] = acc
		for i, r := range []Register{r0, r1, r2} {
			v := acc
			if i > 0 {
				v = Z2
			}
			VMOVAPS(ninf, v)
			VMOVUPS(Mem{Base: r, Disp: 64 * h}, k, v)
			VCMPPS(U8(3), v, v, K3) // unordered: NaN
			KORW(K3, K7, K7)
			if i > 0 {
				VMAXPS(v, acc, acc)
			}
		}
	}
	Comment("out = max(even, odd, odd shifted right a lane).")
	e, o := Z3, Z4
	VMOVAPS(idxE, e)
	VPERMI2PS(col[1], col[0], e)
	VMOVAPS(idxO, o)
	VPERMI2PS(col[1], col[0], o)
	sh := Z5
	VALIGND(U8(15), prev, o, sh)
	VMOVAPS(o, prev)
	VMAXPS(o, e, e)
	VMAXPS(sh, e, e)
	Comment("Store min(n, 16) outputs.")
	CMPQ(n, U32(16))
	JAE(LabelRef("pool_full"))
	MOVQ(n, RCX)
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K4)
	VMOVUPS(e, K4, Mem{Base: dst})
	JMP(LabelRef("pool_done"))
	Label("pool_full")
	VMOVUPS(e, Mem{Base: dst})
	ADDQ(U32(64), dst)
	for _, r := range []Register{r0, r1, r2} {
		ADDQ(U32(128), r)
	}
	SUBQ(U32(32), w)
	SUBQ(U32(16), n)
	JNZ(LabelRef("pool_loop"))
	Label("pool_done")
	res := GP64()
	KMOVW(K7, res.As32())
	VZEROUPPER()
	Store(res, ReturnIndex(0))
	RET()
}

// maxPoolRowAVX2 emits maxPool3x3s2RowAVX2: the AVX-512 row's method, 8
// outputs from 16 input columns a step, full steps only (the caller
// finishes the row). Each input row is loaded in halves as [c0–3 | c8–11]
// and [c4–7 | c12–15], so that VSHUFPS of the two vertical maxima gives
// the even and the odd columns in order; the odd ones shifted a lane are
// a VPERMPS rotation with the previous step's last odd column blended in.
// NaNs are found with unordered compares, as in the AVX-512 row.
func maxPoolRowAVX2() {
	rot := GLOBL("poolRotate", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32((i+7)%8))
	}
	TEXT("maxPool3x3s2RowAVX2", NOSPLIT, "func(dst, r0, r1, r2 *float32, steps int) int")
	Doc("maxPool3x3s2RowAVX2 writes outputs [0, 8·steps) of one row of a 3×3,",
		"stride 2, padding 1 max pool over the input rows r0, r1, r2 (16·steps",
		"values each read). It returns a nonzero value if any value read was NaN",
		"(the outputs are then not to be trusted). See maxPool3x3s2RowGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	r0 := Load(Param("r0"), GP64())
	r1 := Load(Param("r1"), GP64())
	r2 := Load(Param("r2"), GP64())
	steps := Load(Param("steps"), GP64())
	idx, prev, nan := Y15, Y14, Y13
	Comment("prev: −∞ (0xff800000) for the padding column before the row.")
	t := GP32()
	MOVL(U32(0xff800000), t)
	VMOVD(t, prev.AsX())
	VPBROADCASTD(prev.AsX(), prev)
	VMOVUPS(rot, idx)
	VXORPS(nan, nan, nan)
	res := GP64()
	XORQ(res, res)
	TESTQ(steps, steps)
	JZ(LabelRef("poolAVX2_done"))

	Label("poolAVX2_loop")
	var a, b [3]VecPhysical
	for i, r := range []Register{r0, r1, r2} {
		a[i], b[i] = ymm[2*i], ymm[2*i+1]
		VMOVUPS(Mem{Base: r}, a[i].AsX())
		VINSERTF128(U8(1), Mem{Base: r, Disp: 32}, a[i], a[i])
		VMOVUPS(Mem{Base: r, Disp: 16}, b[i].AsX())
		VINSERTF128(U8(1), Mem{Base: r, Disp: 48}, b[i], b[i])
	}
	Comment("Unordered compares of pairs: a NaN in either sets the lane.")
	for i, p := range [3][2]VecPhysical{{a[0], a[1]}, {a[2], b[0]}, {b[1], b[2]}} {
		u := ymm[6+i]
		VCMPPS(U8(3), p[1], p[0], u)
		VORPS(u, nan, nan)
	}
	VMAXPS(a[1], a[0], a[0])
	VMAXPS(a[2], a[0], a[0])
	VMAXPS(b[1], b[0], b[0])
	VMAXPS(b[2], b[0], b[0])
	Comment("out = max(even, odd, odd shifted right a lane).")
	e, o, rr, sh := Y6, Y7, Y8, Y9
	VSHUFPS(U8(0x88), b[0], a[0], e)
	VSHUFPS(U8(0xdd), b[0], a[0], o)
	VPERMPS(o, idx, rr)
	VBLENDPS(U8(1), prev, rr, sh)
	VMOVAPS(rr, prev)
	VMAXPS(o, e, e)
	VMAXPS(sh, e, e)
	VMOVUPS(e, Mem{Base: dst})
	ADDQ(U32(32), dst)
	for _, r := range []Register{r0, r1, r2} {
		ADDQ(U32(64), r)
	}
	DECQ(steps)
	JNZ(LabelRef("poolAVX2_loop"))
	VMOVMSKPS(nan, res.As32())
	Label("poolAVX2_done")
	VZEROUPPER()
	Store(res, ReturnIndex(0))
	RET()
}
