package models

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Options adjust an architecture when it is built.
type Options struct {
	// NumClasses overrides the width of fc (0 keeps the config's).
	NumClasses int
	// InChannels overrides the input channels (0 keeps 3).
	InChannels int
	// Groups and WidthPerGroup override the Bottleneck's cardinality and
	// base width (torchvision's groups and width_per_group); 0 keeps the
	// config's. resnet50 with Groups 32, WidthPerGroup 4 is resnext50_32x4d.
	Groups, WidthPerGroup int
	// ZeroInitResidual zeroes the last batch norm weight of every block so
	// each residual branch starts as zero (torchvision's option).
	ZeroInitResidual bool
	// Seed seeds the deterministic random initialisation.
	Seed uint64
	// NoInit skips the random initialisation (all parameters zero, batch
	// norms at weight 1 / variance 1), for when weights are loaded next.
	NoInit bool
}

// ResNet is a residual network: stem, stages of blocks, pooling and fc.
// Field names follow torchvision's attribute names.
type ResNet struct {
	Config  Config
	Conv1   *nn.Conv2d
	BN1     *nn.BatchNorm2d
	MaxPool *nn.MaxPool2d // nil for the CIFAR stem
	Stages  [][]*Block    // layer1, layer2, …
	FC      *nn.Linear

	train netTrain // between ForwardTrain and Backward (train.go)
}

// Block is a BasicBlock or Bottleneck residual unit.
type Block struct {
	Conv1, Conv2, Conv3 *nn.Conv2d // Conv3 is nil in a BasicBlock
	BN1, BN2, BN3       *nn.BatchNorm2d
	Downsample          *Downsample // shortcut B projection, or nil
	Shortcut            Shortcut
	stride, outC        int

	train blockTrain // between ForwardTrain and Backward (train.go)
}

// Downsample is the projection shortcut, Sequential(conv1x1, BatchNorm2d).
type Downsample struct {
	Conv *nn.Conv2d
	BN   *nn.BatchNorm2d
}

// New builds the architecture called name (see Lookup).
func New(name string, o Options) (*ResNet, error) {
	c, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	return Build(c, o)
}

// Build builds a network from a configuration.
func Build(c Config, o Options) (*ResNet, error) {
	if o.NumClasses > 0 {
		c.NumClasses = o.NumClasses
	}
	if o.InChannels > 0 {
		c.InChannels = o.InChannels
	}
	if o.Groups > 0 {
		c.Groups = o.Groups
	}
	if o.WidthPerGroup > 0 {
		c.WidthPerGroup = o.WidthPerGroup
	}
	if c.Groups < 1 || c.WidthPerGroup < 1 || len(c.Layers) == 0 || len(c.Layers) != len(c.Planes) || c.NumClasses < 1 || c.InChannels < 1 {
		return nil, fmt.Errorf("models: invalid configuration %+v", c)
	}
	if c.Block == Basic && (c.Groups != 1 || c.WidthPerGroup != 64) {
		return nil, fmt.Errorf("models: %s: BasicBlock only supports groups=1 and width_per_group=64", c.Name)
	}
	m := &ResNet{Config: c}
	in := c.Planes[0]
	if c.Stem == ImageNetStem {
		m.Conv1 = nn.NewConv2d(c.InChannels, in, 7, nn.ConvOptions{Stride: 2, Padding: 3})
		m.MaxPool = nn.NewMaxPool2d(3, 2, 1)
	} else {
		m.Conv1 = nn.NewConv2d(c.InChannels, in, 3, nn.ConvOptions{Padding: 1})
	}
	m.BN1 = nn.NewBatchNorm2d(in)
	m.BN1.ReLU = true
	for s, planes := range c.Planes {
		var stage []*Block
		for i := 0; i < c.Layers[s]; i++ {
			stride := 1
			if s > 0 && i == 0 {
				stride = 2
			}
			b := newBlock(c, in, planes, stride)
			in = b.outC
			stage = append(stage, b)
		}
		m.Stages = append(m.Stages, stage)
	}
	m.FC = nn.NewLinear(in, c.NumClasses)
	if !o.NoInit {
		m.Init(o.Seed, o.ZeroInitResidual)
	}
	return m, nil
}

