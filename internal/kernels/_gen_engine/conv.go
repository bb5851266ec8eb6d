package main

import (
	"fmt"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

var zmm = []VecPhysical{Z0, Z1, Z2, Z3, Z4, Z5, Z6, Z7, Z8, Z9, Z10, Z11, Z12, Z13, Z14, Z15,
	Z16, Z17, Z18, Z19, Z20, Z21, Z22, Z23, Z24, Z25, Z26, Z27, Z28, Z29, Z30, Z31}

// ConvMaxRows is the tallest implicit-GEMM tile; convVecs(r) is the widest
// (in 16-float vectors) an r-row tile can be with r·v accumulators, v
// vectors of B and one broadcast in the 32 zmm registers (at most 8).
const convMaxRows = 12

func convVecs(r int) int { return min(8, 31/(r+1)) }

// convTiles emits convTile{R}x{V}AVX512 for every R ≤ 12 and V ≤
// convVecs(R): the implicit-GEMM micro-kernels of the engine's direct
// convolutions.
func convTiles() {
	for r := 1; r <= convMaxRows; r++ {
		for v := 1; v <= convVecs(r); v++ {
			convTile(r, v)
		}
	}
}

// convTile emits convTile{R}x{V}AVX512: C = A·B (+ C when acc ≠ 0) for an
// R×16V tile, where row p of B is the 16V floats at b + offs[p]: the
// implicit im2col of a convolution, in which offs[p] is where input channel
// c and tap (ki, kj) of p start in a zero-padded input. nblk such tiles
// side by side are computed in turn (b and c advance 16V floats each);
// the last vector of each uses the mask (lanes off are neither read nor
// written). A's rows are lda floats apart and read with broadcasts; K is
// unrolled by 2.
func convTile(r, v int) {
	name := fmt.Sprintf("convTile%dx%dAVX512", r, v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b *float32, offs *int32, c *float32, ldc int, nblk int, mask uint16, acc int)")
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes nblk tiles of %[2]d×%[3]d, tile q at
columns [%[3]d·q, %[3]d·q+%[3]d) of C, with AVX-512. In Go (k ≥ 1, nblk ≥ 1):

	for i := 0; i < %[2]d; i++ {
		for j := 0; j < %[3]d*nblk; j++ {
			if mask>>(j%%16)&1 == 0 && j%%%[3]d >= %[3]d-16 {
				continue // masked off in the last vector of a tile: not read or written
			}
			var s float32
			if acc != 0 {
				s = c[i*ldc+j]
			}
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * b[offs[p]+j]
			}
			c[i*ldc+j] = s
		}
	}`, name, r, 16*v), "\n")...)
	Pragma("noescape")
	accR := func(i, j int) VecPhysical { return zmm[i*v+j] }
	bv := func(j int) VecPhysical { return zmm[r*v+j] }
	bcast := zmm[r*v+v]

	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	nblk := Load(Param("nblk"), GP64())
	KMOVW(paramAddr("mask"), K1)
	accM := paramAddr("acc")
	// Rows 3q, 3q+1, 3q+2 of A are at (bases[q]), (bases[q])(lda*1), (bases[q])(lda*2).
	bases := make([]Register, (r+2)/3)
	for q := range bases {
		bases[q] = GP64()
	}
	offp, off, cnt, pf := GP64(), GP64(), GP64(), GP64()
	rowAddr := func(i, disp int) Mem { return convRowAddr(bases, lda, i, disp) }
	loadB := func(j int) {
		m := Mem{Base: b, Index: off, Scale: 4, Disp: 64 * j}
		if j == v-1 {
			VMOVUPS_Z(m, K1, bv(j))
		} else {
			VMOVUPS(m, bv(j))
		}
	}
	step := func(disp int, pf Register) {
		MOVLQSX(Mem{Base: offp, Disp: disp}, off)
		for j := 0; j < v; j++ {
			loadB(j)
		}
		convPrefetch(offp, b, pf, disp, 64*v)
		for i := 0; i < r; i++ {
			VBROADCASTSS(rowAddr(i, disp), bcast)
			for j := 0; j < v; j++ {
				VFMADD231PS(bv(j), bcast, accR(i, j))
			}
		}
	}

	Label(name + "_block")
	Comment("Start the tile from zero, or from C when acc ≠ 0.")
	CMPQ(accM, U8(0))
	JNE(LabelRef(name + "_loadc"))
	for i := 0; i < r*v; i++ {
		VXORPS(zmm[i], zmm[i], zmm[i])
	}
	JMP(LabelRef(name + "_k"))
	Label(name + "_loadc")
	ldc := off // free until the K loop
	Load(Param("ldc"), ldc)
	SHLQ(U8(2), ldc)
	MOVQ(c, cnt)
	for i := 0; i < r; i++ {
		for j := 0; j < v; j++ {
			m := Mem{Base: cnt, Disp: 64 * j}
			if j == v-1 {
				VMOVUPS_Z(m, K1, accR(i, j))
			} else {
				VMOVUPS(m, accR(i, j))
			}
		}
		if i < r-1 {
			ADDQ(ldc, cnt)
		}
	}

	convKLoop(name, lda, offp, off, cnt, pf, bases, step)

	Label(name + "_store")
	Load(Param("ldc"), off)
	SHLQ(U8(2), off)
	MOVQ(c, cnt)
	for i := 0; i < r; i++ {
		for j := 0; j < v; j++ {
			m := Mem{Base: cnt, Disp: 64 * j}
			if j == v-1 {
				VMOVUPS(accR(i, j), K1, m)
			} else {
				VMOVUPS(accR(i, j), m)
			}
		}
		if i < r-1 {
			ADDQ(off, cnt)
		}
	}
	ADDQ(U32(64*v), b)
	ADDQ(U32(64*v), c)
	DECQ(nblk)
	JNZ(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}

// convMaxRowsAVX2 is the tallest AVX2 tile; convVecsAVX2(r) the widest (in
// 8-float vectors) with r·v accumulators, v vectors of B, one broadcast
// and the lane mask in the 16 ymm registers (at most 4).
const convMaxRowsAVX2 = 6

func convVecsAVX2(r int) int { return min(4, 14/(r+1)) }

// convTilesAVX2 emits convTile{R}x{V}AVX2 for every R ≤ 6 and V ≤
// convVecsAVX2(R), and the lane bits their masks are made from.
func convTilesAVX2() {
	bits := GLOBL("convLaneBits", RODATA|NOPTR)
	for i := 0; i < 8; i++ {
		DATA(4*i, U32(1<<i))
	}
	for r := 1; r <= convMaxRowsAVX2; r++ {
		for v := 1; v <= convVecsAVX2(r); v++ {
			convTileAVX2(bits, r, v)
		}
	}
}

// convTileAVX2 emits convTile{R}x{V}AVX2, convTile{R}x{V}AVX512 with 8
// lanes a vector: the low 8 bits of mask select the lanes of each tile's
// last vector, which is read and written with VMASKMOVPS (the mask is
// made once, from the bits, with VPAND and VPCMPEQD). With all 8 lanes on
// the tiles take a path with plain loads and stores instead.
func convTileAVX2(bits Mem, r, v int) {
	name := fmt.Sprintf("convTile%dx%dAVX2", r, v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b *float32, offs *int32, c *float32, ldc int, nblk int, mask uint16, acc int)")
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes nblk tiles of %[2]d×%[3]d, tile q at
columns [%[3]d·q, %[3]d·q+%[3]d) of C, with AVX2 and FMA. In Go (k ≥ 1, nblk ≥ 1,
the low 8 bits of mask a run from bit 0):

	for i := 0; i < %[2]d; i++ {
		for j := 0; j < %[3]d*nblk; j++ {
			if mask>>(j%%8)&1 == 0 && j%%%[3]d >= %[3]d-8 {
				continue // masked off in the last vector of a tile: not read or written
			}
			var s float32
			if acc != 0 {
				s = c[i*ldc+j]
			}
			for p := 0; p < k; p++ {
				s += a[i*lda+p] * b[offs[p]+j]
			}
			c[i*ldc+j] = s
		}
	}`, name, r, 8*v), "\n")...)
	Pragma("noescape")
	accR := func(i, j int) VecPhysical { return ymm[i*v+j] }
	bv := func(j int) VecPhysical { return ymm[r*v+j] }
	bcast := ymm[r*v+v]
	kmask := ymm[r*v+v+1]

	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	nblk := Load(Param("nblk"), GP64())
	accM := paramAddr("acc")
	bases := make([]Register, (r+2)/3)
	for q := range bases {
		bases[q] = GP64()
	}
	offp, off, cnt, pf := GP64(), GP64(), GP64(), GP64()
	Comment("kmask: lane i all ones when bit i of mask is set.")
	MOVWLZX(paramAddr("mask"), cnt.As32())
	VMOVD(cnt.As32(), kmask.AsX())
	VPBROADCASTD(kmask.AsX(), kmask)
	VPAND(bits, kmask, kmask)
	VPCMPEQD(bits, kmask, kmask)
	ANDQ(U32(0xff), cnt)
	CMPQ(cnt, U32(0xff))
	JNE(LabelRef(name + "_masked"))

	rowAddr := func(i, disp int) Mem { return convRowAddr(bases, lda, i, disp) }
	body := func(masked bool) {
		pre := name + "_full"
		if masked {
			pre = name + "_masked"
		}
		load := func(m Mem, dst VecPhysical, last bool) {
			if masked && last {
				VMASKMOVPS(m, kmask, dst)
			} else {
				VMOVUPS(m, dst)
			}
		}
		step := func(disp int, pf Register) {
			MOVLQSX(Mem{Base: offp, Disp: disp}, off)
			for j := 0; j < v; j++ {
				load(Mem{Base: b, Index: off, Scale: 4, Disp: 32 * j}, bv(j), j == v-1)
			}
			convPrefetch(offp, b, pf, disp, 32*v)
			for i := 0; i < r; i++ {
				VBROADCASTSS(rowAddr(i, disp), bcast)
				for j := 0; j < v; j++ {
					VFMADD231PS(bv(j), bcast, accR(i, j))
				}
			}
		}
		Label(pre)
		Comment("Start the tile from zero, or from C when acc ≠ 0.")
		CMPQ(accM, U8(0))
		JNE(LabelRef(pre + "_loadc"))
		for i := 0; i < r*v; i++ {
			VXORPS(ymm[i], ymm[i], ymm[i])
		}
		JMP(LabelRef(pre + "_k"))
		Label(pre + "_loadc")
		ldc := off // free until the K loop
		Load(Param("ldc"), ldc)
		SHLQ(U8(2), ldc)
		MOVQ(c, cnt)
		for i := 0; i < r; i++ {
			for j := 0; j < v; j++ {
				load(Mem{Base: cnt, Disp: 32 * j}, accR(i, j), j == v-1)
			}
			if i < r-1 {
				ADDQ(ldc, cnt)
			}
		}

		convKLoop(pre, lda, offp, off, cnt, pf, bases, step)

		Label(pre + "_store")
		Load(Param("ldc"), off)
		SHLQ(U8(2), off)
		MOVQ(c, cnt)
		for i := 0; i < r; i++ {
			for j := 0; j < v; j++ {
				m := Mem{Base: cnt, Disp: 32 * j}
				if masked && j == v-1 {
					VMASKMOVPS(accR(i, j), kmask, m)
				} else {
					VMOVUPS(accR(i, j), m)
				}
			}
			if i < r-1 {
				ADDQ(off, cnt)
			}
		}
		ADDQ(U32(32*v), b)
		ADDQ(U32(32*v), c)
		DECQ(nblk)
		JNZ(LabelRef(pre))
		VZEROUPPER()
		RET()
	}
	body(false)
	body(true)
}

