package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// wino4TransformsAVX2 emits the AVX2 F(4×4, 3×3) transforms, 8 tiles a
// ymm register, with their constants (8 copies each of 2, 4 and 8, read
// as memory operands of the fused multiply-adds: exact products, as in
// the AVX-512 transforms) and a table of 32 int32 −1 then 32 zeros, whose
// 8 (or 4) values from index 32 − n + o are the VMASKMOVPS mask of the
// lanes o + i < n.
func wino4TransformsAVX2() {
	consts := GLOBL("wino4ConstsAVX2", RODATA|NOPTR)
	for i, c := range []float32{2, 4, 8} {
		for j := 0; j < 8; j++ {
			DATA(32*i+4*j, U32(math.Float32bits(c)))
		}
	}
	lanes := GLOBL("wino4Lanes", RODATA|NOPTR)
	for i := 0; i < 64; i++ {
		v := uint32(0)
		if i < 32 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	c2, c4, c8 := consts.Offset(0), consts.Offset(32), consts.Offset(64)
	wino4InputAVX2(lanes, c2, c4)
	wino4OutputAVX2(lanes, c2, c4, c8)
}

// transpose4 emits the 4×4 transposes within each 128-bit half of a, b,
// c and d (a row of four floats each) and returns the columns; the
// inputs go back to r.
func transpose4(r *regs, a, b, c, d VecPhysical) [4]VecPhysical {
	ab0, ab1, cd0, cd1 := r.get(), r.get(), r.get(), r.get()
	VUNPCKLPS(b, a, ab0) // a0 b0 a1 b1
	VUNPCKHPS(b, a, ab1) // a2 b2 a3 b3
	VUNPCKLPS(d, c, cd0) // c0 d0 c1 d1
	VUNPCKHPS(d, c, cd1) // c2 d2 c3 d3
	VSHUFPS(U8(0x44), cd0, ab0, a)
	VSHUFPS(U8(0xee), cd0, ab0, b)
	VSHUFPS(U8(0x44), cd1, ab1, c)
	VSHUFPS(U8(0xee), cd1, ab1, d)
	r.put(ab0, ab1, cd0, cd1)
	return [4]VecPhysical{a, b, c, d}
}

// wino4InputAVX2 emits wino4InputAVX2: full groups of 8 tiles, then one
// group of tail tiles whose loads and stores use VMASKMOVPS. Each of a
// group's six input rows is loaded as five registers of two 4-float
// pieces, [x0–3 | x16–19], [x4–7 | x20–23], [x8–11 | x24–27],
// [x12–15 | x28–31] and [x16–19 | x32 x33 0 0]; a 4×4 transpose within each
// half of the first four gives the columns d0…d3 of the 8 tiles, and of
// the last four (the first two columns) d4 and d5, which are d0 and d1 a
// tile on. The rows' (d B) go to a scratch on the stack, and the column
// pass reads them back and writes Bᵀ (d B) to v's planes.
func wino4InputAVX2(lanes, c2, c4 Mem) {
	TEXT("wino4InputAVX2", 0, "func(v *float32, ldv int, x *float32, wq int, full int, tail int)")
	Doc("wino4InputAVX2 is Wino4Input for full·8 + tail tiles (tail < 8): see",
		"wino4InputGeneric.")
	Pragma("noescape")
	v := Load(Param("v"), GP64())
	ldv := Load(Param("ldv"), GP64())
	SHLQ(U8(2), ldv)
	ldv3, ldv6, ldv18 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 2}, ldv3)
	LEAQ(Mem{Base: ldv3, Index: ldv3, Scale: 1}, ldv6)
	LEAQ(Mem{Base: ldv6, Index: ldv6, Scale: 2}, ldv18)
	x := Load(Param("x"), GP64())
	wq := Load(Param("wq"), GP64())
	SHLQ(U8(2), wq)
	full := Load(Param("full"), GP64())
	tail := Load(Param("tail"), GP64())
	local := AllocLocal(36*32 + 32)
	scratch := GP64()
	LEAQ(local.Offset(31), scratch)
	ANDQ(I32(-32), scratch)
	rowp, base := GP64(), GP64()
	colPl := planes{GP64(), GP64(), ldv6, ldv18}
	// In the tail group: lp = lanes + 4·(32 − need), need = 4·tail + 2
	// floats of each row; sp = lanes + 4·(32 − tail), the tail's tiles.
	lp, sp := GP64(), GP64()

	group := func(masked bool) {
		r := newYRegs()
		var sm VecPhysical
		if masked {
			sm = r.get()
			VMOVUPS(Mem{Base: sp}, sm)
		}
		piece := func(dst VecPhysical, o, half int) {
			m := Mem{Base: rowp, Disp: 4 * o}
			if !masked {
				switch {
				case half == 0:
					VMOVUPS(m, dst.AsX())
				case o == 32:
					// x32 and x33 only: x34 may lie past x's end.
					t := r.get()
					VMOVSD(m, t.AsX())
					VINSERTF128(U8(1), t.AsX(), dst, dst)
					r.put(t)
				default:
					VINSERTF128(U8(1), m, dst, dst)
				}
				return
			}
			mk := r.get()
			VMOVUPS(Mem{Base: lp, Disp: 4 * o}, mk.AsX())
			if half == 0 {
				VMASKMOVPS(m, mk.AsX(), dst.AsX())
			} else {
				VMASKMOVPS(m, mk.AsX(), mk.AsX())
				VINSERTF128(U8(1), mk.AsX(), dst, dst)
			}
			r.put(mk)
		}
		load := func(o int) VecPhysical {
			d := r.get()
			piece(d, o, 0)
			piece(d, o+16, 1)
			return d
		}
		MOVQ(x, rowp)
		for row := 0; row < 6; row++ {
			if row > 0 {
				ADDQ(wq, rowp)
			}
			var d [6]VecPhysical
			// d4, d5: columns 0 and 1 of the pieces from x4 on.
			b, c, dd, e := load(4), load(8), load(12), load(16)
			bc, de := r.get(), r.get()
			VUNPCKLPS(c, b, bc)  // x4 x8 x5 x9
			VUNPCKLPS(e, dd, de) // x12 x16 x13 x17
			VSHUFPS(U8(0x44), de, bc, e)
			VSHUFPS(U8(0xee), de, bc, bc)
			d[4], d[5] = e, bc
			r.put(de)
			a := load(0)
			cols := transpose4(r, a, b, c, dd)
			copy(d[:4], cols[:])
			o := bwd6(r, ymmFMA, d, c2, c4)
			for q, ov := range o {
				VMOVAPS(ov, Mem{Base: scratch, Disp: 32 * (6*row + q)})
			}
			r.put(o[:]...)
		}
		wino4InputColumns(r, ymmFMA, 32, scratch, v, base, ldv, colPl, c2, c4, func(o VecPhysical, m Mem) {
			if masked {
				VMASKMOVPS(o, sm, m)
			} else {
				VMOVUPS(o, m)
			}
		})
	}

	groupLoop("wino4InputAVX2", full, tail, func() {
		ADDQ(U32(128), x)
		ADDQ(U32(32), v)
	}, func() {
		t := GP64()
		MOVQ(U32(32), t)
		SUBQ(tail, t)
		LEAQ(lanes, lp)
		LEAQ(Mem{Base: lp, Index: t, Scale: 4}, sp)
		SHLQ(U8(2), tail)
		ADDQ(U8(2), tail)
		MOVQ(U32(32), t)
		SUBQ(tail, t)
		LEAQ(Mem{Base: lp, Index: t, Scale: 4}, lp)
	}, group)
}

