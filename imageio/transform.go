package imageio

import (
	"fmt"
	"image"
	"io"
	"math"

	"github.com/resnetgo/resnet/tensor"
)

// CenterCrop returns the central w×h region of m as torchvision's
// CenterCrop computes it: if the crop is larger than the image, the image
// is first padded with zeros ((cw-iw)//2 on the left, the rest on the
// right; likewise vertically); then top = round((H-h)/2) and
// left = round((W-w)/2) with Python's round-half-to-even.
func (m *RGB) CenterCrop(w, h int) *RGB {
	if w <= 0 || h <= 0 {
		panic(fmt.Sprintf("imageio: CenterCrop to %dx%d", w, h))
	}
	src := m
	if w > m.W || h > m.H {
		padL, padT := 0, 0
		pw, ph := m.W, m.H
		if w > m.W {
			padL, pw = (w-m.W)/2, w
		}
		if h > m.H {
			padT, ph = (h-m.H)/2, h
		}
		p := NewRGB(pw, ph)
		for y := range m.H {
			copy(p.Pix[3*(pw*(y+padT)+padL):], m.Pix[3*m.W*y:3*m.W*(y+1)])
		}
		if pw == w && ph == h {
			return p
		}
		src = p
	}
	top := int(math.RoundToEven(float64(src.H-h) / 2))
	left := int(math.RoundToEven(float64(src.W-w) / 2))
	out := NewRGB(w, h)
	for y := range h {
		copy(out.Pix[3*w*y:3*w*(y+1)], src.Pix[3*(src.W*(y+top)+left):])
	}
	return out
}

// Transform is torchvision's evaluation preprocessing of a PIL image:
//
//	Resize(Resize, interpolation=Filter) → CenterCrop(Crop) → ToTensor() → Normalize(Mean, Std)
//
// Resize scales the shorter side to Resize pixels and the longer one to
// int(Resize·long/short) (truncated); 0 skips resizing. Crop 0 skips
// cropping.
//
// With Grayscale the image is first converted to PIL's mode "L"
// (torchvision's Grayscale(1)) and the tensor has one channel,
// normalised with Mean[0] and Std[0].
type Transform struct {
	Resize, Crop int
	Mean, Std    [3]float32
	Filter       Filter
	Grayscale    bool
}

// Channels returns the number of channels of the tensors t produces.
func (t Transform) Channels() int {
	if t.Grayscale {
		return 1
	}
	return 3
}

// toL converts m in place to PIL's "L" (ITU-R 601-2 luma, PIL's fixed
// point: (19595·R + 38470·G + 7471·B + 2¹⁵) >> 16), stored as R = G = B.
func toL(m *RGB) {
	for i := 0; i+2 < len(m.Pix); i += 3 {
		l := uint8((19595*uint32(m.Pix[i]) + 38470*uint32(m.Pix[i+1]) + 7471*uint32(m.Pix[i+2]) + 0x8000) >> 16)
		m.Pix[i], m.Pix[i+1], m.Pix[i+2] = l, l, l
	}
}

// rgb converts img as PIL's convert("RGB"), or convert("L") with Grayscale.
func (t Transform) rgb(img image.Image) *RGB {
	m := ToRGB(img)
	if t.Grayscale {
		if m == img {
			m = &RGB{W: m.W, H: m.H, Pix: append([]uint8(nil), m.Pix...)} // never change the caller's image
		}
		toL(m)
	}
	return m
}

// ImageNet normalisation constants (torchvision's ImageClassification).
var (
	ImageNetMean = [3]float32{0.485, 0.456, 0.406}
	ImageNetStd  = [3]float32{0.229, 0.224, 0.225}
)

// ImageNetEval is the evaluation transform of torchvision's V1 ImageNet
// weights: resize 256, crop 224, bilinear, ImageNet mean and std. (The V2
// weights use Resize 232.)
func ImageNetEval() Transform {
	return Transform{Resize: 256, Crop: 224, Mean: ImageNetMean, Std: ImageNetStd, Filter: Bilinear}
}

