// Command _gen_arm64 writes ../gemm_arm64.s and ../gemm_stubs_arm64.go:
// the NEON SGEMM micro-kernels for arm64 (r×16 tiles, r ≤ 6, with the
// epilogue of the amd64 tiles) and the peak-FMA loop; and
// ../engine_arm64.s and ../engine_stubs_arm64.go: engine kernels, the
// Winograd F(2×2, 3×3) and F(4×4, 3×3) transforms (wino.go in this
// directory), the convolutions' epilogues (epilogue.go), ResNet's max
// pool (pool.go), the stride-2 layers' subsampling (stride.go) and the
// direct convolutions' implicit GEMM (conv.go). avo generates amd64
// only, so this program prints the Go assembly itself, from one
// description of a tile for every height. Run it with
// `go generate ./internal/kernels/` (see gemm_arm64.go).
//
// The Go assembler has no FMUL, FADD, FSUB or FMAX on vectors; they are emitted
// as WORD with their encodings (fmul, fadd, fsub, fmax; the generated
// file names each in a comment). The kernels' tests, run on arm64 (CI:
// under qemu-user), check what they compute, NaN and ReLU included.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"strings"
)

var (
	out      = flag.String("out", "gemm_arm64.s", "assembly output")
	stubs    = flag.String("stubs", "gemm_stubs_arm64.go", "Go declarations output")
	engOut   = flag.String("engine-out", "engine_arm64.s", "the engine kernels' assembly output")
	engStubs = flag.String("engine-stubs", "engine_stubs_arm64.go", "the engine kernels' Go declarations output")
)

// maxRows is the tallest tile: 6 rows of 4 vectors make 24 accumulators,
// with 4 registers for a row of B and 2 for broadcasts of A.
const maxRows = 6

// tileArgs is the tiles' frame: the amd64 tiles' signature.
const (
	tileSignature = "func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr, flags int)"
	tileArgs      = 104
)

// emitter collects the assembly (s, ws) and Go declarations (g, w) of
// the SGEMM and engine files; ins and label write to cur (nil: s).
type emitter struct {
	s, g, ws, w bytes.Buffer
	cur         *bytes.Buffer
}

func (e *emitter) out() *bytes.Buffer {
	if e.cur == nil {
		return &e.s
	}
	return e.cur
}

// to runs f with the instructions going to buf.
func (e *emitter) to(buf *bytes.Buffer, f func()) {
	saved := e.cur
	e.cur = buf
	f()
	e.cur = saved
}

// engineFunc emits the engine kernel name (Go signature sig, frame
// bytes of arguments, doc its comment's lines) into the engine files,
// its instructions written by body.
func (e *emitter) engineFunc(name, sig string, frame int, doc string, body func()) {
	fmt.Fprintf(&e.w, "\n// %s\n//\n//go:noescape\nfunc %s%s\n", strings.ReplaceAll(doc, "\n", "\n// "), name, sig)
	fmt.Fprintf(&e.ws, "\n// func %s%s\nTEXT ·%s(SB), NOSPLIT|NOFRAME, $0-%d\n", name, sig, name, frame)
	e.to(&e.ws, body)
}

// epilogue emits BiasAct's steps on the vectors V(acc[i]) and stores
// them: + V(bias[i]); then, unless register resp is zero, the residual
// that loadRes loads into V(res[i]) is added; then, unless register relu
// is zero, max(·, 0) with V(zero) holding 0 (FMAX: NaN stays NaN); then
// the instructions store. sfx makes its labels unique.
func (e *emitter) epilogue(sfx string, acc, bias []int, resp string, loadRes []string, res []int, relu string, zero int, store ...string) {
	for i, a := range acc {
		e.fadd(a, a, bias[i])
	}
	e.ins("CBZ\t%s, nores%s", resp, sfx)
	for _, l := range loadRes {
		e.ins("%s", l)
	}
	for i, a := range acc {
		e.fadd(a, a, res[i])
	}
	e.label("nores" + sfx)
	e.ins("CBZ\t%s, store%s", relu, sfx)
	for _, a := range acc {
		e.fmax(a, a, zero)
	}
	e.label("store" + sfx)
	for _, st := range store {
		e.ins("%s", st)
	}
}

// seq returns n consecutive register numbers from v; same returns v n
// times.
func seq(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v + i
	}
	return s
}

func same(v, n int) []int {
	s := make([]int, n)
	for i := range s {
		s[i] = v
	}
	return s
}

// countDown emits the end of a loop counted down in reg: decrement, and
// back to label while not zero.
func (e *emitter) countDown(reg, label string) {
	e.ins("SUBS\t$1, %s, %s", reg, reg)
	e.ins("BNE\t%s", label)
}

