// Package classify turns images into class predictions: a network from
// package models, the preprocessing its weights were trained with (package
// imageio) and class names, with softmax and top-k. It is the Go
// equivalent of torch.hub.load(...) plus torchvision's eval transform.
//
// The network runs on the compiled inference engine (package engine:
// batch norm folded into the convolutions, fused epilogues, reused
// buffers) unless Options.Reference asks for the layer-by-layer reference
// path of package models. Both give PyTorch's logits within float32
// tolerance (SPEC §6). A classifier made by Load, LoadFile, FromStateDict
// or New owns its network: it compiles it once, when it is made, and
// keeps only the compiled plan, so a model's weights are never held twice.
package classify

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"sync"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/hub"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/imagenet"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Classifier pairs a network with its preprocessing and class names. Its
// methods may be called from several goroutines at once. On the engine,
// forward passes run one at a time (each already uses every thread,
// GOMAXPROCS), so the activation buffers exist once however many callers
// wait; on the reference path they run concurrently.
//
// A Classifier may be written as a literal, {Model: m, Transform: t}: it
// then compiles a copy of m's weights on first use (or at Compile) and
// leaves m as it was, at the cost of holding the weights twice; New hands
// m over instead.
type Classifier struct {
	// Model is the network. In a classifier made by Load, LoadFile,
	// FromStateDict or New that runs the engine, the weights belong to the
	// compiled plan and Model keeps only Config and FC: it describes the
	// network but cannot be run or saved (load with Options{Reference:
	// true} for a model you can).
	Model     *models.ResNet
	Transform imageio.Transform
	// Labels names each output class; nil gives "class N".
	Labels []string
	// Decode limits the images the file-reading methods accept.
	Decode imageio.Options
	// Options choose how the network runs; set them before the first
	// forward pass (the constructors take them as an argument).
	Options Options

	once    sync.Once
	initErr error
	own     bool // Model's weights may be spent compiling (engine.Options.InPlace)
	made    bool // made by a constructor: keep only the plan after compiling
	hollow  bool // Model was replaced by its Config and FC after compiling
	plan    *engine.Plan
	mb      int // the plan's MaxBatch
	fc      *nn.Linear
	sem     chan struct{} // one forward pass on the plan at a time
}

// Options choose how a Classifier runs its network. The zero value runs
// the compiled engine.
type Options struct {
	// Reference runs the network layer by layer (models.ResNet.Forward,
	// the path the engine is tested against) instead of the engine.
	Reference bool
	// MaxBatch is the most images the engine runs through the network at
	// once (0 means 8); a larger batch runs in slices of MaxBatch, which
	// bounds the activation memory without costing throughput.
	MaxBatch int
	// BF16 compiles the engine with engine.Options.BF16: the convolutions'
	// products from bfloat16 values, faster on CPUs with AVX512-BF16 (or arm64's BFDOT) but
	// no longer within float32 tolerance of PyTorch (engine/README "BF16"
	// has the measured cost). Ignored with Reference.
	BF16 bool
	// Int8 compiles the engine with engine.Options.Int8: most
	// convolutions' products from 8-bit values, faster on CPUs with
	// AVX512-VNNI, AVX-VNNI or arm64's SDOT, less precise than BF16 (engine/README "Int8"). It may
	// be combined with BF16, which then covers the layers Int8 leaves
	// (Winograd's); ignored with Reference.
	Int8 bool
}

func (o Options) maxBatch() int {
	if o.MaxBatch > 0 {
		return o.MaxBatch
	}
	return 8
}

