// Command _gen writes ../gemm_amd64.s and its Go declarations
// ../gemm_stubs_amd64.go with avo: the AVX-512 and AVX2+FMA SGEMM
// micro-kernels, one per tile height, the bfloat16 (AVX512-BF16) and 8-bit
// (AVX512-VNNI, and AVX-VNNI in int8avx2.go) ones, and the peak reference
// loops.
// Run it with `go generate ./internal/kernels/` (see gemm_amd64.go).
package main

import (
	"fmt"
	"strings"

	"github.com/mmcloughlin/avo/ir"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var (
	zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
		Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}
	ymm = []VecPhysical{Y0, Y1, Y2, Y3, Y4, Y5, Y6, Y7, Y8, Y9, Y10, Y11, Y12, Y13, Y14, Y15}
)

// isa describes one vector extension: its registers and their width.
type isa struct {
	name  string
	regs  []VecPhysical
	lanes int // float32 lanes per register
}

var (
	avx512 = isa{"AVX512", zmm, 16}
	avx2   = isa{"AVX2", ymm, 8}
)

func main() {
	ConstraintExpr("!purego")
	for rows := 1; rows <= 12; rows++ {
		tile(avx512, rows, 2, 4)
	}
	for rows := 1; rows <= 12; rows++ {
		tile(avx512, rows, 1, 4) // half-width tiles for a narrow right edge
	}
	for rows := 1; rows <= 6; rows++ {
		tile(avx2, rows, 2, 4)
	}
	for _, vecs := range []int{2, 1} {
		for rows := 1; rows <= 12; rows++ {
			bf16Tile(rows, vecs)
		}
	}
	packBF16(false)
	packBF16(true)
	for _, vecs := range []int{2, 1} {
		for rows := 1; rows <= 12; rows++ {
			int8Tile(rows, vecs)
		}
		packU8(vecs, false)
		packU8(vecs, true)
	}
	dot(avx512)
	dot(avx2)
	for rows := 1; rows <= 12; rows++ {
		dotRows(avx512, rows)
	}
	for rows := 1; rows <= 6; rows++ {
		dotRows(avx2, rows)
	}
	peak(avx512, 24)
	peak(avx2, 12)
	bf16Peak(24)
	vnniPeak(24)
	int8AVX2Data()
	for rows := 1; rows <= 6; rows++ {
		int8TileAVX2(rows)
	}
	packU8AVX2(false)
	packU8AVX2(true)
	vnniPeakAVX2(12)
	Generate()
}

