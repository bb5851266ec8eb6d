package imageio

import (
	"image"
	"image/color"
	"sync"

	"github.com/resnetgo/resnet/imageio/internal/jpeg"
)

// libjpeg-turbo's YCbCr→RGB tables (jdcolor.c): 16 fractional bits, the
// R and B terms rounded to nearest integers, the G term summed first and
// then shifted.
var (
	crR, cbB [256]int32
	crG, cbG [256]int32
)

func init() {
	const half = 1 << 15
	fix := func(x float64) int64 { return int64(x*65536 + 0.5) }
	for i := range 256 {
		x := int64(i - 128)
		crR[i] = int32((fix(1.40200)*x + half) >> 16)
		cbB[i] = int32((fix(1.77200)*x + half) >> 16)
		crG[i] = int32(-fix(0.71414) * x)
		cbG[i] = int32(-fix(0.34414)*x + half)
	}
}

func clamp8(v int32) uint8 {
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// clampTab[v+512] is clamp8(v) for the sums of the YCbCr conversion
// (-512 ≤ v < 512).
var clampTab = func() (t [1024]uint8) {
	for i := range t {
		t[i] = clamp8(int32(i - 512))
	}
	return
}()

// plane is one decoded component before upsampling: w×h meaningful samples
// (libjpeg's downsampled_width/height), expanded he× horizontally and ve×
// vertically to the image size.
type plane struct {
	pix           []uint8
	stride, w, h  int
	he, ve        int
	colsum        []int32
	rowBuf, nearB []uint8
}

// row writes columns [x0, x1) of full-resolution row y of the plane into
// dst (len ≥ x1 rounded up to he).
func (p *plane) row(dst []uint8, y, x0, x1 int) {
	cy := y / p.ve
	near := cy // the next-nearest row for vertical interpolation
	if p.ve == 2 {
		if y%2 == 0 {
			near = max(cy-1, 0)
		} else {
			near = min(cy+1, p.h-1)
		}
	}
	upsampleRow(dst, p.pix[cy*p.stride:cy*p.stride+p.w], p.pix[near*p.stride:near*p.stride+p.w], p.colsum, p.he, p.ve, y%2 == 0, x0, x1)
}

// upsampleRow writes outputs [x0, x1) of one row expanded as
// libjpeg-turbo's jdsample.c does: h2v1/h2v2 "fancy" (triangular)
// upsampling when the row is wider than 2 samples, h1v2 fancy always, box
// replication otherwise. upper tells, for ve == 2, whether the output row
// is the upper one of its pair (next-nearest row above, rounding bias 1
// resp. 8) or the lower one (below, 2 resp. 7). The first and last samples
// of a row have their own rules, applied only at the real row ends.
func upsampleRow(dst, row, near []uint8, colsum []int32, he, ve int, upper bool, x0, x1 int) {
	n := len(row)
	switch {
	case he == 1 && ve == 1:
		copy(dst[x0:x1], row[x0:x1])
	case he == 1 && ve == 2: // h1v2_fancy_upsample
		bias := int32(2)
		if upper {
			bias = 1
		}
		for i := x0; i < x1; i++ {
			dst[i] = uint8((3*int32(row[i]) + int32(near[i]) + bias) >> 2)
		}
	case he == 2 && ve == 1 && n > 2: // h2v1_fancy_upsample
		for i := x0 / 2; i < min((x1+1)/2, n); i++ {
			v := 3 * int32(row[i])
			if i == 0 {
				dst[0] = row[0]
			} else {
				dst[2*i] = uint8((v + int32(row[i-1]) + 1) >> 2)
			}
			if i == n-1 {
				dst[2*i+1] = row[i]
			} else {
				dst[2*i+1] = uint8((v + int32(row[i+1]) + 2) >> 2)
			}
		}
	case he == 2 && ve == 2 && n > 2: // h2v2_fancy_upsample
		i0, i1 := x0/2, min((x1+1)/2, n)
		for i := max(i0-1, 0); i < min(i1+1, n); i++ {
			colsum[i] = 3*int32(row[i]) + int32(near[i])
		}
		// The biases alternate (8, 7) so that rounding errors do not
		// accumulate in one direction.
		for i := i0; i < i1; i++ {
			v := 3 * colsum[i]
			if i == 0 {
				dst[0] = uint8((4*colsum[0] + 8) >> 4)
			} else {
				dst[2*i] = uint8((v + colsum[i-1] + 8) >> 4)
			}
			if i == n-1 {
				dst[2*i+1] = uint8((4*colsum[i] + 7) >> 4)
			} else {
				dst[2*i+1] = uint8((v + colsum[i+1] + 7) >> 4)
			}
		}
	default: // box replication: h2v1/h2v2 on narrow rows, int_upsample
		for j := x0; j < x1; j++ {
			dst[j] = row[min(j/he, n-1)]
		}
	}
}

// Colour spaces for planesToRGB (those of internal/jpeg).
const (
	csGray  = jpeg.Gray
	csYCbCr = jpeg.YCbCr
	csRGB   = jpeg.RGB
	csCMYK  = jpeg.CMYK
	csYCCK  = jpeg.YCCK
)

// planesToRGB upsamples the planes and converts them to RGB as PIL's
// libjpeg-turbo decoder plus convert("RGB") would: YCbCr by jdcolor.c's
// tables; CMYK read through PIL's "CMYK;I" (Adobe inverted) raw mode, YCCK
// first turned into CMYK by libjpeg, both then through PIL's cmyk2rgb.
// Only the pixels in r are written.
func planesToRGB(out *RGB, ps []*plane, cs int, r image.Rectangle) {
	w := out.W
	x0, x1 := r.Min.X, r.Max.X
	bufs := make([][]uint8, len(ps))
	for i, p := range ps {
		bufs[i] = make([]uint8, w+8)
		p.colsum = make([]int32, p.w)
	}
	rows := make([][]uint8, len(ps))
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for i, p := range ps {
			if p.he == 1 && p.ve == 1 {
				rows[i] = p.pix[y*p.stride+x0 : y*p.stride+x1] // full size: no copy
			} else {
				p.row(bufs[i], y, x0, x1)
				rows[i] = bufs[i][x0:x1]
			}
		}
		bufs := rows
		w := x1 - x0
		o := out.Pix[3*(out.W*y+x0) : 3*(out.W*y+x1)]
		switch cs {
		case csGray:
			for x, v := range bufs[0][:w] {
				o[3*x], o[3*x+1], o[3*x+2] = v, v, v
			}
		case csRGB:
			r, g, b := bufs[0][:w], bufs[1][:w], bufs[2][:w]
			for x := range w {
				o[3*x], o[3*x+1], o[3*x+2] = r[x], g[x], b[x]
			}
		case csYCbCr:
			yr, cbr, crr := bufs[0][:w], bufs[1][:w], bufs[2][:w]
			for x, yv := range yr {
				Y, cb, cr := int32(yv)+512, cbr[x], crr[x]
				p := o[3*x : 3*x+3 : 3*x+3]
				p[0] = clampTab[(Y+crR[cr])&1023]
				p[1] = clampTab[(Y+(cbG[cb]+crG[cr])>>16)&1023]
				p[2] = clampTab[(Y+cbB[cb])&1023]
			}
		case csCMYK, csYCCK:
			c0, c1, c2, k := bufs[0][:w], bufs[1][:w], bufs[2][:w], bufs[3][:w]
			for x := range w {
				var c, m, ye uint8
				if cs == csYCCK {
					// ycck_cmyk_convert gives 255-R', 255-G', 255-B'; PIL's
					// inversion turns them back into R', G', B'.
					Y, cb, cr := int32(c0[x]), c1[x], c2[x]
					c = clamp8(Y + crR[cr])
					m = clamp8(Y + (cbG[cb]+crG[cr])>>16)
					ye = clamp8(Y + cbB[cb])
				} else {
					c, m, ye = 255-c0[x], 255-c1[x], 255-c2[x]
				}
				kk := 255 - k[x]
				o[3*x], o[3*x+1], o[3*x+2] = cmykChannel(c, kk), cmykChannel(m, kk), cmykChannel(ye, kk)
			}
		}
	}
}