// done emits the label "done", where a kernel's loops end, and RET.
func (e *emitter) done() {
	e.label("done")
	e.ins("RET")
}

func (e *emitter) ins(format string, args ...any) {
	fmt.Fprintf(e.out(), "\t"+format+"\n", args...)
}

func (e *emitter) label(l string) { fmt.Fprintf(e.out(), "%s:\n", l) }

// vec3 emits a three-register vector instruction on 4 single-precision
// lanes (Vd = Vn op Vm) from its encoding with the registers zero.
func (e *emitter) vec3(name string, enc uint32, d, n, m int) {
	e.ins("WORD\t$0x%08x\t// %s V%d.4S, V%d.4S, V%d.4S", enc|uint32(m)<<16|uint32(n)<<5|uint32(d), name, d, n, m)
}

const (
	fmulEnc = 0x6e20dc00 // FMUL (vector), Q=1, single precision
	faddEnc = 0x4e20d400 // FADD (vector)
	fmaxEnc = 0x4e20f400 // FMAX (vector): NaN if either operand is NaN
)

// bfdotEnc is BFDOT (vector), Q=1: Vd.4S, Vn.8H, Vm.8H (FEAT_BF16).
const bfdotEnc = 0x6e40fc00

// bfdot emits BFDOT Vd.4S, Vn.8H, Vm.8H: each lane of Vd plus the two
// products of the lane's bfloat16 pair in Vn with the pair in Vm, summed
// as the architecture defines it (BFDotAdd: round to odd, denormals
// flushed, whatever FPCR says).
func (e *emitter) bfdot(d, n, m int) {
	e.ins("WORD\t$0x%08x\t// bfdot V%d.4S, V%d.8H, V%d.8H", bfdotEnc|uint32(m)<<16|uint32(n)<<5|uint32(d), d, n, m)
}

func (e *emitter) fmul(d, n, m int) { e.vec3("fmul", fmulEnc, d, n, m) }
func (e *emitter) fadd(d, n, m int) { e.vec3("fadd", faddEnc, d, n, m) }
func (e *emitter) fmax(d, n, m int) { e.vec3("fmax", fmaxEnc, d, n, m) }

// regsN names n consecutive vector registers from v as a list.
func regsN(v, n int) string {
	var b strings.Builder
	b.WriteString("[")
	for j := 0; j < n; j++ {
		if j > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "V%d.S4", v+j)
	}
	b.WriteString("]")
	return b.String()
}

