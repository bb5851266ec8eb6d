package main

import "fmt"

const fcmeqEnc = 0x4e20e400 // FCMEQ (vector, register), 4S: all ones where Vn == Vm (false for NaN)

// bf16Round emits BF16's rounding of the four float32 lanes of V(x) into
// the high halves of V(d)'s lanes: d = x + 0x7fff + (x>>16 & 1) (V(ones)
// holds 1 a lane, V(bias) 0x7fff), then the quiet NaN (V(qnan):
// 0x7fc00000) where x is NaN, found by FCMEQ x, x into V(t).
func (e *emitter) bf16Round(d, x, t, ones, bias, qnan int) {
	e.ins("VUSHR\t$16, V%d.S4, V%d.S4", x, d)
	e.ins("VAND\tV%d.B16, V%d.B16, V%d.B16", ones, d, d)
	e.ins("VADD\tV%d.S4, V%d.S4, V%d.S4", bias, d, d)
	e.ins("VADD\tV%d.S4, V%d.S4, V%d.S4", x, d, d)
	e.vec3("fcmeq", fcmeqEnc, t, x, x)
	e.ins("VBIF\tV%d.B16, V%d.B16, V%d.B16", t, qnan, d)
}

// packBF16 emits packBF16NEON (offs false) and packBF16OffsNEON: PackBF16's
// whole pairs of rows, n a multiple of 4 columns, 4 words a step: each
// row's values rounded (bf16Round), then TRN2 on halfwords takes the high
// half of each lane of the even row and of the odd one into a word.
func (e *emitter) packBF16(offs bool) {
	name, src, sig := "packBF16NEON", "src + 2p·lds and src + (2p+1)·lds", "(dst *float32, ldd int, src *float32, lds int, pairs int, n int)"
	if offs {
		name, src, sig = "packBF16OffsNEON", "src + offs[2p] and src + offs[2p+1]", "(dst *float32, ldd int, src *float32, offs *int32, pairs int, n int)"
	}
	doc := fmt.Sprintf(`%s writes pairs rows of n words of bfloat16 pairs at dst + p·ldd
(PackBF16's layout, BF16's rounding bit for bit) from the rows at
%s; n a multiple of 4.`, name, src)
	e.engineFunc(name, sig, 48, doc, func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tldd+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tsrc+16(FP), R2")
		if offs {
			e.ins("MOVD\toffs+24(FP), R3")
		} else {
			e.ins("MOVD\tlds+24(FP), R3")
			e.ins("LSL\t$2, R3")
		}
		e.ins("MOVD\tpairs+32(FP), R4")
		e.ins("MOVD\tn+40(FP), R5")
		e.ins("LSR\t$2, R5")
		e.ins("CBZ\tR4, done")
		e.ins("CBZ\tR5, done")
		e.ins("MOVW\t$1, R9")
		e.ins("VDUP\tR9, V29.S4")
		e.ins("MOVW\t$0x7fff, R9")
		e.ins("VDUP\tR9, V28.S4")
		e.ins("MOVW\t$0x7fc00000, R9")
		e.ins("VDUP\tR9, V30.S4")
		if !offs {
			e.ins("MOVD\tR2, R10\t// the pair's even row")
		}
		e.label("pair")
		if offs {
			e.ins("MOVW.P\t4(R3), R6")
			e.ins("ADD\tR6<<2, R2, R6")
			e.ins("MOVW.P\t4(R3), R7")
			e.ins("ADD\tR7<<2, R2, R7")
		} else {
			e.ins("MOVD\tR10, R6")
			e.ins("ADD\tR3, R10, R7")
			e.ins("ADD\tR3<<1, R10, R10")
		}
		e.ins("MOVD\tR0, R8")
		e.ins("MOVD\tR5, R9")
		e.label("step")
		e.ins("VLD1.P\t16(R6), [V0.S4]")
		e.ins("VLD1.P\t16(R7), [V1.S4]")
		e.bf16Round(2, 0, 3, 29, 28, 30)
		e.bf16Round(4, 1, 5, 29, 28, 30)
		e.ins("VTRN2\tV4.H8, V2.H8, V6.H8")
		e.ins("VST1.P\t[V6.S4], 16(R8)")
		e.countDown("R9", "step")
		e.ins("ADD\tR1, R0, R0")
		e.countDown("R4", "pair")
		e.done()
	})
}
