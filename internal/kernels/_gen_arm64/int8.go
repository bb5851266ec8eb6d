package main

import "fmt"

// The Int8 mode's kernels on arm64 (the dot-product extension, FEAT_DotProd:
// every arm64 server core since Neoverse N1). SDOT multiplies signed bytes
// by signed bytes, where VPDPBUSD multiplies B's unsigned bytes: the tiles
// read B's bytes with their top bit flipped (b − 128 as a signed byte) and
// take 128·Σ_k A[i, k] back through corr, which the caller folds into the
// correction it passes (s8RowSums).

const (
	sdotEnc   = 0x4e809400 // SDOT (vector), 4S += 16B · 16B, four bytes a lane
	scvtfEnc  = 0x4e21d800 // SCVTF (vector, integer), 4S: int32 to float32, to nearest even
	fcvtnsEnc = 0x4e21a800 // FCVTNS (vector), 4S: float32 to int32, to nearest even (NaN: 0)
	fcmltEnc  = 0x4ea0e800 // FCMLT (vector, zero), 4S: all ones where Vn < 0 (not for NaN or −0)
	fcmeqzEnc = 0x4ea0d800 // FCMEQ (vector, zero), 4S: all ones where Vn == 0
	bicEnc    = 0x4e601c00 // BIC (vector, register): Vn AND NOT Vm
	subEnc    = 0x6ea08400 // SUB (vector), 4S
	fdivEnc   = 0x6e20fc00 // FDIV (vector), 4S
	fmaxnmEnc = 0x4e20c400 // FMAXNM (vector), 4S: the number when one operand is NaN
	fabsEnc   = 0x4ea0f800 // FABS (vector), 4S
	sqxtunEnc = 0x2e612800 // SQXTUN (vector), 4S to 4H, signed to unsigned, saturating
	uqxtnEnc  = 0x2e214800 // UQXTN (vector), 8H to 8B, unsigned, saturating
	upperHalf = 0x40000000 // Q: the "2" forms (SQXTUN2, UQXTN2) write the upper half
)

// vec2 emits a two-register vector instruction (Vd = op Vn).
func (e *emitter) vec2(name string, enc uint32, d, n int) {
	e.ins("WORD\t$0x%08x\t// %s V%d, V%d", enc|uint32(n)<<5|uint32(d), name, d, n)
}

// sdot emits SDOT Vd.4S, Vn.16B, Vm.16B: each lane of Vd plus the dot
// product of the lane's four signed bytes in Vn and in Vm.
func (e *emitter) sdot(d, n, m int) {
	e.ins("WORD\t$0x%08x\t// sdot V%d.4S, V%d.16B, V%d.16B", sdotEnc|uint32(m)<<16|uint32(n)<<5|uint32(d), d, n, m)
}

// usmmla emits USMMLA Vd.4S, Vn.16B, Vm.16B (FEAT_I8MM): Vd, a 2×2 matrix
// of int32 (lane 2i+j), plus Vn·Vmᵀ, Vn two rows of 8 unsigned bytes and
// Vm two rows of 8 signed ones: lane 2i+j adds Σ_k n[8i+k]·m[8j+k].
func (e *emitter) usmmla(d, n, m int) {
	e.ins("WORD\t$0x%08x\t// usmmla V%d.4S, V%d.16B, V%d.16B", usmmlaEnc|uint32(m)<<16|uint32(n)<<5|uint32(d), d, n, m)
}

const usmmlaEnc = 0x4e80ac00 // USMMLA (vector), FEAT_I8MM

