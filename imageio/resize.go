package imageio

import (
	"fmt"
	"image"
	"math"
)

// Filter is a resampling filter of PIL's Image.resize (and torchvision's
// InterpolationMode, which maps onto it for PIL images).
type Filter int

// The filters, numbered as PIL numbers them.
const (
	Nearest  Filter = 0
	Lanczos  Filter = 1
	Bilinear Filter = 2
	Bicubic  Filter = 3
	Box      Filter = 4
	Hamming  Filter = 5
)

func (f Filter) String() string {
	switch f {
	case Nearest:
		return "nearest"
	case Lanczos:
		return "lanczos"
	case Bilinear:
		return "bilinear"
	case Bicubic:
		return "bicubic"
	case Box:
		return "box"
	case Hamming:
		return "hamming"
	}
	return fmt.Sprintf("Filter(%d)", int(f))
}

// MarshalText writes the filter's name, so transforms serialise readably.
func (f Filter) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// UnmarshalText reads a name written by MarshalText.
func (f *Filter) UnmarshalText(b []byte) error {
	v, err := ParseFilter(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFilter returns the filter with the given name (as String gives it).
func ParseFilter(s string) (Filter, error) {
	for f := Nearest; f <= Hamming; f++ {
		if f.String() == s {
			return f, nil
		}
	}
	return 0, fmt.Errorf("imageio: unknown filter %q", s)
}

// kernel returns the filter function and its support (Resample.c).
func (f Filter) kernel() (func(float64) float64, float64) {
	switch f {
	case Box:
		return func(x float64) float64 {
			if x > -0.5 && x <= 0.5 {
				return 1
			}
			return 0
		}, 0.5
	case Bilinear:
		return func(x float64) float64 {
			x = math.Abs(x)
			if x < 1 {
				return 1 - x
			}
			return 0
		}, 1
	case Hamming:
		return func(x float64) float64 {
			x = math.Abs(x)
			if x == 0 {
				return 1
			}
			if x >= 1 {
				return 0
			}
			x *= math.Pi
			// PIL writes the constants as C floats.
			return math.Sin(x) / x * (float64(float32(0.54)) + float64(float32(0.46))*math.Cos(x))
		}, 1
	case Bicubic:
		return func(x float64) float64 {
			const a = -0.5
			x = math.Abs(x)
			if x < 1 {
				return ((a+2)*x-(a+3))*x*x + 1
			}
			if x < 2 {
				return (((x-5)*x+8)*x - 4) * a
			}
			return 0
		}, 2
	case Lanczos:
		sinc := func(x float64) float64 {
			if x == 0 {
				return 1
			}
			x *= math.Pi
			return math.Sin(x) / x
		}
		return func(x float64) float64 {
			if -3 <= x && x < 3 {
				return sinc(x) * sinc(x/3)
			}
			return 0
		}, 3
	}
	return nil, 0
}

const precisionBits = 32 - 8 - 2 // PIL's fixed point for 8-bit images

// coeffs holds one pass's fixed-point filter taps: output i reads
// n[i] inputs from start[i] with weights k[i*ksize:].
type coeffs struct {
	ksize    int
	start, n []int
	k        []int32
}

// precompute mirrors Resample.c's precompute_coeffs followed by
// normalize_coeffs_8bpc: weights normalised in double, then rounded away
// from zero to 22 fractional bits.
func precompute(inSize, outSize int, f Filter) coeffs {
	filter, support := f.kernel()
	scale := float64(float32(inSize)) / float64(outSize)
	filterscale := max(scale, 1)
	support *= filterscale
	ksize := int(math.Ceil(support))*2 + 1
	c := coeffs{ksize: ksize, start: make([]int, outSize), n: make([]int, outSize), k: make([]int32, outSize*ksize)}
	w := make([]float64, ksize)
	ss := 1 / filterscale
	for xx := range outSize {
		center := (float64(xx) + 0.5) * scale
		xmin := int(center - support + 0.5)
		if xmin < 0 {
			xmin = 0
		}
		xmax := int(center + support + 0.5)
		if xmax > inSize {
			xmax = inSize
		}
		xmax -= xmin
		var ww float64
		for x := range xmax {
			v := filter((float64(x+xmin) - center + 0.5) * ss)
			w[x] = v
			ww += v
		}
		k := c.k[xx*ksize:]
		for x := range xmax {
			v := w[x]
			if ww != 0 {
				v /= ww
			}
			if v < 0 {
				k[x] = int32(-0.5 + v*(1<<precisionBits))
			} else {
				k[x] = int32(0.5 + v*(1<<precisionBits))
			}
		}
		c.start[xx], c.n[xx] = xmin, xmax
	}
	return c
}

// clip8 is PIL's: the accumulator shifted down, clamped to 0..255.
func clip8(v int32) uint8 {
	v >>= precisionBits
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// Resize returns m resized to w×h exactly as PIL's Image.resize does for an
// RGB image: NEAREST by PIL's affine nearest-neighbour scaling, the other
// filters by the separable, antialiased convolution of Resample.c (the
// support widened by the down-scale factor, 22-bit fixed-point taps,
// horizontal pass first, each pass rounded and clipped to uint8). Resizing
// to the same size returns a copy. It panics if w or h is not positive.
func (m *RGB) Resize(w, h int, f Filter) *RGB {
	return m.resizeRegion(w, h, f, image.Rect(0, 0, w, h))
}

// resizeRegion computes only the pixels in r of the w×h resize: each
// output pixel depends on its own taps alone, so this is exactly the
// corresponding crop of Resize, without the work outside it.
func (m *RGB) resizeRegion(w, h int, f Filter, r image.Rectangle) *RGB {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("imageio: Resize to %dx%d", w, h))
	}
	if !r.In(image.Rect(0, 0, w, h)) || r.Empty() {
		panic(fmt.Sprintf("imageio: region %v outside %dx%d", r, w, h))
	}
	if w == m.W && h == m.H {
		return m.crop(r)
	}
	if f == Nearest {
		return m.resizeNearest(w, h).crop(r)
	}
	if _, s := f.kernel(); s == 0 {
		panic(fmt.Sprintf("imageio: unknown filter %d", int(f)))
	}
	// As PIL: the horizontal pass first, on the rows the vertical pass
	// reads; a pass is skipped when its dimension does not change.
	var vert coeffs
	first, last := r.Min.Y, r.Max.Y
	if h != m.H {
		vert = precompute(m.H, h, f).sub(r.Min.Y, r.Max.Y)
		first = vert.start[0]
		last = vert.start[len(vert.start)-1] + vert.n[len(vert.n)-1]
		for i := range vert.start {
			vert.start[i] -= first
		}
	}
	var src *RGB
	if w != m.W {
		src = m.resampleH(precompute(m.W, w, f).sub(r.Min.X, r.Max.X), first, last)
	} else {
		src = m.crop(image.Rect(r.Min.X, first, r.Max.X, last))
	}
	if h == m.H {
		return src
	}
	return src.resampleV(vert)
}

// sub returns the taps of outputs [lo, hi).
func (c coeffs) sub(lo, hi int) coeffs {
	return coeffs{ksize: c.ksize, start: c.start[lo:hi], n: c.n[lo:hi], k: c.k[lo*c.ksize : hi*c.ksize]}
}

// crop copies the pixels of r.
func (m *RGB) crop(r image.Rectangle) *RGB {
	out := NewRGB(r.Dx(), r.Dy())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		copy(out.Pix[3*out.W*(y-r.Min.Y):], m.Pix[3*(m.W*y+r.Min.X):3*(m.W*y+r.Max.X)])
	}
	return out
}

