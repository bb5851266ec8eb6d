// Command _gen_engine writes the inference engine's AVX-512 kernels with
// avo, one set per -set value, each into its own .s file and Go stubs:
//
//	-set epilogue  ../engine_epilogue_amd64.s: bias, residual add, ReLU
//	-set conv      ../engine_conv_amd64.s: the implicit-GEMM convolution tiles
//	-set wino      ../wino_amd64.s: the Winograd F(2×2, 3×3) transforms
//	-set pool      ../engine_pool_amd64.s: the 3×3 stride-2 max pool rows
//	-set stride    ../engine_stride_amd64.s: every other value of a row
//
// Run it with `go generate ./internal/kernels/` (the go:generate lines are
// in engine_*_amd64.go and wino_amd64.go).
package main

import (
	"flag"
	"fmt"

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
	case "conv":
		convTiles()
	case "wino":
		winoTransforms()
	case "pool":
		maxPoolRow()
	case "stride":
		everyOther()
	default:
		panic("unknown -set " + *set)
	}
	Generate()
}

// epilogue emits engineBias[Res][ReLU]AVX512: dst[i] = src[i] + b
// (+ res[i]) (clamped at 0), 64 values per iteration, then 16, then a
// masked tail.
func epilogue(res, relu bool) {
	name := "engineBias"
	expr := "src[i] + b"
	if res {
		name += "Res"
		expr += " + res[i]"
	}
	if relu {
		name += "ReLU"
		expr = "max(" + expr + ", 0) // NaN stays NaN"
	}
	name += "AVX512"
	TEXT(name, NOSPLIT, "func(dst, src, res *float32, n int, b float32)")
	Doc(name+" computes, for i in [0, n) (res is read only if named):",
		"",
		"\tdst[i] = "+expr,
		"",
		"with AVX-512; dst may be src.")
	Pragma("noescape")
	dst := Load(Param("dst"), GP64())
	src := Load(Param("src"), GP64())
	var rp Register
	if res {
		rp = Load(Param("res"), GP64())
	}
	n := Load(Param("n"), GP64())
	bp, err := Param("b").Resolve()
	if err != nil {
		panic(err)
	}
	vb, zero := Z30, Z31
	VBROADCASTSS(bp.Addr, vb)
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
	Label(name + "_done")
	VZEROUPPER()
	RET()
	_ = fmt.Sprint
}

// Z returns zmm register i.
func Z(i int) VecPhysical {
	return []VecPhysical{Z0, Z1, Z2, Z3}[i]
}