// tile emits sgemmTile{r}x{4·vecs}NEON: the amd64 sgemmTile's contract
// (see its doc in gemm_stubs_amd64.go) for an r×4vecs tile (16 columns,
// or 8 for a right edge). Accumulator (i, v) is V(vecs·i+v); a step of K
// loads a row of B into V24… (post-incremented by rsb) and each row's
// value of A, broadcast with LD1R (post-incremented by csa) into V28 or
// V29 in turn, then issues r·vecs FMLA. K is unrolled by 2.
//
// With bf16, bf16Tile{r}x{4·vecs}NEON: the same on words of bfloat16
// pairs (k counts pairs), each FMLA a BFDOT (FEAT_BF16), which adds both
// products of a lane's pair with the broadcast pair of A: the layout of
// the AVX512-BF16 tiles (PackBF16, PackBF16Rows).
func (e *emitter) tile(r, vecs int, bf16 bool) {
	name := fmt.Sprintf("sgemmTile%dx%dNEON", r, 4*vecs)
	doc := fmt.Sprintf("%s is sgemmTile%dx32AVX512's contract for an %d×%d tile, with NEON.", name, r, r, 4*vecs)
	if bf16 {
		name = fmt.Sprintf("bf16Tile%dx%dNEON", r, 4*vecs)
		doc = fmt.Sprintf("%s is bf16Tile%dx32AVX512's contract for an %d×%d tile of bfloat16\n// pairs, with NEON's BFDOT.", name, r, r, 4*vecs)
	}
	fmt.Fprintf(&e.g, "\n// %s\n//\n//go:noescape\nfunc %s%s\n", doc, name, strings.TrimPrefix(tileSignature, "func"))
	fmt.Fprintf(&e.s, "\n// func %s%s\nTEXT ·%s(SB), NOSPLIT|NOFRAME, $0-%d\n", name, strings.TrimPrefix(tileSignature, "func"), name, tileArgs)
	row := func(i int) string { return fmt.Sprintf("R%d", 6+i) } // A's row i
	e.label("top")
	e.ins("MOVD\tk+0(FP), R0")
	e.ins("MOVD\ta+8(FP), R6")
	e.ins("MOVD\trsa+16(FP), R2")
	e.ins("LSL\t$2, R2")
	e.ins("MOVD\tcsa+24(FP), R3")
	e.ins("LSL\t$2, R3")
	e.ins("MOVD\tb+32(FP), R4")
	e.ins("MOVD\trsb+40(FP), R5")
	e.ins("LSL\t$2, R5")
	for i := 1; i < r; i++ {
		e.ins("ADD\tR2, %s, %s", row(i-1), row(i))
	}
	for v := 0; v < vecs*r; v++ {
		e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", v, v, v)
	}
	step := func() {
		e.ins("VLD1.P\t(R4)(R5), %s", regsN(24, vecs))
		for i := 0; i < r; i++ {
			bc := 28 + i%2
			e.ins("VLD1R.P\t(%s)(R3), [V%d.S4]", row(i), bc)
			for v := 0; v < vecs; v++ {
				if bf16 {
					e.bfdot(vecs*i+v, 24+v, bc)
				} else {
					e.ins("VFMLA\tV%d.S4, V%d.S4, V%d.S4", 24+v, bc, vecs*i+v)
				}
			}
		}
	}
	e.ins("LSR\t$1, R0, R12")
	e.ins("CBZ\tR12, tail")
	e.label("loop")
	step()
	step()
	e.countDown("R12", "loop")
	e.label("tail")
	e.ins("TBZ\t$0, R0, scale")
	step()

	e.label("scale")
	e.ins("MOVD\tc+48(FP), R13")
	e.ins("MOVD\tldc+56(FP), R14")
	e.ins("LSL\t$2, R14")
	e.ins("FMOVS\talpha+64(FP), F30")
	e.ins("VDUP\tV30.S[0], V30.S4")
	for v := 0; v < vecs*r; v++ {
		e.fmul(v, v, 30)
	}
	e.ins("// beta == 0 (either sign): C is not read.")
	e.ins("MOVWU\tbeta+68(FP), R16")
	e.ins("ANDW\t$0x7fffffff, R16, R16")
	e.ins("CBZW\tR16, epilogue")
	e.ins("FMOVS\tbeta+68(FP), F31")
	e.ins("VDUP\tV31.S[0], V31.S4")
	e.ins("MOVD\tR13, R17")
	for i := 0; i < r; i++ {
		e.ins("VLD1\t(R17), %s", regsN(24, vecs))
		for v := 0; v < vecs; v++ {
			e.ins("VFMLA\tV%d.S4, V31.S4, V%d.S4", 24+v, vecs*i+v)
		}
		if i < r-1 {
			e.ins("ADD\tR14, R17, R17")
		}
	}
	e.label("epilogue")
	e.ins("MOVD\tflags+96(FP), R15")
	e.ins("TBZ\t$0, R15, residual")
	e.ins("// Bias: one value per row.")
	e.ins("MOVD\tbias+72(FP), R16")
	for i := 0; i < r; i++ {
		e.ins("VLD1R.P\t4(R16), [V30.S4]")
		for v := 0; v < vecs; v++ {
			e.fadd(vecs*i+v, vecs*i+v, 30)
		}
	}
	e.label("residual")
	e.ins("TBZ\t$1, R15, relu")
	e.ins("// Residual: a tile of its own row stride.")
	e.ins("MOVD\tres+80(FP), R16")
	e.ins("MOVD\tldr+88(FP), R17")
	e.ins("LSL\t$2, R17")
	for i := 0; i < r; i++ {
		e.ins("VLD1.P\t(R16)(R17), %s", regsN(24, vecs))
		for v := 0; v < vecs; v++ {
			e.fadd(vecs*i+v, vecs*i+v, 24+v)
		}
	}
	e.label("relu")
	e.ins("TBZ\t$2, R15, write")
	e.ins("VEOR\tV30.B16, V30.B16, V30.B16")
	for v := 0; v < vecs*r; v++ {
		e.fmax(v, v, 30)
	}
	e.label("write")
	for i := 0; i < r; i++ {
		e.ins("VST1\t%s, (R13)", regsN(vecs*i, vecs))
		if i < r-1 {
			e.ins("ADD\tR14, R13, R13")
		}
	}
	e.nextTile(r)
	e.ins("RET")
}