// tile emits sgemmTile{mr}x{nr}{ISA}: an mr×nr tile of C (nr = vecs
// registers of lanes floats per row) held in mr·vecs accumulators. Each
// step of k loads one row of the packed B panel into vecs registers,
// broadcasts the mr values of one column of A in turn, and issues mr·vecs
// independent VFMADD231PS. K is unrolled by 4. A is addressed with a row
// stride rsa and a column stride csa (in elements), so the same kernel
// reads a packed panel (1, mr) or A in place ((lda, 1), or (1, lda) when
// transposed), which saves packing the weights of a convolution; B with a
// row stride rsb, so a panel of B can be read in place too.
func tile(x isa, mr, vecs, unroll int) {
	nr := vecs * x.lanes
	name := fmt.Sprintf("sgemmTile%dx%d%s", mr, nr, x.name)
	TEXT(name, NOSPLIT, tileSignature)
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes the %[2]d×%[3]d tile C = alpha·A·B + beta·C
with %[4]s, where A is addressed with the row and column strides rsa and csa
and B with the row stride rsb (a packed panel has rsb = %[3]d), then the
epilogue flags ask for, on the registers before they are stored: with bit 0,
C[i, j] += bias[i]; then with bit 1, C[i, j] += res[i*ldr+j]; then with
bit 2, C[i, j] = max(C[i, j], 0) (NaN stays NaN). With bit 3 (and not 1 or
2), res is a prefetch stream instead: each step of k in the unrolled loop
prefetches one 64-byte line of it into L2 (the next slice of B). With bit 4
(not with bit 3), each step of k prefetches into L2 the lines of B's row
that the next panel to the right holds (B in place, %[3]d floats on). With
flags>>8 = n > 0 (and neither bit 3 nor bit 4), n more tiles follow, each
%[2]d rows of A, C, bias and res below the one before, with the same B. In
Go, without the epilogue:

	for i := 0; i < %[2]d; i++ {
		for j := 0; j < %[3]d; j++ {
			var s float32
			for p := 0; p < k; p++ {
				s += a[i*rsa+p*csa] * b[p*rsb+j]
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * s // C is not read
			} else {
				c[i*ldc+j] = alpha*s + beta*c[i*ldc+j]
			}
		}
	}`, name, mr, nr, x.name), "\n")...)
	tileBody(name, x, mr, vecs, unroll, false)
}

// tileSignature is the Go declaration of the SGEMM and bf16 tiles.
const tileSignature = "func(k int, a *float32, rsa, csa int, b *float32, rsb int, c *float32, ldc int, alpha, beta float32, bias, res *float32, ldr, flags int)"

// bf16Tile emits bf16Tile{mr}x{nr}AVX512: tile's kernel with VDPBF16PS
// (AVX512-BF16) for VFMADD231PS. A and B hold pairs of bfloat16 values in
// 32-bit words (the low half first in K), k counts pairs, and each step
// adds both products of a pair into the float32 accumulators.
func bf16Tile(mr, vecs int) {
	nr := vecs * avx512.lanes
	name := fmt.Sprintf("bf16Tile%dx%dAVX512", mr, nr)
	TEXT(name, NOSPLIT, tileSignature)
	Doc(strings.Split(fmt.Sprintf(`%[1]s is sgemmTile%[2]dx%[3]dAVX512 on pairs of
bfloat16 values: A[i, p] and B[p, j] are 32-bit words each holding the
bfloat16 values of K rows 2p (low half) and 2p+1 (high half), k counts the
pairs, and each pair adds A_hi·B_hi and then A_lo·B_lo to the float32
accumulator (VDPBF16PS: the products are exact, the sums round to nearest,
denormals are flushed to zero). The epilogue and the runs of tiles (flags>>8)
are sgemmTile's.`, name, mr, nr), "\n")...)
	tileBody(name, avx512, mr, vecs, 4, true)
}

// rowBases loads A's address (parameter a) and returns the registers
// addressing mr of its rows, rs bytes apart, and the address of row i
// plus disp bytes: rows 3q, 3q+1 and 3q+2 are at (aq), (aq)(rs*1) and
// (aq)(rs*2), so that stepping along k adds to the len(bases) registers.
func rowBases(mr int, rs Register) (bases []Register, row func(i, disp int) Mem) {
	Comment("Rows 3q, 3q+1, 3q+2 of A are at (aq), (aq)(rs*1), (aq)(rs*2).")
	bases = make([]Register, (mr+2)/3)
	bases[0] = Load(Param("a"), GP64())
	rs3 := GP64()
	LEAQ(Mem{Base: rs, Index: rs, Scale: 2}, rs3)
	for q := 1; q < len(bases); q++ {
		bases[q] = GP64()
		LEAQ(Mem{Base: bases[q-1], Index: rs3, Scale: 1}, bases[q])
	}
	return bases, func(i, disp int) Mem {
		m := Mem{Base: bases[i/3], Disp: disp}
		if i%3 != 0 {
			m.Index, m.Scale = rs, uint8(i%3)
		}
		return m
	}
}

// nextB emits, for flags&16, the loop of a tile that also prefetches the
// next panel of B, in place to its right: each step of k the lines
// (PREFETCHT1) of B's row that panel holds, vecs·lanes floats on from the
// row this step reads. It ends at name+"_tail"; without flags&16 it falls
// through.
func nextB(name string, x isa, vecs, unroll int, b, n Register, step func(int)) {
	fl := Load(Param("flags"), GP64())
	TESTQ(U32(16), fl)
	JZ(LabelRef(name + "_nonb"))
	Label(name + "_nbloop") // n counts the unrolled steps, b is B's row
	for u := 0; u < unroll; u++ {
		for d := 0; d < 4*vecs*x.lanes; d += 64 {
			PREFETCHT1(Mem{Base: b, Disp: 4*vecs*x.lanes + d})
		}
		step(u)
	}
	DECQ(n)
	JNZ(LabelRef(name + "_nbloop"))
	JMP(LabelRef(name + "_tail"))
	Label(name + "_nonb")
}

