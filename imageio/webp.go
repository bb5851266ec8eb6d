package imageio

import "image"

// libwebp's YUV→RGB (src/dsp/yuv.h): BT.601 limited range in 14-bit fixed
// point; mulHi keeps 8 of those bits, clip8 drops the remaining 6.
func webpMulHi(v, c int) int { return (v * c) >> 8 }

func webpClip8(v int) uint8 {
	if v&^(256<<6-1) == 0 {
		return uint8(v >> 6)
	}
	if v < 0 {
		return 0
	}
	return 255
}

func webpPixel(dst []uint8, y, u, v uint8) {
	yy := webpMulHi(int(y), 19077)
	dst[0] = webpClip8(yy + webpMulHi(int(v), 26149) - 14234)
	dst[1] = webpClip8(yy - webpMulHi(int(u), 6419) - webpMulHi(int(v), 13320) + 8708)
	dst[2] = webpClip8(yy + webpMulHi(int(u), 33050) - 17685)
}

// webpToRGB converts the 4:2:0 planes of a lossy WebP as libwebp's default
// decoder does (what PIL shows): the "fancy" upsampler of
// src/dsp/upsampling.c, which weighs the four nearest chroma samples
// 9:3:3:1, and the conversion above.
func webpToRGB(src *image.YCbCr) *RGB {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	out := NewRGB(w, h)
	urow := func(k int) []uint8 { return src.Cb[k*src.CStride:] }
	vrow := func(k int) []uint8 { return src.Cr[k*src.CStride:] }
	yrow := func(y int) []uint8 { return src.Y[y*src.YStride:] }
	orow := func(y int) []uint8 { return out.Pix[3*w*y:] }
	// Row 0 sees chroma row 0 only; then rows 2k-1 and 2k interpolate
	// between chroma rows k-1 and k; an even height's last row sees its
	// chroma row only.
	webpUpsampleLines(yrow(0), nil, urow(0), vrow(0), urow(0), vrow(0), orow(0), nil, w)
	ch := (h + 1) / 2
	for k := 1; 2*k-1 < h; k++ {
		if k < ch {
			var by, bo []uint8
			if 2*k < h {
				by, bo = yrow(2*k), orow(2*k)
			}
			webpUpsampleLines(yrow(2*k-1), by, urow(k-1), vrow(k-1), urow(k), vrow(k), orow(2*k-1), bo, w)
		} else {
			webpUpsampleLines(yrow(2*k-1), nil, urow(k-1), vrow(k-1), urow(k-1), vrow(k-1), orow(2*k-1), nil, w)
		}
	}
	return out
}

// webpUpsampleLines is libwebp's UPSAMPLE_FUNC: the top output line is
// nearer the chroma row (tu, tv), the bottom one (optional) nearer (cu, cv).
func webpUpsampleLines(topY, botY, tu, tv, cu, cv []uint8, topDst, botDst []uint8, n int) {
	type uv struct{ u, v int }
	at := func(u, v []uint8, i int) uv { return uv{int(u[i]), int(v[i])} }
	edge := func(a, b uv) (uint8, uint8) { // (3a + b + 2) / 4
		return uint8((3*a.u + b.u + 2) >> 2), uint8((3*a.v + b.v + 2) >> 2)
	}
	tl, l := at(tu, tv, 0), at(cu, cv, 0)
	u0, v0 := edge(tl, l)
	webpPixel(topDst[0:3], topY[0], u0, v0)
	if botY != nil {
		u0, v0 = edge(l, tl)
		webpPixel(botDst[0:3], botY[0], u0, v0)
	}
	for x := 1; x <= (n-1)>>1; x++ {
		t, c := at(tu, tv, x), at(cu, cv, x)
		avgU := tl.u + t.u + l.u + c.u + 8
		avgV := tl.v + t.v + l.v + c.v + 8
		d12u, d12v := (avgU+2*(t.u+l.u))>>3, (avgV+2*(t.v+l.v))>>3
		d03u, d03v := (avgU+2*(tl.u+c.u))>>3, (avgV+2*(tl.v+c.v))>>3
		i, j := 3*(2*x-1), 3*(2*x)
		webpPixel(topDst[i:i+3], topY[2*x-1], uint8((d12u+tl.u)>>1), uint8((d12v+tl.v)>>1))
		webpPixel(topDst[j:j+3], topY[2*x], uint8((d03u+t.u)>>1), uint8((d03v+t.v)>>1))
		if botY != nil {
			webpPixel(botDst[i:i+3], botY[2*x-1], uint8((d03u+l.u)>>1), uint8((d03v+l.v)>>1))
			webpPixel(botDst[j:j+3], botY[2*x], uint8((d12u+c.u)>>1), uint8((d12v+c.v)>>1))
		}
		tl, l = t, c
	}
	if n&1 == 0 {
		i := 3 * (n - 1)
		u0, v0 := edge(tl, l)
		webpPixel(topDst[i:i+3], topY[n-1], u0, v0)
		if botY != nil {
			u0, v0 = edge(l, tl)
			webpPixel(botDst[i:i+3], botY[n-1], u0, v0)
		}
	}
}
