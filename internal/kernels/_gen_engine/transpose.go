package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// transposeISA is what the AVX-512 and AVX2 transposeBiasAct kernels do
// differently: their block of w rows × w columns, the registers (rows
// holds a block's rows, then free; cols its columns), the transpose, and
// the masked accesses of the last block's w-wide rows of dst and res.
type transposeISA struct {
	suffix     string
	w          int
	rows, cols []VecPhysical
	zero       VecPhysical // free after the transpose, for ReLU
	// setup, when set, runs once after the parameters are loaded.
	setup func()
	// transpose turns rows (row i of the block in rows[i]) into cols
	// (column j in cols[j]), through the registers of both.
	transpose func()
	// tailMask sets up the last block's mask from n (its rows); bias
	// adds bias[c] to o; loadRes and store read and write a w-wide row,
	// under that mask when masked.
	tailMask func(n Register)
	bias     func(bias Register, c int, o VecPhysical)
	loadRes  func(m Mem, o VecPhysical, masked bool)
	store    func(o VecPhysical, m Mem, masked bool)
}

// transposeBiasAct emits transposeBiasActAVX512: BiasAct's epilogue on
// the transpose of a block of 16 columns of src, 16 rows at a time,
// transposed in registers in four rounds of 16 shuffles (pairs, quads,
// then 128-bit lanes twice).
func transposeBiasAct() {
	in, tmp := zmm[:16], zmm[16:]
	transposeKernel(transposeISA{
		suffix: "AVX512", w: 16, rows: in, cols: in, zero: tmp[0],
		transpose: func() { zmmTranspose(in, tmp) },
		tailMask: func(n Register) {
			Comment("K1: the last block's rows, (1<<n) - 1.")
			lowMask(n, K1)
		},
		bias: func(bias Register, c int, o VecPhysical) { VADDPS_BCST(Mem{Base: bias, Disp: 4 * c}, o, o) },
		loadRes: func(m Mem, o VecPhysical, masked bool) {
			if masked {
				VMOVUPS_Z(m, K1, tmp[1])
				VADDPS(tmp[1], o, o)
			} else {
				VADDPS(m, o, o)
			}
		},
		store: func(o VecPhysical, m Mem, masked bool) {
			if masked {
				VMOVUPS(o, K1, m)
			} else {
				VMOVUPS(o, m)
			}
		},
	})
}

// transposeBiasActAVX2 emits transposeBiasActAVX2: the same with ymm
// registers and blocks of 8 rows × 8 columns (pairs, quads within the
// 128-bit halves, then the halves with VPERM2F128); the last block's
// residual and dst rows are read and written with VMASKMOVPS, its mask
// at lanes + 4·(16 − n).
func transposeBiasActAVX2(lanes Mem) {
	rows, tmp := ymm[:8], ymm[8:]
	zero, t, mk := rows[0], rows[1], rows[2] // free after the transpose
	var lp Register
	transposeKernel(transposeISA{
		suffix: "AVX2", w: 8, rows: rows, cols: tmp, zero: zero,
		setup:     func() { lp = GP64() },
		transpose: func() { ymmTranspose(rows, tmp) },
		tailMask: func(n Register) {
			Comment("The last block's rows: lanes + 4·(16 − n).")
			c := GP64()
			MOVQ(U32(16), c)
			SUBQ(n, c)
			LEAQ(lanes, lp)
			LEAQ(Mem{Base: lp, Index: c, Scale: 4}, lp)
		},
		bias: func(bias Register, c int, o VecPhysical) {
			VBROADCASTSS(Mem{Base: bias, Disp: 4 * c}, t)
			VADDPS(t, o, o)
		},
		loadRes: func(m Mem, o VecPhysical, masked bool) {
			if masked {
				VMOVUPS(Mem{Base: lp}, mk)
				VMASKMOVPS(m, mk, t)
				VADDPS(t, o, o)
			} else {
				VADDPS(m, o, o)
			}
		},
		store: func(o VecPhysical, m Mem, masked bool) {
			if masked {
				VMOVUPS(Mem{Base: lp}, mk)
				VMASKMOVPS(o, mk, m)
			} else {
				VMOVUPS(o, m)
			}
		},
	})
}

