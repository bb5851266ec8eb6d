// Package jpeg is a baseline and progressive Huffman JPEG decoder whose
// output planes equal libjpeg-turbo's: it dequantises with the file's
// tables and runs the ISLOW integer IDCT (jidctint.c: 13-bit constants,
// columns first, 2 extra bits between passes, range-limit table with its
// wrap-around), so the samples it returns are the ones libjpeg hands to its
// upsampler. Upsampling and colour conversion live in the caller.
//
// Lossless and arithmetic-coded JPEGs are not supported.
package jpeg

import (
	"fmt"
	"image"
	"io"
)

// FormatError reports malformed JPEG data.
type FormatError string

func (e FormatError) Error() string { return "jpeg: invalid format: " + string(e) }

// UnsupportedError reports a valid JPEG feature this decoder lacks.
type UnsupportedError string

func (e UnsupportedError) Error() string { return "jpeg: unsupported feature: " + string(e) }

// ErrTruncated is returned when the data ends inside a segment or a scan;
// it wraps io.ErrUnexpectedEOF.
var ErrTruncated = fmt.Errorf("jpeg: truncated data: %w", io.ErrUnexpectedEOF)

// Colour spaces of the decoded planes, chosen as libjpeg's
// default_decompress_parms chooses them.
const (
	Gray = iota
	YCbCr
	RGB
	CMYK
	YCCK
)

// Component is one decoded plane. Its meaningful samples are the first
// W columns of the first H rows (libjpeg's downsampled_width/height);
// HSamp and VSamp are its sampling factors.
type Component struct {
	ID           int
	HSamp, VSamp int
	W, H         int
	Stride       int
	Pix          []uint8

	tq           int
	need         image.Rectangle // the blocks to transform
	quant        *[64]int32      // natural order, as libjpeg's short multipliers
	bw, bh       int             // blocks per line/column, padded to whole MCUs
	coef         []int16
	dcPred       int
	dcTbl, acTbl int
}

// Image is a decoded JPEG: planes before upsampling and colour conversion.
type Image struct {
	Width, Height  int
	HMax, VMax     int
	ColorSpace     int
	Components     []Component
	Progressive    bool
	AdobeTransform int // -1 without an Adobe APP14 segment
}

// Config is what DecodeConfig reads from the frame header.
type Config struct {
	Width, Height, Components int
}

// DecodeConfig reads markers up to the frame header.
func DecodeConfig(data []byte) (Config, error) {
	d := &decoder{data: data}
	if err := d.readHeaders(true); err != nil {
		return Config{}, err
	}
	return Config{d.img.Width, d.img.Height, len(d.img.Components)}, nil
}

// Decode decodes a whole JPEG held in memory. The caller is expected to
// have bounded the dimensions with DecodeConfig first.
func Decode(data []byte) (*Image, error) {
	return DecodeRegion(data, image.Rectangle{})
}

// DecodeRegion is Decode for a caller that will read only the pixels in r
// (image coordinates; empty means all): blocks of a plane that cannot
// influence r, even through the chroma upsampler's neighbours, are
// entropy-decoded but not transformed, and stay 0.
func DecodeRegion(data []byte, r image.Rectangle) (*Image, error) {
	d := &decoder{data: data, region: r}
	if err := d.readHeaders(false); err != nil {
		return nil, err
	}
	return d.img, nil
}

type huffTable struct {
	present bool
	// lookahead: for each 9-bit prefix, (length<<8 | value), 0 if longer.
	look    [1 << lookBits]uint16
	maxcode [18]int32
	valptr  [17]int32
	mincode [17]int32
	vals    []uint8
}

const lookBits = 9

type decoder struct {
	data    []byte
	pos     int
	img     *Image
	quant   [4]*[64]uint16
	dc      [4]huffTable
	ac      [4]huffTable
	ri      int // restart interval in MCUs
	jfif    bool
	sof     bool
	scanned bool
	scans   int
	eobrun  int
	// direct: a single-scan sequential file, whose blocks go through the
	// IDCT as they are decoded instead of being stored.
	direct bool
	region image.Rectangle
	block  [64]int16
	acSeen bool // an AC coefficient was decoded into block

	// bit reader
	bits    uint64
	nbits   uint
	padBits uint
	hitMark bool
}

func (d *decoder) u16(p int) int { return int(d.data[p])<<8 | int(d.data[p+1]) }

