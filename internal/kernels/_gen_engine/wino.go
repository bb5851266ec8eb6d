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
	wino4Transforms(even, odd, lo, hi)
	winoTransformsAVX2()
}

// groupLoop emits the driver of a transform that takes its tiles in
// groups: full unmasked groups (advance moves the pointers past one),
// then, unless no tiles are left (tail, a register or the parameter in
// memory, is 0), the masked group's setup
// (when not nil) and that group, and the return.
func groupLoop(name string, full Register, tail Op, advance, setup func(), group func(masked bool)) {
	TESTQ(full, full)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	group(false)
	advance()
	DECQ(full)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	CMPQ(tail, U8(0))
	JE(LabelRef(name + "_done"))
	if setup != nil {
		setup()
	}
	group(true)
	Label(name + "_done")
	VZEROUPPER()
	RET()
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
	spreadMasks("masks", K2, K3, K4, K5)
	Comment("K1: the tail's tiles, (1<<tail) - 1.")
	tail := Load(Param("tail"), GP64())
	lowMask(tail, K1)
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

	groupLoop("winoInput", full, tail, func() {
		ADDQ(U32(128), x)
		ADDQ(U32(64), v)
	}, nil, group)
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
	lowMask(tail, K1)
	vb, zero, zlo, zhi := Z28, Z29, Z30, Z31
	VBROADCASTSS(paramAddr("bias"), vb)
	VXORPS(zero, zero, zero)
	VMOVUPS(lo, zlo)
	VMOVUPS(hi, zhi)
	reluM, rowsM, resM := paramAddr("relu"), paramAddr("rows"), paramAddr("res")

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
				CMPQ(rowsM, U8(2))
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
			CMPQ(resM, U8(0))
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
			CMPQ(reluM, U8(0))
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

	groupLoop("winoOutput", full, tail, func() {
		ADDQ(U32(128), y)
		ADDQ(U32(128), res)
		ADDQ(U32(64), m)
	}, nil, group)
}

// newYRegs hands out the 16 ymm registers.
func newYRegs() *regs { return &regs{free: append([]VecPhysical(nil), ymm...)} }

// winoTransformsAVX2 emits the AVX2 transforms, 8 tiles a ymm register.
// They need no permutation tables: the even and odd columns come out of
// VSHUFPS once each half of a register holds the right 4 floats.
func winoTransformsAVX2() {
	lanes := lanesTable("winoLanes")
	winoInputAVX2(lanes)
	winoOutputAVX2(lanes)
	wino4TransformsAVX2()
}

