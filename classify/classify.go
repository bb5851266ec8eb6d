// Package classify turns images into class predictions: a network from
// package models, the preprocessing its weights were trained with (package
// imageio) and class names, with softmax and top-k. It is the Go
// equivalent of torch.hub.load(...) plus torchvision's eval transform.
package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"sort"
	"strings"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/hub"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/imagenet"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// Classifier pairs a network with its preprocessing and class names. Its
// methods may be called from several goroutines at once.
type Classifier struct {
	Model     *models.ResNet
	Transform imageio.Transform
	// Labels names each output class; nil gives "class N".
	Labels []string
	// Decode limits the images the file-reading methods accept.
	Decode imageio.Options
}

// Prediction is one class with its softmax probability.
type Prediction struct {
	Index int     `json:"index"`
	Label string  `json:"label"`
	Prob  float64 `json:"prob"`
}

// Load returns the classifier for a hub name such as "resnet50",
// "resnet50:v2" or "resnext101_32x8d_wsl", fetching the weights through c
// (nil means a zero hub.Client: environment defaults, quiet) and using the
// eval transform the weights were published with.
func Load(ctx context.Context, name string, c *hub.Client) (*Classifier, error) {
	e, err := hub.Lookup(name)
	if err != nil {
		return nil, err
	}
	if c == nil {
		c = &hub.Client{}
	}
	path, err := c.FetchEntry(ctx, e)
	if err != nil {
		return nil, err
	}
	m, err := models.LoadFile(ctx, e.Arch, path, models.Options{})
	if err != nil {
		return nil, err
	}
	f, err := imageio.ParseFilter(e.Transform.Interpolation)
	if err != nil {
		return nil, err
	}
	t := imageio.Transform{Resize: e.Transform.ResizeSize, Crop: e.Transform.CropSize,
		Mean: e.Transform.Mean, Std: e.Transform.Std, Filter: f}
	return &Classifier{Model: m, Transform: t, Labels: imagenet.Labels()}, nil
}