// tileBody emits the kernel of tile and bf16Tile.
// prefetchNextResidual emits, at the start of a tile that has a residual
// (flags&2), prefetches of the next row block's rows of it (mr rows on,
// rowBytes each), then label name+"_zero". The engine's 1×1 tiles sweep a
// panel of columns down its row blocks, and the residual, a block's
// input, is in no cache near this core: its next rows arrive while this
// tile computes.
func prefetchNextResidual(name string, mr, rowBytes int) {
	Comment("With a residual (flags&2): prefetch the next row block's rows of it.")
	fl := Load(Param("flags"), GP64())
	TESTQ(U32(2), fl)
	JZ(LabelRef(name + "_zero"))
	rp, ldp, t := GP64(), GP64(), GP64()
	Load(Param("res"), rp)
	Load(Param("ldr"), ldp)
	SHLQ(U8(2), ldp)
	IMUL3Q(U32(mr), ldp, t)
	ADDQ(t, rp)
	for i := 0; i < mr; i++ {
		for d := 0; d < rowBytes-4; d += 64 {
			PREFETCHT0(Mem{Base: rp, Disp: d})
		}
		PREFETCHT0(Mem{Base: rp, Disp: rowBytes - 4})
		if i < mr-1 {
			ADDQ(ldp, rp)
		}
	}
	Label(name + "_zero")
}

func tileBody(name string, x isa, mr, vecs, unroll int, bf16 bool) {
	Pragma("noescape")
	if mr*vecs+vecs+1 > len(x.regs) || unroll != 4 {
		panic("unsupported tile shape")
	}
	acc := func(i, v int) VecPhysical { return x.regs[i*vecs+v] }
	bv := func(v int) VecPhysical { return x.regs[mr*vecs+v] }
	bcast := x.regs[mr*vecs+vecs]

	Label(name + "_top")
	k := Load(Param("k"), GP64())
	rs := Load(Param("rsa"), GP64())
	cs := Load(Param("csa"), GP64())
	SHLQ(U8(2), rs)
	SHLQ(U8(2), cs)
	b := Load(Param("b"), GP64())
	rsb := Load(Param("rsb"), GP64())
	SHLQ(U8(2), rsb)
	bases, rowAt := rowBases(mr, rs)
	rowAddr := func(i int) Mem { return rowAt(i, 0) }

	prefetchNextResidual(name, mr, 4*vecs*x.lanes)
	Comment("Zero the accumulators.")
	for i := 0; i < mr*vecs; i++ {
		VXORPS(x.regs[i], x.regs[i], x.regs[i])
	}

	step := func(u int) {
		for v := 0; v < vecs; v++ {
			VMOVUPS(Mem{Base: b, Disp: 4 * v * x.lanes}, bv(v))
		}
		ADDQ(rsb, b)
		for i := 0; i < mr; i++ {
			VBROADCASTSS(rowAddr(i), bcast)
			for v := 0; v < vecs; v++ {
				if bf16 {
					vdpbf16ps(bv(v), bcast, acc(i, v))
				} else {
					VFMADD231PS(bv(v), bcast, acc(i, v))
				}
			}
		}
		for _, r := range bases {
			ADDQ(cs, r)
		}
	}

	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(2), n)
	JZ(LabelRef(name + "_tail"))
	if !bf16 {
		nextB(name, x, vecs, unroll, b, n, step)
		Comment("flags&8: res is a prefetch stream instead of a residual, a line",
			"(PREFETCHT1) each step of k in the unrolled loop (the next slice of B).")
		pfl := Load(Param("flags"), GP64())
		TESTQ(U32(8), pfl)
		JZ(LabelRef(name + "_loop"))
		pf := Load(Param("res"), GP64())
		Label(name + "_pfloop")
		for u := 0; u < unroll; u++ {
			PREFETCHT1(Mem{Base: pf, Disp: 64 * u})
			step(u)
		}
		ADDQ(U32(64*unroll), pf)
		DECQ(n)
		JNZ(LabelRef(name + "_pfloop"))
		JMP(LabelRef(name + "_tail"))
	}
	Label(name + "_loop")
	for u := 0; u < unroll; u++ {
		step(u)
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_tail")
	ANDQ(U8(unroll-1), k)
	JZ(LabelRef(name + "_store"))
	Label(name + "_tailloop")
	step(0)
	DECQ(k)
	JNZ(LabelRef(name + "_tailloop"))

	Label(name + "_store")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	alpha, err := Param("alpha").Resolve()
	if err != nil {
		panic(err)
	}
	betaP, err := Param("beta").Resolve()
	if err != nil {
		panic(err)
	}
	valpha, vbeta := bv(0), bv(1)
	VBROADCASTSS(alpha.Addr, valpha)
	for i := 0; i < mr*vecs; i++ {
		VMULPS(valpha, x.regs[i], x.regs[i])
	}
	Comment("beta == 0 (either sign): C is not read.")
	bbits := GP32()
	MOVL(betaP.Addr, bbits)
	TESTL(U32(0x7fffffff), bbits)
	JZ(LabelRef(name + "_epilogue"))
	VBROADCASTSS(betaP.Addr, vbeta)
	cr := GP64()
	MOVQ(c, cr)
	for i := 0; i < mr; i++ {
		for v := 0; v < vecs; v++ {
			VFMADD231PS(Mem{Base: cr, Disp: 4 * v * x.lanes}, vbeta, acc(i, v))
		}
		if i < mr-1 {
			ADDQ(ldc, cr)
		}
	}

	Label(name + "_epilogue")
	flags := Load(Param("flags"), GP64())
	TESTQ(U32(1), flags)
	JZ(LabelRef(name + "_write"))
	Comment("Bias: one value per row.")
	t := tileRegs{x, mr, vecs, acc, false}
	t.addBias(Load(Param("bias"), GP64()), valpha)
	TESTQ(U32(2), flags)
	JZ(LabelRef(name + "_relu"))
	Comment("Residual: a tile of its own row stride.")
	res := Load(Param("res"), GP64())
	ldr := Load(Param("ldr"), GP64())
	SHLQ(U8(2), ldr)
	t.addMem(res, ldr)
	Label(name + "_relu")
	TESTQ(U32(4), flags)
	JZ(LabelRef(name + "_write"))
	t.relu(vbeta)

	Label(name + "_write")
	t.store(c, ldc)
	nextTile(name, mr)
	VZEROUPPER()
	RET()
}

