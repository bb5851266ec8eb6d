// Command _gen_engine writes the inference engine's AVX-512 kernels and
// their AVX2+FMA twins (suffix AVX2, 8 lanes in the 16 ymm registers) with
// avo, one set per -set value, each into its own .s file and Go stubs:
//
//	-set epilogue  ../engine_epilogue_amd64.s: bias, residual add, ReLU (also on a transpose); transposed blocks
//	-set conv      ../engine_conv_amd64.s: the implicit-GEMM convolution tiles (also transposed)
//	-set wino      ../wino_amd64.s: the Winograd F(2×2, 3×3) transforms
//	-set pool      ../engine_pool_amd64.s: the 3×3 stride-2 max pool rows
//	-set stride    ../engine_stride_amd64.s: every other value of a row, im2col rows, row and plane copies, even/odd splits
//
// Run it with `go generate ./internal/kernels/` (the go:generate lines are
// in engine_*_amd64.go and wino_amd64.go).
package main

import (
	"flag"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var set = flag.String("set", "epilogue", "which kernels: epilogue, conv, wino, pool or stride")

func main() {
	flag.Parse()
	ConstraintExpr("!purego")
	switch *set {
	case "epilogue":
		for _, res := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				epilogue(res, relu)
			}
		}
		lanes := lanesTable("epilogueLanes")
		for _, res := range []bool{false, true} {
			for _, relu := range []bool{false, true} {
				epilogueAVX2(lanes, res, relu)
			}
		}
		transposeBiasAct()
		transposeBiasActAVX2(lanes)
		transposeBlocks(false)
		transposeBlocks(true)
	case "conv":
		convTiles()
		convTilesAVX2()
		convTilesT()
	case "wino":
		winoTransforms()
	case "pool":
		maxPoolRow()
		maxPoolRowAVX2()
	case "stride":
		even := evenTable()
		everyOther(even)
		everyOtherAVX2()
		lanes := lanesTable("strideLanes")
		for _, s := range []int{1, 2} {
			im2col(avx512Steps(s, even))
		}
		for _, s := range []int{1, 2} {
			im2col(avx2Steps(s, lanes))
		}
		copyRows(avx512Steps(1, even))
		copyRows(avx2Steps(1, lanes))
		deinterleave(even, oddTable())
		deinterleaveAVX2(lanes)
		copyPlanes(avx512Steps(1, even))
		copyPlanes(avx2Steps(1, lanes))
		copyNT("AVX512", 16)
		copyNT("AVX2", 8)
		storeFence()
	default:
		panic("unknown -set " + *set)
	}
	Generate()
}

// epilogue emits engineBias[Res][ReLU]AVX512: dst[i] = src[i] + b
// (+ res[i]) (clamped at 0), 64 values per iteration, then 16, then a
// masked tail.
func epilogue(res, relu bool) {
	name, dst, src, rp, n, bp, end := epilogueHead("AVX512", "AVX-512", res, relu)
	vb, zero := Z30, Z31
	VBROADCASTSS(bp, vb)
	if relu {
		VXORPS(zero, zero, zero)
	}
	op := func(v VecPhysical, m Mem, mask bool) {
		if mask {
			VMOVUPS_Z(m, K1, v)
		} else {
			VMOVUPS(m, v)
		}
		VADDPS(vb, v, v)
		if res {
			r := Mem{Base: rp, Disp: m.Disp}
			if mask {
				VMOVUPS_Z(r, K1, Z29)
				VADDPS(Z29, v, v)
			} else {
				VADDPS(r, v, v)
			}
		}
		if relu {
			// VMAXPS returns its first Go operand when either is NaN.
			VMAXPS(v, zero, v)
		}
	}
	advance := func(k int) {
		ADDQ(U32(4*k), dst)
		ADDQ(U32(4*k), src)
		if res {
			ADDQ(U32(4*k), rp)
		}
		SUBQ(U32(k), n)
	}
	Label(name + "_loop64")
	CMPQ(n, U32(64))
	JB(LabelRef(name + "_loop16"))
	for v := 0; v < 4; v++ {
		op(Z(v), Mem{Base: src, Disp: 64 * v}, false)
	}
	for v := 0; v < 4; v++ {
		VMOVUPS(Z(v), Mem{Base: dst, Disp: 64 * v})
	}
	advance(64)
	JMP(LabelRef(name + "_loop64"))

	Label(name + "_loop16")
	CMPQ(n, U32(16))
	JB(LabelRef(name + "_tail"))
	op(Z0, Mem{Base: src}, false)
	VMOVUPS(Z0, Mem{Base: dst})
	advance(16)
	JMP(LabelRef(name + "_loop16"))

	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Comment("K1 = (1<<n) - 1: the n < 16 values left.")
	MOVQ(n, RCX)
	m := GP32()
	MOVL(U32(1), m)
	SHLL(CL, m)
	DECL(m)
	KMOVW(m, K1)
	op(Z0, Mem{Base: src}, true)
	VMOVUPS(Z0, K1, Mem{Base: dst})
	end()
}

// paramAddr returns the stack address of the current function's
// parameter name.
func paramAddr(name string) Mem {
	p, err := Param(name).Resolve()
	if err != nil {
		panic(err)
	}
	return p.Addr
}

// spreadMasks loads the uint64 parameter name and moves its 16-bit
// fields, low first, into the mask registers ks.
func spreadMasks(name string, ks ...Op) {
	masks := Load(Param(name), GP64()).(GPVirtual)
	for _, k := range ks {
		KMOVW(masks.As32(), k)
		SHRQ(U8(16), masks)
	}
}