// int8Tile emits int8Tile{r}x16NEON: r ≤ 6 rows of A (quads of signed
// bytes) times a 16-word row of B a quad, B's bytes read as b − 128 for
// SDOT; with i8mm, int8Tile{r}x16I8MM, the same product with FEAT_I8MM's
// USMMLA (int8MMLALoop), which multiplies B's unsigned bytes as they are.
func (e *emitter) int8Tile(r int, i8mm bool) {
	name := fmt.Sprintf("int8Tile%dx16NEON", r)
	const sig = "(kq int, a *float32, lda int, b *float32, ldb int, c *float32, ldc int, sa, sb, bias, res *float32, corr *int32, ldr, flags int)"
	doc := fmt.Sprintf(`%s computes an %d×16 tile of GemmU8S8 (int8TileGeneric's
contract for rows of A lda words apart and B's 16-column half of a panel, quad
q's words at b + q·ldb) with SDOT, B's bytes read as b − 128 (their top bit
flipped): C = epilogue(sa[i]·sb[j]·(Σ A·(B − 128) − corr[i])), so corr must
hold the caller's correction less 128·Σ_k A[i, k] (s8RowSumsNEON); flags as
int8TileGeneric's but bit 4, corr being always subtracted. ReLU keeps −0
and NaN, as int8TileGeneric's v < 0 test.`, name, r)
	if i8mm {
		name = fmt.Sprintf("int8Tile%dx16I8MM", r)
		doc = fmt.Sprintf(`%s computes an %d×16 tile of GemmU8S8 (int8TileGeneric's
contract, flags included, for rows of A lda words apart and B's 16-column half
of a panel, quad q's words at b + q·ldb) with USMMLA (FEAT_I8MM: B's unsigned
bytes times A's signed ones, a 2×2 block of C from 8 values of K), 32
multiply-adds an instruction where SDOT does 16. ReLU keeps −0 and NaN, as
int8TileGeneric's v < 0 test.`, name, r)
	}
	e.engineFunc(name, sig, 112, doc+`
flags>>8 (bits 8–15): more tiles of r rows below this one, on the same B.`, func() {
		row := func(i int) string { return fmt.Sprintf("R%d", 6+i) }
		acc := func(i, v int) int { return 4*i + v }
		e.label("top")
		e.ins("MOVD\tkq+0(FP), R0")
		e.ins("MOVD\ta+8(FP), R6")
		e.ins("MOVD\tlda+16(FP), R2")
		e.ins("LSL\t$2, R2")
		e.ins("MOVD\tb+24(FP), R4")
		e.ins("MOVD\tldb+32(FP), R5")
		e.ins("LSL\t$2, R5")
		for i := 1; i < r; i++ {
			e.ins("ADD\tR2, %s, %s", row(i-1), row(i))
		}
		zeroed := 4 * r
		if i8mm {
			zeroed = 8 * ((r + 1) / 2) // whole row pairs
		}
		for v := 0; v < zeroed; v++ {
			e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", v, v, v)
		}
		if i8mm {
			e.int8MMLALoop(r, row)
		} else {
			e.ins("VMOVI\t$128, V30.B16")
			e.ins("CBZ\tR0, sums")
			e.label("loop")
			e.ins("VLD1.P\t(R4)(R5), %s", regsN(24, 4))
			for v := 0; v < 4; v++ {
				e.ins("VEOR\tV30.B16, V%d.B16, V%d.B16", 24+v, 24+v)
			}
			for i := 0; i < r; i++ {
				bc := 28 + i%2
				e.ins("VLD1R.P\t4(%s), [V%d.S4]", row(i), bc)
				for v := 0; v < 4; v++ {
					e.sdot(acc(i, v), 24+v, bc)
				}
			}
			e.countDown("R0", "loop")
		}

		e.label("sums")
		e.ins("MOVD\tflags+104(FP), R15")
		if i8mm {
			e.ins("TBZ\t$4, R15, convert")
		}
		e.ins("// Less corr[i].")
		e.ins("MOVD\tcorr+88(FP), R12")
		for i := 0; i < r; i++ {
			e.ins("VLD1R.P\t4(R12), [V28.S4]")
			for v := 0; v < 4; v++ {
				e.vec3("sub", subEnc, acc(i, v), acc(i, v), 28)
			}
		}
		e.label("convert")
		e.ins("// float32(sum)·sb[j], then ·sa[i]: two roundings, as in Go.")
		e.ins("MOVD\tsb+64(FP), R13")
		e.ins("VLD1\t(R13), %s", regsN(24, 4))
		e.ins("MOVD\tsa+56(FP), R13")
		for i := 0; i < r; i++ {
			e.ins("VLD1R.P\t4(R13), [V29.S4]")
			for v := 0; v < 4; v++ {
				e.vec2("scvtf", scvtfEnc, acc(i, v), acc(i, v))
				e.fmul(acc(i, v), acc(i, v), 24+v)
				e.fmul(acc(i, v), acc(i, v), 29)
			}
		}
		// addRows adds the tile's rows at R16, stride bytes apart, to the
		// accumulators.
		addRows := func(stride string) {
			for i := 0; i < r; i++ {
				e.ins("VLD1.P\t(R16)(%s), %s", stride, regsN(24, 4))
				for v := 0; v < 4; v++ {
					e.fadd(acc(i, v), acc(i, v), 24+v)
				}
			}
		}
		e.ins("MOVD\tc+40(FP), R13")
		e.ins("MOVD\tldc+48(FP), R14")
		e.ins("LSL\t$2, R14")
		e.ins("TBZ\t$3, R15, bias")
		e.ins("// + C: a second product summed into the same tile.")
		e.ins("MOVD\tR13, R16")
		addRows("R14")
		e.label("bias")
		e.ins("TBZ\t$0, R15, residual")
		e.ins("MOVD\tbias+72(FP), R16")
		for i := 0; i < r; i++ {
			e.ins("VLD1R.P\t4(R16), [V28.S4]")
			for v := 0; v < 4; v++ {
				e.fadd(acc(i, v), acc(i, v), 28)
			}
		}
		e.label("residual")
		e.ins("TBZ\t$1, R15, relu")
		e.ins("MOVD\tres+80(FP), R16")
		e.ins("MOVD\tldr+96(FP), R17")
		e.ins("LSL\t$2, R17")
		addRows("R17")
		e.label("relu")
		e.ins("TBZ\t$2, R15, write")
		e.ins("// Values below 0 (not −0, not NaN) become 0.")
		for i := 0; i < r; i++ {
			for v := 0; v < 4; v++ {
				e.vec2("fcmlt", fcmltEnc, 28, acc(i, v))
				e.vec3("bic", bicEnc, acc(i, v), acc(i, v), 28)
			}
		}
		e.label("write")
		for i := 0; i < r; i++ {
			e.ins("VST1.P\t%s, (R13)(R14)", regsN(acc(i, 0), 4))
		}
		e.int8NextTile(r, i8mm)
		e.ins("RET")
	})
}