func (d *decoder) readHeaders(configOnly bool) error {
	if len(d.data) < 2 || d.data[0] != 0xff || d.data[1] != 0xd8 {
		return FormatError("missing SOI marker")
	}
	d.img = &Image{AdobeTransform: -1}
	d.pos = 2
	for {
		// Skip fill bytes and any garbage before the next marker, as libjpeg does.
		for d.pos < len(d.data) && d.data[d.pos] != 0xff {
			d.pos++
		}
		for d.pos < len(d.data) && d.data[d.pos] == 0xff {
			d.pos++
		}
		if d.pos >= len(d.data) {
			return ErrTruncated
		}
		marker := d.data[d.pos]
		d.pos++
		if marker == 0xd9 { // EOI
			break
		}
		if marker == 0 || marker == 0xd8 || marker >= 0xd0 && marker <= 0xd7 || marker == 0x01 {
			continue // stray SOI/RSTn/TEM: no length
		}
		if d.pos+2 > len(d.data) {
			return ErrTruncated
		}
		n := d.u16(d.pos)
		if n < 2 {
			return FormatError("short segment length")
		}
		if d.pos+n > len(d.data) {
			return ErrTruncated
		}
		seg := d.data[d.pos+2 : d.pos+n]
		d.pos += n
		var err error
		switch {
		case marker == 0xc0 || marker == 0xc1 || marker == 0xc2:
			err = d.processSOF(seg, marker == 0xc2)
			if err == nil && configOnly {
				return nil
			}
		case marker == 0xc3 || marker >= 0xc5 && marker <= 0xcf && marker != 0xc8 && marker != 0xcc:
			return UnsupportedError(fmt.Sprintf("SOF marker 0x%02x (lossless, hierarchical or arithmetic coding)", marker))
		case marker == 0xc4:
			err = d.processDHT(seg)
		case marker == 0xdb:
			err = d.processDQT(seg)
		case marker == 0xdd:
			if len(seg) < 2 {
				return FormatError("short DRI segment")
			}
			d.ri = int(seg[0])<<8 | int(seg[1])
		case marker == 0xda:
			if configOnly {
				return FormatError("SOS before SOF")
			}
			err = d.processSOS(seg)
		case marker == 0xe0:
			if len(seg) >= 5 && string(seg[:5]) == "JFIF\x00" {
				d.jfif = true
			}
		case marker == 0xee:
			if len(seg) >= 12 && string(seg[:5]) == "Adobe" {
				d.img.AdobeTransform = int(seg[11])
			}
		}
		if err != nil {
			return err
		}
	}
	if !d.sof {
		return FormatError("missing SOF marker")
	}
	if !d.scanned {
		return FormatError("no scan")
	}
	d.chooseColorSpace()
	d.idct()
	return nil
}

func (d *decoder) processSOF(seg []byte, progressive bool) error {
	if d.sof {
		return FormatError("multiple SOF markers")
	}
	if len(seg) < 6 {
		return FormatError("short SOF segment")
	}
	if seg[0] != 8 {
		return UnsupportedError(fmt.Sprintf("%d-bit precision", seg[0]))
	}
	img := d.img
	img.Height = int(seg[1])<<8 | int(seg[2])
	img.Width = int(seg[3])<<8 | int(seg[4])
	img.Progressive = progressive
	nc := int(seg[5])
	if img.Width == 0 || img.Height == 0 {
		return FormatError("zero image dimension")
	}
	if nc != 1 && nc != 3 && nc != 4 {
		return UnsupportedError(fmt.Sprintf("%d components", nc))
	}
	if len(seg) < 6+3*nc {
		return FormatError("short SOF segment")
	}
	img.Components = make([]Component, nc)
	for i := range nc {
		c := &img.Components[i]
		c.ID = int(seg[6+3*i])
		c.HSamp, c.VSamp = int(seg[7+3*i]>>4), int(seg[7+3*i]&15)
		c.tq = int(seg[8+3*i])
		if c.HSamp < 1 || c.HSamp > 4 || c.VSamp < 1 || c.VSamp > 4 || c.tq > 3 {
			return FormatError("bad component parameters")
		}
		img.HMax, img.VMax = max(img.HMax, c.HSamp), max(img.VMax, c.VSamp)
	}
	mcusX := (img.Width + 8*img.HMax - 1) / (8 * img.HMax)
	mcusY := (img.Height + 8*img.VMax - 1) / (8 * img.VMax)
	for i := range img.Components {
		c := &img.Components[i]
		if img.HMax%c.HSamp != 0 || img.VMax%c.VSamp != 0 {
			return UnsupportedError("fractional sampling factors")
		}
		c.W = (img.Width*c.HSamp + img.HMax - 1) / img.HMax
		c.H = (img.Height*c.VSamp + img.VMax - 1) / img.VMax
		c.bw, c.bh = mcusX*c.HSamp, mcusY*c.VSamp
		c.need = image.Rect(0, 0, (c.W+7)/8, (c.H+7)/8)
		if r := d.region; !r.Empty() {
			// The region in plane samples, widened by 2 for the upsampler's
			// neighbours, in whole blocks.
			x0 := max(r.Min.X*c.HSamp/img.HMax-2, 0)
			y0 := max(r.Min.Y*c.VSamp/img.VMax-2, 0)
			x1 := (r.Max.X*c.HSamp+img.HMax-1)/img.HMax + 2
			y1 := (r.Max.Y*c.VSamp+img.VMax-1)/img.VMax + 2
			c.need = c.need.Intersect(image.Rect(x0/8, y0/8, (x1+7)/8, (y1+7)/8))
		}
	}
	d.sof = true
	return nil
}