// convRowAddr addresses row i of A at byte offset disp: rows 3q, 3q+1,
// 3q+2 are at (bases[q]), (bases[q])(lda*1), (bases[q])(lda*2).
func convRowAddr(bases []Register, lda Register, i, disp int) Mem {
	m := Mem{Base: bases[i/3], Disp: disp}
	if i%3 != 0 {
		m.Index, m.Scale = lda, uint8(i%3)
	}
	return m
}

// convPrefetchPairs is how far ahead, in pairs of K steps, a conv tile
// prefetches the rows of B: a row is at an offset of its own (a channel
// and tap of the input), so the hardware cannot see the next one coming,
// and on two threads the input was just written, half by the other core.
const convPrefetchPairs = 8

// convPrefetch emits, for a K step that reads its row of B at offs[disp/4],
// a prefetch into L1 of the row convPrefetchPairs pairs ahead (rowBytes
// bytes from b + 4·offs[...], which may straddle one more cache line),
// unless pf is nil (the last pairs, whose rows ahead are past offs).
func convPrefetch(offp, b, pf Register, disp, rowBytes int) {
	if pf == nil {
		return
	}
	MOVLQSX(Mem{Base: offp, Disp: disp + 8*convPrefetchPairs}, pf)
	for o := 0; o <= rowBytes; o += 64 {
		PREFETCHT0(Mem{Base: b, Index: pf, Scale: 4, Disp: o})
	}
}