// int8NextTile emits the end of an int8 tile run (the float32 tiles'
// nextTile): while flags>>8 is not zero, one off, and a, c, sa, the bias
// (flags bit 0), the residual (bit 1) and corr (bit 4; the SDOT tiles
// always subtract it) r rows on, and the tile again from the top.
func (e *emitter) int8NextTile(r int, i8mm bool) {
	e.runNext("flags+104", r)
	e.stepRows("a+8", "lda+16")
	e.stepRows("c+40", "ldc+48")
	e.stepValues("sa+56")
	if i8mm {
		e.ins("TBZ\t$4, R15, nocorr")
	}
	e.stepValues("corr+88")
	e.label("nocorr")
	e.ins("TBZ\t$0, R15, nobias")
	e.stepValues("bias+72")
	e.label("nobias")
	e.ins("TBZ\t$1, R15, top")
	e.stepRows("res+80", "ldr+96")
	e.ins("B\ttop")
	e.label("last")
}

// int8MMLALoop emits the I8MM tiles' product: USMMLA on pairs of rows of
// A and pairs of columns of B, 8 values of K (two quads) a step. Row pair
// p's 8 bytes of each row make V(24+p) (rows 2p and 2p+1, the second zero
// past r); quads q and q+1 of B, interleaved a word at a time by ZIP1 and
// ZIP2, make two columns' 8 bytes, 8 column pairs from 16 columns in two
// halves; accumulator V(8p+c) is the 2×2 block of rows 2p, 2p+1 and
// columns 2c, 2c+1 (lanes C[2p, 2c], C[2p+1, 2c], C[2p, 2c+1],
// C[2p+1, 2c+1]). An odd last quad runs the step with the next quad zero.
// Then UZP1 and UZP2 turn each row pair's blocks into its two rows, row i
// in V(4i)…V(4i+3), as the SDOT tiles leave them, and the sums part is
// theirs. The accumulators take V0…V23 for 6 rows, V24…V26 A's pairs, V27
// a row of A before it is moved, then with V28–V30 the quads' halves, and
// V31 each column pair.
func (e *emitter) int8MMLALoop(r int, row func(int) string) {
	pairs := (r + 1) / 2
	acc := func(p, c int) int { return 8*p + c }
	// loadA loads row pair p's next 8 bytes of each row (load: FMOVD.P 8,
	// or FMOVS.P 4 for the last quad, which zeroes the rest of the
	// register), the odd row's into the upper half.
	loadA := func(load string, n int, lane string) {
		for p := 0; p < pairs; p++ {
			e.ins("%s\t%d(%s), F%d", load, n, row(2*p), 24+p)
			if 2*p+1 < r {
				e.ins("%s\t%d(%s), F27", load, n, row(2*p+1))
				e.ins("VMOV\tV27.%s[0], V%d.%s[%s]", lane, 24+p, lane, map[string]string{"D": "1", "S": "2"}[lane])
			}
		}
	}
	// half multiplies the column pairs of B's half h (quad q in V27, V28;
	// quad q+1 in V29, V30).
	half := func(h int) {
		for z, in := range [][2]int{{27, 29}, {27, 29}, {28, 30}, {28, 30}} {
			op := "VZIP1"
			if z%2 == 1 {
				op = "VZIP2"
			}
			e.ins("%s\tV%d.S4, V%d.S4, V31.S4", op, in[1], in[0])
			for p := 0; p < pairs; p++ {
				e.usmmla(acc(p, 4*h+z), 31, 24+p)
			}
		}
	}
	e.ins("ADD\tR5, R4, R12\t// quad q+1")
	e.ins("LSL\t$1, R5")
	e.ins("SUB\t$32, R5\t// two quads on, less the first half's 32 bytes")
	e.ins("LSR\t$1, R0, R13")
	e.ins("CBZ\tR13, odd")
	e.label("loop")
	loadA("FMOVD.P", 8, "D")
	e.ins("VLD1.P\t32(R4), [V27.S4, V28.S4]")
	e.ins("VLD1.P\t32(R12), [V29.S4, V30.S4]")
	half(0)
	e.ins("VLD1.P\t(R4)(R5), [V27.S4, V28.S4]")
	e.ins("VLD1.P\t(R12)(R5), [V29.S4, V30.S4]")
	half(1)
	e.countDown("R13", "loop")
	e.label("odd")
	e.ins("TBZ\t$0, R0, blocks")
	loadA("FMOVS.P", 4, "S")
	e.ins("VEOR\tV29.B16, V29.B16, V29.B16")
	e.ins("VEOR\tV30.B16, V30.B16, V30.B16")
	e.ins("VLD1.P\t32(R4), [V27.S4, V28.S4]")
	half(0)
	e.ins("VLD1\t(R4), [V27.S4, V28.S4]")
	half(1)
	e.label("blocks")
	e.ins("// Each row pair's 2×2 blocks to its two rows.")
	for p := 0; p < pairs; p++ {
		for v := 0; v < 4; v++ {
			e.ins("VUZP1\tV%d.S4, V%d.S4, V%d.S4", acc(p, 2*v+1), acc(p, 2*v), 24+v)
			if 2*p+1 < r {
				e.ins("VUZP2\tV%d.S4, V%d.S4, V%d.S4", acc(p, 2*v+1), acc(p, 2*v), 28+v)
			}
		}
		for v := 0; v < 4; v++ {
			e.ins("VMOV\tV%d.B16, V%d.B16", 24+v, 8*p+v)
			if 2*p+1 < r {
				e.ins("VMOV\tV%d.B16, V%d.B16", 28+v, 8*p+4+v)
			}
		}
	}
}

