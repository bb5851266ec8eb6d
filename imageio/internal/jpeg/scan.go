package jpeg

import (
	"fmt"
	"image"
)

// fill tops the bit buffer up to more than 56 bits. At a marker or the end
// of the data it feeds zero bytes, as libjpeg does, and counts them so that
// consuming them can be reported.
func (d *decoder) fill() {
	for d.nbits <= 56 {
		if d.hitMark {
			d.bits <<= 8
			d.nbits += 8
			d.padBits += 8
			continue
		}
		if d.pos >= len(d.data) {
			d.hitMark = true
			continue
		}
		b := d.data[d.pos]
		if b == 0xff {
			p := d.pos + 1
			for p < len(d.data) && d.data[p] == 0xff {
				p++
			}
			if p < len(d.data) && d.data[p] == 0 {
				d.pos = p + 1
			} else {
				d.pos = p - 1 // leave the marker (FF xx) for the header reader
				d.hitMark = true
				continue
			}
		} else {
			d.pos++
		}
		d.bits = d.bits<<8 | uint64(b)
		d.nbits += 8
	}
}

// overrun reports whether bits past the end of the entropy-coded data
// have been consumed.
func (d *decoder) overrun() bool { return d.padBits > d.nbits }

func (d *decoder) getBits(n uint) int32 {
	if n == 0 {
		return 0
	}
	if d.nbits < n {
		d.fill()
	}
	d.nbits -= n
	return int32(d.bits>>d.nbits) & (1<<n - 1)
}

func (d *decoder) decodeHuff(t *huffTable) (uint8, error) {
	if d.nbits < 16 {
		d.fill()
	}
	if v := t.look[(d.bits>>(d.nbits-lookBits))&(1<<lookBits-1)]; v != 0 {
		d.nbits -= uint(v >> 8)
		return uint8(v), nil
	}
	return d.decodeHuffSlow(t)
}

func (d *decoder) decodeHuffSlow(t *huffTable) (uint8, error) {
	code := int32(0)
	for l := 1; l <= 16; l++ {
		d.nbits--
		code = code<<1 | int32(d.bits>>d.nbits)&1
		if code <= t.maxcode[l] {
			i := t.valptr[l] + code - t.mincode[l]
			if int(i) < len(t.vals) {
				return t.vals[i], nil
			}
			break
		}
	}
	return 0, FormatError("bad Huffman code")
}

// receiveExtend reads an s-bit magnitude category value (F.2.2.1).
func (d *decoder) receiveExtend(s uint8) (int32, error) {
	if s == 0 {
		return 0, nil
	}
	if s > 16 {
		return 0, FormatError("bad coefficient size")
	}
	v := d.getBits(uint(s))
	if v < 1<<(s-1) {
		v += -1<<s + 1
	}
	return v, nil
}

// maxScans bounds the work a small file can demand: every scan walks the
// whole image. (libjpeg has no limit; djpeg offers -maxscan. Real
// progressive files have about 10.)
const maxScans = 1000

type scan struct {
	comps          []*Component
	ss, se, ah, al int
}