func newBlock(c Config, in, planes, stride int) *Block {
	out := planes * c.expansion()
	b := &Block{Shortcut: c.Shortcut, stride: stride, outC: out}
	if c.Block == Basic {
		b.Conv1 = nn.NewConv2d(in, planes, 3, nn.ConvOptions{Stride: stride, Padding: 1})
		b.BN1 = nn.NewBatchNorm2d(planes)
		b.Conv2 = nn.NewConv2d(planes, planes, 3, nn.ConvOptions{Padding: 1})
		b.BN2 = nn.NewBatchNorm2d(planes)
	} else {
		width := planes * c.WidthPerGroup / 64 * c.Groups
		b.Conv1 = nn.NewConv2d(in, width, 1, nn.ConvOptions{})
		b.BN1 = nn.NewBatchNorm2d(width)
		b.Conv2 = nn.NewConv2d(width, width, 3, nn.ConvOptions{Stride: stride, Padding: 1, Groups: c.Groups})
		b.BN2 = nn.NewBatchNorm2d(width)
		b.BN2.ReLU = true
		b.Conv3 = nn.NewConv2d(width, out, 1, nn.ConvOptions{})
		b.BN3 = nn.NewBatchNorm2d(out)
	}
	b.BN1.ReLU = true
	if c.Shortcut == ShortcutB && (stride != 1 || in != out) {
		b.Downsample = &Downsample{
			Conv: nn.NewConv2d(in, out, 1, nn.ConvOptions{Stride: stride}),
			BN:   nn.NewBatchNorm2d(out),
		}
	}
	return b
}

// Init gives the network torchvision's initialisation from a seeded
// generator: Kaiming-normal (fan_out) convolutions, batch norm 1/0, the
// default uniform Linear, and optionally zeroed last BN in every block.
// Same seed, same weights; the numbers differ from PyTorch's generator.
func (m *ResNet) Init(seed uint64, zeroInitResidual bool) {
	rng := rand.New(rand.NewPCG(seed, 0x5245534e4554)) // "RESNET"
	for _, c := range m.convs() {
		nn.KaimingNormalFanOut(c.Weight, rng)
	}
	nn.InitLinearDefault(m.FC, rng)
	for _, st := range m.Stages {
		for _, b := range st {
			for _, bn := range []*nn.BatchNorm2d{b.BN1, b.BN2, b.BN3} {
				if bn != nil {
					resetBN(bn)
				}
			}
			if zeroInitResidual {
				last := b.BN2
				if b.BN3 != nil {
					last = b.BN3
				}
				clear(last.Weight.Value.Data)
			}
		}
	}
}

func resetBN(bn *nn.BatchNorm2d) {
	for i := range bn.Weight.Value.Data {
		bn.Weight.Value.Data[i], bn.Bias.Value.Data[i] = 1, 0
		bn.RunningMean.Data[i], bn.RunningVar.Data[i] = 0, 1
	}
	bn.NumBatchesTracked = 0
}

// convs returns every convolution in state_dict order.
func (m *ResNet) convs() []*nn.Conv2d {
	cs := []*nn.Conv2d{m.Conv1}
	for _, st := range m.Stages {
		for _, b := range st {
			cs = append(cs, b.Conv1, b.Conv2)
			if b.Conv3 != nil {
				cs = append(cs, b.Conv3)
			}
			if b.Downsample != nil {
				cs = append(cs, b.Downsample.Conv)
			}
		}
	}
	return cs
}

// Visit reports every parameter and buffer under torchvision's names.
func (m *ResNet) Visit(prefix string, fn func(nn.Entry)) {
	m.Conv1.Visit(prefix+"conv1.", fn)
	m.BN1.Visit(prefix+"bn1.", fn)
	for s, st := range m.Stages {
		for i, b := range st {
			b.Visit(fmt.Sprintf("%slayer%d.%d.", prefix, s+1, i), fn)
		}
	}
	m.FC.Visit(prefix+"fc.", fn)
}

// Visit reports the block's state: conv1, bn1, conv2, bn2[, conv3, bn3][, downsample.0, downsample.1].
func (b *Block) Visit(prefix string, fn func(nn.Entry)) {
	b.Conv1.Visit(prefix+"conv1.", fn)
	b.BN1.Visit(prefix+"bn1.", fn)
	b.Conv2.Visit(prefix+"conv2.", fn)
	b.BN2.Visit(prefix+"bn2.", fn)
	if b.Conv3 != nil {
		b.Conv3.Visit(prefix+"conv3.", fn)
		b.BN3.Visit(prefix+"bn3.", fn)
	}
	if b.Downsample != nil {
		b.Downsample.Conv.Visit(prefix+"downsample.0.", fn)
		b.Downsample.BN.Visit(prefix+"downsample.1.", fn)
	}
}

// Forward runs one block: x (N, in, H, W) → (N, out, H/stride, W/stride).
func (b *Block) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := b.Conv1.Forward(x)
	b.BN1.ForwardInPlace(y)
	y = b.Conv2.Forward(y)
	last := b.BN2
	if b.Conv3 != nil {
		b.BN2.ForwardInPlace(y)
		y = b.Conv3.Forward(y)
		last = b.BN3
	}
	if b.Shortcut == NoShortcut {
		relu := last.ReLU
		last.ReLU = true
		last.ForwardInPlace(y)
		last.ReLU = relu
		return y
	}
	last.ForwardInPlace(y)
	identity := x
	switch {
	case b.Downsample != nil:
		identity = b.Downsample.Conv.Forward(x)
		b.Downsample.BN.ForwardInPlace(identity)
	case b.Shortcut == ShortcutA && !tensor.SameShape(x.Shape, y.Shape):
		identity = padSubsample(x, y.Shape)
	}
	if !tensor.SameShape(identity.Shape, y.Shape) {
		panic(&nn.ShapeError{Layer: "residual add", Got: identity.Shape, Want: tensor.ShapeString(y.Shape)})
	}
	kernels.Add(y.Data, identity.Data, true)
	return y
}