// nextTile emits the end of a tile that flags>>8 more tiles follow: the
// next one's mr rows of A, C, the bias and the residual (with flags&1
// and flags&2) start mr rows further on; the count goes down by one in
// the flags and the kernel starts again at name+"_top".
func nextTile(name string, mr int) {
	Comment("flags>>8: more tiles of the same height below this one.")
	fl := Load(Param("flags"), GP64())
	CMPQ(fl, U32(255))
	JLS(LabelRef(name + "_done"))
	SUBQ(U32(256), fl)
	Store(fl, Param("flags"))
	stepRows("a", "rsa", mr)
	stepRows("c", "ldc", mr)
	TESTQ(U32(1), fl)
	JZ(LabelRef(name + "_nobias"))
	stepValues("bias", mr)
	Label(name + "_nobias")
	TESTQ(U32(2), fl)
	JZ(LabelRef(name + "_top"))
	stepRows("res", "ldr", mr)
	JMP(LabelRef(name + "_top"))
	Label(name + "_done")
}

// stepRows moves the pointer parameter ptr mr rows on, rows stride
// (another parameter, in floats) apart: to the next tile of a run.
func stepRows(ptr, stride string, mr int) {
	p, st := Load(Param(ptr), GP64()), Load(Param(stride), GP64())
	IMUL3Q(U32(4*mr), st, st)
	ADDQ(st, p)
	Store(p, Param(ptr))
}

// stepValues moves the pointer parameter ptr mr 4-byte values on.
func stepValues(ptr string, mr int) {
	p := Load(Param(ptr), GP64())
	ADDQ(U32(4*mr), p)
	Store(p, Param(ptr))
}

// tileRegs is a tile's mr×vecs accumulators, acc(i, v) holding vector v
// of row i, for the epilogue steps the SGEMM, bf16 and int8 tiles share.
// With mask, the last vector of each row is read and written under K1
// (the int8 tiles' partial panels).
type tileRegs struct {
	x        isa
	mr, vecs int
	acc      func(i, v int) VecPhysical
	mask     bool
}