// s8RowSums emits s8RowSumsNEON: out[i] = corr[i] (0 when corr is nil) −
// 128·Σ of row i's signed bytes, for m rows of kq quads lda words apart:
// the correction the int8 tiles subtract.
func (e *emitter) s8RowSums() {
	const sig = "(a *float32, lda, m, kq int, corr, out *int32)"
	doc := `s8RowSumsNEON sets out[i] = corr[i] (0 when corr is nil) − 128·Σ_k A[i, k]
for the m rows of kq quads of signed bytes of A (lda words apart): what the
int8 tiles subtract, B's bytes being read less 128. SDOT with bytes of 1
sums four quads a step.`
	e.engineFunc("s8RowSumsNEON", sig, 48, doc, func() {
		e.ins("MOVD\ta+0(FP), R0")
		e.ins("MOVD\tlda+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tm+16(FP), R2")
		e.ins("MOVD\tkq+24(FP), R3")
		e.ins("MOVD\tcorr+32(FP), R4")
		e.ins("MOVD\tout+40(FP), R5")
		e.ins("VMOVI\t$1, V31.B16")
		e.ins("CBZ\tR2, done")
		e.label("row")
		e.ins("MOVD\tR0, R6")
		e.ins("VEOR\tV0.B16, V0.B16, V0.B16")
		e.ins("LSR\t$2, R3, R7")
		e.ins("CBZ\tR7, tail")
		e.label("four")
		e.ins("VLD1.P\t16(R6), [V1.B16]")
		e.sdot(0, 1, 31)
		e.countDown("R7", "four")
		e.label("tail")
		e.ins("AND\t$3, R3, R7")
		e.ins("CBZ\tR7, sum")
		e.label("one")
		e.ins("VEOR\tV1.B16, V1.B16, V1.B16")
		e.ins("MOVWU.P\t4(R6), R8")
		e.ins("VMOV\tR8, V1.S[0]")
		e.sdot(0, 1, 31)
		e.countDown("R7", "one")
		e.label("sum")
		e.ins("VADDV\tV0.S4, V0")
		e.ins("VMOV\tV0.S[0], R8")
		e.ins("LSL\t$7, R8, R8")
		e.ins("MOVD\t$0, R9")
		e.ins("CBZ\tR4, store")
		e.ins("MOVW.P\t4(R4), R9")
		e.label("store")
		e.ins("SUBW\tR8, R9, R9")
		e.ins("MOVW.P\tR9, 4(R5)")
		e.ins("ADD\tR1, R0")
		e.countDown("R2", "row")
		e.done()
	})
}