func (d *decoder) processSOS(seg []byte) error {
	if !d.sof {
		return FormatError("SOS before SOF")
	}
	img := d.img
	if len(seg) < 1 {
		return FormatError("short SOS segment")
	}
	ns := int(seg[0])
	if ns < 1 || ns > len(img.Components) || len(seg) < 4+2*ns {
		return FormatError("bad SOS segment")
	}
	sc := scan{ss: int(seg[1+2*ns]), se: int(seg[2+2*ns]), ah: int(seg[3+2*ns] >> 4), al: int(seg[3+2*ns] & 15)}
	for i := range ns {
		id := int(seg[1+2*i])
		var c *Component
		for j := range img.Components {
			if img.Components[j].ID == id {
				c = &img.Components[j]
			}
		}
		if c == nil {
			return FormatError("SOS names an unknown component")
		}
		for _, o := range sc.comps {
			if o == c {
				return FormatError("SOS repeats a component")
			}
		}
		c.dcTbl, c.acTbl = int(seg[2+2*i]>>4), int(seg[2+2*i]&15)
		if c.dcTbl > 3 || c.acTbl > 3 {
			return FormatError("bad Huffman table selector")
		}
		if c.quant == nil {
			// libjpeg latches the quantisation table when the component's
			// first scan starts, and keeps its values as short.
			q := d.quant[c.tq]
			if q == nil {
				return FormatError("missing quantization table")
			}
			c.quant = new([64]int32)
			for i, v := range q {
				c.quant[i] = int32(int16(v))
			}
		}
		sc.comps = append(sc.comps, c)
	}
	d.direct = !img.Progressive && !d.scanned && ns == len(img.Components)
	for _, c := range sc.comps {
		switch {
		case d.direct:
			c.allocPix()
		case c.coef == nil:
			c.coef = make([]int16, c.bw*c.bh*64)
		}
	}
	if ns > 1 {
		blocks := 0
		for _, c := range sc.comps {
			blocks += c.HSamp * c.VSamp
		}
		if blocks > 10 { // B.2.3; libjpeg: JERR_BAD_MCU_SIZE
			return FormatError("too many blocks in MCU")
		}
	}
	if img.Progressive {
		if sc.ss > sc.se || sc.se > 63 || sc.ss == 0 && sc.se != 0 || sc.ss > 0 && ns != 1 || sc.al > 13 || sc.ah > 13 {
			return FormatError("bad progressive scan parameters")
		}
	} else if sc.ss != 0 || sc.se != 63 || sc.ah != 0 || sc.al != 0 {
		// libjpeg only warns here; the values do not matter for sequential files.
		sc.ss, sc.se, sc.ah, sc.al = 0, 63, 0, 0
	}
	for _, c := range sc.comps {
		needDC := sc.ss == 0 && sc.ah == 0
		needAC := sc.se > 0 || !img.Progressive
		if needDC && !d.dc[c.dcTbl].present || needAC && !d.ac[c.acTbl].present {
			return FormatError("missing Huffman table")
		}
		c.dcPred = 0
	}
	if d.scans++; d.scans > maxScans {
		return FormatError(fmt.Sprintf("more than %d scans", maxScans))
	}
	d.bits, d.nbits, d.padBits, d.hitMark, d.eobrun = 0, 0, 0, false, 0
	d.scanned = true
	return d.decodeScan(&sc)
}

func (d *decoder) decodeScan(sc *scan) error {
	img := d.img
	var mcusX, mcusY int
	if len(sc.comps) == 1 {
		c := sc.comps[0]
		mcusX, mcusY = (c.W+7)/8, (c.H+7)/8
	} else {
		mcusX = (img.Width + 8*img.HMax - 1) / (8 * img.HMax)
		mcusY = (img.Height + 8*img.VMax - 1) / (8 * img.VMax)
	}
	todo := 0 // MCUs left before the next restart marker
	for my := range mcusY {
		for mx := range mcusX {
			if d.ri > 0 {
				if todo == 0 && (mx != 0 || my != 0) {
					if err := d.restart(sc); err != nil {
						return err
					}
				}
				if todo == 0 {
					todo = d.ri
				}
				todo--
			}
			if len(sc.comps) == 1 {
				if err := d.block1(sc, sc.comps[0], mx, my); err != nil {
					return err
				}
			} else {
				for _, c := range sc.comps {
					for v := range c.VSamp {
						for h := range c.HSamp {
							if err := d.block1(sc, c, mx*c.HSamp+h, my*c.VSamp+v); err != nil {
								return err
							}
						}
					}
				}
			}
			if d.overrun() {
				return ErrTruncated
			}
		}
	}
	return nil
}

// block1 decodes block (bx, by) of c: into the coefficient store, or in
// direct mode through the IDCT into the plane (dropping MCU padding).
func (d *decoder) block1(sc *scan, c *Component, bx, by int) error {
	if !d.direct {
		return d.decodeBlock(sc, c, c.coef[(by*c.bw+bx)*64:][:64])
	}
	d.block = [64]int16{}
	d.acSeen = false
	if err := d.decodeBlock(sc, c, d.block[:]); err != nil {
		return err
	}
	if (image.Point{bx, by}).In(c.need) {
		dst := c.Pix[8*by*c.Stride+8*bx:]
		if d.acSeen {
			idctBlock(dst, c.Stride, &d.block, c.quant)
		} else {
			idctDC(dst, c.Stride, d.block[0], c.quant[0])
		}
	}
	return nil
}

