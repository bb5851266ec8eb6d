package imageio

import (
	"encoding/binary"
	"image"
	"image/color"
	"sort"
)

// pngFix undoes what image/png does differently from PIL for convert("RGB"):
// a 16-bit grayscale PNG with a tRNS chunk comes back as NRGBA64, but PIL
// opens it as mode "I" whose RGB conversion clips at 255 (see ToRGB), so
// we return it as Gray16.
//
// It also undoes image/png's padding of a short palette with opaque black:
// PIL's palette entries past PLTE keep their grey-ramp defaults (i, i, i).
func pngFix(data []byte, img image.Image) image.Image {
	if p, ok := img.(*image.Paletted); ok {
		if n := pngPaletteLen(data); n >= 0 && n < len(p.Palette) {
			pal := append(color.Palette(nil), p.Palette...)
			for i := n; i < len(pal); i++ {
				pal[i] = nil // paletteLUT: (i, i, i)
			}
			p.Palette = pal
		}
		return img
	}
	if len(data) < 26 || data[24] != 16 || data[25] != 0 {
		return img
	}
	n, ok := img.(*image.NRGBA64)
	if !ok {
		return img
	}
	g := image.NewGray16(n.Rect)
	for y := n.Rect.Min.Y; y < n.Rect.Max.Y; y++ {
		src := n.Pix[(y-n.Rect.Min.Y)*n.Stride:]
		dst := g.Pix[(y-g.Rect.Min.Y)*g.Stride:]
		for x := 0; x < n.Rect.Dx(); x++ {
			dst[2*x], dst[2*x+1] = src[8*x], src[8*x+1]
		}
	}
	return g
}

// pngPaletteLen returns the number of PLTE entries, or -1.
func pngPaletteLen(b []byte) int {
	for pos := 8; pos+8 <= len(b); {
		n := int(binary.BigEndian.Uint32(b[pos:]))
		if n < 0 || n > len(b) {
			return -1
		}
		switch string(b[pos+4 : pos+8]) {
		case "PLTE":
			return n / 3
		case "IDAT", "IEND":
			return -1
		}
		pos += 12 + n
	}
	return -1
}

// gifFix restores the colour of the transparent palette entry, which
// image/gif replaces by transparent black; PIL keeps the palette's RGB and
// convert("RGB") shows it.
func gifFix(data []byte, img image.Image, opt Options) (image.Image, error) {
	p, ok := img.(*image.Paletted)
	if !ok {
		return img, nil
	}
	table, trans := gifFirstFrameTable(data)
	if trans >= 0 && trans < len(p.Palette) && 3*(trans+1) <= len(table) {
		pal := append(color.Palette(nil), p.Palette...)
		pal[trans] = color.NRGBA{table[3*trans], table[3*trans+1], table[3*trans+2], 0}
		p.Palette = pal
	}
	// PIL's first frame is the logical screen (grown to hold the frame if
	// need be), filled with the transparent index or 0, the frame drawn in.
	sw, sh := int(binary.LittleEndian.Uint16(data[6:])), int(binary.LittleEndian.Uint16(data[8:]))
	screen := image.Rect(0, 0, max(sw, p.Rect.Max.X), max(sh, p.Rect.Max.Y))
	if p.Rect == screen {
		return p, nil
	}
	if err := checkSize(screen.Dx(), screen.Dy(), opt); err != nil {
		return nil, err
	}
	c := image.NewPaletted(screen, p.Palette)
	if trans >= 0 {
		for i := range c.Pix {
			c.Pix[i] = uint8(trans)
		}
	}
	for y := p.Rect.Min.Y; y < p.Rect.Max.Y; y++ {
		copy(c.Pix[c.PixOffset(p.Rect.Min.X, y):], p.Pix[p.PixOffset(p.Rect.Min.X, y):p.PixOffset(p.Rect.Max.X, y)])
	}
	return c, nil
}

// gifFirstFrameTable walks a GIF to its first image descriptor and returns
// the colour table that frame uses and its transparent index (-1 if none).
func gifFirstFrameTable(b []byte) (table []byte, trans int) {
	trans = -1
	if len(b) < 13 {
		return nil, -1
	}
	pos := 13
	if b[10]&0x80 != 0 {
		n := 3 << (b[10]&7 + 1)
		if pos+n > len(b) {
			return nil, -1
		}
		table = b[pos : pos+n]
		pos += n
	}
	for pos < len(b) {
		switch b[pos] {
		case 0x21: // extension: label, then sub-blocks
			if pos+2 > len(b) {
				return nil, -1
			}
			label := b[pos+1]
			pos += 2
			if label == 0xf9 && pos+5 < len(b) && b[pos] == 4 && b[pos+1]&1 != 0 {
				trans = int(b[pos+4])
			}
			for pos < len(b) && b[pos] != 0 {
				pos += int(b[pos]) + 1
			}
			pos++
		case 0x2c: // image descriptor
			if pos+10 > len(b) {
				return nil, -1
			}
			if flags := b[pos+9]; flags&0x80 != 0 {
				n := 3 << (flags&7 + 1)
				if pos+10+n > len(b) {
					return nil, -1
				}
				table = b[pos+10 : pos+10+n]
			}
			return table, trans
		default:
			return nil, -1
		}
	}
	return nil, -1
}