// lowMask sets the mask register k to (1<<n) − 1 for n in a register
// (through CX).
func lowMask(n Register, k Op) {
	MOVQ(n, RCX)
	t := GP32()
	MOVL(U32(1), t)
	SHLL(CL, t)
	DECL(t)
	KMOVW(t, k)
}

// Z returns zmm register i.
func Z(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3}[i]
}

var ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}

// lanesTable emits 16 int32 −1 then 16 zeros: the 8 (or 4) values at
// index 16−n+o are the VMASKMOVPS mask of the lanes o+i < n.
func lanesTable(name string) Mem {
	t := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 32; i++ {
		v := uint32(0)
		if i < 16 {
			v = 0xffffffff
		}
		DATA(4*i, U32(v))
	}
	return t
}

// epilogueAVX2 emits engineBias[Res][ReLU]AVX2, engineBias…AVX512 with
// ymm registers: 32 values per iteration, then 8, then a tail read and
// written with VMASKMOVPS.
func epilogueAVX2(lanes Mem, res, relu bool) {
	name, dst, src, rp, n, bp, end := epilogueHead("AVX2", "AVX2", res, relu)
	vb, zero, mask, tmp := Y15, Y14, Y13, Y12
	VBROADCASTSS(bp, vb)
	if relu {
		VXORPS(zero, zero, zero)
	}
	op := func(v VecPhysical, m Mem, masked bool) {
		if masked {
			VMASKMOVPS(m, mask, v)
		} else {
			VMOVUPS(m, v)
		}
		VADDPS(vb, v, v)
		if res {
			r := Mem{Base: rp, Disp: m.Disp}
			if masked {
				VMASKMOVPS(r, mask, tmp)
				VADDPS(tmp, v, v)
			} else {
				VADDPS(r, v, v)
			}
		}
		if relu {
			// VMAXPS returns its first Go operand when either is NaN.
			VMAXPS(v, zero, v)
		}
	}
	advance := func(k int) {
		ADDQ(U32(4*k), dst)
		ADDQ(U32(4*k), src)
		if res {
			ADDQ(U32(4*k), rp)
		}
		SUBQ(U32(k), n)
	}
	Label(name + "_loop32")
	CMPQ(n, U32(32))
	JB(LabelRef(name + "_loop8"))
	for v := 0; v < 4; v++ {
		op(ymm[v], Mem{Base: src, Disp: 32 * v}, false)
	}
	for v := 0; v < 4; v++ {
		VMOVUPS(ymm[v], Mem{Base: dst, Disp: 32 * v})
	}
	advance(32)
	JMP(LabelRef(name + "_loop32"))

	Label(name + "_loop8")
	CMPQ(n, U32(8))
	JB(LabelRef(name + "_tail"))
	op(Y0, Mem{Base: src}, false)
	VMOVUPS(Y0, Mem{Base: dst})
	advance(8)
	JMP(LabelRef(name + "_loop8"))

	Label(name + "_tail")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Comment("The n < 8 values left: the mask at lanes + 4·(16−n).")
	t := GP64()
	MOVQ(U32(16), t)
	SUBQ(n, t)
	lp := GP64()
	LEAQ(lanes, lp)
	VMOVUPS(Mem{Base: lp, Index: t, Scale: 4}, mask)
	op(Y0, Mem{Base: src}, true)
	VMASKMOVPS(Y0, mask, Mem{Base: dst})
	end()
}

// epilogueHead declares engineBias[Res][ReLU]{suffix} (documented as
// using isa) and starts its loop over rows: it returns the function's
// name, the row's dst, src, res (only when res) and n, the bias's address,
// and end, which emits the end of a row (label name_done): the next row's
// pointers, ldd, lds and ldr bytes on, and the return after the last.
func epilogueHead(suffix, isa string, res, relu bool) (name string, dst, src, rp, n Register, b Mem, end func()) {
	name = "engineBias"
	expr := "src[i] + b"
	if res {
		name += "Res"
		expr += " + res[i]"
	}
	if relu {
		name += "ReLU"
		expr = "max(" + expr + ", 0) // NaN stays NaN"
	}
	name += suffix
	TEXT(name, NOSPLIT, "func(dst, src, res *float32, n int, b float32, rows, ldd, lds, ldr int)")
	Doc(name+" computes, for each of rows ≥ 1 rows (dst, src and res",
		"advancing by ldd, lds and ldr bytes a row) and i in [0, n), n ≥ 1 (res",
		"is read only if named):",
		"",
		"\tdst[i] = "+expr,
		"",
		"with "+isa+"; dst may be src.")
	Pragma("noescape")
	d0 := Load(Param("dst"), GP64())
	s0 := Load(Param("src"), GP64())
	var r0 Register
	if res {
		r0 = Load(Param("res"), GP64())
	}
	rows := Load(Param("rows"), GP64())
	Label(name + "_row")
	dst, src = GP64(), GP64()
	MOVQ(d0, dst)
	MOVQ(s0, src)
	if res {
		rp = GP64()
		MOVQ(r0, rp)
	}
	n = Load(Param("n"), GP64())
	end = func() {
		Label(name + "_done")
		ADDQ(paramAddr("ldd"), d0)
		ADDQ(paramAddr("lds"), s0)
		if res {
			ADDQ(paramAddr("ldr"), r0)
		}
		DECQ(rows)
		JNZ(LabelRef(name + "_row"))
		VZEROUPPER()
		RET()
	}
	return name, dst, src, rp, n, paramAddr("b"), end
}
