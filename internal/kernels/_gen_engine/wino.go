package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// winoTransforms emits the Winograd F(2×2, 3×3) transforms, 16 tiles a
// zmm register, and the permutation tables they use.
func winoTransforms() {
	even := GLOBL("winoEven", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i))
	}
	odd := GLOBL("winoOdd", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(2*i+1))
	}
	lo := GLOBL("winoZipLo", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(i/2+16*(i%2)))
	}
	hi := GLOBL("winoZipHi", RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(8+i/2+16*(i%2)))
	}
	winoInput(even, odd)
	winoOutput(lo, hi)
}

// regs hands out zmm registers by name, so that the transforms can
// compute in place without tracking physical registers by hand.
type regs struct{ free []VecPhysical }

func newRegs(from, to int) *regs { return &regs{free: append([]VecPhysical(nil), zmm[from:to]...)} }

func (r *regs) get() VecPhysical {
	v := r.free[0]
	r.free = r.free[1:]
	return v
}

func (r *regs) put(v ...VecPhysical) { r.free = append(r.free, v...) }

// winoInput emits winoInputAVX512: full groups of 16 tiles, then one
// masked group of tail tiles.
func winoInput(even, odd Mem) {
	TEXT("winoInputAVX512", NOSPLIT, "func(v *float32, ldv int, x *float32, wq int, full int, tail int, masks uint64)")
	Doc("winoInputAVX512 is WinoInput for full·16 + tail tiles (tail < 16), with the",
		"masks of the tail group's loads of each input row (floats 0–15, 16–31,",
		"2–17 and 18–33 from the group's first, 16 bits each, low first): see",
		"winoInputGeneric.")
	Pragma("noescape")
	v := Load(Param("v"), GP64())
	ldv := Load(Param("ldv"), GP64())
	SHLQ(U8(2), ldv)
	x := Load(Param("x"), GP64())
	wq := Load(Param("wq"), GP64())
	SHLQ(U8(2), wq)
	full := Load(Param("full"), GP64())
	ldv3 := GP64()
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 2}, ldv3)
	masks := Load(Param("masks"), GP64()).(GPVirtual)
	for _, k := range []Op{K2, K3, K4, K5} {
		KMOVW(masks.As32(), k)
		SHRQ(U8(16), masks)
	}
	Comment("K1: the tail's tiles, (1<<tail) - 1.")
	tail := Load(Param("tail"), GP64())
	MOVQ(tail, RCX)
	t := GP32()
	MOVL(U32(1), t)
	SHLL(CL, t)
	DECL(t)
	KMOVW(t, K1)
	idxE, idxO := Z30, Z31
	VMOVUPS(even, idxE)
	VMOVUPS(odd, idxO)

	group := func(masked bool) {
		r := newRegs(0, 30)
		// d[row][q] = x[row·wq + 2·tile + q] for the 16 tiles.
		var d [4][4]VecPhysical
		row := GP64()
		for rr := 0; rr < 4; rr++ {
			var rowp Register = row
			switch rr {
			case 0:
				rowp = x
			case 1:
				LEAQ(Mem{Base: x, Index: wq, Scale: 1}, row)
			default:
				ADDQ(wq, row)
			}
			a0, a1, b0, b1 := r.get(), r.get(), r.get(), r.get()
			for i, p := range []struct {
				reg  VecPhysical
				disp int
				k    VecPhysical
			}{{a0, 0, nil}, {a1, 64, nil}, {b0, 8, nil}, {b1, 72, nil}} {
				m := Mem{Base: rowp, Disp: p.disp}
				if masked {
					VMOVUPS_Z(m, []Op{K2, K3, K4, K5}[i], p.reg)
				} else {
					VMOVUPS(m, p.reg)
				}
			}
			for q, src := range [4][2]VecPhysical{{a0, a1}, {a0, a1}, {b0, b1}, {b0, b1}} {
				d[rr][q] = r.get()
				if q%2 == 0 {
					VMOVAPS(idxE, d[rr][q])
				} else {
					VMOVAPS(idxO, d[rr][q])
				}
				VPERMI2PS(src[1], src[0], d[rr][q])
			}
			r.put(a0, a1, b0, b1)
		}
		// Bᵀ d: e[0] = d0 − d2, e[1] = d1 + d2, e[2] = d2 − d1, e[3] = d1 − d3.
		var e [4][4]VecPhysical
		for q := 0; q < 4; q++ {
			d0, d1, d2, d3 := d[0][q], d[1][q], d[2][q], d[3][q]
			e1 := r.get()
			VSUBPS(d2, d0, d0) // e0
			VADDPS(d2, d1, e1)
			VSUBPS(d1, d2, d2) // e2
			VSUBPS(d3, d1, d3) // e3
			r.put(d1)
			e[0][q], e[1][q], e[2][q], e[3][q] = d0, e1, d2, d3
		}
		// (Bᵀ d) B, row by row, stored to planes ξ = 4·row + q in order:
		// plane ξ is at pb + (ξ%3)·ldv, pb = v + (ξ/3)·3·ldv.
		pb := GP64()
		MOVQ(v, pb)
		for rr := 0; rr < 4; rr++ {
			e0, e1, e2, e3 := e[rr][0], e[rr][1], e[rr][2], e[rr][3]
			o1 := r.get()
			VSUBPS(e2, e0, e0)
			VADDPS(e2, e1, o1)
			VSUBPS(e1, e2, e2)
			VSUBPS(e3, e1, e3)
			for q, o := range []VecPhysical{e0, o1, e2, e3} {
				xi := 4*rr + q
				if xi > 0 && xi%3 == 0 {
					ADDQ(ldv3, pb)
				}
				m := Mem{Base: pb}
				if xi%3 != 0 {
					m.Index, m.Scale = ldv, uint8(xi%3)
				}
				if masked {
					VMOVUPS(o, K1, m)
				} else {
					VMOVUPS(o, m)
				}
			}
			r.put(e0, o1, e2, e3, e1)
		}
	}

	TESTQ(full, full)
	JZ(LabelRef("winoInput_tail"))
	Label("winoInput_loop")
	group(false)
	ADDQ(U32(128), x)
	ADDQ(U32(64), v)
	DECQ(full)
	JNZ(LabelRef("winoInput_loop"))
	Label("winoInput_tail")
	TESTQ(tail, tail)
	JZ(LabelRef("winoInput_done"))
	group(true)
	Label("winoInput_done")
	VZEROUPPER()
	RET()
}