// tiffCMYKAsRGBA lets x/image/tiff (which has no CMYK support) read an
// 8-bit CMYK TIFF: it appends a copy of the first IFD that calls the image
// RGB with an unassociated alpha sample, and points the header at it. The
// four samples then arrive unchanged in an NRGBA image, which tiffFix
// relabels as CMYK.
func tiffCMYKAsRGBA(b []byte) ([]byte, bool) {
	if len(b) < 8 {
		return b, false
	}
	var bo interface {
		binary.ByteOrder
		binary.AppendByteOrder
	} = binary.LittleEndian
	if b[0] == 'M' {
		bo = binary.BigEndian
	}
	off := int64(bo.Uint32(b[4:]))
	if off < 8 || off+2 > int64(len(b)) {
		return b, false
	}
	n := int(bo.Uint16(b[off:]))
	if off+2+int64(n)*12 > int64(len(b)) {
		return b, false
	}
	type entry [12]byte
	entries := make([]entry, 0, n+1)
	photometric, samples := -1, -1
	for i := 0; i < n; i++ {
		var e entry
		copy(e[:], b[off+2+int64(i)*12:])
		tag, typ := bo.Uint16(e[0:]), bo.Uint16(e[2:])
		if typ == 3 && bo.Uint32(e[4:]) == 1 {
			switch tag {
			case 262:
				photometric = int(bo.Uint16(e[8:]))
			case 277:
				samples = int(bo.Uint16(e[8:]))
			}
		}
		if tag == 338 || tag == 332 { // ExtraSamples, InkSet
			if tag == 338 {
				return b, false
			}
			if typ != 3 || bo.Uint16(e[8:]) != 1 {
				return b, false // not plain CMYK inks
			}
			continue
		}
		entries = append(entries, e)
	}
	if photometric != 5 || samples != 4 {
		return b, false
	}
	var extra entry
	bo.PutUint16(extra[0:], 338)
	bo.PutUint16(extra[2:], 3)
	bo.PutUint32(extra[4:], 1)
	bo.PutUint16(extra[8:], 2)
	entries = append(entries, extra)
	for i := range entries {
		if bo.Uint16(entries[i][0:]) == 262 {
			bo.PutUint16(entries[i][8:], 2)
		}
	}
	sort.Slice(entries, func(i, j int) bool { return bo.Uint16(entries[i][0:]) < bo.Uint16(entries[j][0:]) })
	out := make([]byte, len(b), len(b)+2+len(entries)*12+6)
	copy(out, b)
	if len(out)%2 == 1 {
		out = append(out, 0)
	}
	newOff := len(out)
	out = bo.AppendUint16(out, uint16(len(entries)))
	for _, e := range entries {
		out = append(out, e[:]...)
	}
	out = bo.AppendUint32(out, 0)
	bo.PutUint32(out[4:], uint32(newOff))
	return out, true
}

// cmykFromNRGBA relabels the NRGBA image decoded from a CMYK TIFF.
func cmykFromNRGBA(img image.Image) image.Image {
	if n, ok := img.(*image.NRGBA); ok {
		return &image.CMYK{Pix: n.Pix, Stride: n.Stride, Rect: n.Rect}
	}
	return img
}

// jpegOrientation returns the EXIF Orientation (1–8) of a JPEG, or 0.
func jpegOrientation(b []byte) int {
	pos := 2
	for pos+4 <= len(b) && b[pos] == 0xff {
		marker := b[pos+1]
		if marker == 0xda || marker == 0xd9 {
			return 0
		}
		size := int(b[pos+2])<<8 | int(b[pos+3])
		if size < 2 || pos+2+size > len(b) {
			return 0
		}
		seg := b[pos+4 : pos+2+size]
		if marker == 0xe1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return exifOrientation(seg[6:])
		}
		pos += 2 + size
	}
	return 0
}

func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int64(bo.Uint32(t[4:]))
	if off+2 > int64(len(t)) {
		return 0
	}
	n := int64(bo.Uint16(t[off:]))
	for i := int64(0); i < n; i++ {
		e := off + 2 + 12*i
		if e+12 > int64(len(t)) {
			return 0
		}
		if bo.Uint16(t[e:]) == 0x0112 && bo.Uint16(t[e+2:]) == 3 {
			if o := int(bo.Uint16(t[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}