// wino4OutputAVX2 emits wino4OutputAVX2: full groups of 8 tiles (32
// output columns of each row), then one group whose loads and stores use
// VMASKMOVPS. The column pass (Aᵀ M) writes its 24 results to a scratch
// on the stack; each output row then reads its six back, transforms them
// into the four columns of the 8 tiles, adds the bias and interleaves
// them (4×4 transposes within the halves, then VPERM2F128) into 32
// consecutive outputs.
func wino4OutputAVX2(lanes, c2, c4, c8 Mem) {
	TEXT("wino4OutputAVX2", 0, "func(y *float32, ldy int, m *float32, ldm int, full int, tail int, cols int, rows int, bias float32, res *float32, relu int)")
	Doc("wino4OutputAVX2 is Wino4Output for full·8 + tail tiles (tail ≤ 8) whose last",
		"group writes cols output columns: see wino4OutputGeneric.")
	Pragma("noescape")
	y := Load(Param("y"), GP64())
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy)
	ldy3 := GP64()
	LEAQ(Mem{Base: ldy, Index: ldy, Scale: 2}, ldy3)
	m := Load(Param("m"), GP64())
	ldm := Load(Param("ldm"), GP64())
	SHLQ(U8(2), ldm)
	ldm6, ldm18 := GP64(), GP64()
	LEAQ(Mem{Base: ldm, Index: ldm, Scale: 2}, ldm6)
	SHLQ(U8(1), ldm6)
	LEAQ(Mem{Base: ldm6, Index: ldm6, Scale: 2}, ldm18)
	full := Load(Param("full"), GP64())
	res := Load(Param("res"), GP64())
	local := AllocLocal(24*32 + 32)
	scratch := GP64()
	LEAQ(local.Offset(31), scratch)
	ANDQ(I32(-32), scratch)
	reluP, rowsP, resP, tailP, colsP := paramAddr("relu"), paramAddr("rows"), paramAddr("res"), paramAddr("tail"), paramAddr("cols")
	vb, zero := Y15, Y14
	VBROADCASTSS(paramAddr("bias"), vb)
	VXORPS(zero, zero, zero)
	base, lp := GP64(), GP64()
	pl := planes{GP64(), GP64(), ldm6, ldm18}

	n := 0
	group := func(masked bool) {
		n++
		lbl := func(s string, i int) string {
			return "wino4OutputAVX2_" + s + string(rune('0'+n)) + string(rune('a'+i))
		}
		r := &regs{free: append([]VecPhysical(nil), ymm[:14]...)}
		var tm VecPhysical
		if masked {
			Comment("The tail's tiles: wino4Lanes + 4·(32 − tail).")
			t := GP64()
			MOVQ(U32(32), t)
			SUBQ(tailP, t)
			LEAQ(lanes, lp)
			tm = r.get()
			VMOVUPS(Mem{Base: lp, Index: t, Scale: 4}, tm)
		}
		MOVQ(m, base)
		for q := 0; q < 6; q++ {
			if q > 0 {
				ADDQ(ldm, base)
			}
			pl.set(base)
			var a [6]VecPhysical
			for i := range a {
				a[i] = r.get()
				if masked {
					VMASKMOVPS(pl.at(i), tm, a[i])
				} else {
					VMOVUPS(pl.at(i), a[i])
				}
			}
			p := awd6(r, ymmFMA, a, c2, c4, c8)
			for i, pv := range p {
				VMOVAPS(pv, Mem{Base: scratch, Disp: 32 * (6*i + q)})
			}
			r.put(p[:]...)
		}
		if masked {
			r.put(tm)
			Comment("The columns written: wino4Lanes + 4·(32 − cols), 8 lanes a register.")
			t := GP64()
			MOVQ(U32(32), t)
			SUBQ(colsP, t)
			LEAQ(lanes, lp)
			LEAQ(Mem{Base: lp, Index: t, Scale: 4}, lp)
		}
		for row := 0; row < 4; row++ {
			if row > 0 {
				CMPQ(rowsP, U8(row+1))
				JL(LabelRef(lbl("end", 0)))
			}
			var a [6]VecPhysical
			for q := range a {
				a[q] = r.get()
				VMOVAPS(Mem{Base: scratch, Disp: 32 * (6*row + q)}, a[q])
			}
			yv := awd6(r, ymmFMA, a, c2, c4, c8)
			for _, v := range yv {
				VADDPS(vb, v, v)
			}
			// Tiles t and t+4 of each half, then the halves in order.
			tt := transpose4(r, yv[0], yv[1], yv[2], yv[3])
			var outs [4]VecPhysical
			for h := range outs {
				outs[h] = r.get()
			}
			VPERM2F128(U8(0x20), tt[1], tt[0], outs[0]) // tiles 0, 1
			VPERM2F128(U8(0x20), tt[3], tt[2], outs[1]) // tiles 2, 3
			VPERM2F128(U8(0x31), tt[1], tt[0], outs[2]) // tiles 4, 5
			VPERM2F128(U8(0x31), tt[3], tt[2], outs[3]) // tiles 6, 7
			r.put(tt[:]...)
			rowY, rowR := Mem{Base: y}, Mem{Base: res}
			switch row {
			case 1, 2:
				rowY.Index, rowY.Scale = ldy, uint8(row)
				rowR.Index, rowR.Scale = ldy, uint8(row)
			case 3:
				rowY.Index, rowY.Scale = ldy3, 1
				rowR.Index, rowR.Scale = ldy3, 1
			}
			mask := func(h int) VecPhysical {
				mk := r.get()
				VMOVUPS(Mem{Base: lp, Disp: 32 * h}, mk)
				return mk
			}
			CMPQ(resP, U8(0))
			JE(LabelRef(lbl("nores", row)))
			for h, o := range outs {
				mr := rowR
				mr.Disp = 32 * h
				if masked {
					mk := mask(h)
					VMASKMOVPS(mr, mk, mk)
					VADDPS(mk, o, o)
					r.put(mk)
				} else {
					VADDPS(mr, o, o)
				}
			}
			Label(lbl("nores", row))
			CMPQ(reluP, U8(0))
			JE(LabelRef(lbl("norelu", row)))
			for _, o := range outs {
				// VMAXPS returns its first Go operand when either is NaN.
				VMAXPS(o, zero, o)
			}
			Label(lbl("norelu", row))
			for h, o := range outs {
				my := rowY
				my.Disp = 32 * h
				if masked {
					mk := mask(h)
					VMASKMOVPS(o, mk, my)
					r.put(mk)
				} else {
					VMOVUPS(o, my)
				}
			}
			r.put(outs[:]...)
		}
		Label(lbl("end", 0))
	}

	groupLoop("wino4OutputAVX2", full, tailP, func() {
		ADDQ(U32(128), y)
		ADDQ(U32(128), res)
		ADDQ(U32(32), m)
	}, nil, group)
}