// addMem adds the tile at base (rows stride bytes apart) to the
// accumulators; base is advanced.
func (t tileRegs) addMem(base, stride Register) {
	for i := 0; i < t.mr; i++ {
		for v := 0; v < t.vecs; v++ {
			m := Mem{Base: base, Disp: 4 * v * t.x.lanes}
			if t.mask && v == t.vecs-1 {
				VADDPS_Z(m, t.acc(i, v), K1, t.acc(i, v))
			} else {
				VADDPS(m, t.acc(i, v), t.acc(i, v))
			}
		}
		if i < t.mr-1 {
			ADDQ(stride, base)
		}
	}
}

// addBias adds bias[i] to row i, broadcast into tmp.
func (t tileRegs) addBias(bias Register, tmp VecPhysical) {
	for i := 0; i < t.mr; i++ {
		VBROADCASTSS(Mem{Base: bias, Disp: 4 * i}, tmp)
		for v := 0; v < t.vecs; v++ {
			VADDPS(tmp, t.acc(i, v), t.acc(i, v))
		}
	}
}

// relu clamps the accumulators at 0 (zero is cleared for it).
func (t tileRegs) relu(zero VecPhysical) {
	VXORPS(zero, zero, zero)
	Comment("VMAXPS returns its first Go operand when either is NaN.")
	for i := 0; i < t.mr; i++ {
		for v := 0; v < t.vecs; v++ {
			VMAXPS(t.acc(i, v), zero, t.acc(i, v))
		}
	}
}

// store writes the accumulators to c (rows ldc bytes apart); c is
// advanced.
func (t tileRegs) store(c, ldc Register) {
	for i := 0; i < t.mr; i++ {
		for v := 0; v < t.vecs; v++ {
			m := Mem{Base: c, Disp: 4 * v * t.x.lanes}
			if t.mask && v == t.vecs-1 {
				VMOVUPS(t.acc(i, v), K1, m)
			} else {
				VMOVUPS(t.acc(i, v), m)
			}
		}
		if i < t.mr-1 {
			ADDQ(ldc, c)
		}
	}
}

// dot emits sdot{ISA}: the dot product of x[:n] and y[:n] with four vector
// accumulators, then one vector at a time, then a scalar tail.
func dot(x isa) {
	name := "sdot" + x.name
	TEXT(name, NOSPLIT, "func(n int, x, y *float32) float32")
	Pragma("noescape")
	Doc(name+" returns the dot product of x[:n] and y[:n]. In Go:",
		"",
		"	var s float32",
		"	for i := 0; i < n; i++ {",
		"		s += x[i] * y[i]",
		"	}",
		"	return s")
	n := Load(Param("n"), GP64())
	px := Load(Param("x"), GP64())
	py := Load(Param("y"), GP64())
	r := x.regs
	w := 4 * x.lanes // bytes per vector
	for i := 0; i < 4; i++ {
		VXORPS(r[i], r[i], r[i])
	}
	Label(name + "_loop4")
	CMPQ(n, U32(4*x.lanes))
	JL(LabelRef(name + "_loop1"))
	for i := 0; i < 4; i++ {
		VMOVUPS(Mem{Base: px, Disp: i * w}, r[4+i])
	}
	for i := 0; i < 4; i++ {
		VFMADD231PS(Mem{Base: py, Disp: i * w}, r[4+i], r[i])
	}
	ADDQ(U32(4*w), px)
	ADDQ(U32(4*w), py)
	SUBQ(U32(4*x.lanes), n)
	JMP(LabelRef(name + "_loop4"))

	Label(name + "_loop1")
	CMPQ(n, U32(x.lanes))
	JL(LabelRef(name + "_reduce"))
	VMOVUPS(Mem{Base: px}, r[4])
	VFMADD231PS(Mem{Base: py}, r[4], r[0])
	ADDQ(U32(w), px)
	ADDQ(U32(w), py)
	SUBQ(U32(x.lanes), n)
	JMP(LabelRef(name + "_loop1"))

	Label(name + "_reduce")
	VADDPS(r[1], r[0], r[0])
	VADDPS(r[3], r[2], r[2])
	VADDPS(r[2], r[0], r[0])
	laneSum(x, r[0], r[1])
	Comment("Scalar tail, after the reduction: VEX scalar ops clear the upper lanes.")
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_tail")
	VMOVSS(Mem{Base: px}, X1)
	VFMADD231SS(Mem{Base: py}, X1, X0)
	ADDQ(U8(4), px)
	ADDQ(U8(4), py)
	DECQ(n)
	JNZ(LabelRef(name + "_tail"))
	Label(name + "_done")
	VZEROUPPER()
	Store(X0, ReturnIndex(0))
	RET()
}

