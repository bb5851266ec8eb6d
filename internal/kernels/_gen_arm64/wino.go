package main

import "fmt"

// The Winograd F(2×2, 3×3) transforms on NEON: WinoInput's and
// WinoOutput's contracts (wino.go) for groups of 4 tiles, one a lane, the
// same operations in the same order as the portable twins, so that the
// results are the same bit for bit. The Go wrappers (wino_arm64.go) run
// the tiles past the last whole group on the twins.

const fsubEnc = 0x4ea0d400 // FSUB (vector), single precision

func (e *emitter) fsub(d, n, m int) { e.vec3("fsub", fsubEnc, d, n, m) }

// ext emits EXT Vd.16B, Vn.16B, Vm.16B, #4: lanes 1–3 of Vn, then lane 0
// of Vm.
func (e *emitter) ext4(d, n, m int) {
	e.ins("VEXT\t$4, V%d.B16, V%d.B16, V%d.B16", m, n, d)
}

// winoInput emits winoInputNEON(v, ldv, x, wq, groups): groups of 4 tiles
// from tile 0. Tile t's column q of input row r is x[r·wq + 2t + q]: LD2
// splits a row's 8 values from 2t0 into the even (q = 0) and odd (q = 1)
// columns of the group's tiles, and EXT moves each on by one value (the
// group's next two, loaded alone) for q = 2 and 3. d(r, q) is V(4r+q), Bᵀd
// V(16+4i+q), and the 16 results go back to V0–V15.
func (e *emitter) winoInput() {
	const sig = "(v *float32, ldv int, x *float32, wq int, groups int)"
	e.engineFunc("winoInputNEON", sig, 40, "winoInputNEON computes WinoInput's transform (wino.go) for groups·4 tiles,\nfour at a time, one a lane, in the portable twin's order.", func() {
		e.ins("MOVD\tv+0(FP), R0")
		e.ins("MOVD\tldv+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tx+16(FP), R2")
		e.ins("MOVD\twq+24(FP), R8")
		e.ins("LSL\t$2, R8")
		e.ins("ADD\tR8, R2, R3")
		e.ins("ADD\tR8, R3, R4")
		e.ins("ADD\tR8, R4, R5")
		e.ins("MOVD\tgroups+32(FP), R6")
		e.ins("CBZ\tR6, done")
		e.label("loop")
		for r := 0; r < 4; r++ {
			p := 2 + r
			e.ins("VLD2\t(R%d), [V%d.S4, V%d.S4]", p, 4*r, 4*r+1)
			e.ins("FMOVS\t32(R%d), F16", p)
			e.ins("FMOVS\t36(R%d), F17", p)
			e.ext4(4*r+2, 4*r, 16)
			e.ext4(4*r+3, 4*r+1, 17)
		}
		d := func(r, q int) int { return 4*r + q }
		ev := func(i, q int) int { return 16 + 4*i + q }
		e.ins("// Bᵀ d: rows.")
		for q := 0; q < 4; q++ {
			e.fsub(ev(0, q), d(0, q), d(2, q))
			e.fadd(ev(1, q), d(1, q), d(2, q))
			e.fsub(ev(2, q), d(2, q), d(1, q))
			e.fsub(ev(3, q), d(1, q), d(3, q))
		}
		e.ins("// (Bᵀ d) B: columns.")
		for i := 0; i < 4; i++ {
			e.fsub(4*i, ev(i, 0), ev(i, 2))
			e.fadd(4*i+1, ev(i, 1), ev(i, 2))
			e.fsub(4*i+2, ev(i, 2), ev(i, 1))
			e.fsub(4*i+3, ev(i, 1), ev(i, 3))
		}
		e.ins("MOVD\tR0, R7")
		for xi := 0; xi < 16; xi++ {
			e.ins("VST1.P\t[V%d.S4], (R7)(R1)", xi)
		}
		e.ins("ADD\t$16, R0")
		for p := 2; p < 6; p++ {
			e.ins("ADD\t$32, R%d", p)
		}
		e.countDown("R6", "loop")
		e.done()
	})
}

