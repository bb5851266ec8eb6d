package main

import "fmt"

// convTile emits convTile{r}x{v}NEON: ConvGemm's implicit-GEMM tile
// (engine_conv.go) on NEON, r ≤ 6 rows of C by 4v columns (v ≤ 4), for
// nblk such blocks side by side: row p of B is at b + 4·offs[p] (+ the
// block's columns), each step of K loads its v vectors of it and
// broadcasts the r rows' values of A (LD1R, a row pointer each) into
// V28 or V29 in turn for r·v FMLA. C is written, or added to when acc.
func (e *emitter) convTile(r, v int) {
	name := fmt.Sprintf("convTile%dx%dNEON", r, v)
	const sig = "(k int, a *float32, lda int, b *float32, offs *int32, c *float32, ldc int, nblk int, acc int)"
	e.engineFunc(name, sig, 72, fmt.Sprintf("%s computes ConvGemm's tile (engine_conv.go) with NEON: %d rows by\n%d columns of C, nblk such blocks side by side; C is added to when acc is 1.", name, r, 4*v), func() {
		e.ins("MOVD\tk+0(FP), R0")
		e.ins("MOVD\ta+8(FP), R1")
		e.ins("MOVD\tlda+16(FP), R2")
		e.ins("LSL\t$2, R2")
		e.ins("MOVD\tb+24(FP), R3")
		e.ins("MOVD\toffs+32(FP), R4")
		e.ins("MOVD\tc+40(FP), R5")
		e.ins("MOVD\tldc+48(FP), R6")
		e.ins("LSL\t$2, R6")
		e.ins("MOVD\tnblk+56(FP), R7")
		e.ins("MOVD\tacc+64(FP), R8")
		e.ins("CBZ\tR7, done")
		e.ins("CBZ\tR0, done")
		row := func(i int) string { return fmt.Sprintf("R%d", 19+i) } // A's row i
		regs := func(base int) string { return regsN(base, v) }
		e.label("block")
		e.ins("MOVD\tR1, %s", row(0))
		for i := 1; i < r; i++ {
			e.ins("ADD\tR2, %s, %s", row(i-1), row(i))
		}
		e.ins("MOVD\tR4, R9")
		e.ins("MOVD\tR0, R10")
		for x := 0; x < r*v; x++ {
			e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", x, x, x)
		}
		e.label("step")
		e.ins("MOVWU.P\t4(R9), R11")
		e.ins("ADD\tR11<<2, R3, R11")
		e.ins("VLD1\t(R11), %s", regs(24))
		for i := 0; i < r; i++ {
			bc := 28 + i%2
			e.ins("VLD1R.P\t4(%s), [V%d.S4]", row(i), bc)
			for j := 0; j < v; j++ {
				e.ins("VFMLA\tV%d.S4, V%d.S4, V%d.S4", 24+j, bc, v*i+j)
			}
		}
		e.countDown("R10", "step")
		e.ins("MOVD\tR5, R12")
		for i := 0; i < r; i++ {
			e.ins("CBZ\tR8, store%d", i)
			e.ins("VLD1\t(R12), %s", regs(24))
			for j := 0; j < v; j++ {
				e.fadd(v*i+j, v*i+j, 24+j)
			}
			e.label(fmt.Sprintf("store%d", i))
			e.ins("VST1\t%s, (R12)", regs(v*i))
			if i < r-1 {
				e.ins("ADD\tR6, R12, R12")
			}
		}
		e.ins("ADD\t$%d, R3", 16*v)
		e.ins("ADD\t$%d, R5", 16*v)
		e.countDown("R7", "block")
		e.done()
	})
}

// convTileT emits convTileT{r}x{v}NEON: ConvGemmT's tile (engine_conv.go)
// on NEON, r ≤ 6 positions of an output row by 4v ≤ 16 channels, for nblk
// output rows (ldb apart in B, ldcq in C): each step of K loads the v
// vectors of row p of the transposed weights and broadcasts B at the r
// positions (row p's offset on), r·v FMLA.
func (e *emitter) convTileT(r, v int) {
	name := fmt.Sprintf("convTileT%dx%dNEON", r, v)
	const sig = "(k int, a *float32, lda int, b *float32, ldb int, offs *int32, c *float32, ldc int, ldcq int, nblk int)"
	e.engineFunc(name, sig, 80, fmt.Sprintf("%s computes nblk tiles of ConvGemmT (engine_conv.go) with NEON, %d\npositions by %d channels each, rows ldb apart in B and ldcq in C.", name, r, 4*v), func() {
		e.ins("MOVD\tk+0(FP), R0")
		e.ins("MOVD\ta+8(FP), R1")
		e.ins("MOVD\tlda+16(FP), R2")
		e.ins("LSL\t$2, R2")
		e.ins("MOVD\tb+24(FP), R3")
		e.ins("MOVD\tldb+32(FP), R4")
		e.ins("LSL\t$2, R4")
		e.ins("MOVD\toffs+40(FP), R5")
		e.ins("MOVD\tc+48(FP), R6")
		e.ins("MOVD\tldc+56(FP), R7")
		e.ins("LSL\t$2, R7")
		e.ins("MOVD\tldcq+64(FP), R8")
		e.ins("LSL\t$2, R8")
		e.ins("MOVD\tnblk+72(FP), R9")
		e.ins("CBZ\tR9, done")
		e.ins("CBZ\tR0, done")
		regs := func(base int) string { return regsN(base, v) }
		e.label("block")
		for x := 0; x < r*v; x++ {
			e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", x, x, x)
		}
		e.ins("MOVD\tR1, R10")
		e.ins("MOVD\tR5, R11")
		e.ins("MOVD\tR0, R12")
		e.label("step")
		e.ins("MOVWU.P\t4(R11), R13")
		e.ins("ADD\tR13<<2, R3, R13")
		e.ins("VLD1\t(R10), %s", regs(24))
		e.ins("ADD\tR2, R10, R10")
		for i := 0; i < r; i++ {
			bc := 28 + i%2
			e.ins("VLD1R.P\t4(R13), [V%d.S4]", bc)
			for j := 0; j < v; j++ {
				e.ins("VFMLA\tV%d.S4, V%d.S4, V%d.S4", 24+j, bc, v*i+j)
			}
		}
		e.countDown("R12", "step")
		e.ins("MOVD\tR6, R14")
		for i := 0; i < r; i++ {
			e.ins("VST1\t%s, (R14)", regs(v*i))
			if i < r-1 {
				e.ins("ADD\tR7, R14, R14")
			}
		}
		e.ins("ADD\tR4, R3, R3")
		e.ins("ADD\tR8, R6, R6")
		e.countDown("R9", "block")
		e.done()
	})
}
