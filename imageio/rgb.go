package imageio

import (
	"image"
	"image/color"
)

// RGB is an 8-bit interleaved RGB image with its origin at (0, 0): what
// PIL holds after convert("RGB"). Pix[3*(y*W+x)+c] is channel c of pixel
// (x, y). It implements image.Image.
type RGB struct {
	W, H int
	Pix  []uint8
}

// NewRGB returns a black w×h image.
func NewRGB(w, h int) *RGB { return &RGB{W: w, H: h, Pix: make([]uint8, 3*w*h)} }

// ColorModel implements image.Image.
func (m *RGB) ColorModel() color.Model { return color.RGBAModel }

// Bounds implements image.Image.
func (m *RGB) Bounds() image.Rectangle { return image.Rect(0, 0, m.W, m.H) }

// At implements image.Image.
func (m *RGB) At(x, y int) color.Color {
	if x < 0 || y < 0 || x >= m.W || y >= m.H {
		return color.RGBA{}
	}
	p := m.Pix[3*(y*m.W+x):]
	return color.RGBA{p[0], p[1], p[2], 0xff}
}

// ToRGB converts img to 8-bit RGB exactly as PIL's convert("RGB") converts
// the image PIL would have decoded from the same file:
//   - alpha is dropped, never composited (RGBA, LA, NRGBA, palette alpha);
//   - palette entries keep their RGB even when transparent;
//   - 16-bit grayscale (PIL modes "I" and "I;16") is clipped to 255, not
//     scaled, while 16-bit colour and gray+alpha keep the high byte;
//   - CMYK uses PIL's integer formula;
//   - YCbCr (JPEG) is upsampled and converted as libjpeg-turbo does.
//
// An *RGB is returned as is, not copied.
func ToRGB(img image.Image) *RGB {
	if m, ok := img.(*RGB); ok {
		return m
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := NewRGB(w, h)
	switch src := img.(type) {
	case *image.YCbCr:
		ycbcrToRGB(out, src)
	case *image.NYCbCrA:
		ycbcrToRGB(out, &src.YCbCr)
	case *image.Gray:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			dst := out.Pix[3*w*y:]
			for x, v := range row {
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.Gray16:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			dst := out.Pix[3*w*y:]
			for x := 0; x < w; x++ {
				// PIL: i2rgb / I16_RGB clip the integer value to 0..255.
				v := uint8(255)
				if row[2*x] == 0 {
					v = row[2*x+1]
				}
				dst[3*x], dst[3*x+1], dst[3*x+2] = v, v, v
			}
		}
	case *image.RGBA: // premultiplied: PIL drops alpha from "RGBa" as is, too
		copy4to3(out, src.Pix, src.Stride, 1)
	case *image.NRGBA:
		copy4to3(out, src.Pix, src.Stride, 1)
	case *image.RGBA64:
		copy4to3(out, src.Pix, src.Stride, 2)
	case *image.NRGBA64:
		copy4to3(out, src.Pix, src.Stride, 2)
	case *image.CMYK:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			dst := out.Pix[3*w*y:]
			for x := 0; x < w; x++ {
				c, m, ye, k := row[4*x], row[4*x+1], row[4*x+2], row[4*x+3]
				dst[3*x], dst[3*x+1], dst[3*x+2] = cmykChannel(c, k), cmykChannel(m, k), cmykChannel(ye, k)
			}
		}
	case *image.Paletted:
		lut := paletteLUT(src.Palette)
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride : y*src.Stride+w]
			dst := out.Pix[3*w*y:]
			for x, i := range row {
				e := lut[i]
				dst[3*x], dst[3*x+1], dst[3*x+2] = e[0], e[1], e[2]
			}
		}
	default:
		i := 0
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = c.R, c.G, c.B
				i += 3
			}
		}
	}
	return out
}

// copy4to3 copies the first three of four channels of bytesPer-byte
// samples, keeping the most significant byte (PIL's ";16B" unpackers).
func copy4to3(out *RGB, pix []uint8, stride, bytesPer int) {
	w := out.W
	step := 4 * bytesPer
	for y := 0; y < out.H; y++ {
		row := pix[y*stride:]
		dst := out.Pix[3*w*y : 3*w*(y+1)]
		for x := 0; x < w; x++ {
			p := row[x*step:]
			dst[3*x], dst[3*x+1], dst[3*x+2] = p[0], p[bytesPer], p[2*bytesPer]
		}
	}
}

// cmykChannel is PIL's cmyk2rgb: nk - nk·ink/255 with MULDIV255 rounding.
func cmykChannel(ink, k uint8) uint8 {
	nk := 255 - int(k)
	t := int(ink)*nk + 128
	v := nk - ((t>>8)+t)>>8
	if v < 0 {
		v = 0
	}
	return uint8(v)
}

// paletteLUT expands a palette to 256 RGB entries. Indices beyond the
// palette read as (i, i, i), the grey ramp PIL initialises palettes with.
func paletteLUT(p color.Palette) *[256][3]uint8 {
	var lut [256][3]uint8
	for i := range lut {
		lut[i] = [3]uint8{uint8(i), uint8(i), uint8(i)}
		if i >= len(p) || p[i] == nil {
			continue
		}
		switch c := p[i].(type) {
		case color.NRGBA:
			lut[i] = [3]uint8{c.R, c.G, c.B}
		case color.RGBA: // image/png and x/image store opaque entries as RGBA
			lut[i] = [3]uint8{c.R, c.G, c.B}
		default:
			n := color.NRGBAModel.Convert(c).(color.NRGBA)
			lut[i] = [3]uint8{n.R, n.G, n.B}
		}
	}
	return &lut
}

// orient applies an EXIF orientation (2–8) the way PIL's
// ImageOps.exif_transpose does.
func (m *RGB) orient(o int) *RGB {
	w, h := m.W, m.H
	ow, oh := w, h
	if o >= 5 {
		ow, oh = h, w
	}
	out := NewRGB(ow, oh)
	for y := 0; y < oh; y++ {
		for x := 0; x < ow; x++ {
			var sx, sy int
			switch o {
			case 2: // FLIP_LEFT_RIGHT
				sx, sy = w-1-x, y
			case 3: // ROTATE_180
				sx, sy = w-1-x, h-1-y
			case 4: // FLIP_TOP_BOTTOM
				sx, sy = x, h-1-y
			case 5: // TRANSPOSE
				sx, sy = y, x
			case 6: // ROTATE_270 (clockwise quarter turn)
				sx, sy = y, h-1-x
			case 7: // TRANSVERSE
				sx, sy = w-1-y, h-1-x
			case 8: // ROTATE_90 (counter-clockwise quarter turn)
				sx, sy = w-1-y, x
			default:
				sx, sy = x, y
			}
			copy(out.Pix[3*(y*ow+x):3*(y*ow+x)+3], m.Pix[3*(sy*w+sx):])
		}
	}
	return out
}