// winoOutput emits winoOutputNEON(y, ldy, m, ldm, groups, rows, bias,
// res, relu): groups of 4 tiles from tile 0, all 8 columns of each
// output row written (the wrapper leaves a last odd column to the twin).
// M_t[ξ] is loaded into V(ξ), Aᵀ M into V16–V23, an output row's even and
// odd columns into V24 and V25, stored interleaved by ST2.
func (e *emitter) winoOutput() {
	const sig = "(y *float32, ldy int, m *float32, ldm int, groups, rows int, bias float32, res *float32, relu int)"
	e.engineFunc("winoOutputNEON", sig, 72, "winoOutputNEON computes WinoOutput's transform and epilogue (wino.go) for\ngroups·4 tiles, four at a time, one a lane, all 2·4 columns of each of rows\n(1 or 2) output rows, in the portable twin's order; res may be nil, relu is 0\nor 1.", func() {
		e.ins("MOVD\ty+0(FP), R0")
		e.ins("MOVD\tldy+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tm+16(FP), R2")
		e.ins("MOVD\tldm+24(FP), R3")
		e.ins("LSL\t$2, R3")
		e.ins("MOVD\tgroups+32(FP), R4")
		e.ins("MOVD\trows+40(FP), R5")
		e.ins("FMOVS\tbias+48(FP), F30")
		e.ins("VDUP\tV30.S[0], V30.S4")
		e.ins("MOVD\tres+56(FP), R6")
		e.ins("MOVD\trelu+64(FP), R7")
		e.ins("VEOR\tV31.B16, V31.B16, V31.B16")
		e.ins("CBZ\tR4, done")
		e.label("loop")
		e.ins("MOVD\tR2, R8")
		for xi := 0; xi < 16; xi++ {
			e.ins("VLD1.P\t(R8)(R3), [V%d.S4]", xi)
		}
		p := func(r, q int) int { return 16 + 4*r + q }
		e.ins("// Aᵀ M: rows.")
		for q := 0; q < 4; q++ {
			e.fadd(p(0, q), q, 4+q)
			e.fadd(p(0, q), p(0, q), 8+q)
			e.fsub(p(1, q), 4+q, 8+q)
			e.fsub(p(1, q), p(1, q), 12+q)
		}
		for r := 0; r < 2; r++ {
			if r == 1 {
				e.ins("CMP\t$2, R5")
				e.ins("BNE\tnext")
			}
			yr, rr := "R0", "R6"
			if r == 1 {
				e.ins("ADD\tR1, R0, R9")
				e.ins("ADD\tR1, R6, R10")
				yr, rr = "R9", "R10"
			}
			e.ins("// Row %d: (Aᵀ M) A, the bias, the residual, ReLU.", r)
			e.fadd(24, p(r, 0), p(r, 1))
			e.fadd(24, 24, p(r, 2))
			e.fsub(25, p(r, 1), p(r, 2))
			e.fsub(25, 25, p(r, 3))
			e.epilogue(fmt.Sprint(r), seq(24, 2), same(30, 2), "R6", []string{fmt.Sprintf("VLD2\t(%s), [V26.S4, V27.S4]", rr)},
				seq(26, 2), "R7", 31, fmt.Sprintf("VST2\t[V24.S4, V25.S4], (%s)", yr))
		}
		e.label("next")
		e.ins("ADD\t$32, R0")
		e.ins("ADD\t$16, R2")
		e.ins("CBZ\tR6, nores")
		e.ins("ADD\t$32, R6")
		e.label("nores")
		e.countDown("R4", "loop")
		e.done()
	})
}

// The F(4×4, 3×3) transforms: wino4.go's bwd6 and awd6 one vector of 4
// tiles at a time, their products by 2, 4 and 8 (exact, so FMUL then
// FADD round as the twins' fused or separate operations do) by vectors of
// the constant. 36 (or 24) vectors of the first pass do not fit the
// registers beside the second's: they go through a scratch of 36 vectors
// on the caller's stack.

// consts fills V28, V29 and V30 with 2, 4 and 8 in every lane.
func (e *emitter) consts() {
	for i, bits := range []uint32{0x40000000, 0x40800000, 0x41000000} {
		e.ins("MOVW\t$0x%08x, R11", bits)
		e.ins("VDUP\tR11, V%d.S4", 28+i)
	}
}