// ResizeShorter returns torchvision's Resize(size) output dimensions for
// a w×h image: the shorter side becomes size, the longer one
// int(size·long/short).
func ResizeShorter(w, h, size int) (int, int) {
	if w <= h {
		return size, int(float64(size*h) / float64(w))
	}
	return int(float64(size*w) / float64(h)), size
}

// Preprocess applies the resize and crop of t to an RGB image, returning
// the uint8 image ToTensor would see.
func (t Transform) Preprocess(m *RGB) *RGB {
	if t.Resize > 0 && t.Crop > 0 {
		w, h := ResizeShorter(m.W, m.H, t.Resize)
		if t.Crop <= w && t.Crop <= h {
			// Resize only the pixels the crop keeps: identical, and cheaper.
			top := int(math.RoundToEven(float64(h-t.Crop) / 2))
			left := int(math.RoundToEven(float64(w-t.Crop) / 2))
			return m.resizeRegion(w, h, t.Filter, image.Rect(left, top, left+t.Crop, top+t.Crop))
		}
	}
	if t.Resize > 0 {
		w, h := ResizeShorter(m.W, m.H, t.Resize)
		m = m.Resize(w, h, t.Filter)
	}
	if t.Crop > 0 {
		m = m.CenterCrop(t.Crop, t.Crop)
	}
	return m
}

// Apply runs the whole transform on img (converted to RGB as ToRGB does)
// and returns a float32 tensor of shape (Channels, Crop, Crop).
func (t Transform) Apply(img image.Image) (*tensor.Tensor, error) {
	if err := t.Check(Options{}); err != nil {
		return nil, err
	}
	out, _, err := t.preprocess(img, Options{})
	return out, err
}

// preprocess runs Preprocess and Normalize on img, once the image it
// resizes to is known to be within opt's pixel limit (Check has passed),
// and returns the tensor and the preprocessed image.
func (t Transform) preprocess(img image.Image, opt Options) (*tensor.Tensor, *RGB, error) {
	if b := img.Bounds(); !b.Empty() {
		if err := t.checkResize(b.Dx(), b.Dy(), opt); err != nil {
			return nil, nil, err
		}
	}
	m := t.Preprocess(t.rgb(img))
	out := tensor.New(t.Channels(), m.H, m.W)
	t.Normalize(out.Data, m)
	return out, m, nil
}

// Load decodes an image from r and applies t: Apply(Decode(r, opt)) with
// the same result, but a JPEG reconstructs (IDCT, upsampling, colour
// conversion) only the pixels that the resize taps of the crop read.
func (t Transform) Load(r io.Reader, opt Options) (*tensor.Tensor, error) {
	data, err := readAll(r, opt)
	if err != nil {
		return nil, err
	}
	return t.load(data, opt)
}

func (t Transform) load(data []byte, opt Options) (*tensor.Tensor, error) {
	if err := t.Check(opt); err != nil {
		return nil, err
	}
	region := image.Rectangle{}
	img, _, err := decodeBytes(data, opt, func(w, h int) image.Rectangle {
		region = t.sourceRegion(w, h)
		return region
	})
	if err != nil {
		return nil, err
	}
	out, m, err := t.preprocess(img, opt)
	if err != nil {
		return nil, err
	}
	if rgb, ok := img.(*RGB); ok && !region.Empty() && rgb != m {
		putPix(rgb.Pix) // a partially written JPEG buffer, now unused
	}
	return out, nil
}