// jpegToImage converts decoded JPEG planes: grayscale stays image.Gray,
// everything else becomes *RGB.
func jpegToImage(j *jpeg.Image, r image.Rectangle) image.Image {
	if j.ColorSpace == jpeg.Gray {
		c := j.Components[0]
		return &image.Gray{Pix: c.Pix, Stride: c.Stride, Rect: image.Rect(0, 0, j.Width, j.Height)}
	}
	ps := make([]*plane, len(j.Components))
	for i := range j.Components {
		c := &j.Components[i]
		ps[i] = &plane{pix: c.Pix, stride: c.Stride, w: c.W, h: c.H, he: j.HMax / c.HSamp, ve: j.VMax / c.VSamp}
	}
	var out *RGB
	if r.Empty() {
		out = NewRGB(j.Width, j.Height)
		r = out.Bounds()
	} else {
		// Only r is written and read (Transform.load): a recycled buffer
		// saves clearing megabytes.
		out = &RGB{W: j.Width, H: j.Height, Pix: getPix(3 * j.Width * j.Height)}
	}
	planesToRGB(out, ps, j.ColorSpace, r.Intersect(out.Bounds()))
	return out
}

var pixPool sync.Pool // *[]uint8 of recycled, dirty RGB buffers

func getPix(n int) []uint8 {
	if p, ok := pixPool.Get().(*[]uint8); ok && cap(*p) >= n {
		return (*p)[:n]
	}
	return make([]uint8, n)
}

func putPix(b []uint8) { pixPool.Put(&b) }

// ycbcrToRGB converts an image.YCbCr (lossy WebP; JPEG when decoded by
// image/jpeg) with libjpeg-turbo's upsampling and conversion.
func ycbcrToRGB(out *RGB, src *image.YCbCr) {
	w, h := out.W, out.H
	he, ve := 1, 1
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		he = 2
	case image.YCbCrSubsampleRatio420:
		he, ve = 2, 2
	case image.YCbCrSubsampleRatio440:
		ve = 2
	case image.YCbCrSubsampleRatio411:
		he = 4
	case image.YCbCrSubsampleRatio410:
		he, ve = 4, 2
	}
	if src.Rect.Min != (image.Point{}) {
		i := 0
		for y := src.Rect.Min.Y; y < src.Rect.Max.Y; y++ {
			for x := src.Rect.Min.X; x < src.Rect.Max.X; x++ {
				c := src.YCbCrAt(x, y)
				r, g, b := color.YCbCrToRGB(c.Y, c.Cb, c.Cr)
				out.Pix[i], out.Pix[i+1], out.Pix[i+2] = r, g, b
				i += 3
			}
		}
		return
	}
	cw, ch := (w+he-1)/he, (h+ve-1)/ve
	ps := []*plane{
		{pix: src.Y, stride: src.YStride, w: w, h: h, he: 1, ve: 1},
		{pix: src.Cb, stride: src.CStride, w: cw, h: ch, he: he, ve: ve},
		{pix: src.Cr, stride: src.CStride, w: cw, h: ch, he: he, ve: ve},
	}
	planesToRGB(out, ps, csYCbCr, out.Bounds())
}
