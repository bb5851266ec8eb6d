package main

import (
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// wino4Transforms emits the Winograd F(4×4, 3×3) transforms, 16 tiles a
// zmm register, and the constants they multiply by (2, 4 and 8, as
// broadcast memory operands: the products are exact, so the fused
// multiply-adds round as the portable twins' separate operations). even
// and odd pick the even and odd floats of a pair of registers; lo and hi
// interleave two registers' low and high halves.
func wino4Transforms(even, odd, lo, hi Mem) {
	consts := GLOBL("wino4Consts", RODATA|NOPTR)
	for i, c := range []float32{2, 4, 8} {
		DATA(4*i, U32(math.Float32bits(c)))
	}
	c2, c4, c8 := consts.Offset(0), consts.Offset(4), consts.Offset(8)
	wino4Input(even, odd, c2, c4)
	wino4Output(lo, hi, c2, c4, c8)
}

// fmaOps emits the fused multiply-adds of bwd6 and awd6 by a constant c
// in memory: d = d·c + a (f132), d = a·c + d (f231), d = d − a·c (fn231).
// The AVX-512 transforms broadcast c from a float; the AVX2 ones read a
// vector of it.
type fmaOps struct{ f132, f231, fn231 func(c Mem, a, d VecPhysical) }

var (
	zmmFMA = fmaOps{
		func(c Mem, a, d VecPhysical) { VFMADD132PS_BCST(c, a, d) },
		func(c Mem, a, d VecPhysical) { VFMADD231PS_BCST(c, a, d) },
		func(c Mem, a, d VecPhysical) { VFNMADD231PS_BCST(c, a, d) },
	}
	ymmFMA = fmaOps{
		func(c Mem, a, d VecPhysical) { VFMADD132PS(c, a, d) },
		func(c Mem, a, d VecPhysical) { VFMADD231PS(c, a, d) },
		func(c Mem, a, d VecPhysical) { VFNMADD231PS(c, a, d) },
	}
)

// bwd6 emits one dimension of Bᵀ d B on d (clobbered) in the portable
// twin's order (kernels.bwd6) and returns o0…o5; the registers not
// returned go back to r.
func bwd6(r *regs, f fmaOps, d [6]VecPhysical, c2, c4 Mem) [6]VecPhysical {
	d0, d1, d2, d3, d4, d5 := d[0], d[1], d[2], d[3], d[4], d[5]
	t2, t3 := r.get(), r.get()
	VSUBPS(d2, d4, t2)  // t2 = d4 − d2
	VSUBPS(d1, d3, t3)  // t3 = d3 − d1
	VSUBPS(d3, d5, d5)  // w = d5 − d3
	VSUBPS(d2, d0, d0)  // u = d0 − d2
	f.f132(c4, t2, d0)  // o0 = 4u + t2
	f.fn231(c4, d2, d4) // t0 = d4 − 4·d2
	f.fn231(c4, d1, d3) // t1 = d3 − 4·d1
	VADDPS(d3, d4, d1)  // o1 = t0 + t1
	VSUBPS(d3, d4, d2)  // o2 = t0 − t1
	VMOVAPS(t2, d3)     //
	f.f231(c2, t3, d3)  // o3 = t2 + 2·t3
	f.fn231(c2, t3, t2) // o4 = t2 − 2·t3
	f.fn231(c4, t3, d5) // o5 = w − 4·t3
	r.put(d4, t3)
	return [6]VecPhysical{d0, d1, d2, d3, t2, d5}
}

// awd6 emits one dimension of Aᵀ M A on m (clobbered) in the portable
// twin's order (kernels.awd6) and returns y0…y3.
func awd6(r *regs, f fmaOps, m [6]VecPhysical, c2, c4, c8 Mem) [4]VecPhysical {
	m0, m1, m2, m3, m4, m5 := m[0], m[1], m[2], m[3], m[4], m[5]
	a := r.get()
	VADDPS(m2, m1, a)  // a = m1 + m2
	VSUBPS(m2, m1, m1) // b = m1 − m2
	VADDPS(m4, m3, m2) // c = m3 + m4
	VSUBPS(m4, m3, m3) // d = m3 − m4
	VADDPS(a, m0, m0)  //
	VADDPS(m2, m0, m0) // y0 = (m0 + a) + c
	VMOVAPS(m1, m4)    //
	f.f231(c2, m3, m4) // y1 = b + 2·d
	f.f231(c4, m2, a)  // y2 = a + 4·c
	f.f231(c8, m3, m1) //
	VADDPS(m5, m1, m1) // y3 = (b + 8·d) + m5
	r.put(m2, m3, m5)
	return [4]VecPhysical{m0, m4, a, m1}
}

// planes addresses the 36 planes of a transform, ld bytes apart: plane
// base + j·ld for j < 6 from two base registers (p and p + 3·ld).
type planes struct{ p, p3, ld, ld3 Register }

func (s planes) at(j int) Mem {
	m := Mem{Base: s.p}
	if j >= 3 {
		m.Base, j = s.p3, j-3
	}
	if j > 0 {
		m.Index, m.Scale = s.ld, uint8(j)
	}
	return m
}

// set points the planes at p (and p + 3·ld).
func (s planes) set(p Register) {
	if p != s.p {
		MOVQ(p, s.p)
	}
	LEAQ(Mem{Base: s.p, Index: s.ld3, Scale: 1}, s.p3)
}

// wino4Input emits wino4InputAVX512: full groups of 16 tiles, then one
// masked group of tail tiles. Each of a group's six input rows is loaded
// as four registers (floats 0–63 from the group's first) and split into
// the columns d0…d3 of the 16 tiles by two rounds of even/odd picks; d4
// and d5 are d0 and d1 a tile on, the last tile's from floats 64 and 65.
// The rows' (d B) go to a 64-byte-aligned scratch on the stack (written
// and read back whole: storing them masked into v and reading them back
// stalled the tail group's loads, 2× its time), and the column pass reads
// them from there and writes Bᵀ (d B) to v's planes.
func wino4Input(even, odd, c2, c4 Mem) {
	TEXT("wino4InputAVX512", 0, "func(v *float32, ldv int, x *float32, wq int, full int, tail int, masks uint64)")
	Doc("wino4InputAVX512 is Wino4Input for full·16 + tail tiles (tail < 16), with",
		"the masks of the tail group's loads of each input row (floats 0–15,",
		"16–31, 32–47 and 48–63 from the group's first, 16 bits each, low first):",
		"see wino4InputGeneric.")
	Pragma("noescape")
	v := Load(Param("v"), GP64())
	ldv := Load(Param("ldv"), GP64())
	SHLQ(U8(2), ldv)
	ldv3, ldv6, ldv18 := GP64(), GP64(), GP64()
	LEAQ(Mem{Base: ldv, Index: ldv, Scale: 2}, ldv3)
	LEAQ(Mem{Base: ldv3, Index: ldv3, Scale: 1}, ldv6)
	LEAQ(Mem{Base: ldv6, Index: ldv6, Scale: 2}, ldv18)
	x := Load(Param("x"), GP64())
	wq := Load(Param("wq"), GP64())
	SHLQ(U8(2), wq)
	full := Load(Param("full"), GP64())
	spreadMasks("masks", K2, K3, K4, K5)
	Comment("K1: the tail's tiles, (1<<tail) - 1.")
	tail := Load(Param("tail"), GP64())
	lowMask(tail, K1)
	idxE, idxO := Z30, Z31
	VMOVUPS(even, idxE)
	VMOVUPS(odd, idxO)
	local := AllocLocal(36*64 + 64)
	scratch := GP64()
	LEAQ(local.Offset(63), scratch)
	ANDQ(I32(-64), scratch)
	rowp, base := GP64(), GP64()
	colPl := planes{GP64(), GP64(), ldv6, ldv18}

	group := func(masked bool) {
		r := newRegs(0, 30)
		pick := func(idx, lo, hi VecPhysical) VecPhysical {
			d := r.get()
			VMOVAPS(idx, d)
			VPERMI2PS(hi, lo, d)
			return d
		}
		store := func(o VecPhysical, m Mem) {
			if masked {
				VMOVUPS(o, K1, m)
			} else {
				VMOVUPS(o, m)
			}
		}
		MOVQ(x, rowp)
		for row := 0; row < 6; row++ {
			if row > 0 {
				ADDQ(wq, rowp)
			}
			var in [4]VecPhysical
			for i := range in {
				in[i] = r.get()
				m := Mem{Base: rowp, Disp: 64 * i}
				if masked {
					VMOVUPS_Z(m, []Op{K2, K3, K4, K5}[i], in[i])
				} else {
					VMOVUPS(m, in[i])
				}
			}
			e01, o01 := pick(idxE, in[0], in[1]), pick(idxO, in[0], in[1])
			e23, o23 := pick(idxE, in[2], in[3]), pick(idxO, in[2], in[3])
			r.put(in[:]...)
			var d [6]VecPhysical
			d[0], d[2] = pick(idxE, e01, e23), pick(idxO, e01, e23)
			d[1], d[3] = pick(idxE, o01, o23), pick(idxO, o01, o23)
			r.put(e01, o01, e23, o23)
			for j := 4; j < 6; j++ {
				// d[j] is d[j−4] a tile on: lanes 1–15, then float 60+j
				// (only the tail group's lanes past its last tile lack it).
				next := d[j-4]
				if !masked {
					next = r.get()
					VBROADCASTSS(Mem{Base: rowp, Disp: 4 * (60 + j)}, next)
				}
				d[j] = r.get()
				VALIGND(U8(1), d[j-4], next, d[j])
				if !masked {
					r.put(next)
				}
			}
			o := bwd6(r, zmmFMA, d, c2, c4)
			for q, ov := range o {
				VMOVAPS(ov, Mem{Base: scratch, Disp: 64 * (6*row + q)})
			}
			r.put(o[:]...)
		}
		wino4InputColumns(r, zmmFMA, 64, scratch, v, base, ldv, colPl, c2, c4, store)
	}

	groupLoop("wino4Input", full, tail, func() {
		ADDQ(U32(256), x)
		ADDQ(U32(64), v)
	}, nil, group)
}

// wino4InputColumns emits the column pass of an F(4×4) input transform:
// for each column q of the rows' (d B), held in scratch (register j of
// row i at 6i + j, each width bytes), Bᵀ (d B) into planes 6i + q of v
// (ldv bytes apart) with store; base is a scratch register.
func wino4InputColumns(r *regs, f fmaOps, width int, scratch, v, base, ldv Register, colPl planes, c2, c4 Mem, store func(VecPhysical, Mem)) {
	MOVQ(v, base)
	for q := 0; q < 6; q++ {
		if q > 0 {
			ADDQ(ldv, base)
		}
		colPl.set(base)
		var d [6]VecPhysical
		for i := range d {
			d[i] = r.get()
			VMOVAPS(Mem{Base: scratch, Disp: width * (6*i + q)}, d[i])
		}
		o := bwd6(r, f, d, c2, c4)
		for i, ov := range o {
			store(ov, colPl.at(i))
		}
		r.put(o[:]...)
	}
}

// wino4Output emits wino4OutputAVX512: full groups of 16 tiles (64
// output columns of each row), then one masked group. The column pass
// (Aᵀ M) keeps its 24 results in registers; each output row then takes
// its six, transforms them into the four columns of the 16 tiles, adds
// the bias and interleaves them into 64 consecutive outputs.
func wino4Output(lo, hi, c2, c4, c8 Mem) {
	TEXT("wino4OutputAVX512", NOSPLIT, "func(y *float32, ldy int, m *float32, ldm int, full int, tail int, smask uint64, rows int, bias float32, res *float32, relu int)")
	Doc("wino4OutputAVX512 is Wino4Output for full·16 + tail tiles (tail ≤ 16)",
		"whose last group writes the output columns in smask: see",
		"wino4OutputGeneric.")
	Pragma("noescape")
	y := Load(Param("y"), GP64())
	ldy := Load(Param("ldy"), GP64())
	SHLQ(U8(2), ldy)
	ldy3 := GP64()
	LEAQ(Mem{Base: ldy, Index: ldy, Scale: 2}, ldy3)
	m := Load(Param("m"), GP64())
	ldm := Load(Param("ldm"), GP64())
	SHLQ(U8(2), ldm)
	ldm6, ldm18 := GP64(), GP64()
	LEAQ(Mem{Base: ldm, Index: ldm, Scale: 2}, ldm6)
	SHLQ(U8(1), ldm6)
	LEAQ(Mem{Base: ldm6, Index: ldm6, Scale: 2}, ldm18)
	full := Load(Param("full"), GP64())
	res := Load(Param("res"), GP64())
	spreadMasks("smask", K2, K3, K4, K5)
	tail := Load(Param("tail"), GP64())
	lowMask(tail, K1)
	biasM, reluM, rowsM, resM := paramAddr("bias"), paramAddr("relu"), paramAddr("rows"), paramAddr("res")
	zero := Z31
	VXORPS(zero, zero, zero)
	base := GP64()
	pl := planes{GP64(), GP64(), ldm6, ldm18}

	n := 0
	group := func(masked bool) {
		n++
		lbl := func(s string, i int) string { return "wino4Output_" + s + string(rune('0'+n)) + string(rune('a'+i)) }
		r := newRegs(0, 31)
		var p [6][4]VecPhysical // p[q][i] = (Aᵀ M)[i][q]
		MOVQ(m, base)
		for q := 0; q < 6; q++ {
			if q > 0 {
				ADDQ(ldm, base)
			}
			pl.set(base)
			var a [6]VecPhysical
			for i := range a {
				a[i] = r.get()
				if masked {
					VMOVUPS_Z(pl.at(i), K1, a[i])
				} else {
					VMOVUPS(pl.at(i), a[i])
				}
			}
			p[q] = awd6(r, zmmFMA, a, c2, c4, c8)
		}
		for row := 0; row < 4; row++ {
			if row > 0 {
				CMPQ(rowsM, U8(row+1))
				JL(LabelRef(lbl("end", 0)))
			}
			var a [6]VecPhysical
			for q := range a {
				a[q] = p[q][row]
			}
			yv := awd6(r, zmmFMA, a, c2, c4, c8)
			for _, v := range yv {
				VADDPS_BCST(biasM, v, v)
			}
			pick := func(idx Mem, l, h VecPhysical) VecPhysical {
				d := r.get()
				VMOVUPS(idx, d)
				VPERMI2PS(h, l, d)
				return d
			}
			// Columns 4t+q of the 16 tiles: (y0, y2) and (y1, y3)
			// interleaved, then the two results interleaved.
			acLo, acHi := pick(lo, yv[0], yv[2]), pick(hi, yv[0], yv[2])
			bdLo, bdHi := pick(lo, yv[1], yv[3]), pick(hi, yv[1], yv[3])
			r.put(yv[:]...)
			outs := [4]VecPhysical{pick(lo, acLo, bdLo), pick(hi, acLo, bdLo), pick(lo, acHi, bdHi), pick(hi, acHi, bdHi)}
			r.put(acLo, acHi, bdLo, bdHi)
			rowY, rowR := Mem{Base: y}, Mem{Base: res}
			switch row {
			case 1, 2:
				rowY.Index, rowY.Scale = ldy, uint8(row)
				rowR.Index, rowR.Scale = ldy, uint8(row)
			case 3:
				rowY.Index, rowY.Scale = ldy3, 1
				rowR.Index, rowR.Scale = ldy3, 1
			}
			CMPQ(resM, U8(0))
			JE(LabelRef(lbl("nores", row)))
			for h, o := range outs {
				mr := rowR
				mr.Disp = 64 * h
				if masked {
					tmp := r.get()
					VMOVUPS_Z(mr, []Op{K2, K3, K4, K5}[h], tmp)
					VADDPS(tmp, o, o)
					r.put(tmp)
				} else {
					VADDPS(mr, o, o)
				}
			}
			Label(lbl("nores", row))
			CMPQ(reluM, U8(0))
			JE(LabelRef(lbl("norelu", row)))
			for _, o := range outs {
				// VMAXPS returns its first Go operand when either is NaN.
				VMAXPS(o, zero, o)
			}
			Label(lbl("norelu", row))
			for h, o := range outs {
				my := rowY
				my.Disp = 64 * h
				if masked {
					VMOVUPS(o, []Op{K2, K3, K4, K5}[h], my)
				} else {
					VMOVUPS(o, my)
				}
			}
			r.put(outs[:]...)
		}
		Label(lbl("end", 0))
	}

	groupLoop("wino4Output", full, tail, func() {
		ADDQ(U32(256), y)
		ADDQ(U32(256), res)
		ADDQ(U32(64), m)
	}, nil, group)
}