func pick(o []Options) Options {
	if len(o) > 0 {
		return o[len(o)-1]
	}
	return Options{}
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
// eval transform the weights were published with. With the engine (the
// default; o is at most one Options) the weights are compiled in place.
func Load(ctx context.Context, name string, c *hub.Client, o ...Options) (*Classifier, error) {
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
	cl := &Classifier{Model: m, Transform: t, Labels: imagenet.Labels(), Options: pick(o), own: true, made: true}
	if err := cl.Compile(); err != nil {
		return nil, err
	}
	return cl, nil
}

// LoadFile returns a classifier for a checkpoint file. arch may be "" to
// infer it. Labels and preprocessing travel with the weights: safetensors
// metadata "labels" (a JSON list) and "transform" (an imageio.Transform in
// JSON), as our trainer and the embedded model write them, else sibling
// files FILE.labels.txt (one name per line) and FILE.transform.json; else
// ImageNet's class names for a 1000-class network and the ImageNet eval
// transform for a 3-channel one. With the engine (the default; o is at
// most one Options) the weights read are compiled in place.
func LoadFile(ctx context.Context, arch, path string, o ...Options) (*Classifier, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	sd, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	c, err := fromStateDict(arch, sd, pick(o), true)
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
		if b, err := readSmall(path + ".transform.json"); err == nil {
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
	if err := c.Compile(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
}

// FromStateDict builds a classifier from weights in memory, with labels
// and transform from sd.Metadata as LoadFile describes. sd is left as it
// is: the engine (the default; o is at most one Options) compiles a copy
// of its weights, and the classifier keeps no reference to sd's.
func FromStateDict(arch string, sd *checkpoint.StateDict, o ...Options) (*Classifier, error) {
	c, err := fromStateDict(arch, sd, pick(o), false)
	if err != nil {
		return nil, err
	}
	if err := c.Compile(); err != nil {
		return nil, err
	}
	return c, nil
}

// New returns a classifier that takes m over: with the engine (the
// default) m's weights are compiled in place, and m must not be used
// afterwards (Classifier.Model describes it). The transform and labels are
// ImageNet's for a 3-channel, 1000-class network, else empty; set them
// before use.
func New(m *models.ResNet, o Options) (*Classifier, error) {
	if m == nil {
		return nil, fmt.Errorf("classify: no network")
	}
	c := newClassifier(m, o, true)
	if err := c.Compile(); err != nil {
		return nil, err
	}
	return c, nil
}

func newClassifier(m *models.ResNet, o Options, own bool) *Classifier {
	c := &Classifier{Model: m, Options: o, own: own, made: true}
	if m.Config.InChannels == 3 {
		c.Transform = imageio.ImageNetEval()
	}
	if m.Config.NumClasses == 1000 {
		c.Labels = imagenet.Labels()
	}
	return c
}

// fromStateDict builds the uncompiled classifier; own says whether sd's
// storage may be spent compiling.
func fromStateDict(arch string, sd *checkpoint.StateDict, o Options, own bool) (*Classifier, error) {
	m, err := models.FromStateDict(arch, sd, models.Options{})
	if err != nil {
		return nil, err
	}
	c := newClassifier(m, o, own)
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
		if err := c.Transform.Check(c.Decode); err != nil {
			return nil, fmt.Errorf("metadata transform: %w", err)
		}
	}
	return c, nil
}

// Compile compiles the network for the engine now instead of at the
// first forward pass, and reports whether it could be. It does nothing
// with Options.Reference or when it has already run (only its first call
// compiles: change Model or Options afterwards and they are not seen).
func (c *Classifier) Compile() error {
	c.once.Do(func() {
		c.sem = make(chan struct{}, 1)
		if c.Options.Reference || c.Model == nil {
			return
		}
		m := c.Model
		c.mb = c.Options.maxBatch()
		p, err := engine.Compile(m, engine.Options{InPlace: c.own, MaxBatch: c.mb, BF16: c.Options.BF16, Int8: c.Options.Int8})
		if err != nil {
			c.initErr = fmt.Errorf("classify: %w (Options.Reference runs the network without the engine)", err)
			return
		}
		c.plan, c.fc = p, m.FC
		if !c.own { // the plan copied the weights; so does the head
			c.fc = &nn.Linear{Weight: &nn.Parameter{Value: m.FC.Weight.Value.Clone()}}
			if m.FC.Bias != nil {
				c.fc.Bias = &nn.Parameter{Value: m.FC.Bias.Value.Clone()}
			}
		}
		if c.made {
			c.Model = &models.ResNet{Config: m.Config, FC: c.fc}
			c.hollow = true
		}
	})
	return c.initErr
}

// check verifies that the transform produces what the network takes.
func (c *Classifier) check() error {
	if got, want := c.Transform.Channels(), c.Model.Config.InChannels; got != want || c.Transform.Crop <= 0 {
		return fmt.Errorf("classify: the network takes %d-channel images and no matching transform is stored with it (safetensors metadata \"transform\" or a .transform.json file)", want)
	}
	if err := c.Transform.Check(c.Decode); err != nil {
		return fmt.Errorf("classify: the network's transform: %w", err)
	}
	return nil
}

// ReadLabels reads class names, one per line (blank lines at the end ignored).
func ReadLabels(path string) ([]string, error) {
	b, err := readSmall(path)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimRight(strings.ReplaceAll(string(b), "\r\n", "\n"), "\n"), "\n")
	return lines, nil
}

// maxSideFile bounds a labels or transform file: ImageNet's 1000 names
// take 21 KB.
const maxSideFile = 64 << 20

// readSmall reads a labels or transform file of at most maxSideFile
// bytes (a path to a device or pipe is read no further).
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSideFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(b) > maxSideFile {
		return nil, fmt.Errorf("%s: more than %d bytes: not a labels or transform file", path, maxSideFile)
	}
	return b, nil
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

// Logits runs the network on a preprocessed batch (N, C, H, W).
func (c *Classifier) Logits(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	y, _, err := c.Forward(ctx, x)
	return y, err
}

// Forward runs the network on a preprocessed batch (N, C, H, W) and
// returns its logits (N, classes) and pooled penultimate features (N, D).
func (c *Classifier) Forward(ctx context.Context, x *tensor.Tensor) (logits, features *tensor.Tensor, err error) {
	if err := c.Compile(); err != nil {
		return nil, nil, err
	}
	if c.plan == nil || c.Options.Reference {
		if c.hollow {
			return nil, nil, fmt.Errorf("classify: %s was compiled for the engine; load it with Options{Reference: true} to run the reference path", c.Model.Config.Name)
		}
		if c.Model == nil {
			return nil, nil, fmt.Errorf("classify: no network")
		}
		f, err := c.Model.Features(ctx, x)
		if err != nil {
			return nil, nil, err
		}
		y, err := c.Model.Head(f)
		return y, f, err
	}
	if err := c.acquire(ctx); err != nil {
		return nil, nil, err
	}
	f, err := c.planFeatures(ctx, x)
	<-c.sem
	if err != nil {
		return nil, nil, err
	}
	y, err := nn.Run(func() *tensor.Tensor { return c.fc.Forward(f) })
	return y, f, err
}

// Warm runs the compiled network once on blank images of the transform's
// crop size for each batch size Forward gives the engine (1, 2, 4, …
// below MaxBatch, and MaxBatch; see planFeatures), so that the first real
// batch of each size does not pay for the engine's buffers and transformed
// weights, which the engine builds at the first pass of a shape
// (ResNet-50: 0.1–0.2 s at batch 1, about 0.5 s at 8). Those stay
// allocated, as they would after traffic of every size. It does nothing
// on the reference path.
func (c *Classifier) Warm(ctx context.Context) error {
	if err := c.Compile(); err != nil {
		return err
	}
	if c.plan == nil || c.Options.Reference {
		return nil
	}
	if err := c.check(); err != nil {
		return err
	}
	if err := c.acquire(ctx); err != nil {
		return err
	}
	defer func() { <-c.sem }()
	for n := 1; ; n *= 2 {
		k := min(n, c.mb)
		if _, err := c.plan.Features(ctx, tensor.New(k, c.Transform.Channels(), c.Transform.Crop, c.Transform.Crop)); err != nil {
			return fmt.Errorf("classify: warming up at batch %d: %w", k, err)
		}
		if k == c.mb {
			return nil
		}
	}
}

// acquire waits for the plan's turn (c.sem), or for ctx to end.
func (c *Classifier) acquire(ctx context.Context) error {
	select {
	case c.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// planFeatures runs x through the plan in slices of MaxBatch images and
// a remainder split into powers of two, so that the plan, which keeps
// buffers for each batch size it sees (and only a few of them), sees few
// sizes however the batches it is given vary (a server's do).
func (c *Classifier) planFeatures(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	if x == nil || x.Dims() != 4 || x.Shape[0] < 1 {
		return c.plan.Features(ctx, x) // its error names the shape it wants
	}
	n, mb := x.Shape[0], c.mb
	if n%mb == 0 || (n < mb && n&(n-1) == 0) {
		return c.plan.Features(ctx, x)
	}
	per := x.Len() / n
	f := tensor.New(n, c.plan.FeatureDim())
	d := c.plan.FeatureDim()
	for i := 0; i < n; {
		k := n - i
		if k >= mb {
			k -= k % mb
		} else {
			for k&(k-1) != 0 {
				k &= k - 1 // the largest power of two ≤ what is left
			}
		}
		xs, err := tensor.FromData(x.Data[i*per:(i+k)*per], append([]int{k}, x.Shape[1:]...)...)
		if err != nil {
			return nil, err
		}
		fs, err := c.plan.Features(ctx, xs)
		if err != nil {
			return nil, err
		}
		copy(f.Data[i*d:(i+k)*d], fs.Data)
		i += k
	}
	return f, nil
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
