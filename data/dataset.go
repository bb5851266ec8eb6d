package data

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/resnetgo/resnet/imageio"
)

// A Dataset is a list of labelled samples of one shape.
type Dataset interface {
	// Len is the number of samples.
	Len() int
	// Shape is the (C, H, W) of every sample; H and W are -1 if the
	// dataset cannot know them (a Transform that does not fix the size).
	Shape() (c, h, w int)
	// Get writes sample i, transformed with rng's draws, into dst
	// (C·H·W floats, CHW) and returns its label. It must be safe to call
	// from several goroutines at once.
	Get(i int, rng *rand.Rand, dst []float32) (label int, err error)
}

// A Namer names its samples (a file path), for error reports.
type Namer interface {
	Name(i int) string
}

// Len implements Dataset.
func (f *ImageFolder) Len() int { return len(f.Samples) }

// Shape implements Dataset.
func (f *ImageFolder) Shape() (c, h, w int) {
	w, h = f.Transform.OutSize(-1, -1)
	return 3, h, w
}

// Name implements Namer: the sample's path.
func (f *ImageFolder) Name(i int) string { return f.Samples[i].Path }

// Get implements Dataset: it decodes the file (imageio.DecodeFile), converts
// it to RGB as PIL's convert("RGB") does and applies the Transform.
func (f *ImageFolder) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	s := f.Samples[i]
	c, h, w := f.Shape()
	if h <= 0 || w <= 0 {
		return 0, fmt.Errorf("data: ImageFolder transform does not fix the output size")
	}
	if len(dst) != c*h*w {
		return 0, fmt.Errorf("data: Get into %d floats, want %d", len(dst), c*h*w)
	}
	if len(f.Transform.Steps) == 1 {
		if e, ok := f.Transform.Steps[0].(Eval); ok && e.Crop > 0 {
			// imageio's own path decodes only the pixels the crop reads.
			data, err := imageio.ReadFile(s.Path, f.Decode)
			if err != nil {
				return 0, err
			}
			mean, std := f.Transform.Mean, f.Transform.Std
			if std == [3]float32{} {
				mean, std = [3]float32{}, [3]float32{1, 1, 1}
			}
			x, err := imageio.Transform{Resize: e.Resize, Crop: e.Crop, Filter: e.Filter, Mean: mean, Std: std}.Load(bytes.NewReader(data), f.Decode)
			if err != nil {
				return 0, fmt.Errorf("%s: %w", s.Path, err)
			}
			copy(dst, x.Data)
			return s.Label, nil
		}
	}
	img, _, err := imageio.DecodeFile(s.Path, f.Decode)
	if err != nil {
		return 0, err
	}
	m := f.Transform.Augment(imageio.ToRGB(img), rng)
	if m.W != w || m.H != h {
		return 0, fmt.Errorf("%s: transformed to %dx%d, want %dx%d", s.Path, m.W, m.H, w, h)
	}
	f.Transform.normalize(dst, m, 3)
	return s.Label, nil
}

// Len implements Dataset.
func (m *MNIST) Len() int { return m.N }

// Shape implements Dataset.
func (m *MNIST) Shape() (c, h, w int) {
	w, h = m.Transform.OutSize(m.Cols, m.Rows)
	return max(m.Channels, 1), h, w
}

// Name implements Namer: "#i".
func (m *MNIST) Name(i int) string { return fmt.Sprintf("#%d", i) }

// Get implements Dataset. The gray image goes through the Transform as an
// RGB image with three equal channels (PIL's resize treats an "L" image's
// one channel exactly as each channel of an "RGB" one); the output keeps
// one channel, or all three if Channels is 3.
func (m *MNIST) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	c, h, w := m.Shape()
	if c != 1 && c != 3 {
		return 0, fmt.Errorf("data: MNIST with %d channels (want 1 or 3)", c)
	}
	if len(dst) != c*h*w {
		return 0, fmt.Errorf("data: Get into %d floats, want %d", len(dst), c*h*w)
	}
	if i < 0 || i >= m.N {
		return 0, fmt.Errorf("data: MNIST index %d out of range [0, %d)", i, m.N)
	}
	n := m.Rows * m.Cols
	img := imageio.NewRGB(m.Cols, m.Rows)
	for k, v := range m.Images[i*n : (i+1)*n] {
		img.Pix[3*k], img.Pix[3*k+1], img.Pix[3*k+2] = v, v, v
	}
	img = m.Transform.Augment(img, rng)
	if img.W != w || img.H != h {
		return 0, fmt.Errorf("data: MNIST #%d transformed to %dx%d, want %dx%d", i, img.W, img.H, w, h)
	}
	t := m.Transform
	if c == 3 && t.Std[1] == 0 && t.Std[2] == 0 {
		// One mean and std given for a replicated gray channel.
		t.Mean[1], t.Mean[2], t.Std[1], t.Std[2] = t.Mean[0], t.Mean[0], t.Std[0], t.Std[0]
	}
	t.normalize(dst, img, c)
	return int(m.Labels[i]), nil
}

// Subset is the samples Indices of Dataset, in that order.
type Subset struct {
	Dataset Dataset
	Indices []int
}

// Len implements Dataset.
func (s Subset) Len() int { return len(s.Indices) }

// Shape implements Dataset.
func (s Subset) Shape() (c, h, w int) { return s.Dataset.Shape() }

// Get implements Dataset.
func (s Subset) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	return s.Dataset.Get(s.Indices[i], rng, dst)
}

// Name implements Namer, with the underlying dataset's name if it has one.
func (s Subset) Name(i int) string { return sampleName(s.Dataset, s.Indices[i]) }

func sampleName(d Dataset, i int) string {
	if n, ok := d.(Namer); ok {
		return n.Name(i)
	}
	return fmt.Sprintf("#%d", i)
}

// Split divides the indices 0..n-1 at random into a validation set of
// round(fraction·n) and a training set of the rest, each sorted; the same
// (n, fraction, seed) always gives the same split.
func Split(n int, fraction float64, seed uint64) (train, val []int) {
	if fraction < 0 || fraction > 1 || math.IsNaN(fraction) {
		panic(fmt.Sprintf("data: Split fraction %v outside [0, 1]", fraction))
	}
	perm := rand.New(rand.NewPCG(seed, 0x5d1e_7a11)).Perm(n)
	nv := int(math.RoundToEven(fraction * float64(n)))
	val, train = perm[:nv], perm[nv:]
	slices.Sort(val)
	slices.Sort(train)
	return train, val
}

// SplitDataset is Split applied to d: (train, validation) subsets.
func SplitDataset(d Dataset, fraction float64, seed uint64) (train, val Subset) {
	t, v := Split(d.Len(), fraction, seed)
	return Subset{d, t}, Subset{d, v}
}
