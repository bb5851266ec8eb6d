package imageio

import (
	"image"
	"image/color"
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

// ycbcrToRGB converts a decoded JPEG (or lossy WebP) image the way
// libjpeg-turbo's default decompressor does: "fancy" (triangular) chroma
// upsampling as in jdsample.c, then jdcolor.c's fixed-point conversion.
func ycbcrToRGB(out *RGB, src *image.YCbCr) {
	w, h := out.W, out.H
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
	hs, vs := 1, 1 // horizontal and vertical chroma subsampling factors
	switch src.SubsampleRatio {
	case image.YCbCrSubsampleRatio422:
		hs = 2
	case image.YCbCrSubsampleRatio420:
		hs, vs = 2, 2
	case image.YCbCrSubsampleRatio440:
		vs = 2
	case image.YCbCrSubsampleRatio411:
		hs = 4
	case image.YCbCrSubsampleRatio410:
		hs, vs = 4, 2
	}
	cw, ch := (w+hs-1)/hs, (h+vs-1)/vs // libjpeg's downsampled_width/height
	cb := make([]uint8, w+4)
	cr := make([]uint8, w+4)
	colsum := make([]int32, cw)
	for y := 0; y < h; y++ {
		cy := y / vs
		near := cy // the next-nearest chroma row for vertical interpolation
		if vs == 2 {
			if y%2 == 0 {
				near = max(cy-1, 0)
			} else {
				near = min(cy+1, ch-1)
			}
		}
		for p, plane := range [2][]uint8{src.Cb, src.Cr} {
			dst := cb
			if p == 1 {
				dst = cr
			}
			row := plane[cy*src.CStride : cy*src.CStride+cw]
			nrow := plane[near*src.CStride : near*src.CStride+cw]
			upsampleRow(dst, row, nrow, colsum, hs, vs, y%2 == 0)
		}
		yrow := src.Y[y*src.YStride : y*src.YStride+w]
		o := out.Pix[3*w*y : 3*w*(y+1)]
		for x, yv := range yrow {
			Y := int32(yv)
			b, r := cb[x], cr[x]
			o[3*x] = clamp8(Y + crR[r])
			o[3*x+1] = clamp8(Y + (cbG[b]+crG[r])>>16)
			o[3*x+2] = clamp8(Y + cbB[b])
		}
	}
}

// upsampleRow expands one chroma row to full width as libjpeg-turbo does:
// h2v1/h2v2 "fancy" upsampling when the row is wider than 2 samples, h1v2
// fancy always, box replication otherwise. upper tells, for vs == 2,
// whether the output row is the upper one of its pair (next-nearest row
// above, rounding bias 1 resp. 8) or the lower one (below, 2 resp. 7).
func upsampleRow(dst, row, near []uint8, colsum []int32, hs, vs int, upper bool) {
	n := len(row)
	switch {
	case hs == 1 && vs == 1:
		copy(dst, row)
	case hs == 1 && vs == 2: // h1v2_fancy_upsample
		bias := int32(2)
		if upper {
			bias = 1
		}
		for i := range n {
			dst[i] = uint8((3*int32(row[i]) + int32(near[i]) + bias) >> 2)
		}
	case hs == 2 && vs == 1 && n > 2: // h2v1_fancy_upsample
		dst[0] = row[0]
		dst[1] = uint8((3*int32(row[0]) + int32(row[1]) + 2) >> 2)
		for i := 1; i < n-1; i++ {
			v := 3 * int32(row[i])
			dst[2*i] = uint8((v + int32(row[i-1]) + 1) >> 2)
			dst[2*i+1] = uint8((v + int32(row[i+1]) + 2) >> 2)
		}
		dst[2*n-2] = uint8((3*int32(row[n-1]) + int32(row[n-2]) + 1) >> 2)
		dst[2*n-1] = row[n-1]
	case hs == 2 && vs == 2 && n > 2: // h2v2_fancy_upsample
		for i := range n {
			colsum[i] = 3*int32(row[i]) + int32(near[i])
		}
		// The biases alternate (8, 7) so that rounding errors do not
		// accumulate in one direction.
		dst[0] = uint8((4*colsum[0] + 8) >> 4)
		dst[1] = uint8((3*colsum[0] + colsum[1] + 7) >> 4)
		for i := 1; i < n-1; i++ {
			v := 3 * colsum[i]
			dst[2*i] = uint8((v + colsum[i-1] + 8) >> 4)
			dst[2*i+1] = uint8((v + colsum[i+1] + 7) >> 4)
		}
		dst[2*n-2] = uint8((3*colsum[n-1] + colsum[n-2] + 8) >> 4)
		dst[2*n-1] = uint8((4*colsum[n-1] + 7) >> 4)
	default: // box replication (h2v1/h2v2 on narrow rows, 4:1:1, 4:1:0)
		for i := range len(dst) {
			j := i / hs
			if j >= n {
				j = n - 1
			}
			dst[i] = row[j]
		}
	}
}
