package main

import "fmt"

// biasActRows emits biasActRowsNEON: BiasActRows's contract
// (engine_epilogue.go) on NEON, 16 values a step, then 4, then one: for
// each row, dst = (src + b) + res, then max(·, 0) when relu (FMAX: NaN
// stays NaN), the portable twin's operations in its order.
func (e *emitter) biasActRows() {
	const sig = "(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, rows, n int, b float32, relu int)"
	e.engineFunc("biasActRowsNEON", sig, 80, "biasActRowsNEON computes BiasActRows (engine_epilogue.go) with NEON: rows\nrows of n values; res may be nil, relu is 0 or 1.", func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tldd+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tsrc+16(FP), R2")
		e.ins("MOVD\tlds+24(FP), R3")
		e.ins("LSL\t$2, R3")
		e.ins("MOVD\tres+32(FP), R4")
		e.ins("MOVD\tldr+40(FP), R5")
		e.ins("LSL\t$2, R5")
		e.ins("MOVD\trows+48(FP), R6")
		e.ins("MOVD\tn+56(FP), R7")
		e.ins("FMOVS\tb+64(FP), F31")
		e.ins("VDUP\tV31.S[0], V29.S4")
		e.ins("MOVD\trelu+72(FP), R8")
		e.ins("VEOR\tV30.B16, V30.B16, V30.B16")
		e.ins("CBZ\tR6, done")
		e.label("row")
		e.ins("MOVD\tR0, R9")
		e.ins("MOVD\tR2, R10")
		e.ins("MOVD\tR4, R11")
		e.ins("MOVD\tR7, R12")
		// body emits one step of w vectors (w = 4 or 1) from src at R10
		// (res at R11) into dst at R9, each post-incremented.
		body := func(w int, sfx string) {
			regs := func(v int) string { return regsN(v, w) }
			e.ins("VLD1.P\t%d(R10), %s", 16*w, regs(0))
			e.epilogue(sfx, seq(0, w), same(29, w), "R4", []string{fmt.Sprintf("VLD1.P\t%d(R11), %s", 16*w, regs(4))},
				seq(4, w), "R8", 30, fmt.Sprintf("VST1.P\t%s, %d(R9)", regs(0), 16*w))
		}
		e.label("loop16")
		e.ins("CMP\t$16, R12")
		e.ins("BLT\tloop4")
		body(4, "16")
		e.ins("SUB\t$16, R12")
		e.ins("B\tloop16")
		e.label("loop4")
		e.ins("CMP\t$4, R12")
		e.ins("BLT\tloop1")
		body(1, "4")
		e.ins("SUB\t$4, R12")
		e.ins("B\tloop4")
		e.label("loop1")
		e.ins("CBZ\tR12, next")
		e.ins("FMOVS.P\t4(R10), F0")
		e.ins("FADDS\tF31, F0, F0")
		e.ins("CBZ\tR4, nores1")
		e.ins("FMOVS.P\t4(R11), F4")
		e.ins("FADDS\tF4, F0, F0")
		e.label("nores1")
		e.ins("CBZ\tR8, store1")
		e.ins("FMAXS\tF30, F0, F0")
		e.label("store1")
		e.ins("FMOVS.P\tF0, 4(R9)")
		e.ins("SUB\t$1, R12")
		e.ins("B\tloop1")
		e.label("next")
		e.ins("ADD\tR1, R0")
		e.ins("ADD\tR3, R2")
		e.ins("CBZ\tR4, nores")
		e.ins("ADD\tR5, R4")
		e.label("nores")
		e.countDown("R6", "row")
		e.done()
	})
}