// sourceRegion returns the pixels of a w×h image that Preprocess reads.
func (t Transform) sourceRegion(w, h int) image.Rectangle {
	all := image.Rect(0, 0, w, h)
	if t.Crop <= 0 {
		return all
	}
	rw, rh := w, h
	if t.Resize > 0 {
		rw, rh = ResizeShorter(w, h, t.Resize)
	}
	if t.Crop > rw || t.Crop > rh || t.Resize > 0 && t.Filter == Nearest {
		return all
	}
	top := int(math.RoundToEven(float64(rh-t.Crop) / 2))
	left := int(math.RoundToEven(float64(rw-t.Crop) / 2))
	span := func(in, out, lo int) (int, int) {
		if in == out {
			return lo, lo + t.Crop
		}
		c := precompute(in, out, t.Filter).sub(lo, lo+t.Crop)
		return c.start[0], c.start[len(c.start)-1] + c.n[len(c.n)-1]
	}
	x0, x1 := span(w, rw, left)
	y0, y1 := span(h, rh, top)
	return image.Rect(x0, y0, x1, y1).Intersect(all)
}

func (t Transform) validate() error {
	if t.Resize < 0 || t.Crop < 0 {
		return fmt.Errorf("imageio: transform sizes must not be negative (resize %d, crop %d)", t.Resize, t.Crop)
	}
	for c, s := range t.Std[:t.Channels()] {
		if s == 0 {
			return fmt.Errorf("imageio: transform std[%d] is zero", c)
		}
	}
	return nil
}

// checkResize reports whether the image Preprocess resizes a w×h image
// to stays within opt's pixel limit (the decoder's, DefaultMaxPixels by
// default), even where only its crop is computed (the resampling weights
// span it). A transform read from a checkpoint's metadata is input like
// the image: a Resize of 10⁸ would otherwise ask for petabytes and end the
// process.
func (t Transform) checkResize(w, h int, opt Options) error {
	limit := pixelLimit(opt)
	if limit < 0 || t.Resize <= 0 {
		return nil
	}
	short, long := float64(min(w, h)), float64(max(w, h))
	if px := float64(t.Resize) * (float64(t.Resize) * long / short); px > float64(limit) {
		return fmt.Errorf("%w: the transform resizes the %dx%d image's shorter side to %d, %.4g pixels > %d", ErrTooLarge, w, h, t.Resize, px, limit)
	}
	return nil
}

// Check reports whether t can run under opt: sizes not negative, no
// zero std, and a crop within opt's pixel limit (what its resize makes
// depends on each image's shape, and is checked with each image). A
// transform that comes with a checkpoint is input like an image.
func (t Transform) Check(opt Options) error {
	if err := t.validate(); err != nil {
		return err
	}
	return t.checkCrop(opt)
}

// checkCrop reports whether t's crop is within opt's pixel limit.
func (t Transform) checkCrop(opt Options) error {
	limit := pixelLimit(opt)
	if px := float64(t.Crop) * float64(t.Crop); limit >= 0 && px > float64(limit) {
		return fmt.Errorf("%w: the transform crops %dx%d, %.4g pixels > %d", ErrTooLarge, t.Crop, t.Crop, px, limit)
	}
	return nil
}

// Normalize writes ToTensor and Normalize of m into dst (CHW, len
// Channels·W·H): x/255, then (x - mean[c]) / std[c], all in float32 as
// PyTorch computes. With Grayscale only m's first channel is used.
func (t Transform) Normalize(dst []float32, m *RGB) {
	n := m.W * m.H
	var lut [3][256]float32
	if t.Grayscale {
		mean, std := t.Mean[0], t.Std[0]
		for i := range n {
			dst[i] = (float32(m.Pix[3*i])/255 - mean) / std
		}
		return
	}
	for c := range 3 {
		mean, std := t.Mean[c], t.Std[c]
		for v := range 256 {
			x := float32(v) / 255
			lut[c][v] = (x - mean) / std
		}
	}
	r, g, b := dst[:n], dst[n:2*n], dst[2*n:3*n]
	for i := range n {
		p := m.Pix[3*i : 3*i+3]
		r[i] = lut[0][p[0]]
		g[i] = lut[1][p[1]]
		b[i] = lut[2][p[2]]
	}
}
