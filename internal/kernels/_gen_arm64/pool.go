package main

// maxPoolRow emits maxPool3x3s2RowNEON(dst, r0, r1, r2, groups): the
// first 4·groups outputs of MaxPool3x3s2Row (engine_pool.go), four a
// step: LD2 splits 8 columns of each row into the even and odd ones (the
// windows' middle and right columns), the rows' maxima of those are taken,
// and EXT puts the previous step's last odd column before this step's
// first three (the windows' left columns; −∞ before the first, the
// padding). FMAX returns NaN when either operand is NaN, as the portable
// twin's max.
func (e *emitter) maxPoolRow() {
	const sig = "(dst, r0, r1, r2 *float32, groups int)"
	e.engineFunc("maxPool3x3s2RowNEON", sig, 40, "maxPool3x3s2RowNEON computes the first 4·groups outputs of MaxPool3x3s2Row\n(engine_pool.go) with NEON; it reads 8·groups values of each row.", func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tr0+8(FP), R1")
		e.ins("MOVD\tr1+16(FP), R2")
		e.ins("MOVD\tr2+24(FP), R3")
		e.ins("MOVD\tgroups+32(FP), R4")
		e.ins("MOVW\t$0xff800000, R5 // −∞")
		e.ins("VDUP\tR5, V31.S4")
		e.ins("CBZ\tR4, done")
		e.label("loop")
		for r := 0; r < 3; r++ {
			e.ins("VLD2.P\t32(R%d), [V%d.S4, V%d.S4]", 1+r, 2*r, 2*r+1)
		}
		e.fmax(0, 0, 2)
		e.fmax(0, 0, 4) // the even columns' maxima
		e.fmax(1, 1, 3)
		e.fmax(1, 1, 5) // the odd ones'
		e.ins("VEXT\t$12, V1.B16, V31.B16, V6.B16")
		e.fmax(7, 0, 1)
		e.fmax(7, 7, 6)
		e.ins("VST1.P\t[V7.S4], 16(R0)")
		e.ins("VORR\tV1.B16, V1.B16, V31.B16")
		e.countDown("R4", "loop")
		e.done()
	})
}