// convKLoop emits a conv tile's K loop from label pre+"_k": the row bases
// of A (lda in bytes), then step(0, ·) and step(4, ·) per pair of offsets,
// then a last step(0, nil) for odd k, falling through to pre+"_store". The
// pairs but the last convPrefetchPairs prefetch the rows of B ahead with
// the register pf; the last ones (whose rows ahead would be past offs) do
// not. off holds 3·lda while the bases are set up; cnt counts the pairs.
func convKLoop(pre string, lda, offp, off, cnt, pf Register, bases []Register, step func(disp int, pf Register)) {
	Label(pre + "_k")
	Load(Param("a"), bases[0])
	lda3 := off
	LEAQ(Mem{Base: lda, Index: lda, Scale: 2}, lda3)
	for q := 1; q < len(bases); q++ {
		LEAQ(Mem{Base: bases[q-1], Index: lda3, Scale: 1}, bases[q])
	}
	Load(Param("offs"), offp)
	Load(Param("k"), cnt)
	SHRQ(U8(1), cnt)
	JZ(LabelRef(pre + "_odd"))
	advance := func() {
		ADDQ(U8(8), offp)
		for _, base := range bases {
			ADDQ(U8(8), base)
		}
	}
	Comment("Pairs with a row of B convPrefetchPairs pairs ahead: prefetch it.")
	SUBQ(U8(convPrefetchPairs), cnt)
	JLE(LabelRef(pre + "_short"))
	Label(pre + "_pfloop")
	step(0, pf)
	step(4, pf)
	advance()
	DECQ(cnt)
	JNZ(LabelRef(pre + "_pfloop"))
	MOVQ(U32(convPrefetchPairs), cnt)
	JMP(LabelRef(pre + "_loop"))
	Label(pre + "_short")
	ADDQ(U8(convPrefetchPairs), cnt)
	Label(pre + "_loop")
	step(0, nil)
	step(4, nil)
	advance()
	DECQ(cnt)
	JNZ(LabelRef(pre + "_loop"))
	Label(pre + "_odd")
	Load(Param("k"), cnt)
	TESTQ(U32(1), cnt)
	JZ(LabelRef(pre + "_store"))
	step(0, nil)
}