// LoadFile returns a classifier for a checkpoint file. arch may be "" to
// infer it. Labels and preprocessing travel with the weights: safetensors
// metadata "labels" (a JSON list) and "transform" (an imageio.Transform in
// JSON), as our trainer and the embedded model write them, else sibling
// files FILE.labels.txt (one name per line) and FILE.transform.json; else
// ImageNet's class names for a 1000-class network and the ImageNet eval
// transform for a 3-channel one.
func LoadFile(ctx context.Context, arch, path string) (*Classifier, error) {
	sd, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	c, err := FromStateDict(arch, sd)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if sd.Metadata["labels"] == "" {
		if l, err := ReadLabels(path + ".labels.txt"); err == nil {
			if err := c.SetLabels(l); err != nil {
				return nil, fmt.Errorf("%s.labels.txt: %w", path, err)
			}
		} else if !os.IsNotExist(err) {
			return nil, err
		}
	}
	if sd.Metadata["transform"] == "" {
		if b, err := os.ReadFile(path + ".transform.json"); err == nil {
			if err := json.Unmarshal(b, &c.Transform); err != nil {
				return nil, fmt.Errorf("%s.transform.json: %w", path, err)
			}
		} else if !os.IsNotExist(err) {
			return nil, err
		}
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// FromStateDict builds a classifier from weights in memory, with labels
// and transform from sd.Metadata as LoadFile describes.
func FromStateDict(arch string, sd *checkpoint.StateDict) (*Classifier, error) {
	m, err := models.FromStateDict(arch, sd, models.Options{})
	if err != nil {
		return nil, err
	}
	c := &Classifier{Model: m}
	if m.Config.InChannels == 3 {
		c.Transform = imageio.ImageNetEval()
	}
	if m.Config.NumClasses == 1000 {
		c.Labels = imagenet.Labels()
	}
	if s := sd.Metadata["labels"]; s != "" {
		var l []string
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			return nil, fmt.Errorf("metadata labels: %w", err)
		}
		if err := c.SetLabels(l); err != nil {
			return nil, err
		}
	}
	if s := sd.Metadata["transform"]; s != "" {
		if err := json.Unmarshal([]byte(s), &c.Transform); err != nil {
			return nil, fmt.Errorf("metadata transform: %w", err)
		}
	}
	return c, nil
}

// check verifies that the transform produces what the network takes.
func (c *Classifier) check() error {
	if got, want := c.Transform.Channels(), c.Model.Config.InChannels; got != want || c.Transform.Crop <= 0 {
		return fmt.Errorf("classify: the network takes %d-channel images and no matching transform is stored with it (safetensors metadata \"transform\" or a .transform.json file)", want)
	}
	return nil
}

// ReadLabels reads class names, one per line (blank lines at the end ignored).
func ReadLabels(path string) ([]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	return lines, nil
}

// SetLabels sets the class names, checking there is one per output.
func (c *Classifier) SetLabels(labels []string) error {
	if labels != nil && len(labels) != c.Model.Config.NumClasses {
		return fmt.Errorf("classify: %d labels for a %d-class network", len(labels), c.Model.Config.NumClasses)
	}
	c.Labels = labels
	return nil
}

// Label returns the name of class i.
func (c *Classifier) Label(i int) string {
	if i >= 0 && i < len(c.Labels) {
		return c.Labels[i]
	}
	return fmt.Sprintf("class %d", i)
}

// Preprocess converts an image into the (3, H, W) tensor the network takes.
func (c *Classifier) Preprocess(img image.Image) (*tensor.Tensor, error) {
	return c.Transform.Apply(img)
}

// Logits runs the network on a preprocessed batch (N, 3, H, W).
func (c *Classifier) Logits(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	return c.Model.Forward(ctx, x)
}

// Classify returns the k most probable classes for img.
func (c *Classifier) Classify(ctx context.Context, img image.Image, k int) ([]Prediction, error) {
	x, err := c.Preprocess(img)
	if err != nil {
		return nil, err
	}
	x, _ = x.Reshape(append([]int{1}, x.Shape...)...)
	y, err := c.Logits(ctx, x)
	if err != nil {
		return nil, err
	}
	return c.TopK(y.Data, k), nil
}

// ClassifyImages classifies several images in one forward pass and returns
// the k most probable classes of each, in order.
func (c *Classifier) ClassifyImages(ctx context.Context, imgs []image.Image, k int) ([][]Prediction, error) {
	if len(imgs) == 0 {
		return nil, nil
	}
	var batch *tensor.Tensor
	for i, img := range imgs {
		x, err := c.Preprocess(img)
		if err != nil {
			return nil, fmt.Errorf("classify: image %d: %w", i, err)
		}
		if batch == nil {
			batch = tensor.New(append([]int{len(imgs)}, x.Shape...)...)
		}
		if x.Len()*len(imgs) != batch.Len() {
			return nil, fmt.Errorf("classify: image %d preprocesses to %v, image 0 to %v (set Transform.Crop)", i, x.Shape, batch.Shape[1:])
		}
		copy(batch.Data[i*x.Len():], x.Data)
	}
	y, err := c.Logits(ctx, batch)
	if err != nil {
		return nil, err
	}
	n := y.Shape[1]
	out := make([][]Prediction, len(imgs))
	for i := range imgs {
		out[i] = c.TopK(y.Data[i*n:(i+1)*n], k)
	}
	return out, nil
}

// TopK turns one row of logits into the k most probable predictions.
func (c *Classifier) TopK(logits []float32, k int) []Prediction {
	p := Softmax(logits)
	idx := TopK(p, k)
	out := make([]Prediction, len(idx))
	for i, j := range idx {
		out[i] = Prediction{Index: j, Label: c.Label(j), Prob: p[j]}
	}
	return out
}

// Softmax returns exp(x_i − max x) / Σ exp(x_j − max x), in float64.
func Softmax(x []float32) []float64 {
	if len(x) == 0 {
		return nil
	}
	m := float64(x[0])
	for _, v := range x {
		m = math.Max(m, float64(v))
	}
	p := make([]float64, len(x))
	var s float64
	for i, v := range x {
		p[i] = math.Exp(float64(v) - m)
		s += p[i]
	}
	for i := range p {
		p[i] /= s
	}
	return p
}

// TopK returns the indices of the k largest values, largest first; ties
// keep the lower index first, as torch.topk does on CPU.
func TopK(p []float64, k int) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx[:min(max(k, 0), len(idx))]
}