func (d *decoder) processDQT(seg []byte) error {
	for len(seg) > 0 {
		pq, tq := seg[0]>>4, int(seg[0]&15)
		if tq > 3 || pq > 1 {
			return FormatError("bad DQT table")
		}
		n := 64 * (1 + int(pq))
		if len(seg) < 1+n {
			return FormatError("short DQT segment")
		}
		q := new([64]uint16)
		for k := range 64 {
			v := uint16(seg[1+k])
			if pq == 1 {
				v = uint16(seg[1+2*k])<<8 | uint16(seg[2+2*k])
			}
			q[zigzag[k]] = v // stored in natural order
		}
		d.quant[tq] = q
		seg = seg[1+n:]
	}
	return nil
}

func (d *decoder) processDHT(seg []byte) error {
	for len(seg) > 0 {
		if len(seg) < 17 {
			return FormatError("short DHT segment")
		}
		tc, th := seg[0]>>4, int(seg[0]&15)
		if tc > 1 || th > 3 {
			return FormatError("bad DHT table")
		}
		var counts [17]int
		total := 0
		for l := 1; l <= 16; l++ {
			counts[l] = int(seg[l])
			total += counts[l]
		}
		if total > 256 || len(seg) < 17+total {
			return FormatError("bad DHT counts")
		}
		t := &d.dc[th]
		if tc == 1 {
			t = &d.ac[th]
		}
		*t = huffTable{present: true, vals: append([]uint8(nil), seg[17:17+total]...)}
		code, k := int32(0), int32(0)
		for l := 1; l <= 16; l++ {
			t.valptr[l] = k
			t.mincode[l] = code
			code += int32(counts[l])
			k += int32(counts[l])
			if counts[l] > 0 {
				t.maxcode[l] = code - 1
			} else {
				t.maxcode[l] = -1
			}
			if code > 1<<l {
				return FormatError("bad Huffman code lengths")
			}
			code <<= 1
		}
		t.maxcode[17] = 1 << 30 // sentinel: ends the slow search
		// Fill the lookahead table for codes of up to lookBits bits.
		k = 0
		code = 0
		for l := 1; l <= lookBits; l++ {
			for range counts[l] {
				shift := lookBits - l
				for fill := range int32(1) << shift {
					t.look[code<<shift|fill] = uint16(l)<<8 | uint16(t.vals[k])
				}
				code++
				k++
			}
			code <<= 1
		}
		seg = seg[17+total:]
	}
	return nil
}

// zigzag maps zig-zag order to natural order, with libjpeg's 16 extra
// entries so that a corrupt run past 63 lands on 63.
var zigzag = [64 + 16]int{
	0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
	63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
}

// chooseColorSpace follows libjpeg's default_decompress_parms.
func (d *decoder) chooseColorSpace() {
	img := d.img
	switch len(img.Components) {
	case 1:
		img.ColorSpace = Gray
	case 3:
		c := img.Components
		switch {
		case d.jfif:
			img.ColorSpace = YCbCr
		case img.AdobeTransform == 0:
			img.ColorSpace = RGB
		case img.AdobeTransform > 0:
			img.ColorSpace = YCbCr
		case c[0].ID == 'R' && c[1].ID == 'G' && c[2].ID == 'B':
			img.ColorSpace = RGB
		default:
			img.ColorSpace = YCbCr
		}
	case 4:
		img.ColorSpace = CMYK
		if img.AdobeTransform > 0 {
			img.ColorSpace = YCCK
		}
	}
}
