package data

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/resnetgo/resnet/imageio"
)

// A Step is one stage of a Transform: it maps an image to an image, using
// rng for its random choices. Steps must not modify their input.
type Step interface {
	Apply(m *imageio.RGB, rng *rand.Rand) *imageio.RGB
	// OutSize gives the output size for a w×h input; w and h are -1 when
	// the input size is not known in advance (files of any size).
	OutSize(w, h int) (int, int)
}

// Transform is a list of steps followed by torchvision's ToTensor and
// Normalize(Mean, Std). A zero Std means no normalisation (ToTensor
// alone), so the zero Transform turns an image into x/255 unchanged in
// size. One-channel datasets use Mean[0] and Std[0].
type Transform struct {
	Steps     []Step
	Mean, Std [3]float32
}

// TrainTransform is torchvision's ImageNet training recipe:
// RandomResizedCrop(size) → RandomHorizontalFlip() → ToTensor() →
// Normalize(ImageNet mean, std).
func TrainTransform(size int) Transform {
	return Transform{
		Steps: []Step{NewRandomResizedCrop(size), RandomHorizontalFlip{P: 0.5}},
		Mean:  imageio.ImageNetMean, Std: imageio.ImageNetStd,
	}
}

// EvalTransform wraps imageio's evaluation transform (Resize → CenterCrop →
// ToTensor → Normalize) as a Transform.
func EvalTransform(t imageio.Transform) Transform {
	return Transform{Steps: []Step{Eval{Resize: t.Resize, Crop: t.Crop, Filter: t.Filter}}, Mean: t.Mean, Std: t.Std}
}

// CIFARTrainTransform is the CIFAR recipe of He et al.: 4 pixels of zero
// padding, a random size×size crop, a random horizontal flip, then
// normalisation with mean and std.
func CIFARTrainTransform(size int, mean, std [3]float32) Transform {
	return Transform{Steps: []Step{RandomCrop{Size: size, Padding: 4}, RandomHorizontalFlip{P: 0.5}}, Mean: mean, Std: std}
}

// OutSize is the output size of the steps for a w×h input (-1 when it
// depends on an input size that is not known).
func (t Transform) OutSize(w, h int) (int, int) {
	for _, s := range t.Steps {
		w, h = s.OutSize(w, h)
	}
	return w, h
}

// Augment runs the steps on m.
func (t Transform) Augment(m *imageio.RGB, rng *rand.Rand) *imageio.RGB {
	for _, s := range t.Steps {
		m = s.Apply(m, rng)
	}
	return m
}

// normalize writes ToTensor + Normalize of the first c channels of m into
// dst (CHW, c·W·H floats), in float32 as PyTorch computes it.
func (t Transform) normalize(dst []float32, m *imageio.RGB, c int) {
	var lut [3][256]float32
	for ch := range c {
		mean, std := t.Mean[ch], t.Std[ch]
		if std == 0 {
			mean, std = 0, 1
		}
		for v := range 256 {
			x := float32(v) / 255
			if std == 1 && mean == 0 {
				lut[ch][v] = x
				continue
			}
			lut[ch][v] = (x - mean) / std
		}
	}
	n := m.W * m.H
	for ch := range c {
		d := dst[ch*n : (ch+1)*n]
		l := &lut[ch]
		for i := range d {
			d[i] = l[m.Pix[3*i+ch]]
		}
	}
}

// RandomResizedCrop is torchvision's RandomResizedCrop(Size, Scale, Ratio,
// Filter) on a PIL image: a box of random area (Scale, a fraction of the
// image) and aspect ratio (Ratio, drawn log-uniformly) is cropped, then
// resized to Size×Size with PIL's Image.resize. Zero Scale and Ratio mean
// torchvision's defaults (0.08, 1) and (3/4, 4/3); the zero Filter is
// Nearest, so set Bilinear (torchvision's default) explicitly or use
// NewRandomResizedCrop.
type RandomResizedCrop struct {
	Size   int
	Scale  [2]float64
	Ratio  [2]float64
	Filter imageio.Filter
}

// NewRandomResizedCrop returns torchvision's RandomResizedCrop(size):
// scale (0.08, 1), ratio (3/4, 4/3), bilinear.
func NewRandomResizedCrop(size int) RandomResizedCrop {
	return RandomResizedCrop{Size: size, Scale: [2]float64{0.08, 1}, Ratio: [2]float64{3.0 / 4, 4.0 / 3}, Filter: imageio.Bilinear}
}