// transposeBiasAct emits transposeBiasActNEON: TransposeBiasAct's
// contract (engine_epilogue.go) for the first 4·iblocks rows and
// 4·oblocks columns of src, a 4×4 block at a time: four rows of src
// loaded, transposed with TRN1 and TRN2 (on words, then on doublewords),
// and each of the four channels' four positions stored with BiasAct's
// epilogue, its residual read just before (res may be dst itself).
func (e *emitter) transposeBiasAct() {
	const sig = "(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, bias *float32, iblocks, oblocks int, relu int)"
	e.engineFunc("transposeBiasActNEON", sig, 80, "transposeBiasActNEON computes TransposeBiasAct (engine_epilogue.go) with NEON\nfor 4·iblocks rows and 4·oblocks columns of src; res may be nil, relu is 0 or\n1.", func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tldd+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tsrc+16(FP), R2")
		e.ins("MOVD\tlds+24(FP), R3")
		e.ins("LSL\t$2, R3")
		e.ins("MOVD\tres+32(FP), R4")
		e.ins("MOVD\tldr+40(FP), R5")
		e.ins("LSL\t$2, R5")
		e.ins("MOVD\tbias+48(FP), R6")
		e.ins("MOVD\tiblocks+56(FP), R7")
		e.ins("MOVD\toblocks+64(FP), R8")
		e.ins("MOVD\trelu+72(FP), R9")
		e.ins("VEOR\tV31.B16, V31.B16, V31.B16")
		e.ins("CBZ\tR7, done")
		e.ins("CBZ\tR8, done")
		e.label("oblock")
		e.ins("// Channels o…o+3: their bias, rows of dst (and res), and src's columns.")
		for k := 0; k < 4; k++ {
			e.ins("VLD1R.P\t4(R6), [V%d.S4]", 16+k)
		}
		e.ins("MOVD\tR0, R10")
		e.ins("ADD\tR1, R10, R11")
		e.ins("ADD\tR1, R11, R12")
		e.ins("ADD\tR1, R12, R13")
		e.ins("MOVD\tR4, R14")
		e.ins("ADD\tR5, R14, R15")
		e.ins("ADD\tR5, R15, R16")
		e.ins("ADD\tR5, R16, R17")
		e.ins("MOVD\tR2, R19")
		e.ins("MOVD\tR7, R20")
		e.label("iblock")
		e.ins("MOVD\tR19, R21")
		for k := 0; k < 4; k++ {
			e.ins("VLD1\t(R21), [V%d.S4]", k)
			if k < 3 {
				e.ins("ADD\tR3, R21, R21")
			}
		}
		e.trn4x4()
		var loads, stores []string
		for k := 0; k < 4; k++ {
			loads = append(loads, fmt.Sprintf("VLD1.P\t16(R%d), [V%d.S4]", 14+k, 8+k))
			stores = append(stores, fmt.Sprintf("VST1.P\t[V%d.S4], 16(R%d)", k, 10+k))
		}
		e.epilogue("", seq(0, 4), seq(16, 4), "R4", loads, seq(8, 4), "R9", 31, stores...)
		e.ins("ADD\tR3<<2, R19, R19")
		e.countDown("R20", "iblock")
		e.ins("ADD\tR1<<2, R0, R0")
		e.ins("CBZ\tR4, nextres")
		e.ins("ADD\tR5<<2, R4, R4")
		e.label("nextres")
		e.ins("ADD\t$16, R2")
		e.countDown("R8", "oblock")
		e.done()
	})
}

// transposeBlocks emits transposeBlocksNEON: packTranspose's contract
// (gemm.go) for 4×4 blocks: 4 rows of src (lds bytes apart), blocks
// blocks of 4 columns side by side, each transposed with TRN1/TRN2 into 4
// rows of 4 values of dst (ldd bytes apart), block b from row 4b.
func (e *emitter) transposeBlocks() {
	const sig = "(dst *float32, ldd int, src *float32, lds int, blocks int)"
	e.engineFunc("transposeBlocksNEON", sig, 40, "transposeBlocksNEON stores the transposes of blocks 4×4 blocks of src side by\nside into dst (packTranspose, gemm.go, with w = 4); ldd and lds are in bytes.", func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tldd+8(FP), R1")
		e.ins("MOVD\tsrc+16(FP), R2")
		e.ins("MOVD\tlds+24(FP), R3")
		e.ins("MOVD\tblocks+32(FP), R4")
		e.ins("ADD\tR3, R2, R5")
		e.ins("ADD\tR3, R5, R6")
		e.ins("ADD\tR3, R6, R7")
		e.ins("CBZ\tR4, done")
		e.label("loop")
		for i, r := range []int{2, 5, 6, 7} { // src's rows
			e.ins("VLD1.P\t16(R%d), [V%d.S4]", r, i)
		}
		e.trn4x4()
		for q := 0; q < 4; q++ {
			e.ins("VST1.P\t[V%d.S4], (R0)(R1)", q)
		}
		e.countDown("R4", "loop")
		e.done()
	})
}

// trn4x4 transposes the 4×4 block in V0–V3 (row i in V(i)) in place,
// through V4–V7.
func (e *emitter) trn4x4() {
	e.ins("VTRN1\tV1.S4, V0.S4, V4.S4")
	e.ins("VTRN2\tV1.S4, V0.S4, V5.S4")
	e.ins("VTRN1\tV3.S4, V2.S4, V6.S4")
	e.ins("VTRN2\tV3.S4, V2.S4, V7.S4")
	e.ins("VTRN1\tV6.D2, V4.D2, V0.D2")
	e.ins("VTRN1\tV7.D2, V5.D2, V1.D2")
	e.ins("VTRN2\tV6.D2, V4.D2, V2.D2")
	e.ins("VTRN2\tV7.D2, V5.D2, V3.D2")
}