// winoInputAVX2 emits winoInputAVX2: full groups of 8 tiles, then one
// group of tail tiles read and written with VMASKMOVPS. A row's 18 floats
// x0..x17 are loaded in halves as [x0–3 | x8–11] and [x4–7 | x12–15]
// (VSHUFPS of the two: the even columns x0, x2, …, x14, and the odd
// ones), and the same from x2. The rows of Bᵀ d are combined from these
// halves and then split into columns, in the portable twin's order: rows
// 0 and 2 first (row 0 of Bᵀ d is their difference), then row 1 (rows 1
// and 2), then row 3, so that at most three input rows are live.
func winoInputAVX2(lanes Mem) {
	TEXT("winoInputAVX2", NOSPLIT, "func(v *float32, ldv int, x *float32, wq int, full int, tail int)")
	Doc("winoInputAVX2 is WinoInput for full·8 + tail tiles (tail < 8): see",
		"winoInputGeneric.")
	Pragma("noescape")
	v := Load(Param("v"), GP64())
	ldv := Load(Param("ldv"), GP64())
	SHLQ(U8(2), ldv)
	ldv3, ldv4 := GP64(), GP64()
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 2}, ldv3)
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 1}, ldv4)
	SHLQ(U8(1), ldv4)
	x := Load(Param("x"), GP64())
	wq := Load(Param("wq"), GP64())
	SHLQ(U8(2), wq)
	full := Load(Param("full"), GP64())
	tail := Load(Param("tail"), GP64())
	// In the tail group: lp = lanes + 4·(16 − need), need = 2·tail + 2
	// floats of each row, and sm the mask of the tail's tiles.
	lp := GP64()
	sm := Y15

	group := func(masked bool) {
		r := newYRegs()
		if masked {
			r.free = r.free[:15]
		}
		rp, pr := GP64(), GP64()
		// loadRow returns row rr's (d B): f0 = d0 − d2, f1 = d1 + d2,
		// f2 = d2 − d1, f3 = d1 − d3.
		half := func(dst VecPhysical, disp int) {
			lo, hi := Mem{Base: rp, Disp: disp}, Mem{Base: rp, Disp: disp + 32}
			if !masked {
				VMOVUPS(lo, dst.AsX())
				VINSERTF128(U8(1), hi, dst, dst)
				return
			}
			mk, t := r.get(), r.get()
			VMOVUPS(Mem{Base: lp, Disp: disp}, mk.AsX())
			VMASKMOVPS(lo, mk.AsX(), dst.AsX())
			VMOVUPS(Mem{Base: lp, Disp: disp + 32}, mk.AsX())
			VMASKMOVPS(hi, mk.AsX(), t.AsX())
			VINSERTF128(U8(1), t.AsX(), dst, dst)
			r.put(mk, t)
		}
		// loadRow returns input row rr in halves: [x0–3 | x8–11],
		// [x4–7 | x12–15], [x2–5 | x10–13], [x6–9 | x14–17].
		loadRow := func(rr int) [4]VecPhysical {
			switch rr {
			case 0:
				MOVQ(x, rp)
			case 1:
				LEAQ(Mem{Base: x, Index: wq, Scale: 1}, rp)
			case 2:
				LEAQ(Mem{Base: x, Index: wq, Scale: 2}, rp)
			case 3:
				LEAQ(Mem{Base: x, Index: wq, Scale: 2}, rp)
				ADDQ(wq, rp)
			}
			var h [4]VecPhysical
			for i, disp := range []int{0, 16, 8, 24} {
				h[i] = r.get()
				half(h[i], disp)
			}
			return h
		}
		// emit takes row rr of Bᵀ d in halves (e = the same vertical
		// combination of the input rows' halves, as the shuffles only move
		// values), splits it into its columns e0..e3 and stores row rr of
		// (Bᵀ d) B: e0 − e2, e1 + e2, e2 − e1, e1 − e3, to planes 4·rr + q.
		emit := func(rr int, h [4]VecPhysical) {
			e0, e2 := r.get(), r.get()
			e1, e3 := h[0], h[2]
			VSHUFPS(U8(0x88), h[1], h[0], e0)
			VSHUFPS(U8(0xdd), h[1], h[0], e1)
			VSHUFPS(U8(0x88), h[3], h[2], e2)
			VSHUFPS(U8(0xdd), h[3], h[2], e3)
			r.put(h[1], h[3])
			VSUBPS(e2, e0, e0)
			VSUBPS(e3, e1, e3)
			t := r.get()
			VADDPS(e2, e1, t)
			VSUBPS(e1, e2, e2)
			r.put(e1)
			switch rr {
			case 0:
				MOVQ(v, pr)
			case 1:
				LEAQ(Mem{Base: v, Index: ldv4, Scale: 1}, pr)
			case 2:
				LEAQ(Mem{Base: v, Index: ldv4, Scale: 2}, pr)
			case 3:
				LEAQ(Mem{Base: v, Index: ldv4, Scale: 2}, pr)
				ADDQ(ldv4, pr)
			}
			for q, vv := range []VecPhysical{e0, t, e2, e3} {
				m := Mem{Base: pr}
				switch q {
				case 1, 2:
					m.Index, m.Scale = ldv, uint8(q)
				case 3:
					m.Index, m.Scale = ldv3, 1
				}
				if masked {
					VMASKMOVPS(vv, sm, m)
				} else {
					VMOVUPS(vv, m)
				}
			}
			r.put(e0, t, e2, e3)
		}
		// combine returns a op b for the four halves, into new registers.
		combine := func(op func(a, b, dst Op), a, b [4]VecPhysical) [4]VecPhysical {
			var o [4]VecPhysical
			for i := range o {
				o[i] = r.get()
				op(b[i], a[i], o[i])
			}
			return o
		}
		// Bᵀ d: e0 = d0 − d2, e1 = d1 + d2, e2 = d2 − d1, e3 = d1 − d3.
		d0, d2 := loadRow(0), loadRow(2)
		for i := range d0 {
			VSUBPS(d2[i], d0[i], d0[i])
		}
		emit(0, d0)
		d1 := loadRow(1)
		emit(1, combine(func(a, b, dst Op) { VADDPS(a, b, dst) }, d1, d2))
		for i := range d2 {
			VSUBPS(d1[i], d2[i], d2[i])
		}
		emit(2, d2)
		d3 := loadRow(3)
		for i := range d3 {
			VSUBPS(d3[i], d1[i], d3[i])
		}
		emit(3, d3)
		r.put(d1[:]...)
	}

	groupLoop("winoInputAVX2", full, tail, func() {
		ADDQ(U32(64), x)
		ADDQ(U32(32), v)
	}, func() {
		Comment("sm: lanes + 4·(16 − tail); lp: lanes + 4·(16 − need), need = 2·tail + 2.")
		t := GP64()
		MOVQ(U32(16), t)
		SUBQ(tail, t)
		LEAQ(lanes, lp)
		VMOVUPS(Mem{Base: lp, Index: t, Scale: 4}, sm)
		LEAQ(Mem{Base: t, Index: t, Scale: 1, Disp: -18}, t) // 2·(16 − tail) − 18 = 14 − 2·tail = 16 − need
		LEAQ(Mem{Base: lp, Index: t, Scale: 4}, lp)
	}, group)
}