// nextTile emits the end of a tile run: while flags>>8 (more tiles of
// the same r rows below this one) is not zero, it takes one off, moves
// the parameters a, c, the bias (flags bit 0) and the residual (bit 1) r
// rows on, and runs the tile again from the top, on the same panel of B
// (amd64's tiles do the same: kernels.tileRunOf).
func (e *emitter) nextTile(r int) {
	e.runNext("flags+96", r)
	e.stepRows("a+8", "rsa+16")
	e.stepRows("c+48", "ldc+56")
	e.ins("TBZ\t$0, R15, nobias")
	e.stepValues("bias+72")
	e.label("nobias")
	e.ins("TBZ\t$1, R15, top")
	e.stepRows("res+80", "ldr+88")
	e.ins("B\ttop")
	e.label("last")
}

// runNext emits the test that ends a run at label "last" unless the
// frame's flags (flags>>8: the tiles still to come) count one more; it
// then takes one off, leaving the flags in R15, and the bytes of r rows
// of a stride of one value in R16, for stepRows and stepValues.
func (e *emitter) runNext(flags string, r int) {
	e.ins("// flags>>8: more tiles of the same height below this one.")
	e.ins("MOVD\t%s(FP), R15", flags)
	e.ins("CMP\t$255, R15")
	e.ins("BLS\tlast")
	e.ins("SUB\t$256, R15")
	e.ins("MOVD\tR15, %s(FP)", flags)
	e.ins("MOVD\t$%d, R16\t// bytes in r rows of a stride of one value", 4*r)
}

// stepRows moves the frame's pointer ptr (name+offset) r rows of its
// stride (another parameter, in values) on: ptr += R16·stride.
func (e *emitter) stepRows(ptr, stride string) {
	e.ins("MOVD\t%s(FP), R17", ptr)
	e.ins("MOVD\t%s(FP), R12", stride)
	e.ins("MADD\tR16, R17, R12, R17")
	e.ins("MOVD\tR17, %s(FP)", ptr)
}

// stepValues moves the frame's pointer ptr r 4-byte values on.
func (e *emitter) stepValues(ptr string) {
	e.ins("MOVD\t%s(FP), R17", ptr)
	e.ins("ADD\tR16, R17")
	e.ins("MOVD\tR17, %s(FP)", ptr)
}

// peak emits fmaPeakNEON: n rounds of 24 independent FMLA chains, the
// throughput ceiling of the tiles.
func (e *emitter) peak() {
	e.peakLoop("fmaPeakNEON", "FMLA", "operations", 8, "the SGEMM tiles", func(d, n, m int) {
		e.ins("VFMLA\tV%d.S4, V%d.S4, V%d.S4", n, m, d)
	})
}

// peakSDOT emits sdotPeakNEON: n rounds of 24 independent SDOT chains,
// the throughput ceiling of the int8 tiles.
func (e *emitter) peakSDOT() {
	e.peakLoop("sdotPeakNEON", "SDOT", "int8 operations", 32, "the int8 tiles", e.sdot)
}

// peakBFDOT emits bfdotPeakNEON: n rounds of 24 independent BFDOT
// chains, the throughput ceiling of the bf16 tiles.
func (e *emitter) peakBFDOT() {
	e.peakLoop("bfdotPeakNEON", "BFDOT", "operations", 16, "the bf16 tiles", e.bfdot)
}

// peakLoop emits name: n rounds of 24 independent chains of the
// instruction that op emits (Vd += Vn·Vm), of ops operations each.
func (e *emitter) peakLoop(name, insName, unit string, ops int, what string, op func(d, n, m int)) {
	const chains = 24
	fmt.Fprintf(&e.g, "\n// %s runs n rounds of %d independent %s chains (%d %s a round),\n// the throughput ceiling %s are measured against.\n//\n//go:noescape\nfunc %s(n int)\n", name, chains, insName, chains*ops, unit, what, name)
	fmt.Fprintf(&e.s, "\n// func %s(n int)\nTEXT ·%s(SB), NOSPLIT|NOFRAME, $0-8\n", name, name)
	e.ins("MOVD\tn+0(FP), R0")
	for v := 0; v < chains+2; v++ {
		e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", v, v, v)
	}
	e.ins("CBZ\tR0, done")
	e.label("loop")
	for v := 0; v < chains; v++ {
		op(v, chains, chains+1)
	}
	e.countDown("R0", "loop")
	e.done()
}