// laneSum adds the lanes of r into its lowest, in halves (upper half onto
// lower, down to one lane), with t as scratch; the upper lanes of r are
// then cleared (VEX-encoded operations on its low part).
func laneSum(x isa, r, t VecPhysical) {
	if x.lanes == 16 {
		VEXTRACTF64X4(U8(1), r, t.AsY())
		VADDPS(t.AsY(), r.AsY(), r.AsY())
	}
	VEXTRACTF128(U8(1), r.AsY(), t.AsX())
	VADDPS(t.AsX(), r.AsX(), r.AsX())
	VMOVHLPS(r.AsX(), r.AsX(), t.AsX())
	VADDPS(t.AsX(), r.AsX(), r.AsX())
	VMOVSHDUP(r.AsX(), t.AsX())
	VADDSS(t.AsX(), r.AsX(), r.AsX())
}

// dotRows emits sdotRows{mr}{ISA}: the mr dot products of rows of A (lda
// apart) with one vector b, each written to c (ldc apart): a column of
// C = A·B for a right edge of C too narrow for a tile. Row i sums in
// lane l the products of columns l, l+lanes, … (a fused multiply-add
// each, in order), then its lanes in halves (upper half onto lower, down
// to one); k is a multiple of lanes (the caller adds the rest).
func dotRows(x isa, mr int) {
	name := fmt.Sprintf("sdotRows%d%s", mr, x.name)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b, c *float32, ldc int)")
	Pragma("noescape")
	Doc(name+" writes c[i*ldc] = Σ_p a[i*lda+p]·b[p] for i < "+fmt.Sprint(mr)+" and p < k",
		"(k a multiple of "+fmt.Sprint(x.lanes)+"): lanes of fused multiply-adds, then the lanes' halves added.")
	if mr+2 > len(x.regs) || mr > 12 {
		panic("unsupported dotRows height")
	}
	k := Load(Param("k"), GP64())
	rs := Load(Param("lda"), GP64())
	SHLQ(U8(2), rs)
	b := Load(Param("b"), GP64())
	bases, rowAt := rowBases(mr, rs)
	rowAddr := func(i int) Mem { return rowAt(i, 0) }
	acc := x.regs[:mr]
	bv := x.regs[mr]
	for _, r := range acc {
		VXORPS(r, r, r)
	}
	n := GP64()
	MOVQ(k, n)
	SHRQ(U8(map[int]uint8{8: 3, 16: 4}[x.lanes]), n)
	JZ(LabelRef(name + "_reduce"))
	Label(name + "_loop")
	VMOVUPS(Mem{Base: b}, bv)
	for i, r := range acc {
		VFMADD231PS(rowAddr(i), bv, r)
	}
	ADDQ(U8(4*x.lanes), b)
	for _, r := range bases {
		ADDQ(U8(4*x.lanes), r)
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))

	Label(name + "_reduce")
	c := Load(Param("c"), GP64())
	ldc := Load(Param("ldc"), GP64())
	SHLQ(U8(2), ldc)
	for _, r := range acc {
		laneSum(x, r, x.regs[mr+1])
		VMOVSS(r.AsX(), Mem{Base: c})
		ADDQ(ldc, c)
	}
	VZEROUPPER()
	RET()
}

// peak emits fmaPeak{ISA}: n rounds of chains independent VFMADD231PS,
// the throughput ceiling the GEMM is measured against.
func peak(x isa, chains int) {
	peakLoop("fmaPeak"+x.name, x.regs, chains, chains*x.lanes*2, "VFMADD231PS", "SGEMM benchmarks are",
		func(a, b, acc VecPhysical) { VFMADD231PS(a, b, acc) })
}