// packU8 emits packU8{Off}Cols{4nv}NEON: a 16-column half of one panel of
// PackU8 (PackU8Offset when offset) whose first 4·nv columns are read (the
// last vector's lanes ANDed with mask), the others zero.
func (e *emitter) packU8(nv int, offset bool) {
	kind, lim, limBits := "U8", "255", uint32(0x437f0000)
	if offset {
		kind, lim, limBits = "U8Off", "127", 0x42fe0000
	}
	name := fmt.Sprintf("pack%sCols%dNEON", kind, 4*nv)
	const sig = "(dst *float32, ldd int, sb, src *float32, offs *int32, k int, mask *uint32)"
	doc := fmt.Sprintf(`%s quantizes 16 columns of a panel of PackU8%s (quad q's 16
words at dst + q·ldd, their scales at sb; packU8PanelGeneric's contract, bit
for bit) reading %d values of each row src + offs[r] (the last four ANDed
with mask; columns past them are zero): mx = the column's largest value%s
(FMAXNM: NaN skipped), sb = mx/%s, and each value times %s/mx (0 when mx
is 0) to int32 by FCVTNS (to nearest even, NaN 0)%s, narrowed with
saturation to a byte; ST4 interleaves four rows' bytes into quads.`,
		name, map[bool]string{false: "", true: "Offset"}[offset], 4*nv,
		map[bool]string{false: "", true: " magnitude"}[offset], lim, lim,
		map[bool]string{false: "", true: ", plus 128"}[offset])
	e.engineFunc(name, sig, 56, doc, func() {
		e.ins("MOVD\tdst+0(FP), R0")
		e.ins("MOVD\tldd+8(FP), R1")
		e.ins("LSL\t$2, R1")
		e.ins("MOVD\tsb+16(FP), R2")
		e.ins("MOVD\tsrc+24(FP), R3")
		e.ins("MOVD\toffs+32(FP), R4")
		e.ins("MOVD\tk+40(FP), R5")
		e.ins("MOVD\tmask+48(FP), R6")
		e.ins("VLD1\t(R6), [V22.S4]")
		// load reads row r (its offset post-incremented from R7) into V0…
		load := func() {
			e.ins("MOVW.P\t4(R7), R8")
			e.ins("ADD\tR8<<2, R3, R8")
			e.ins("VLD1\t(R8), %s", regsN(0, nv))
			e.ins("VAND\tV22.B16, V%d.B16, V%d.B16", nv-1, nv-1)
		}
		e.ins("// The columns' largest values (magnitudes) in V16…V19.")
		for v := 0; v < 4; v++ {
			e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", 16+v, 16+v, 16+v)
		}
		e.ins("MOVD\tR4, R7")
		e.ins("MOVD\tR5, R9")
		e.ins("CBZ\tR9, scales")
		e.label("max")
		load()
		for v := 0; v < nv; v++ {
			if offset {
				e.vec2("fabs", fabsEnc, v, v)
			}
			e.vec3("fmaxnm", fmaxnmEnc, 16+v, 16+v, v)
		}
		e.countDown("R9", "max")
		e.label("scales")
		e.ins("MOVW\t$0x%08x, R9\t// %s.0", limBits, lim)
		e.ins("VDUP\tR9, V20.S4")
		for v := 0; v < 4; v++ {
			e.vec3("fdiv", fdivEnc, 24+v, 16+v, 20)
		}
		e.ins("VST1\t%s, (R2)", regsN(24, 4))
		e.ins("// inv = %s/mx, 0 where mx is 0.", lim)
		for v := 0; v < 4; v++ {
			e.vec2("fcmeq", fcmeqzEnc, 24+v, 16+v)
			e.vec3("fdiv", fdivEnc, 16+v, 20, 16+v)
			e.vec3("bic", bicEnc, 16+v, 16+v, 24+v)
		}
		if offset {
			e.ins("VMOVI\t$128, V21.B16")
			e.ins("VUSHR\t$24, V21.S4, V21.S4\t// 128 a lane")
		}
		// quant quantizes row t of a quad, read into V0… (the vectors past
		// nv keep their constants), to the bytes of V(8+t).
		quant := func(t int) {
			load()
			for v := 0; v < nv; v++ {
				e.fmul(v, v, 16+v)
			}
			for v := 0; v < nv; v++ {
				e.vec2("fcvtns", fcvtnsEnc, v, v)
				if offset {
					e.ins("VADD\tV21.S4, V%d.S4, V%d.S4", v, v)
				}
			}
			e.vec2("sqxtun", sqxtunEnc, 4, 0)
			e.vec2("sqxtun2", sqxtunEnc|upperHalf, 4, 1)
			e.vec2("sqxtun", sqxtunEnc, 5, 2)
			e.vec2("sqxtun2", sqxtunEnc|upperHalf, 5, 3)
			e.vec2("uqxtn", uqxtnEnc, 8+t, 4)
			e.vec2("uqxtn2", uqxtnEnc|upperHalf, 8+t, 5)
		}
		// The vectors past the columns read hold what a zero quantizes to,
		// set once: 0, or 128 with the offset.
		for v := nv; v < 4; v++ {
			if offset {
				e.ins("VORR\tV21.B16, V21.B16, V%d.B16", v)
			} else {
				e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", v, v, v)
			}
		}
		store := func() { e.ins("VST4\t[V8.B16, V9.B16, V10.B16, V11.B16], (R0)"); e.ins("ADD\tR1, R0") }
		e.ins("MOVD\tR4, R7")
		e.ins("LSR\t$2, R5, R9")
		e.ins("CBZ\tR9, tail")
		e.label("quad")
		for t := 0; t < 4; t++ {
			quant(t)
		}
		store()
		e.countDown("R9", "quad")
		e.label("tail")
		e.ins("AND\t$3, R5, R9")
		e.ins("CBZ\tR9, done")
		e.ins("// 1 to 3 rows left: the quad's other bytes are 0.")
		for t := 1; t < 4; t++ {
			e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", 8+t, 8+t, 8+t)
		}
		quant(0)
		e.ins("CMP\t$1, R9")
		e.ins("BEQ\tlast")
		quant(1)
		e.ins("CMP\t$2, R9")
		e.ins("BEQ\tlast")
		quant(2)
		e.label("last")
		store()
		e.done()
	})
}