// restart discards the partial byte, consumes an RSTn marker and resets
// the predictions.
func (d *decoder) restart(sc *scan) error {
	d.bits, d.nbits, d.padBits = 0, 0, 0
	if !d.hitMark {
		// Skip to the next marker (libjpeg discards such bytes with a warning).
		for d.pos < len(d.data) && !(d.data[d.pos] == 0xff && d.pos+1 < len(d.data) && d.data[d.pos+1] != 0) {
			d.pos++
		}
	}
	if d.pos+1 < len(d.data) && d.data[d.pos] == 0xff && d.data[d.pos+1] >= 0xd0 && d.data[d.pos+1] <= 0xd7 {
		d.pos += 2
		d.hitMark = false
	} else {
		return FormatError("missing restart marker")
	}
	for _, c := range sc.comps {
		c.dcPred = 0
	}
	d.eobrun = 0
	return nil
}

func (d *decoder) decodeBlock(sc *scan, c *Component, blk []int16) error {
	if !d.img.Progressive {
		s, err := d.decodeHuff(&d.dc[c.dcTbl])
		if err != nil {
			return err
		}
		diff, err := d.receiveExtend(s)
		if err != nil {
			return err
		}
		c.dcPred += int(diff)
		blk[0] = int16(c.dcPred)
		ac := &d.ac[c.acTbl]
		for k := 1; k < 64; k++ {
			rs, err := d.decodeHuff(ac)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), rs&15
			if s == 0 {
				if r != 15 {
					break
				}
				k += 15
				continue
			}
			k += r
			v, err := d.receiveExtend(s)
			if err != nil {
				return err
			}
			blk[zigzag[k]] = int16(v)
			d.acSeen = true
		}
		return nil
	}
	switch {
	case sc.ss == 0 && sc.ah == 0: // DC first
		s, err := d.decodeHuff(&d.dc[c.dcTbl])
		if err != nil {
			return err
		}
		diff, err := d.receiveExtend(s)
		if err != nil {
			return err
		}
		c.dcPred += int(diff)
		blk[0] = int16(c.dcPred << sc.al)
	case sc.ss == 0: // DC refinement
		if d.getBits(1) != 0 {
			blk[0] |= 1 << sc.al
		}
	case sc.ah == 0: // AC first
		if d.eobrun > 0 {
			d.eobrun--
			return nil
		}
		ac := &d.ac[c.acTbl]
		for k := sc.ss; k <= sc.se; k++ {
			rs, err := d.decodeHuff(ac)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), rs&15
			if s == 0 {
				if r == 15 {
					k += 15
					continue
				}
				d.eobrun = 1<<r + int(d.getBits(uint(r))) - 1
				break
			}
			k += r
			v, err := d.receiveExtend(s)
			if err != nil {
				return err
			}
			blk[zigzag[k]] = int16(v << sc.al)
		}
	default: // AC refinement (G.1.2.3)
		return d.refineAC(sc, c, blk)
	}
	return nil
}

func (d *decoder) refineAC(sc *scan, c *Component, blk []int16) error {
	p1 := int16(1) << sc.al
	m1 := int16(-1) << sc.al
	refine := func(i int) {
		if d.getBits(1) != 0 && blk[i]&p1 == 0 {
			if blk[i] >= 0 {
				blk[i] += p1
			} else {
				blk[i] += m1
			}
		}
	}
	k := sc.ss
	if d.eobrun == 0 {
		ac := &d.ac[c.acTbl]
		for ; k <= sc.se; k++ {
			rs, err := d.decodeHuff(ac)
			if err != nil {
				return err
			}
			r, s := int(rs>>4), int16(rs&15)
			if s != 0 {
				// s must be 1; libjpeg warns and goes on otherwise.
				if d.getBits(1) != 0 {
					s = p1
				} else {
					s = m1
				}
			} else if r != 15 {
				d.eobrun = 1 << r
				if r != 0 {
					d.eobrun += int(d.getBits(uint(r)))
				}
				break
			}
			// Advance over already-nonzero coefficients (refining them)
			// and r still-zero ones, landing on the new coefficient.
			for k <= sc.se {
				i := zigzag[k]
				if blk[i] != 0 {
					refine(i)
				} else {
					if r == 0 {
						break
					}
					r--
				}
				k++
			}
			if s != 0 {
				blk[zigzag[k]] = s
			}
		}
	}
	if d.eobrun > 0 {
		for ; k <= sc.se; k++ {
			if i := zigzag[k]; blk[i] != 0 {
				refine(i)
			}
		}
		d.eobrun--
	}
	return nil
}