// OutSize implements Step.
func (c RandomResizedCrop) OutSize(w, h int) (int, int) { return c.Size, c.Size }

// Apply implements Step: torchvision's F.resized_crop, which on a PIL image
// is img.crop(box) followed by resize((Size, Size), Filter).
func (c RandomResizedCrop) Apply(m *imageio.RGB, rng *rand.Rand) *imageio.RGB {
	r := c.Params(m.W, m.H, rng)
	return Crop(m, r.X, r.Y, r.W, r.H).Resize(c.Size, c.Size, c.Filter)
}

// Box is a crop box: left X, top Y, width W, height H.
type Box struct{ X, Y, W, H int }

// Params draws the crop box for a w×h image as torchvision's
// RandomResizedCrop.get_params does.
func (c RandomResizedCrop) Params(w, h int, rng *rand.Rand) Box {
	return c.params(w, h, rngDraws{rng})
}

// draws is the randomness get_params consumes: torch.empty(1).uniform_(lo,
// hi) on a float32 tensor, and torch.randint(0, n).
type draws interface {
	uniform(lo, hi float32) float32
	intn(n int) int
}

type rngDraws struct{ r *rand.Rand }

func (d rngDraws) uniform(lo, hi float32) float32 {
	v := lo + (hi-lo)*d.r.Float32()
	if v >= hi { // rounding can reach hi; PyTorch's interval is half open too
		v = lo
	}
	return v
}
func (d rngDraws) intn(n int) int { return d.r.IntN(n) }

func (c RandomResizedCrop) params(width, height int, d draws) Box {
	if c.Size <= 0 {
		panic(fmt.Sprintf("data: RandomResizedCrop size %d", c.Size))
	}
	scale, ratio := c.Scale, c.Ratio
	if scale == [2]float64{} {
		scale = [2]float64{0.08, 1}
	}
	if ratio == [2]float64{} {
		ratio = [2]float64{3.0 / 4, 4.0 / 3}
	}
	area := float64(height * width)
	// torch.log(torch.tensor(ratio)) is float32, as are the uniform draws
	// and torch.exp of them (Sleef's, see expf); .item() widens to double.
	logLo := float32(math.Log(float64(float32(ratio[0]))))
	logHi := float32(math.Log(float64(float32(ratio[1]))))
	for range 10 {
		targetArea := area * float64(d.uniform(float32(scale[0]), float32(scale[1])))
		aspect := float64(expf(d.uniform(logLo, logHi)))
		w := int(math.RoundToEven(math.Sqrt(targetArea * aspect)))
		h := int(math.RoundToEven(math.Sqrt(targetArea / aspect)))
		if 0 < w && w <= width && 0 < h && h <= height {
			i := d.intn(height - h + 1)
			j := d.intn(width - w + 1)
			return Box{X: j, Y: i, W: w, H: h}
		}
	}
	// Fallback: a central crop, clamped to the ratio range.
	inRatio := float64(width) / float64(height)
	w, h := width, height
	if inRatio < min(ratio[0], ratio[1]) {
		h = int(math.RoundToEven(float64(w) / min(ratio[0], ratio[1])))
	} else if inRatio > max(ratio[0], ratio[1]) {
		w = int(math.RoundToEven(float64(h) * max(ratio[0], ratio[1])))
	}
	return Box{X: (width - w) / 2, Y: (height - h) / 2, W: w, H: h}
}

// RandomHorizontalFlip mirrors the image left to right with probability P
// (torchvision's default is 0.5).
type RandomHorizontalFlip struct{ P float64 }

// OutSize implements Step.
func (f RandomHorizontalFlip) OutSize(w, h int) (int, int) { return w, h }

// Apply implements Step. It draws one number whatever P is, so the draws
// that follow do not depend on P.
func (f RandomHorizontalFlip) Apply(m *imageio.RGB, rng *rand.Rand) *imageio.RGB {
	if rng.Float64() < f.P {
		return FlipHorizontal(m)
	}
	return m
}