// convTMaxRows is the most positions a transposed conv tile holds: with
// two vectors of output channels, 14 rows take 28 accumulators, two
// vectors of A and a broadcast (a 14×14 map's row in one tile).
const convTMaxRows = 14

// convTilesT emits convTileT{R}x{V}AVX512 for every R ≤ 14 and V ≤ 2.
func convTilesT() {
	for r := 1; r <= convTMaxRows; r++ {
		for v := 1; v <= 2; v++ {
			convTileT(r, v)
		}
	}
}

// convTileT emits convTileT{R}x{V}AVX512: the implicit GEMM of convTile
// transposed, positions as rows and output channels as columns. Row i of
// a tile is the grid position b + i, its value for row p of B (input
// channel and tap) at b[offs[p] + i] and broadcast; row p of A (the
// weights transposed, K × channels) is 16V floats, lda apart. nblk tiles
// are stacked: tile q reads B from b + q·ldb and writes R rows of C,
// ldc apart, from c + q·ldcq. A grouped layer's output row at a small map
// is one tile, with no grid columns past the row computed.
func convTileT(r, v int) {
	name := fmt.Sprintf("convTileT%dx%dAVX512", r, v)
	TEXT(name, NOSPLIT, "func(k int, a *float32, lda int, b *float32, ldb int, offs *int32, c *float32, ldc int, ldcq int, nblk int)")
	Doc(strings.Split(fmt.Sprintf(`%[1]s computes nblk tiles of %[2]d×%[3]d with AVX-512.
In Go (k ≥ 1, nblk ≥ 1):

	for q := 0; q < nblk; q++ {
		for i := 0; i < %[2]d; i++ {
			for j := 0; j < %[3]d; j++ {
				var s float32
				for p := 0; p < k; p++ {
					s += b[q*ldb+int(offs[p])+i] * a[p*lda+j]
				}
				c[q*ldcq+i*ldc+j] = s
			}
		}
	}`, name, r, 16*v), "\n")...)
	Pragma("noescape")
	acc := func(i, j int) VecPhysical { return zmm[i*v+j] }
	av := func(j int) VecPhysical { return zmm[r*v+j] }
	bc := zmm[r*v+v]

	lda := Load(Param("lda"), GP64())
	SHLQ(U8(2), lda)
	b := Load(Param("b"), GP64())
	c := Load(Param("c"), GP64())
	nblk := Load(Param("nblk"), GP64())
	ap, offp, off, cnt := GP64(), GP64(), GP64(), GP64()

	Label(name + "_block")
	for i := 0; i < r*v; i++ {
		VXORPS(zmm[i], zmm[i], zmm[i])
	}
	Load(Param("a"), ap)
	Load(Param("offs"), offp)
	Load(Param("k"), cnt)
	Label(name + "_k")
	MOVLQSX(Mem{Base: offp}, off)
	for j := 0; j < v; j++ {
		VMOVUPS(Mem{Base: ap, Disp: 64 * j}, av(j))
	}
	for i := 0; i < r; i++ {
		m := Mem{Base: b, Index: off, Scale: 4, Disp: 4 * i}
		if v == 1 {
			VFMADD231PS_BCST(m, av(0), acc(i, 0))
			continue
		}
		VBROADCASTSS(m, bc)
		for j := 0; j < v; j++ {
			VFMADD231PS(av(j), bc, acc(i, j))
		}
	}
	ADDQ(U8(4), offp)
	ADDQ(lda, ap)
	DECQ(cnt)
	JNZ(LabelRef(name + "_k"))

	Load(Param("ldc"), off)
	SHLQ(U8(2), off)
	MOVQ(c, cnt)
	for i := 0; i < r; i++ {
		for j := 0; j < v; j++ {
			VMOVUPS(acc(i, j), Mem{Base: cnt, Disp: 64 * j})
		}
		if i < r-1 {
			ADDQ(off, cnt)
		}
	}
	Load(Param("ldcq"), off)
	LEAQ(Mem{Base: c, Index: off, Scale: 4}, c)
	Load(Param("ldb"), off)
	LEAQ(Mem{Base: b, Index: off, Scale: 4}, b)
	DECQ(nblk)
	JNZ(LabelRef(name + "_block"))
	VZEROUPPER()
	RET()
}