// transposeKernel emits transposeBiasAct{suffix}: for w columns of src
// and n ≥ 1 rows (strides in bytes; res may be nil), blocks of w rows are
// loaded, transposed, and each column (a channel's w positions) gets the
// bias, the residual and ReLU in BiasAct's order and is stored to its row
// of dst. The last block of fewer than w rows loads only those (the rest
// zero) and reads and writes under x's mask.
func transposeKernel(x transposeISA) {
	name := "transposeBiasAct" + x.suffix
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, bias *float32, n int, relu int)")
	Doc(fmt.Sprintf("%s is TransposeBiasAct for %d columns of src and", name, x.w),
		"n ≥ 1 rows (strides in bytes; res may be nil): see transposeBiasActGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	res := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	n := Load(Param("n"), GP64())
	reluM := paramAddr("relu")
	bias := GP64()
	MOVQ(paramAddr("bias"), bias)
	rp, dp, qp := GP64(), GP64(), GP64()
	if x.setup != nil {
		x.setup()
	}

	block := func(masked bool, sfx string) {
		lbl := func(s string, c int) string { return fmt.Sprintf("%s_%s%s%d", name, s, sfx, c) }
		if masked {
			for _, z := range x.rows {
				VXORPS(z, z, z)
			}
		}
		MOVQ(src, rp)
		for i, r := range x.rows {
			if masked && i > 0 {
				CMPQ(n, U8(i))
				JLE(LabelRef(lbl("loaded", 0)))
			}
			VMOVUPS(Mem{Base: rp}, r)
			if i < x.w-1 {
				ADDQ(lds, rp)
			}
		}
		if masked {
			Label(lbl("loaded", 0))
		}
		x.transpose()
		zero := x.zero
		VXORPS(zero, zero, zero)
		MOVQ(dst, dp)
		MOVQ(res, qp)
		for c, o := range x.cols {
			x.bias(bias, c, o)
			TESTQ(res, res)
			JZ(LabelRef(lbl("nores", c)))
			x.loadRes(Mem{Base: qp}, o, masked)
			ADDQ(ldr, qp)
			Label(lbl("nores", c))
			CMPQ(reluM, U8(0))
			JE(LabelRef(lbl("norelu", c)))
			// VMAXPS returns its first Go operand when either is NaN.
			VMAXPS(o, zero, o)
			Label(lbl("norelu", c))
			x.store(o, Mem{Base: dp}, masked)
			if c < x.w-1 {
				ADDQ(ldd, dp)
			}
		}
	}

	Comment(fmt.Sprintf("%d rows of src a block: src advances %d rows, dst and res %d values.", x.w, x.w, x.w))
	ldsW := GP64()
	MOVQ(lds, ldsW)
	SHLQ(U8(map[int]int{8: 3, 16: 4}[x.w]), ldsW)
	CMPQ(n, U8(x.w))
	JL(LabelRef(name + "_tail"))
	Label(name + "_loop")
	block(false, "F")
	ADDQ(ldsW, src)
	ADDQ(U32(4*x.w), dst)
	TESTQ(res, res)
	JZ(LabelRef(name + "_next"))
	ADDQ(U32(4*x.w), res)
	Label(name + "_next")
	SUBQ(U8(x.w), n)
	CMPQ(n, U8(x.w))
	JGE(LabelRef(name + "_loop"))
	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	x.tailMask(n)
	block(true, "T")
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// zmmTranspose transposes the 16×16 block whose row i is in[i] so that
// in[j] holds column j, through tmp (16 more registers), in four rounds of
// 16 shuffles: pairs, quads, then 128-bit lanes twice.
func zmmTranspose(in, tmp []VecPhysical) {
	// Pairs: tmp[2i] = a0 b0 a1 b1 | a4 b4 a5 b5 | …, tmp[2i+1]
	// the odd pairs, for rows a = 2i, b = 2i+1.
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
	// Lanes: for each j, the four groups' lanes 0–1 and 2–3 side
	// by side, then lane q of each group: column j + 4q.
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
}

// ymmTranspose transposes the 8×8 block whose row i is in rows[i] into
// cols (cols[j] column j), through the registers of both: pairs, quads
// within the 128-bit halves, then the halves with VPERM2F128.
func ymmTranspose(rows, cols []VecPhysical) {
	tmp := cols
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
	for j := 0; j < 4; j++ {
		VPERM2F128(U8(0x20), rows[4+j], rows[j], tmp[j])
		VPERM2F128(U8(0x31), rows[4+j], rows[j], tmp[4+j])
	}
}

// transposeBlocks emits transposeBlocks<suffix>: blocks w×w blocks side
// by side, block b of src (w rows lds bytes apart, columns wb … wb+w−1)
// stored transposed from row wb of dst (rows ldd bytes apart): how the
// GEMM gathers panels of a transposed B (packB). AVX-512 blocks are 16×16
// (zmmTranspose), AVX2 ones 8×8 (ymmTranspose).
func transposeBlocks(avx2 bool) {
	name, w := "transposeBlocksAVX512", 16
	in, tmp := zmm[:16], zmm[16:]
	out := in
	if avx2 {
		name, w = "transposeBlocksAVX2", 8
		in, tmp = ymm[:8], ymm[8:]
		out = tmp
	}
	TEXT(name, NOSPLIT, "func(dst *float32, ldd int, src *float32, lds int, blocks int)")
	Doc(fmt.Sprintf("%s stores the transposes of blocks %d×%d blocks of src", name, w, w),
		fmt.Sprintf("(columns %db…, rows lds bytes apart) from row %db of dst (rows ldd bytes", w, w),
		"apart), blocks ≥ 1; see packTransposeGeneric.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	src := Load(Param("src"), GP64())
	lds := Load(Param("lds"), GP64())
	nb := Load(Param("blocks"), GP64())
	rp, dp := GP64(), GP64()
	Label(name + "_loop")
	MOVQ(src, rp)
	for i, r := range in {
		VMOVUPS(Mem{Base: rp}, r)
		if i < w-1 {
			ADDQ(lds, rp)
		}
	}
	if avx2 {
		ymmTranspose(in, tmp)
	} else {
		zmmTranspose(in, tmp)
	}
	MOVQ(dst, dp)
	for c, o := range out {
		VMOVUPS(o, Mem{Base: dp})
		if c < w-1 {
			ADDQ(ldd, dp)
		}
	}
	ADDQ(ldd, dp)
	MOVQ(dp, dst)
	ADDQ(U32(4*w), src)
	DECQ(nb)
	JNZ(LabelRef(name + "_loop"))
	VZEROUPPER()
	RET()
}