func (m *RGB) resampleH(c coeffs, first, last int) *RGB {
	w := len(c.start)
	out := NewRGB(w, last-first)
	for y := first; y < last; y++ {
		row := m.Pix[3*m.W*y : 3*m.W*(y+1)]
		dst := out.Pix[3*w*(y-first) : 3*w*(y-first+1)]
		for xx := range w {
			n := c.n[xx]
			k := c.k[xx*c.ksize : xx*c.ksize+n]
			in := row[3*c.start[xx] : 3*(c.start[xx]+n)]
			s0, s1, s2 := int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1)), int32(1<<(precisionBits-1))
			for i, kv := range k {
				p := in[3*i : 3*i+3 : 3*i+3]
				s0 += int32(p[0]) * kv
				s1 += int32(p[1]) * kv
				s2 += int32(p[2]) * kv
			}
			d := dst[3*xx : 3*xx+3 : 3*xx+3]
			d[0], d[1], d[2] = clip8(s0), clip8(s1), clip8(s2)
		}
	}
	return out
}

func (m *RGB) resampleV(c coeffs) *RGB {
	h := len(c.start)
	rowLen := 3 * m.W
	out := NewRGB(m.W, h)
	acc := make([]int32, rowLen)
	for yy := range h {
		for i := range acc {
			acc[i] = 1 << (precisionBits - 1)
		}
		k := c.k[yy*c.ksize : yy*c.ksize+c.n[yy]]
		for i, kv := range k {
			row := m.Pix[rowLen*(c.start[yy]+i) : rowLen*(c.start[yy]+i+1)]
			acc := acc[:len(row)]
			for x, v := range row {
				acc[x] += int32(v) * kv
			}
		}
		dst := out.Pix[rowLen*yy : rowLen*(yy+1)]
		for x, v := range acc[:len(dst)] {
			dst[x] = clip8(v)
		}
	}
	return out
}

// resizeNearest is PIL's ImagingScaleAffine: source coordinates advance by
// repeated addition of the scale in double, starting half a step in.
func (m *RGB) resizeNearest(w, h int) *RGB {
	out := NewRGB(w, h)
	ax := float64(m.W) / float64(w)
	ay := float64(m.H) / float64(h)
	coord := func(v float64) int {
		if v < 0 {
			return -1
		}
		return int(v)
	}
	xin := make([]int, w)
	xo := ax * 0.5
	for x := range w {
		xin[x] = coord(xo)
		xo += ax
	}
	yo := ay * 0.5
	for y := range h {
		yi := coord(yo)
		yo += ay
		if yi < 0 || yi >= m.H {
			continue
		}
		src := m.Pix[3*m.W*yi:]
		dst := out.Pix[3*w*y:]
		for x, xi := range xin {
			if xi >= 0 && xi < m.W {
				copy(dst[3*x:3*x+3], src[3*xi:3*xi+3])
			}
		}
	}
	return out
}
