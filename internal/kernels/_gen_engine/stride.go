package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// everyOther emits everyOtherAVX512: dst[i·ldd + q] = src[i·lds + 2q]
// for q < n and i < rows, 16 a step from two loads and a VPERMI2PS, the
// last step of each row masked (src is read only up to src[2n−2] of a
// row); the masks are computed once for all rows.
func everyOther(even Mem) {
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

// rowSteps is how an ISA copies a row of values a vector at a time: w
// lanes a step, each full step reading s·w values of the source (stride
// s: the even ones kept) and the last step masked.
type rowSteps struct {
	suffix string
	w, s   int
	// masks sets up the last step's masks once, from t (1..w values to
	// write).
	masks func(t Register)
	// full writes a whole step from p to d; last the masked last step.
	full, last func(p, d Register)
}

// stepsAndTail returns the whole steps of w lanes a row of n ≥ 1 values
// leaves before its last step, (n−1)/w, and the values t (1..w) of that
// step.
func stepsAndTail(n Register, w int) (steps, t Register) {
	sh := map[int]uint8{16: 4, 8: 3}[w]
	steps = GP64()
	LEAQ(Mem{Base: n, Disp: -1}, steps)
	SHRQ(U8(sh), steps)
	t = GP64()
	MOVQ(steps, t)
	SHLQ(U8(sh), t)
	NEGQ(t)
	ADDQ(n, t)
	return steps, t
}

// vmaskFor loads into y the VMASKMOVPS mask of the first n (0..8) lanes:
// the 8 values of lanes (lanesTable) from index 16 − n.
func vmaskFor(lanes Mem, n Register, y VecPhysical) {
	a := GP64()
	LEAQ(lanes, a)
	b := GP64()
	MOVQ(n, b)
	SHLQ(U8(2), b)
	SUBQ(b, a)
	VMOVUPS(Mem{Base: a, Disp: 64}, y)
}

// lastReads splits the 2t−1 values a stride-2 last step of t outputs
// reads into those of its first register of w lanes (lo ≤ w) and of its
// second (hi, maybe 0).
func lastReads(t Register, w int) (lo, hi Register) {
	lo, hi = GP64(), GP64()
	zero := GP64()
	LEAQ(Mem{Base: t, Index: t, Scale: 1, Disp: -1}, lo)
	MOVQ(lo, hi)
	SUBQ(U8(w), hi)
	XORQ(zero, zero)
	CMOVQLT(zero, hi)
	SUBQ(hi, lo)
	return lo, hi
}

// avx512Steps is rowSteps on zmm registers: at stride 2 two loads and a
// VPERMI2PS with the even indices (as everyOtherAVX512), the last step
// reading only the 2t−1 values it needs (K2, K3) and writing t (K1).
func avx512Steps(s int, even Mem) rowSteps {
	x := rowSteps{suffix: "AVX512", w: 16, s: s}
	if s == 1 {
		x.masks = func(t Register) { lowMask(t, K1) }
		x.full = func(p, d Register) {
			VMOVUPS(Mem{Base: p}, Z0)
			VMOVUPS(Z0, Mem{Base: d})
		}
		x.last = func(p, d Register) {
			VMOVUPS_Z(Mem{Base: p}, K1, Z0)
			VMOVUPS(Z0, K1, Mem{Base: d})
		}
		return x
	}
	x.masks = func(t Register) {
		VMOVUPS(even, Z31)
		lowMask(t, K1)
		Comment("The 2t−1 values the last step reads: lo ≤ 16 of them (K2), hi the rest (K3).")
		lo, hi := lastReads(t, 16)
		lowMask(lo, K2)
		lowMask(hi, K3)
	}
	x.full = func(p, d Register) {
		VMOVUPS(Mem{Base: p}, Z0)
		VMOVAPS(Z31, Z2)
		VPERMI2PS(Mem{Base: p, Disp: 64}, Z0, Z2)
		VMOVUPS(Z2, Mem{Base: d})
	}
	x.last = func(p, d Register) {
		VMOVUPS_Z(Mem{Base: p}, K2, Z0)
		VMOVUPS_Z(Mem{Base: p, Disp: 64}, K3, Z1)
		VMOVAPS(Z31, Z2)
		VPERMI2PS(Z1, Z0, Z2)
		VMOVUPS(Z2, K1, Mem{Base: d})
	}
	return x
}

// avx2Steps is rowSteps on ymm registers with VMASKMOVPS masks from lanes:
// at stride 2 a step loads s0–7 and s8–15, and VSHUFPS (the even values of
// each 128-bit half) then VPERMPD put the even ones in order.
func avx2Steps(s int, lanes Mem) rowSteps {
	x := rowSteps{suffix: "AVX2", w: 8, s: s}
	if s == 1 {
		x.masks = func(t Register) { vmaskFor(lanes, t, Y15) }
		x.full = func(p, d Register) {
			VMOVUPS(Mem{Base: p}, Y0)
			VMOVUPS(Y0, Mem{Base: d})
		}
		x.last = func(p, d Register) {
			VMASKMOVPS(Mem{Base: p}, Y15, Y0)
			VMASKMOVPS(Y0, Y15, Mem{Base: d})
		}
		return x
	}
	x.masks = func(t Register) {
		vmaskFor(lanes, t, Y15)
		Comment("The 2t−1 values the last step reads: lo ≤ 8 of them in s0–7, hi in s8–15.")
		lo, hi := lastReads(t, 8)
		vmaskFor(lanes, lo, Y13)
		vmaskFor(lanes, hi, Y14)
	}
	evens := func() {
		VSHUFPS(U8(0x88), Y1, Y0, Y2)
		VPERMPD(U8(0xd8), Y2, Y2)
	}
	x.full = func(p, d Register) {
		VMOVUPS(Mem{Base: p}, Y0)
		VMOVUPS(Mem{Base: p, Disp: 32}, Y1)
		evens()
		VMOVUPS(Y2, Mem{Base: d})
	}
	x.last = func(p, d Register) {
		VMASKMOVPS(Mem{Base: p}, Y13, Y0)
		VMASKMOVPS(Mem{Base: p, Disp: 32}, Y14, Y1)
		evens()
		VMASKMOVPS(Y2, Y15, Mem{Base: d})
	}
	return x
}

// rowLoop emits the copy of one row of n values from src to dst with x's
// steps (steps whole ones, then the last): src and dst are left as they
// were.
func rowLoop(name string, x rowSteps, src, dst, steps Register) {
	p, d, c := GP64(), GP64(), GP64()
	MOVQ(src, p)
	MOVQ(dst, d)
	MOVQ(steps, c)
	Label(name + "_step")
	TESTQ(c, c)
	JZ(LabelRef(name + "_last"))
	x.full(p, d)
	ADDQ(U32(4*x.w*x.s), p)
	ADDQ(U32(4*x.w), d)
	DECQ(c)
	JMP(LabelRef(name + "_step"))
	Label(name + "_last")
	x.last(p, d)
}

// im2col emits im2colS<s><suffix>: the kh·kw rows of a convolution's
// im2col matrix for one zero-padded channel (see im2colChannelGeneric),
// each row of ow outputs in x's steps, the masks computed once for all
// rows.
func im2col(x rowSteps) {
	name := fmt.Sprintf("im2colS%d%s", x.s, x.suffix)
	TEXT(name, NOSPLIT, "func(dst, src *float32, wp, kh, kw, oh, ow int)")
	Doc(name+" writes the kh·kw rows of oh·ow values of the im2col matrix",
		fmt.Sprintf("of the padded channel src (rows wp apart) at stride %d into dst", x.s),
		"(all sizes ≥ 1); see im2colChannelGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	rowB := Load(Param("src"), GP64())
	ow := Load(Param("ow"), GP64())
	steps, t := stepsAndTail(ow, x.w)
	x.masks(t)
	Comment("dst advances a row of ow values: 4·ow bytes.")
	owB := GP64()
	LEAQ(Mem{Base: ow, Index: ow, Scale: 2}, owB) // 3·ow
	ADDQ(ow, owB)
	rowStep := Load(Param("wp"), GP64())
	SHLQ(U8(2+x.s-1), rowStep) // s rows of the padded channel a row of output
	kiC := Load(Param("kh"), GP64())
	Label(name + "_ki")
	tap := GP64()
	MOVQ(rowB, tap)
	kjC := Load(Param("kw"), GP64())
	Label(name + "_kj")
	sp := GP64()
	MOVQ(tap, sp)
	oyC := Load(Param("oh"), GP64())
	Label(name + "_oy")
	rowLoop(name, x, sp, dst, steps)
	ADDQ(owB, dst)
	ADDQ(rowStep, sp)
	DECQ(oyC)
	JNZ(LabelRef(name + "_oy"))
	ADDQ(U32(4), tap)
	DECQ(kjC)
	JNZ(LabelRef(name + "_kj"))
	wp := Load(Param("wp"), GP64())
	LEAQ(Mem{Base: rowB, Index: wp, Scale: 4}, rowB)
	DECQ(kiC)
	JNZ(LabelRef(name + "_ki"))
	VZEROUPPER()
	RET()
}

// copyRows emits copyRows<suffix>: rows rows of n values from src (rows
// lds values apart) to dst (ldd apart), in x's steps (stride 1), the mask
// computed once.
func copyRows(x rowSteps) {
	name := "copyRows" + x.suffix
	TEXT(name, NOSPLIT, "func(dst, src *float32, ldd, lds, rows, n int)")
	Doc(name+" copies rows rows of n values from src (rows lds values apart) to",
		"dst (ldd apart), rows, n ≥ 1; see copyRowsGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	rows := Load(Param("rows"), GP64())
	n := Load(Param("n"), GP64())
	steps, t := stepsAndTail(n, x.w)
	x.masks(t)
	Label(name + "_row")
	rowLoop(name, x, src, dst, steps)
	ADDQ(ldd, dst)
	ADDQ(lds, src)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	VZEROUPPER()
	RET()
}

// evenTable emits the VPERMI2PS indices 0, 2, … 30: the even values of
// two registers.
func evenTable() Mem {
	even := GLOBL("strideEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i))
	}
	return even
}

// oddTable emits the VPERMI2PS indices 1, 3, … 31: the odd values of two
// registers.
func oddTable() Mem {
	odd := GLOBL("strideOdd", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i+1))
	}
	return odd
}

// splitTail splits the t source values of a row's last step (t < 2w)
// into those of its first register of w lanes (lo = min(t, w)) and of its
// second (hi = max(t − w, 0)), and returns the even outputs it makes,
// (t+1)/2, and the odd ones, t/2.
func splitTail(t Register, w int) (lo, hi, ne, no Register) {
	lo, hi, ne, no = GP64(), GP64(), GP64(), GP64()
	wr := GP64()
	MOVQ(U32(w), wr)
	MOVQ(t, lo)
	CMPQ(lo, wr)
	CMOVQGT(wr, lo)
	MOVQ(t, hi)
	SUBQ(U8(w), hi)
	zero := GP64()
	XORQ(zero, zero)
	CMOVQLT(zero, hi)
	LEAQ(Mem{Base: t, Disp: 1}, ne)
	SHRQ(U8(1), ne)
	MOVQ(t, no)
	SHRQ(U8(1), no)
	return lo, hi, ne, no
}

// deinterleave emits deinterleaveAVX512: the even and odd values of each
// of rows rows of n source values, 32 values a step from two loads and a
// VPERMI2PS for each half, the last step (0–31 values) masked on every
// access; the masks are computed once for all rows.
func deinterleave(even, odd Mem) {
	TEXT("deinterleaveAVX512", NOSPLIT, "func(ev, od, src *float32, n, rows, ldd, lds int)")
	Doc("deinterleaveAVX512 sets ev[i*ldd+q] = src[i*lds+2q] for 2q < n and",
		"od[i*ldd+q] = src[i*lds+2q+1] for 2q+1 < n, for i < rows (n, rows ≥ 1);",
		"see deinterleaveRowsGeneric.")
	Pragma("noescape")
	VMOVUPS(even, Z30)
	VMOVUPS(odd, Z31)
	split := func() {
		VMOVAPS(Z30, Z2)
		VPERMI2PS(Z1, Z0, Z2)
		VMOVAPS(Z31, Z3)
		VPERMI2PS(Z1, Z0, Z3)
	}
	deinterleaveRows("deinterleaveAVX512", 16, func(lo, hi, ne, no Register) {
		Comment("K1 and K2 read the last step's values, K3 writes their even",
			"values, K4 their odd ones.")
		lowMask(lo, K1)
		lowMask(hi, K2)
		lowMask(ne, K3)
		lowMask(no, K4)
	}, func(p, e, o Register) {
		VMOVUPS(Mem{Base: p}, Z0)
		VMOVUPS(Mem{Base: p, Disp: 64}, Z1)
		split()
		VMOVUPS(Z2, Mem{Base: e})
		VMOVUPS(Z3, Mem{Base: o})
	}, func(p, e, o Register) {
		VMOVUPS_Z(Mem{Base: p}, K1, Z0)
		VMOVUPS_Z(Mem{Base: p, Disp: 64}, K2, Z1)
		split()
		VMOVUPS(Z2, K3, Mem{Base: e})
		VMOVUPS(Z3, K4, Mem{Base: o})
	})
}

// deinterleaveAVX2 emits deinterleaveAVX2, deinterleaveAVX512 on ymm
// registers: 16 values a step, whose VSHUFPS (0x88 the even values of
// each 128-bit half, 0xdd the odd) and VPERMPD put in order; the last step
// (0–15 values) reads and writes through VMASKMOVPS masks from lanes.
func deinterleaveAVX2(lanes Mem) {
	TEXT("deinterleaveAVX2", NOSPLIT, "func(ev, od, src *float32, n, rows, ldd, lds int)")
	Doc("deinterleaveAVX2 is deinterleaveAVX512 with AVX2; see deinterleaveRowsGeneric.")
	Pragma("noescape")
	split := func() {
		VSHUFPS(U8(0x88), Y1, Y0, Y2)
		VPERMPD(U8(0xd8), Y2, Y2)
		VSHUFPS(U8(0xdd), Y1, Y0, Y3)
		VPERMPD(U8(0xd8), Y3, Y3)
	}
	deinterleaveRows("deinterleaveAVX2", 8, func(lo, hi, ne, no Register) {
		vmaskFor(lanes, lo, Y15)
		vmaskFor(lanes, hi, Y14)
		vmaskFor(lanes, ne, Y13)
		vmaskFor(lanes, no, Y12)
	}, func(p, e, o Register) {
		VMOVUPS(Mem{Base: p}, Y0)
		VMOVUPS(Mem{Base: p, Disp: 32}, Y1)
		split()
		VMOVUPS(Y2, Mem{Base: e})
		VMOVUPS(Y3, Mem{Base: o})
	}, func(p, e, o Register) {
		VMASKMOVPS(Mem{Base: p}, Y15, Y0)
		VMASKMOVPS(Mem{Base: p, Disp: 32}, Y14, Y1)
		split()
		VMASKMOVPS(Y2, Y13, Mem{Base: e})
		VMASKMOVPS(Y3, Y12, Mem{Base: o})
	})
}

// deinterleaveRows emits the body the deinterleave kernels share, for
// vectors of w lanes: per row, whole steps of 2w source values (full),
// then the last step of t = n mod 2w values (last, under the masks that
// masks sets up once from the values the step reads in each of its two
// registers, lo and hi, and the even and odd values it writes, ne and no).
func deinterleaveRows(name string, w int, masks func(lo, hi, ne, no Register), full, last func(p, e, o Register)) {
	ev, od, src, n, rows, ldd, lds := deinterleaveParams()
	sh := map[int]uint8{16: 5, 8: 4}[w]
	Comment(fmt.Sprintf("steps = n/%d whole steps a row, then t = n mod %d values.", 2*w, 2*w))
	steps := GP64()
	MOVQ(n, steps)
	SHRQ(U8(sh), steps)
	t := GP64()
	MOVQ(n, t)
	ANDQ(U8(2*w-1), t)
	masks(splitTail(t, w))
	Label(name + "_rows")
	e, o, p, c := GP64(), GP64(), GP64(), GP64()
	MOVQ(ev, e)
	MOVQ(od, o)
	MOVQ(src, p)
	MOVQ(steps, c)
	Label(name + "_step")
	TESTQ(c, c)
	JZ(LabelRef(name + "_tail"))
	full(p, e, o)
	ADDQ(U32(8*w), p)
	ADDQ(U32(4*w), e)
	ADDQ(U32(4*w), o)
	DECQ(c)
	JMP(LabelRef(name + "_step"))
	Label(name + "_tail")
	last(p, e, o)
	ADDQ(ldd, ev)
	ADDQ(ldd, od)
	ADDQ(lds, src)
	DECQ(rows)
	JNZ(LabelRef(name + "_rows"))
	VZEROUPPER()
	RET()
}

// deinterleaveParams loads the deinterleave kernels' arguments, the row
// strides in bytes.
func deinterleaveParams() (ev, od, src, n, rows, ldd, lds Register) {
	ev = Load(Param("ev"), GP64())
	od = Load(Param("od"), GP64())
	src = Load(Param("src"), GP64())
	n = Load(Param("n"), GP64())
	rows = Load(Param("rows"), GP64())
	ldd = Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	lds = Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	return
}

// copyPlanes emits copyPlanes<suffix>: copyRows on planes planes at once,
// plane p's rows from src + p·sps to dst + p·dps, the mask computed once.
func copyPlanes(x rowSteps) {
	name := "copyPlanes" + x.suffix
	TEXT(name, NOSPLIT, "func(dst, src *float32, ldd, lds, rows, n, planes, dps, sps int)")
	Doc(name+" copies planes planes of rows rows of n values from src (rows lds",
		"values apart, planes sps apart) to dst (ldd, dps), all counts ≥ 1; see",
		"copyPlanesGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	lds := Load(Param("lds"), GP64())
	SHLQ(U8(2), lds)
	n := Load(Param("n"), GP64())
	steps, t := stepsAndTail(n, x.w)
	x.masks(t)
	planes := Load(Param("planes"), GP64())
	Label(name + "_plane")
	d, s := GP64(), GP64()
	MOVQ(dst, d)
	MOVQ(src, s)
	rows := Load(Param("rows"), GP64())
	Label(name + "_row")
	rowLoop(name, x, s, d, steps)
	ADDQ(ldd, d)
	ADDQ(lds, s)
	DECQ(rows)
	JNZ(LabelRef(name + "_row"))
	dps := Load(Param("dps"), GP64())
	LEAQ(Mem{Base: dst, Index: dps, Scale: 4}, dst)
	sps := Load(Param("sps"), GP64())
	LEAQ(Mem{Base: src, Index: sps, Scale: 4}, src)
	DECQ(planes)
	JNZ(LabelRef(name + "_plane"))
	VZEROUPPER()
	RET()
}

// copyNT emits copyNT{suffix}: the lines·16 values of src copied to dst,
// whose 64-byte lines are whole and aligned, with non-temporal stores
// (VMOVNTPS, w lanes a register), src read unaligned.
func copyNT(suffix string, w int) {
	name := "copyNT" + suffix
	TEXT(name, NOSPLIT, "func(dst, src *float32, lines int)")
	Doc(name+" copies lines·16 values from src to dst (lines ≥ 1, dst 64-byte",
		"aligned) with non-temporal stores; see CopyNT.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	lines := Load(Param("lines"), GP64())
	regs := 16 / w
	Label(name + "_line")
	for r := 0; r < regs; r++ {
		var v VecPhysical = Z0
		if w == 8 {
			v = Y0
		}
		m := Mem{Base: src, Disp: 4 * w * r}
		VMOVUPS(m, v)
		VMOVNTPS(v, Mem{Base: dst, Disp: 4 * w * r})
	}
	ADDQ(U8(64), src)
	ADDQ(U8(64), dst)
	DECQ(lines)
	JNZ(LabelRef(name + "_line"))
	VZEROUPPER()
	RET()
}

// storeFence emits storeFenceAsm: SFENCE, which orders the non-temporal
// stores before it before every store after it.
func storeFence() {
	TEXT("storeFenceAsm", NOSPLIT, "func()")
	Doc("storeFenceAsm is SFENCE; see StoreFence.")
	SFENCE()
	RET()
}