// padSubsample is the option-A shortcut: x[:, :, ::2, ::2] with the new
// channels zero-padded equally on both sides, as in the widely used
// PyTorch CIFAR ResNet (F.pad(..., (0, 0, 0, 0, p, p)), p = planes/4).
func padSubsample(x *tensor.Tensor, out []int) *tensor.Tensor {
	n, c, h, w := x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]
	oc, oh, ow := out[1], out[2], out[3]
	if (h+1)/2 != oh || (w+1)/2 != ow || oc < c || (oc-c)%2 != 0 {
		panic(&nn.ShapeError{Layer: "shortcut A", Got: x.Shape, Want: tensor.ShapeString(out)})
	}
	pad := (oc - c) / 2
	y := tensor.New(n, oc, oh, ow)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			src := x.Data[(i*c+ch)*h*w:]
			dst := y.Data[(i*oc+ch+pad)*oh*ow:]
			for yy := 0; yy < oh; yy++ {
				for xx := 0; xx < ow; xx++ {
					dst[yy*ow+xx] = src[2*yy*w+2*xx]
				}
			}
		}
	}
	return y
}

// Features runs everything but fc: x (N, InChannels, H, W) → (N, FeatureDim).
func (m *ResNet) Features(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	return m.features(ctx, x, nil)
}

// features is Features with the blocks in bypass replaced by their Bypass
// (lesion.go); nil runs every block.
func (m *ResNet) features(ctx context.Context, x *tensor.Tensor, bypass map[BlockRef]bool) (*tensor.Tensor, error) {
	if x == nil || x.Dims() != 4 || x.Shape[0] < 1 || x.Shape[1] != m.Config.InChannels {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, fmt.Errorf("models: %s: input shape %s, want (N, %d, H, W)", m.Config.Name, tensor.ShapeString(got), m.Config.InChannels)
	}
	var cancelled error
	out, err := nn.Run(func() *tensor.Tensor {
		y := m.Conv1.Forward(x)
		m.BN1.ForwardInPlace(y)
		if m.MaxPool != nil {
			y = m.MaxPool.Forward(y)
		}
		for s, st := range m.Stages {
			for i, b := range st {
				if cancelled = ctx.Err(); cancelled != nil {
					return nil
				}
				if bypass[BlockRef{s, i}] {
					y = b.Bypass(y)
				} else {
					y = b.Forward(y)
				}
			}
		}
		y = nn.AdaptiveAvgPool2d{H: 1, W: 1}.Forward(y)
		y, _ = y.Reshape(y.Shape[0], y.Shape[1])
		return y
	})
	if cancelled != nil {
		return nil, cancelled
	}
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Config.Name, err)
	}
	return out, nil
}

// Forward returns the logits (N, NumClasses) for x (N, InChannels, H, W).
func (m *ResNet) Forward(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
	f, err := m.Features(ctx, x)
	if err != nil {
		return nil, err
	}
	return m.Head(f)
}

// Head applies fc to pooled features (N, FeatureDim), giving logits.
func (m *ResNet) Head(features *tensor.Tensor) (*tensor.Tensor, error) {
	return nn.Run(func() *tensor.Tensor { return m.FC.Forward(features) })
}

// NumParams returns the number of learnable parameters.
func (m *ResNet) NumParams() int { return nn.NumParams(m) }

// MACs returns the multiply-accumulates of one forward pass on an h×w
// image (convolutions and fc; the usual "FLOPs" figure of model tables).
func (m *ResNet) MACs(h, w int) int64 {
	var total int64
	conv := func(c *nn.Conv2d, h, w int) (int, int) {
		oh, ow := c.OutSize(h, w)
		total += int64(c.OutC) * int64(oh*ow) * int64(c.InC/c.Groups*c.KH*c.KW)
		return oh, ow
	}
	h, w = conv(m.Conv1, h, w)
	if m.MaxPool != nil {
		h, w = m.MaxPool.OutSize(h, w)
	}
	for _, st := range m.Stages {
		for _, b := range st {
			if b.Downsample != nil {
				conv(b.Downsample.Conv, h, w)
			}
			bh, bw := conv(b.Conv1, h, w)
			bh, bw = conv(b.Conv2, bh, bw)
			if b.Conv3 != nil {
				bh, bw = conv(b.Conv3, bh, bw)
			}
			h, w = bh, bw
		}
	}
	total += int64(m.FC.InFeatures() * m.FC.OutFeatures())
	return total
}
