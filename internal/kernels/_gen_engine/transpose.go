package main

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transposeBiasAct emits transposeBiasActAVX512: BiasAct's epilogue on
// the transpose of a block of 16 columns of src, 16 rows at a time: rows
// (the map's positions) of 16 columns (channels) are loaded, transposed in
// registers (a 16×16 transpose in four rounds of 16 shuffles: pairs,
// quads, then 128-bit lanes twice), and each channel's 16 positions get
// the bias, the residual and ReLU in BiasAct's order and are stored to
// its row of dst. The last block of fewer than 16 rows loads only those
// and stores under a mask.
func transposeBiasAct() {
	TEXT("transposeBiasActAVX512", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, bias *float32, n int, relu int)")
	Doc("transposeBiasActAVX512 is TransposeBiasAct for 16 columns of src and",
		"n ≥ 1 rows (strides in bytes; res may be nil): see transposeBiasActGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	res := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	n := Load(Param("n"), GP64())
	biasM, reluM := paramAddr("bias"), paramAddr("relu")
	bias := GP64()
	rp, dp, qp := GP64(), GP64(), GP64()
	in, tmp := zmm[:16], zmm[16:]

	// block transposes rows [0, 16) of src (only the first n when
	// masked, the rest zero) into in[c] = column c, then runs the
	// epilogue and stores, under K1 when masked.
	block := func(masked bool, sfx string) {
		if masked {
			for _, z := range in {
				VXORPS(z, z, z)
			}
		}
		MOVQ(src, rp)
		for i := 0; i < 16; i++ {
			if masked && i > 0 {
				CMPQ(n, U8(i))
				JLE(LabelRef("transposeBiasAct_loaded" + sfx))
			}
			VMOVUPS(Mem{Base: rp}, in[i])
			if i < 15 {
				ADDQ(lds, rp)
			}
		}
		if masked {
			Label("transposeBiasAct_loaded" + sfx)
		}
		// Pairs: tmp[2i] = a0 b0 a1 b1 | a4 b4 a5 b5 | …, tmp[2i+1] the
		// odd pairs, for rows a = 2i, b = 2i+1.
		for i := 0; i < 8; i++ {
			VUNPCKLPS(in[2*i+1], in[2*i], tmp[2*i])
			VUNPCKHPS(in[2*i+1], in[2*i], tmp[2*i+1])
		}
		// Quads: in[4g+j] holds column j, j+4, j+8 and j+12 of rows
		// 4g…4g+3, one 128-bit lane each.
		for g := 0; g < 4; g++ {
			t0, t1, t2, t3 := tmp[4*g], tmp[4*g+1], tmp[4*g+2], tmp[4*g+3]
			VUNPCKLPD(t2, t0, in[4*g])
			VUNPCKHPD(t2, t0, in[4*g+1])
			VUNPCKLPD(t3, t1, in[4*g+2])
			VUNPCKHPD(t3, t1, in[4*g+3])
		}
		// Lanes: for each j, the four groups' lanes 0–1 and 2–3 side by
		// side, then lane q of each group: column j + 4q.
		for j := 0; j < 4; j++ {
			v, w, x, y := tmp[4*j], tmp[4*j+1], tmp[4*j+2], tmp[4*j+3]
			VSHUFF32X4(U8(0x44), in[4+j], in[j], v)
			VSHUFF32X4(U8(0xee), in[4+j], in[j], w)
			VSHUFF32X4(U8(0x44), in[12+j], in[8+j], x)
			VSHUFF32X4(U8(0xee), in[12+j], in[8+j], y)
		}
		for j := 0; j < 4; j++ {
			v, w, x, y := tmp[4*j], tmp[4*j+1], tmp[4*j+2], tmp[4*j+3]
			VSHUFF32X4(U8(0x88), x, v, in[j])
			VSHUFF32X4(U8(0xdd), x, v, in[j+4])
			VSHUFF32X4(U8(0x88), y, w, in[j+8])
			VSHUFF32X4(U8(0xdd), y, w, in[j+12])
		}
		zero := tmp[0]
		VXORPS(zero, zero, zero)
		MOVQ(dst, dp)
		MOVQ(res, qp)
		for c, o := range in {
			VADDPS_BCST(Mem{Base: bias, Disp: 4 * c}, o, o)
			TESTQ(res, res)
			JZ(LabelRef("transposeBiasAct_nores" + sfx + string(rune('a'+c))))
			if masked {
				t := tmp[1]
				VMOVUPS_Z(Mem{Base: qp}, K1, t)
				VADDPS(t, o, o)
			} else {
				VADDPS(Mem{Base: qp}, o, o)
			}
			ADDQ(ldr, qp)
			Label("transposeBiasAct_nores" + sfx + string(rune('a'+c)))
			CMPQ(reluM, U8(0))
			JE(LabelRef("transposeBiasAct_norelu" + sfx + string(rune('a'+c))))
			// VMAXPS returns its first Go operand when either is NaN.
			VMAXPS(o, zero, o)
			Label("transposeBiasAct_norelu" + sfx + string(rune('a'+c)))
			if masked {
				VMOVUPS(o, K1, Mem{Base: dp})
			} else {
				VMOVUPS(o, Mem{Base: dp})
			}
			if c < 15 {
				ADDQ(ldd, dp)
			}
		}
	}

	MOVQ(biasM, bias)
	Comment("16 rows of src a block: src advances 16 rows, dst and res 16 values.")
	lds16 := GP64()
	MOVQ(lds, lds16)
	SHLQ(U8(4), lds16)
	CMPQ(n, U8(16))
	JL(LabelRef("transposeBiasAct_tail"))
	Label("transposeBiasAct_loop")
	block(false, "F")
	ADDQ(lds16, src)
	ADDQ(U32(64), dst)
	TESTQ(res, res)
	JZ(LabelRef("transposeBiasAct_next"))
	ADDQ(U32(64), res)
	Label("transposeBiasAct_next")
	SUBQ(U8(16), n)
	CMPQ(n, U8(16))
	JGE(LabelRef("transposeBiasAct_loop"))
	Label("transposeBiasAct_tail")
	TESTQ(n, n)
	JZ(LabelRef("transposeBiasAct_done"))
	Comment("K1: the last block's rows, (1<<n) - 1.")
	lowMask(n, K1)
	block(true, "T")
	Label("transposeBiasAct_done")
	VZEROUPPER()
	RET()
}

// transposeBiasActAVX2 emits transposeBiasActAVX2: transposeBiasAct with
// ymm registers, blocks of 8 rows × 8 columns (an 8×8 transpose: pairs,
// quads within the 128-bit halves, then the halves with VPERM2F128); the
// last block of fewer than 8 rows loads only those and reads and writes
// the residual and dst with VMASKMOVPS.
func transposeBiasActAVX2(lanes Mem) {
	TEXT("transposeBiasActAVX2", NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, bias *float32, n int, relu int)")
	Doc("transposeBiasActAVX2 is TransposeBiasAct for 8 columns of src and",
		"n ≥ 1 rows (strides in bytes; res may be nil): see transposeBiasActGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	res := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	n := Load(Param("n"), GP64())
	biasM, reluM := paramAddr("bias"), paramAddr("relu")
	bias := GP64()
	MOVQ(biasM, bias)
	rp, dp, qp, lp := GP64(), GP64(), GP64(), GP64()
	rows, tmp := ymm[:8], ymm[8:]

	block := func(masked bool, sfx string) {
		if masked {
			for _, y := range rows {
				VXORPS(y, y, y)
			}
		}
		MOVQ(src, rp)
		for i := 0; i < 8; i++ {
			if masked && i > 0 {
				CMPQ(n, U8(i))
				JLE(LabelRef("transposeBiasActAVX2_loaded" + sfx))
			}
			VMOVUPS(Mem{Base: rp}, rows[i])
			if i < 7 {
				ADDQ(lds, rp)
			}
		}
		if masked {
			Label("transposeBiasActAVX2_loaded" + sfx)
		}
		for i := 0; i < 4; i++ {
			VUNPCKLPS(rows[2*i+1], rows[2*i], tmp[2*i])
			VUNPCKHPS(rows[2*i+1], rows[2*i], tmp[2*i+1])
		}
		// rows[4h+j]: column j (low half) and j+4 (high half) of rows
		// 4h…4h+3.
		for h := 0; h < 2; h++ {
			t0, t1, t2, t3 := tmp[4*h], tmp[4*h+1], tmp[4*h+2], tmp[4*h+3]
			VSHUFPS(U8(0x44), t2, t0, rows[4*h])
			VSHUFPS(U8(0xee), t2, t0, rows[4*h+1])
			VSHUFPS(U8(0x44), t3, t1, rows[4*h+2])
			VSHUFPS(U8(0xee), t3, t1, rows[4*h+3])
		}
		out := tmp
		for j := 0; j < 4; j++ {
			VPERM2F128(U8(0x20), rows[4+j], rows[j], out[j])
			VPERM2F128(U8(0x31), rows[4+j], rows[j], out[4+j])
		}
		zero, t, mk := rows[0], rows[1], rows[2]
		VXORPS(zero, zero, zero)
		if masked {
			VMOVUPS(Mem{Base: lp}, mk)
		}
		MOVQ(dst, dp)
		MOVQ(res, qp)
		for c, o := range out {
			VBROADCASTSS(Mem{Base: bias, Disp: 4 * c}, t)
			VADDPS(t, o, o)
			TESTQ(res, res)
			JZ(LabelRef("transposeBiasActAVX2_nores" + sfx + string(rune('a'+c))))
			if masked {
				VMASKMOVPS(Mem{Base: qp}, mk, t)
				VADDPS(t, o, o)
			} else {
				VADDPS(Mem{Base: qp}, o, o)
			}
			ADDQ(ldr, qp)
			Label("transposeBiasActAVX2_nores" + sfx + string(rune('a'+c)))
			CMPQ(reluM, U8(0))
			JE(LabelRef("transposeBiasActAVX2_norelu" + sfx + string(rune('a'+c))))
			// VMAXPS returns its first Go operand when either is NaN.
			VMAXPS(o, zero, o)
			Label("transposeBiasActAVX2_norelu" + sfx + string(rune('a'+c)))
			if masked {
				VMASKMOVPS(o, mk, Mem{Base: dp})
			} else {
				VMOVUPS(o, Mem{Base: dp})
			}
			if c < 7 {
				ADDQ(ldd, dp)
			}
		}
	}

	lds8 := GP64()
	MOVQ(lds, lds8)
	SHLQ(U8(3), lds8)
	CMPQ(n, U8(8))
	JL(LabelRef("transposeBiasActAVX2_tail"))
	Label("transposeBiasActAVX2_loop")
	block(false, "F")
	ADDQ(lds8, src)
	ADDQ(U32(32), dst)
	TESTQ(res, res)
	JZ(LabelRef("transposeBiasActAVX2_next"))
	ADDQ(U32(32), res)
	Label("transposeBiasActAVX2_next")
	SUBQ(U8(8), n)
	CMPQ(n, U8(8))
	JGE(LabelRef("transposeBiasActAVX2_loop"))
	Label("transposeBiasActAVX2_tail")
	TESTQ(n, n)
	JZ(LabelRef("transposeBiasActAVX2_done"))
	Comment("The last block's rows: lanes + 4·(16 − n).")
	t := GP64()
	MOVQ(U32(16), t)
	SUBQ(n, t)
	LEAQ(lanes, lp)
	LEAQ(Mem{Base: lp, Index: t, Scale: 4}, lp)
	block(true, "T")
	Label("transposeBiasActAVX2_done")
	VZEROUPPER()
	RET()
}
