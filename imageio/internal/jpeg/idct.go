package jpeg

// ISLOW constants: FIX(x) = round(x · 2^13) (jidctint.c).
const (
	constBits = 13
	pass1Bits = 2

	fix0_298631336 = 2446
	fix0_390180644 = 3196
	fix0_541196100 = 4433
	fix0_765366865 = 6270
	fix0_899976223 = 7373
	fix1_175875602 = 9633
	fix1_501321110 = 12299
	fix1_847759065 = 15137
	fix1_961570560 = 16069
	fix2_053119869 = 16819
	fix2_562915447 = 20995
	fix3_072711026 = 25172
)

// rangeLimit maps an IDCT output (before the +128 level shift), masked to
// 10 bits, to a sample exactly as libjpeg's IDCT_range_limit table does:
// clamped for |v| < 512, wrapping beyond (only corrupt data gets there).
var rangeLimit [1024]uint8

func init() {
	for i := range rangeLimit {
		switch {
		case i < 128:
			rangeLimit[i] = uint8(i + 128)
		case i < 512:
			rangeLimit[i] = 255
		case i < 896:
			rangeLimit[i] = 0
		default:
			rangeLimit[i] = uint8(i - 896)
		}
	}
}

// allocPix allocates the plane: whole blocks covering W×H.
func (c *Component) allocPix() {
	bw, bh := (c.W+7)/8, (c.H+7)/8
	c.Stride = 8 * bw
	c.Pix = make([]uint8, c.Stride*8*bh)
}

// idct turns every stored component's coefficients into samples.
func (d *decoder) idct() {
	for i := range d.img.Components {
		c := &d.img.Components[i]
		if c.coef == nil {
			if c.Pix == nil {
				c.allocPix() // a component no scan covered stays 0, as in libjpeg
			}
			continue
		}
		c.allocPix()
		for by := c.need.Min.Y; by < c.need.Max.Y; by++ {
			for bx := c.need.Min.X; bx < c.need.Max.X; bx++ {
				idctBlock(c.Pix[8*by*c.Stride+8*bx:], c.Stride, (*[64]int16)(c.coef[(by*c.bw+bx)*64:]), c.quant)
			}
		}
		c.coef = nil
	}
}

// idctDC is idctBlock for a block whose AC coefficients are all zero:
// both passes take their all-zero shortcuts, giving one flat value.
func idctDC(dst []uint8, stride int, dc int16, q int32) {
	v := rangeLimit[descale(int64(int32(int32(dc)*q)<<pass1Bits), pass1Bits+3)&1023]
	for r := range 8 {
		row := dst[r*stride : r*stride+8]
		for i := range row {
			row[i] = v
		}
	}
}

func descale(x int64, n uint) int64 { return (x + 1<<(n-1)) >> n }

// idctBlock is jpeg_idct_islow: dequantise, columns into a workspace
// scaled by 2^pass1Bits, then rows, each output descaled and range-limited.
// libjpeg-turbo multiplies coefficient and (short) quantisation value in
// int, computes in 64-bit JLONG and stores the workspace as int; so do we.
func idctBlock(dst []uint8, stride int, coef *[64]int16, q *[64]int32) {
	var ws [64]int32
	for col := range 8 {
		c := (*[57]int16)(coef[col:])
		k := (*[57]int32)(q[col:])
		w := (*[57]int32)(ws[col:])
		if c[8] == 0 && c[16] == 0 && c[24] == 0 && c[32] == 0 && c[40] == 0 && c[48] == 0 && c[56] == 0 {
			dc := int32(c[0]) * k[0] << pass1Bits
			w[0], w[8], w[16], w[24], w[32], w[40], w[48], w[56] = dc, dc, dc, dc, dc, dc, dc, dc
			continue
		}
		var o [8]int64
		idct1D(&o,
			int64(int32(c[0])*k[0]), int64(int32(c[8])*k[8]), int64(int32(c[16])*k[16]), int64(int32(c[24])*k[24]),
			int64(int32(c[32])*k[32]), int64(int32(c[40])*k[40]), int64(int32(c[48])*k[48]), int64(int32(c[56])*k[56]))
		const sh = constBits - pass1Bits
		w[0] = int32((o[0] + 1<<(sh-1)) >> sh)
		w[8] = int32((o[1] + 1<<(sh-1)) >> sh)
		w[16] = int32((o[2] + 1<<(sh-1)) >> sh)
		w[24] = int32((o[3] + 1<<(sh-1)) >> sh)
		w[32] = int32((o[4] + 1<<(sh-1)) >> sh)
		w[40] = int32((o[5] + 1<<(sh-1)) >> sh)
		w[48] = int32((o[6] + 1<<(sh-1)) >> sh)
		w[56] = int32((o[7] + 1<<(sh-1)) >> sh)
	}
	for row := range 8 {
		w := (*[8]int32)(ws[8*row:])
		out := (*[8]uint8)(dst[row*stride:])
		if w[1] == 0 && w[2] == 0 && w[3] == 0 && w[4] == 0 && w[5] == 0 && w[6] == 0 && w[7] == 0 {
			v := rangeLimit[descale(int64(w[0]), pass1Bits+3)&1023]
			*out = [8]uint8{v, v, v, v, v, v, v, v}
			continue
		}
		var o [8]int64
		idct1D(&o, int64(w[0]), int64(w[1]), int64(w[2]), int64(w[3]), int64(w[4]), int64(w[5]), int64(w[6]), int64(w[7]))
		const sh = constBits + pass1Bits + 3
		for i, v := range o {
			out[i] = rangeLimit[((v+1<<(sh-1))>>sh)&1023]
		}
	}
}

// idct1D is one 8-point pass of the LLM IDCT with 12 multiplies, as
// jidctint.c writes it; o receives the outputs before descaling.
func idct1D(o *[8]int64, i0, i1, i2, i3, i4, i5, i6, i7 int64) {
	// Even part.
	z1 := (i2 + i6) * fix0_541196100
	tmp2 := z1 + i6*-fix1_847759065
	tmp3 := z1 + i2*fix0_765366865
	tmp0 := (i0 + i4) << constBits
	tmp1 := (i0 - i4) << constBits
	tmp10, tmp13 := tmp0+tmp3, tmp0-tmp3
	tmp11, tmp12 := tmp1+tmp2, tmp1-tmp2

	// Odd part: inputs 7, 5, 3, 1.
	tmp0, tmp1, tmp2, tmp3 = i7, i5, i3, i1
	z1 = tmp0 + tmp3
	z2 := tmp1 + tmp2
	z3 := tmp0 + tmp2
	z4 := tmp1 + tmp3
	z5 := (z3 + z4) * fix1_175875602
	tmp0 *= fix0_298631336
	tmp1 *= fix2_053119869
	tmp2 *= fix3_072711026
	tmp3 *= fix1_501321110
	z1 *= -fix0_899976223
	z2 *= -fix2_562915447
	z3 *= -fix1_961570560
	z4 *= -fix0_390180644
	z3 += z5
	z4 += z5
	tmp0 += z1 + z3
	tmp1 += z2 + z4
	tmp2 += z2 + z3
	tmp3 += z1 + z4

	o[0], o[7] = tmp10+tmp3, tmp10-tmp3
	o[1], o[6] = tmp11+tmp2, tmp11-tmp2
	o[2], o[5] = tmp12+tmp1, tmp12-tmp1
	o[3], o[4] = tmp13+tmp0, tmp13-tmp0
}