// peakLoop emits name: n rounds of chains independent instructions insn
// (ops operations a round) on the registers regs, the throughput ceiling
// of the kernels built on it.
func peakLoop(name string, regs []VecPhysical, chains, ops int, insn, of string, emit func(a, b, acc VecPhysical)) {
	TEXT(name, NOSPLIT, "func(n int)")
	Doc(fmt.Sprintf("%s runs n rounds of %d independent %s chains (%d operations a round),", name, chains, insn, ops),
		"the throughput ceiling the "+of+" measured against.")
	n := Load(Param("n"), GP64())
	for i := 0; i < chains+2; i++ {
		VXORPS(regs[i], regs[i], regs[i])
	}
	TESTQ(n, n)
	JZ(LabelRef(name + "_done"))
	Label(name + "_loop")
	for i := 0; i < chains; i++ {
		emit(regs[chains], regs[chains+1], regs[i])
	}
	DECQ(n)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// vdpbf16ps emits VDPBF16PS rm, v, dst (Go operand order: dst += the
// pairwise products of v and rm), zmm registers only, as bytes: Go's
// assembler (1.26) and avo v0.5.0 do not know the instruction. EVEX.512.
// F3.0F38.W0 52 /r.
func vdpbf16ps(rm, v, dst VecPhysical) { evex0F38("VDPBF16PS", 0b10, 0x52, rm, v, dst) }

// vpdpbusd emits VPDPBUSD rm, v, dst (Go operand order: each 32-bit lane
// of dst gains the four products of v's unsigned bytes with rm's signed
// ones), zmm registers only, as bytes: avo v0.5.0 does not know the
// instruction. EVEX.512.66.0F38.W0 50 /r.
func vpdpbusd(rm, v, dst VecPhysical) { evex0F38("VPDPBUSD", 0b01, 0x50, rm, v, dst) }

// evex0F38 emits the EVEX.512.pp.0F38.W0 instruction op with register
// operands dst (ModRM.reg), v (EVEX.vvvv) and rm (ModRM.rm), without
// masking, as bytes, with R, X, B, R' and V' inverted (Intel SDM vol. 2,
// 2.7); checked against GNU as, and the tests check what the kernels
// compute.
func evex0F38(mnemonic string, pp, op int, rm, v, dst VecPhysical) {
	d, s1, s2 := int(dst.PhysicalIndex()), int(v.PhysicalIndex()), int(rm.PhysicalIndex())
	inv := func(r, bit int) int { return 1 - r>>bit&1 }
	p0 := inv(d, 3)<<7 | inv(s2, 4)<<6 | inv(s2, 3)<<5 | inv(d, 4)<<4 | 0b10
	p1 := (^s1&0xf)<<3 | 1<<2 | pp
	p2 := 0b10<<5 | inv(s1, 4)<<3
	modrm := 0xc0 | (d&7)<<3 | s2&7
	Comment(fmt.Sprintf("%s %s, %s, %s", mnemonic, rm.Asm(), v.Asm(), dst.Asm()))
	for _, b := range []int{0x62, p0, p1, p2, op, modrm} {
		Instruction(&ir.Instruction{Opcode: "BYTE", Operands: []Op{U8(b)}})
	}
}

// packBF16 emits packBF16AVX512: rows 2p and 2p+1 of src (n values each,
// lds apart) rounded to bfloat16 (to nearest, ties to even; NaN to the
// quiet NaN 0x7fc0) and interleaved into row p of dst (32-bit words, low
// half from row 2p), for p < pairs; 16 columns a step, then a masked tail.
// With offs, packBF16OffsAVX512: row r of src starts at src[offs[r]].
func packBF16(offs bool) {
	name := "packBF16AVX512"
	sig := "func(dst *float32, ldd int, src *float32, lds int, pairs, n int)"
	row := "src[2*p*lds+j], src[(2*p+1)*lds+j]"
	if offs {
		name = "packBF16OffsAVX512"
		sig = "func(dst *float32, ldd int, src *float32, offs *int32, pairs, n int)"
		row = "src[offs[2*p]+j], src[offs[2*p+1]+j]"
	}
	TEXT(name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(name+" writes pairs rows of bfloat16 pairs (see PackBF16). In Go:",
		"",
		"	for p := 0; p < pairs; p++ {",
		"		for j := 0; j < n; j++ {",
		"			lo, hi := "+row,
		"			dst[p*ldd+j] = float32frombits(uint32(bf16(hi))<<16 | uint32(bf16(lo)))",
		"		}",
		"	}")
	dst := Load(Param("dst"), GP64())
	ldd := Load(Param("ldd"), GP64())
	SHLQ(U8(2), ldd)
	src := Load(Param("src"), GP64())
	var lds, po Register
	if offs {
		po = Load(Param("offs"), GP64())
	} else {
		lds = Load(Param("lds"), GP64())
		SHLQ(U8(2), lds)
	}
	pairs := Load(Param("pairs"), GP64())
	n := Load(Param("n"), GP64())
	Comment("Z16 0x7fff, Z17 1, Z18 0xffff0000, Z19 0x7fc0, Z20 0x7fc00000.")
	t := GP32()
	for i, v := range []uint32{0x7fff, 1, 0xffff0000, 0x7fc0, 0x7fc00000} {
		MOVL(U32(v), t)
		VPBROADCASTD(t, zmm[16+i])
	}
	Comment("K1: the tail's n mod 16 columns.")
	m := GP64()
	MOVQ(n, m)
	ANDQ(U8(15), m)
	one := GP64()
	MOVQ(U32(1), one)
	SHLXQ(m, one, one)
	DECQ(one)
	KMOVW(one.As32(), K1)
	// convert rounds Z0 (row 2p) and Z1 (row 2p+1) into Z2.
	convert := func() {
		for r, pair := range [][2]VecPhysical{{Z0, Z4}, {Z1, Z6}} {
			in, out := pair[0], pair[1]
			VPSRLD(U8(16), in, Z3)
			VPANDD(Z17, Z3, Z3)
			VPADDD(Z16, in, out)
			VPADDD(Z3, out, out)
			k := []Op{K2, K3}[r]
			VCMPPS(U8(3), in, in, k) // unordered: NaN
			if r == 0 {
				VPSRLD(U8(16), out, out)
				VMOVDQU32(Z19, k, out)
			} else {
				VPANDD(Z18, out, out)
				VMOVDQU32(Z20, k, out)
			}
		}
		VPORD(Z4, Z6, Z2)
	}
	TESTQ(pairs, pairs)
	JZ(LabelRef(name + "_done"))
	Label(name + "_row")
	s0, s1, d, j := GP64(), GP64(), GP64(), GP64()
	if offs {
		Comment("The pair's rows: src + 4·offs[2p], src + 4·offs[2p+1].")
		MOVLQSX(Mem{Base: po}, s0)
		MOVLQSX(Mem{Base: po, Disp: 4}, s1)
		LEAQ(Mem{Base: src, Index: s0, Scale: 4}, s0)
		LEAQ(Mem{Base: src, Index: s1, Scale: 4}, s1)
	} else {
		MOVQ(src, s0)
		LEAQ(Mem{Base: src, Index: lds, Scale: 1}, s1)
	}
	MOVQ(dst, d)
	MOVQ(n, j)
	SHRQ(U8(4), j)
	JZ(LabelRef(name + "_tail"))
	Label(name + "_loop")
	VMOVUPS(Mem{Base: s0}, Z0)
	VMOVUPS(Mem{Base: s1}, Z1)
	convert()
	VMOVUPS(Z2, Mem{Base: d})
	ADDQ(U8(64), s0)
	ADDQ(U8(64), s1)
	ADDQ(U8(64), d)
	DECQ(j)
	JNZ(LabelRef(name + "_loop"))
	Label(name + "_tail")
	TESTQ(m, m)
	JZ(LabelRef(name + "_next"))
	VMOVUPS_Z(Mem{Base: s0}, K1, Z0)
	VMOVUPS_Z(Mem{Base: s1}, K1, Z1)
	convert()
	VMOVUPS(Z2, K1, Mem{Base: d})
	Label(name + "_next")
	ADDQ(ldd, dst)
	if offs {
		ADDQ(U8(8), po)
	} else {
		LEAQ(Mem{Base: src, Index: lds, Scale: 2}, src)
	}
	DECQ(pairs)
	JNZ(LabelRef(name + "_row"))
	Label(name + "_done")
	VZEROUPPER()
	RET()
}

// bf16Peak emits bf16PeakAVX512: n rounds of chains independent
// VDPBF16PS (four flops a lane: two products and their sums).
func bf16Peak(chains int) {
	peakLoop("bf16PeakAVX512", zmm, chains, chains*16*4, "VDPBF16PS", "bf16 GEMM is", vdpbf16ps)
}