// winoOutputAVX2 emits winoOutputAVX2: full groups of 8 tiles (16 output
// columns of each row), then one group of tail tiles whose loads and
// stores use VMASKMOVPS. The two output columns of each tile are zipped
// with VUNPCKLPS/VUNPCKHPS, which work within 128-bit halves, and put in
// order with VPERM2F128.
func winoOutputAVX2(lanes Mem) {
	TEXT("winoOutputAVX2", NOSPLIT, "func(y *float32, ldy int, m *float32, ldm int, full int, tail int, cols int, rows int, bias float32, res *float32, relu int)")
	Doc("winoOutputAVX2 is WinoOutput for full·8 + tail tiles (tail ≤ 8) whose last",
		"group writes cols output columns: see winoOutputGeneric.")
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
	lp := GP64()
	LEAQ(lanes, lp)
	vb, zero := Y15, Y14
	VBROADCASTSS(paramAddr("bias"), vb)
	VXORPS(zero, zero, zero)
	reluP, rowsP, resP, tailP, colsP := paramAddr("relu"), paramAddr("rows"), paramAddr("res"), paramAddr("tail"), paramAddr("cols")

	n := 0
	group := func(masked bool) {
		n++
		lbl := func(s string) string { return "winoOutputAVX2_" + s + string(rune('0'+n)) }
		r := &regs{free: append([]VecPhysical(nil), ymm[:14]...)}
		t := GP64()
		var tm VecPhysical
		if masked {
			Comment("The tail's tiles: lanes + 4·(16 − tail).")
			MOVQ(U32(16), t)
			SUBQ(tailP, t)
			tm = r.get()
			VMOVUPS(Mem{Base: lp, Index: t, Scale: 4}, tm)
		}
		// p[0][q] = (a_q + a_{4+q}) + a_{8+q}; p[1][q] = (a_{4+q} − a_{8+q}) − a_{12+q},
		// plane ξ at pb + (ξ%3)·ldm, pb = m + (ξ/3)·3·ldm.
		pb := GP64()
		load := func(xi int) VecPhysical {
			MOVQ(m, pb)
			for i := 0; i < xi/3; i++ {
				ADDQ(ldm3, pb)
			}
			mm := Mem{Base: pb}
			if xi%3 != 0 {
				mm.Index, mm.Scale = ldm, uint8(xi%3)
			}
			a := r.get()
			if masked {
				VMASKMOVPS(mm, tm, a)
			} else {
				VMOVUPS(mm, a)
			}
			return a
		}
		var p [2][4]VecPhysical
		for q := 0; q < 4; q++ {
			a0, a1, a2, a3 := load(q), load(4+q), load(8+q), load(12+q)
			VADDPS(a1, a0, a0)
			VADDPS(a2, a0, a0)
			VSUBPS(a2, a1, a1)
			VSUBPS(a3, a1, a1)
			p[0][q], p[1][q] = a0, a1
			r.put(a2, a3)
		}
		var ml, mh VecPhysical
		if masked {
			r.put(tm)
			Comment("The columns written: lanes + 4·(16 − cols) and 8 lanes on.")
			MOVQ(U32(16), t)
			SUBQ(colsP, t)
			ml, mh = r.get(), r.get()
			VMOVUPS(Mem{Base: lp, Index: t, Scale: 4}, ml)
			VMOVUPS(Mem{Base: lp, Index: t, Scale: 4, Disp: 32}, mh)
		}
		for row := 0; row < 2; row++ {
			sfx := string(rune('a' + row))
			if row == 1 {
				CMPQ(rowsP, U8(2))
				JL(LabelRef(lbl("end")))
			}
			q0, q1, q2, q3 := p[row][0], p[row][1], p[row][2], p[row][3]
			// Columns 2t (y0) and 2t+1 (y1) of the 8 tiles.
			y0, y1 := q0, q1
			VADDPS(q1, q0, y0)
			VADDPS(q2, y0, y0)
			VSUBPS(q2, q1, y1)
			VSUBPS(q3, y1, y1)
			r.put(q2, q3)
			VADDPS(vb, y0, y0)
			VADDPS(vb, y1, y1)
			lo, hi := r.get(), r.get()
			VUNPCKLPS(y1, y0, lo)
			VUNPCKHPS(y1, y0, hi)
			VPERM2F128(U8(0x20), hi, lo, y0)
			VPERM2F128(U8(0x31), hi, lo, y1)
			r.put(lo, hi)
			outs := [2]VecPhysical{y0, y1}
			rowY, rowR := Mem{Base: y}, Mem{Base: res}
			if row == 1 {
				rowY.Index, rowY.Scale = ldy, 1
				rowR.Index, rowR.Scale = ldy, 1
			}
			CMPQ(resP, U8(0))
			JE(LabelRef(lbl("nores") + sfx))
			for h, o := range outs {
				mr := rowR
				mr.Disp = 32 * h
				if masked {
					tmp := r.get()
					VMASKMOVPS(mr, []VecPhysical{ml, mh}[h], tmp)
					VADDPS(tmp, o, o)
					r.put(tmp)
				} else {
					VADDPS(mr, o, o)
				}
			}
			Label(lbl("nores") + sfx)
			CMPQ(reluP, U8(0))
			JE(LabelRef(lbl("norelu") + sfx))
			for _, o := range outs {
				// VMAXPS returns its first Go operand when either is NaN.
				VMAXPS(o, zero, o)
			}
			Label(lbl("norelu") + sfx)
			for h, o := range outs {
				my := rowY
				my.Disp = 32 * h
				if masked {
					VMASKMOVPS(o, []VecPhysical{ml, mh}[h], my)
				} else {
					VMOVUPS(o, my)
				}
			}
			r.put(y0, y1)
		}
		Label(lbl("end"))
	}

	groupLoop("winoOutputAVX2", full, tailP, func() {
		ADDQ(U32(64), y)
		ADDQ(U32(64), res)
		ADDQ(U32(32), m)
	}, nil, group)
}