// bwd6 emits o = Bᵀ·(d0 … d5) for d in V(d0)…V(d0+5), o into
// V(o0)…V(o0+5), with V12–V15 and V18 as temporaries (wino4.go's bwd6).
func (e *emitter) bwd6(d0, o0 int) {
	d := func(i int) int { return d0 + i }
	o := func(i int) int { return o0 + i }
	const c2, c4 = 28, 29
	e.fsub(14, d(4), d(2)) // t2
	e.fsub(15, d(3), d(1)) // t3
	e.fsub(18, d(0), d(2))
	e.fmul(18, 18, c4)
	e.fadd(o(0), 18, 14) // 4·(d0−d2) + t2
	e.fmul(18, d(2), c4)
	e.fsub(12, d(4), 18) // t0 = d4 − 4·d2
	e.fmul(18, d(1), c4)
	e.fsub(13, d(3), 18) // t1 = d3 − 4·d1
	e.fadd(o(1), 12, 13)
	e.fsub(o(2), 12, 13)
	e.fmul(18, 15, c2)
	e.fadd(o(3), 14, 18) // t2 + 2·t3
	e.fsub(o(4), 14, 18) // t2 − 2·t3
	e.fsub(o(5), d(5), d(3))
	e.fmul(18, 15, c4)
	e.fsub(o(5), o(5), 18) // (d5 − d3) − 4·t3
}

// awd6 emits y = Aᵀ·(m0 … m5) for m in V(m0)…V(m0+5), y into
// V(y0)…V(y0+3), with V11–V14 and V18 as temporaries (wino4.go's awd6).
func (e *emitter) awd6(m0, y0 int) {
	m := func(i int) int { return m0 + i }
	y := func(i int) int { return y0 + i }
	const c2, c4, c8 = 28, 29, 30
	e.fadd(11, m(1), m(2)) // a
	e.fsub(12, m(1), m(2)) // b
	e.fadd(13, m(3), m(4)) // c
	e.fsub(14, m(3), m(4)) // d
	e.fadd(y(0), m(0), 11)
	e.fadd(y(0), y(0), 13) // (m0 + a) + c
	e.fmul(18, 14, c2)
	e.fadd(y(1), 12, 18) // b + 2·d
	e.fmul(18, 13, c4)
	e.fadd(y(2), 11, 18) // a + 4·c
	e.fmul(18, 14, c8)
	e.fadd(y(3), 12, 18)
	e.fadd(y(3), y(3), m(5)) // (b + 8·d) + m5
}

// wino4Input emits wino4InputNEON(v, ldv, x, wq, groups, scratch): groups
// of 4 tiles from tile 0. Tile t's column q of input row r is
// x[r·wq + 4t + q]: LD4 splits a row's 16 values from 4t0 into columns
// 0–3 of the group's tiles, and EXT moves columns 0 and 1 on by one value
// (the group's next two, loaded alone) for 4 and 5. The rows' transforms
// (d B) go to the scratch, row r's column q at vector 6r+q; each column's
// transform then reads its six.
func (e *emitter) wino4Input() {
	const sig = "(v *float32, ldv int, x *float32, wq int, groups int, scratch *float32)"
	e.engineFunc("wino4InputNEON", sig, 48, "wino4InputNEON computes Wino4Input's transform (wino4.go) for groups·4 tiles,\nfour at a time, one a lane, in the portable twin's order; scratch holds 144\nfloats.", func() {
		e.ins("MOVD\tv+0(FP), R0")
		e.ins("MOVD\tldv+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tx+16(FP), R2")
		e.ins("MOVD\twq+24(FP), R8")
		e.ins("LSL\t$2, R8")
		e.ins("MOVD\tgroups+32(FP), R6")
		e.ins("MOVD\tscratch+40(FP), R7")
		e.ins("ADD\tR1, R1, R9")
		e.ins("ADD\tR1, R9, R9")
		e.ins("ADD\tR9, R9, R9 // 6·ldv bytes: from one of a column's results to the next")
		e.consts()
		e.ins("CBZ\tR6, done")
		e.label("loop")
		e.ins("MOVD\tR2, R3")
		for r := 0; r < 6; r++ {
			e.ins("VLD4\t(R3), [V0.S4, V1.S4, V2.S4, V3.S4]")
			e.ins("FMOVS\t64(R3), F16")
			e.ins("FMOVS\t68(R3), F17")
			e.ext4(4, 0, 16)
			e.ext4(5, 1, 17)
			if r < 5 {
				e.ins("ADD\tR8, R3, R3")
			}
			e.ins("// Row %d: d B.", r)
			e.bwd6(0, 6)
			for q := 0; q < 6; q++ {
				e.ins("FMOVQ\tF%d, %d(R7)", 6+q, 16*(6*r+q))
			}
		}
		e.ins("MOVD\tR0, R4")
		for q := 0; q < 6; q++ {
			e.ins("// Column %d: Bᵀ (d B).", q)
			for r := 0; r < 6; r++ {
				e.ins("FMOVQ\t%d(R7), F%d", 16*(6*r+q), r)
			}
			e.bwd6(0, 6)
			e.ins("MOVD\tR4, R5")
			for k := 0; k < 6; k++ {
				e.ins("VST1.P\t[V%d.S4], (R5)(R9)", 6+k)
			}
			if q < 5 {
				e.ins("ADD\tR1, R4, R4")
			}
		}
		e.ins("ADD\t$16, R0")
		e.ins("ADD\t$64, R2")
		e.countDown("R6", "loop")
		e.done()
	})
}