func main() {
	flag.Parse()
	var e emitter
	e.s.WriteString("// Code generated by command: go run ./_gen_arm64. DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	e.g.WriteString("// Code generated by command: go run ./_gen_arm64. DO NOT EDIT.\n\n//go:build !purego\n\npackage kernels\n")
	for _, bf16 := range []bool{false, true} {
		for r := 1; r <= maxRows; r++ {
			e.tile(r, 4, bf16)
		}
		for r := 1; r <= maxRows; r++ {
			e.tile(r, 2, bf16) // half-width tiles for a narrow right edge
		}
	}
	for r := 1; r <= maxRows; r++ {
		e.dotRows(r)
	}
	e.peak()
	e.peakSDOT()
	e.peakBFDOT()
	e.ws.WriteString("// Code generated by command: go run ./_gen_arm64. DO NOT EDIT.\n\n//go:build !purego\n\n#include \"textflag.h\"\n")
	e.w.WriteString("// Code generated by command: go run ./_gen_arm64. DO NOT EDIT.\n\n//go:build !purego\n\npackage kernels\n")
	e.winoInput()
	e.winoOutput()
	e.wino4Input()
	e.wino4Output()
	e.biasActRows()
	e.transposeBiasAct()
	e.transposeBlocks()
	e.maxPoolRow()
	e.everyOtherRows()
	e.deinterleaveRows()
	for r := 1; r <= 6; r++ {
		for v := 1; v <= 4; v++ {
			e.convTile(r, v)
		}
		e.convTileT(r, 4)
	}
	for _, i8mm := range []bool{false, true} {
		for r := 1; r <= 6; r++ {
			e.int8Tile(r, i8mm)
		}
	}
	e.s8RowSums()
	e.packBF16(false)
	e.packBF16(true)
	for nv := 1; nv <= 4; nv++ {
		e.packU8(nv, false)
		e.packU8(nv, true)
	}
	for _, f := range []struct {
		name string
		buf  *bytes.Buffer
	}{{*out, &e.s}, {*stubs, &e.g}, {*engOut, &e.ws}, {*engStubs, &e.w}} {
		if err := os.WriteFile(f.name, f.buf.Bytes(), 0o644); err != nil {
			log.Fatal(err)
		}
	}
}

const (
	faddpEnc  = 0x6e20d400 // FADDP (vector), 4S: pairwise sums
	faddpsEnc = 0x7e30d800 // FADDP (scalar), Sd = the two lanes of Vn.2S summed
)

// dotRows emits sdotRows{r}NEON: asmDotRows's contract (gemm_asm.go),
// c[i·ldc] = Σ_p a[i·lda+p]·b[p] for r rows and p < k, k a multiple of 4:
// a vector accumulator a row (FMLA on 4 values of the row and of b a
// step), then its lanes summed pairwise (FADDP twice).
func (e *emitter) dotRows(r int) {
	name := fmt.Sprintf("sdotRows%dNEON", r)
	const sig = "(k int, a *float32, lda int, b, c *float32, ldc int)"
	fmt.Fprintf(&e.g, "\n// %s computes %d dot products of rows of A with b (asmDotRows), k a\n// multiple of 4.\n//\n//go:noescape\nfunc %s%s\n", name, r, name, sig)
	fmt.Fprintf(&e.s, "\n// func %s%s\nTEXT ·%s(SB), NOSPLIT|NOFRAME, $0-48\n", name, sig, name)
	row := func(i int) string { return fmt.Sprintf("R%d", 6+i) }
	e.ins("MOVD\tk+0(FP), R0")
	e.ins("MOVD\ta+8(FP), R6")
	e.ins("MOVD\tlda+16(FP), R2")
	e.ins("LSL\t$2, R2")
	e.ins("MOVD\tb+24(FP), R3")
	e.ins("MOVD\tc+32(FP), R4")
	e.ins("MOVD\tldc+40(FP), R5")
	e.ins("LSL\t$2, R5")
	for i := 1; i < r; i++ {
		e.ins("ADD\tR2, %s, %s", row(i-1), row(i))
	}
	for i := 0; i < r; i++ {
		e.ins("VEOR\tV%d.B16, V%d.B16, V%d.B16", i, i, i)
	}
	e.ins("LSR\t$2, R0, R12")
	e.ins("CBZ\tR12, sum")
	e.label("loop")
	e.ins("VLD1.P\t16(R3), [V8.S4]")
	for i := 0; i < r; i++ {
		e.ins("VLD1.P\t16(%s), [V%d.S4]", row(i), 16+i)
		e.ins("VFMLA\tV8.S4, V%d.S4, V%d.S4", 16+i, i)
	}
	e.countDown("R12", "loop")
	e.label("sum")
	for i := 0; i < r; i++ {
		e.vec3("faddp", faddpEnc, i, i, i)
		e.ins("WORD\t$0x%08x\t// faddp S%d, V%d.2S", faddpsEnc|uint32(i)<<5|uint32(i), i, i)
		e.ins("FMOVS\tF%d, (R4)", i)
		if i < r-1 {
			e.ins("ADD\tR5, R4, R4")
		}
	}
	e.ins("RET")
}