// winoOutput emits winoOutputAVX512: full groups of 16 tiles (32 output
// columns of each row), then one masked group.
func winoOutput(lo, hi Mem) {
	TEXT("winoOutputAVX512", NOSPLIT, "func(y *float32, ldy int, m *float32, ldm int, full int, tail int, smask uint32, rows int, bias float32, res *float32, relu int)")
	Doc("winoOutputAVX512 is WinoOutput for full·16 + tail tiles (tail ≤ 16) whose",
		"last group writes the output columns in smask: see winoOutputGeneric.")
	Pragma("noescape")
	y := Load(Param("y"), GP64())
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy)
	m := Load(Param("m"), GP64())
	ldm := Load(Param("ldm"), GP64())
	SHLQ(U8(2), ldm)
	ldm3 := GP64()
	LEAQ(Mem{Base: ldm, Index: ldm, Scale: 2}, ldm3)
	full := Load(Param("full"), GP64())
	res := Load(Param("res"), GP64())
	smask := Load(Param("smask"), GP32())
	KMOVW(smask, K2)
	SHRL(U8(16), smask)
	KMOVW(smask, K3)
	tail := Load(Param("tail"), GP64())
	MOVQ(tail, RCX)
	t := GP32()
	MOVL(U32(1), t)
	SHLL(CL, t)
	DECL(t)
	KMOVW(t, K1)
	biasP, err := Param("bias").Resolve()
	if err != nil {
		panic(err)
	}
	vb, zero, zlo, zhi := Z28, Z29, Z30, Z31
	VBROADCASTSS(biasP.Addr, vb)
	VXORPS(zero, zero, zero)
	VMOVUPS(lo, zlo)
	VMOVUPS(hi, zhi)
	reluP, err := Param("relu").Resolve()
	if err != nil {
		panic(err)
	}
	rowsP, err := Param("rows").Resolve()
	if err != nil {
		panic(err)
	}
	resP, err := Param("res").Resolve()
	if err != nil {
		panic(err)
	}

	n := 0
	group := func(masked bool) {
		n++
		lbl := func(s string) string { return "winoOutput_" + s + string(rune('0'+n)) }
		r := newRegs(0, 28)
		// a_ξ for the 16 tiles, in order: plane ξ is at pb + (ξ%3)·ldm,
		// pb = m + (ξ/3)·3·ldm.
		var a [16]VecPhysical
		pb := GP64()
		MOVQ(m, pb)
		for xi := range a {
			if xi > 0 && xi%3 == 0 {
				ADDQ(ldm3, pb)
			}
			mm := Mem{Base: pb}
			if xi%3 != 0 {
				mm.Index, mm.Scale = ldm, uint8(xi%3)
			}
			a[xi] = r.get()
			if masked {
				VMOVUPS_Z(mm, K1, a[xi])
			} else {
				VMOVUPS(mm, a[xi])
			}
		}
		// p[0][q] = (a_q + a_{4+q}) + a_{8+q}; p[1][q] = (a_{4+q} − a_{8+q}) − a_{12+q}.
		var p [2][4]VecPhysical
		for q := 0; q < 4; q++ {
			a0, a1, a2, a3 := a[q], a[4+q], a[8+q], a[12+q]
			VADDPS(a1, a0, a0)
			VADDPS(a2, a0, a0)
			VSUBPS(a2, a1, a1)
			VSUBPS(a3, a1, a1)
			p[0][q], p[1][q] = a0, a1
			r.put(a2, a3)
		}
		for row := 0; row < 2; row++ {
			if row == 1 {
				CMPQ(rowsP.Addr, U8(2))
				JL(LabelRef(lbl("end")))
			}
			q0, q1, q2, q3 := p[row][0], p[row][1], p[row][2], p[row][3]
			y0, y1 := r.get(), r.get()
			VADDPS(q1, q0, y0)
			VADDPS(q2, y0, y0)
			VSUBPS(q2, q1, y1)
			VSUBPS(q3, y1, y1)
			VADDPS(vb, y0, y0)
			VADDPS(vb, y1, y1)
			// Interleave: columns 2t (y0) and 2t+1 (y1).
			outs := [2]VecPhysical{r.get(), r.get()}
			VMOVAPS(zlo, outs[0])
			VPERMI2PS(y1, y0, outs[0])
			VMOVAPS(zhi, outs[1])
			VPERMI2PS(y1, y0, outs[1])
			rowY, rowR := Mem{Base: y}, Mem{Base: res}
			if row == 1 {
				rowY.Index, rowY.Scale = ldy, 1
				rowR.Index, rowR.Scale = ldy, 1
			}
			CMPQ(resP.Addr, U8(0))
			JE(LabelRef(lbl("nores") + string(rune('a'+row))))
			for h, o := range outs {
				mr := rowR
				mr.Disp = 64 * h
				if masked {
					tmp := r.get()
					VMOVUPS_Z(mr, []Op{K2, K3}[h], tmp)
					VADDPS(tmp, o, o)
					r.put(tmp)
				} else {
					VADDPS(mr, o, o)
				}
			}
			Label(lbl("nores") + string(rune('a'+row)))
			CMPQ(reluP.Addr, U8(0))
			JE(LabelRef(lbl("norelu") + string(rune('a'+row))))
			for _, o := range outs {
				// VMAXPS returns its first Go operand when either is NaN.
				VMAXPS(o, zero, o)
			}
			Label(lbl("norelu") + string(rune('a'+row)))
			for h, o := range outs {
				my := rowY
				my.Disp = 64 * h
				if masked {
					VMOVUPS(o, []Op{K2, K3}[h], my)
				} else {
					VMOVUPS(o, my)
				}
			}
			r.put(y0, y1, outs[0], outs[1])
		}
		Label(lbl("end"))
	}

	TESTQ(full, full)
	JZ(LabelRef("winoOutput_tail"))
	Label("winoOutput_loop")
	group(false)
	ADDQ(U32(128), y)
	ADDQ(U32(128), res)
	ADDQ(U32(64), m)
	DECQ(full)
	JNZ(LabelRef("winoOutput_loop"))
	Label("winoOutput_tail")
	TESTQ(tail, tail)
	JZ(LabelRef("winoOutput_done"))
	group(true)
	Label("winoOutput_done")
	VZEROUPPER()
	RET()
}