// FlipHorizontal returns m mirrored left to right (PIL's
// Image.transpose(FLIP_LEFT_RIGHT)).
func FlipHorizontal(m *imageio.RGB) *imageio.RGB {
	out := imageio.NewRGB(m.W, m.H)
	for y := range m.H {
		src := m.Pix[3*m.W*y : 3*m.W*(y+1)]
		dst := out.Pix[3*m.W*y : 3*m.W*(y+1)]
		for x := range m.W {
			copy(dst[3*(m.W-1-x):3*(m.W-x)], src[3*x:3*x+3])
		}
	}
	return out
}

// RandomCrop is torchvision's RandomCrop(Size, padding=Padding): the image
// is padded with Padding zero pixels on every side, then a Size×Size box is
// chosen uniformly (top first, then left, as get_params draws them). The
// padded image must be at least Size×Size.
type RandomCrop struct {
	Size, Padding int
}

// OutSize implements Step.
func (c RandomCrop) OutSize(w, h int) (int, int) { return c.Size, c.Size }

// Apply implements Step.
func (c RandomCrop) Apply(m *imageio.RGB, rng *rand.Rand) *imageio.RGB {
	pw, ph := m.W+2*c.Padding, m.H+2*c.Padding
	if c.Size <= 0 || pw < c.Size || ph < c.Size {
		panic(fmt.Sprintf("data: RandomCrop of %d from a %dx%d image padded by %d", c.Size, m.W, m.H, c.Padding))
	}
	i, j := 0, 0
	if pw != c.Size || ph != c.Size {
		i = rng.IntN(ph - c.Size + 1)
		j = rng.IntN(pw - c.Size + 1)
	}
	// The crop of the padded image, as a crop of m at (j-P, i-P) with zeros
	// outside it.
	return Crop(m, j-c.Padding, i-c.Padding, c.Size, c.Size)
}

// Pad adds N zero pixels on every side (torchvision's Pad(N)).
type Pad struct{ N int }

// OutSize implements Step.
func (p Pad) OutSize(w, h int) (int, int) {
	if w < 0 || h < 0 {
		return -1, -1
	}
	return w + 2*p.N, h + 2*p.N
}

// Apply implements Step.
func (p Pad) Apply(m *imageio.RGB, _ *rand.Rand) *imageio.RGB {
	return Crop(m, -p.N, -p.N, m.W+2*p.N, m.H+2*p.N)
}

// Resize scales the image to W×H with PIL's Image.resize (torchvision's
// Resize((H, W))).
type Resize struct {
	W, H   int
	Filter imageio.Filter
}

// OutSize implements Step.
func (r Resize) OutSize(w, h int) (int, int) { return r.W, r.H }

// Apply implements Step.
func (r Resize) Apply(m *imageio.RGB, _ *rand.Rand) *imageio.RGB { return m.Resize(r.W, r.H, r.Filter) }

// Eval is imageio's evaluation resize and crop (torchvision's
// Resize(Resize) → CenterCrop(Crop)) as a step.
type Eval struct {
	Resize, Crop int
	Filter       imageio.Filter
}

// OutSize implements Step.
func (e Eval) OutSize(w, h int) (int, int) {
	if e.Crop > 0 {
		return e.Crop, e.Crop
	}
	if e.Resize > 0 && w > 0 && h > 0 {
		return imageio.ResizeShorter(w, h, e.Resize)
	}
	if e.Resize > 0 {
		return -1, -1
	}
	return w, h
}

// Apply implements Step.
func (e Eval) Apply(m *imageio.RGB, _ *rand.Rand) *imageio.RGB {
	return imageio.Transform{Resize: e.Resize, Crop: e.Crop, Filter: e.Filter}.Preprocess(m)
}

// Crop returns the w×h region of m whose top-left corner is (x, y), with
// zeros where it falls outside m: PIL's Image.crop((x, y, x+w, y+h)).
func Crop(m *imageio.RGB, x, y, w, h int) *imageio.RGB {
	out := imageio.NewRGB(w, h)
	x0, x1 := max(x, 0), min(x+w, m.W)
	if x0 >= x1 {
		return out
	}
	for yy := max(y, 0); yy < min(y+h, m.H); yy++ {
		copy(out.Pix[3*(w*(yy-y)+x0-x):], m.Pix[3*(m.W*yy+x0):3*(m.W*yy+x1)])
	}
	return out
}