// wino4Output emits wino4OutputNEON(y, ldy, m, ldm, groups, rows, bias,
// res, relu, scratch): groups of 4 tiles from tile 0, all 16 columns of
// each of rows (1 to 4) output rows written. The columns' transforms
// (Aᵀ M) go to the scratch, row r's column q at vector 6r+q; each output
// row's then reads its six, and ST4 interleaves its 4 columns of the 4
// tiles into 16 consecutive outputs.
func (e *emitter) wino4Output() {
	const sig = "(y *float32, ldy int, m *float32, ldm int, groups, rows int, bias float32, res *float32, relu int, scratch *float32)"
	e.engineFunc("wino4OutputNEON", sig, 80, "wino4OutputNEON computes Wino4Output's transform and epilogue (wino4.go) for\ngroups·4 tiles, four at a time, one a lane, all 4·4 columns of each of rows\n(1 to 4) output rows, in the portable twin's order; res may be nil, relu is 0\nor 1, scratch holds 144 floats.", func() {
		e.ins("MOVD\ty+0(FP), R0")
		e.ins("MOVD\tldy+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tm+16(FP), R2")
		e.ins("MOVD\tldm+24(FP), R3")
		e.ins("LSL\t$2, R3")
		e.ins("MOVD\tgroups+32(FP), R4")
		e.ins("MOVD\trows+40(FP), R5")
		e.ins("FMOVS\tbias+48(FP), F31")
		e.ins("VDUP\tV31.S[0], V31.S4")
		e.ins("MOVD\tres+56(FP), R6")
		e.ins("MOVD\trelu+64(FP), R7")
		e.ins("MOVD\tscratch+72(FP), R8")
		e.ins("ADD\tR3, R3, R9")
		e.ins("ADD\tR3, R9, R9")
		e.ins("ADD\tR9, R9, R9 // 6·ldm bytes: from one of a column's inputs to the next")
		e.ins("VEOR\tV27.B16, V27.B16, V27.B16")
		e.consts()
		e.ins("CBZ\tR4, done")
		e.label("loop")
		e.ins("MOVD\tR2, R10")
		for q := 0; q < 6; q++ {
			e.ins("// Column %d: Aᵀ M.", q)
			e.ins("MOVD\tR10, R12")
			for k := 0; k < 6; k++ {
				e.ins("VLD1.P\t(R12)(R9), [V%d.S4]", k)
			}
			e.awd6(0, 6)
			for r := 0; r < 4; r++ {
				e.ins("FMOVQ\tF%d, %d(R8)", 6+r, 16*(6*r+q))
			}
			if q < 5 {
				e.ins("ADD\tR3, R10, R10")
			}
		}
		e.ins("MOVD\tR0, R13")
		e.ins("MOVD\tR6, R14")
		for r := 0; r < 4; r++ {
			if r > 0 {
				e.ins("CMP\t$%d, R5", r+1)
				e.ins("BLT\tnext")
				e.ins("ADD\tR1, R13, R13")
				e.ins("ADD\tR1, R14, R14")
			}
			e.ins("// Row %d: (Aᵀ M) A, the bias, the residual, ReLU.", r)
			for q := 0; q < 6; q++ {
				e.ins("FMOVQ\t%d(R8), F%d", 16*(6*r+q), q)
			}
			e.awd6(0, 6)
			e.epilogue(fmt.Sprint(r), seq(6, 4), same(31, 4), "R6", []string{"VLD4\t(R14), [V16.S4, V17.S4, V18.S4, V19.S4]"},
				seq(16, 4), "R7", 27, "VST4\t[V6.S4, V7.S4, V8.S4, V9.S4], (R13)")
		}
		e.label("next")
		e.ins("ADD\t$64, R0")
		e.ins("ADD\t$16, R2")
		e.ins("CBZ\tR6, nores")
		e.ins("ADD\t$64, R6")
		e.label("nores")
		e.countDown("R4", "loop")
		e.done()
	})
}
