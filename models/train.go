package models

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Training a ResNet: SetTraining picks batch statistics for batch norm,
// ForwardTrain runs the network keeping what Backward needs, Backward
// accumulates the gradients into every trainable Parameter.Grad and frees
// what ForwardTrain kept. Gradient work follows requires_grad: modules
// before the first trainable parameter run as in inference (nothing kept,
// no backward), frozen parameters get no gradient, and frozen batch norms
// keep their running statistics (SPEC §6; PyTorch would update them in
// train mode). A network trains one batch at a time: do not call these
// from several goroutines at once.

// netTrain is what ResNet keeps between ForwardTrain and Backward.
type netTrain struct {
	ok                bool
	inputGrad         bool
	stem, pool, first bool // did gradient flow through the stem, pool, the first block
	avgpool           nn.AdaptiveAvgPool2d
	maxpoolRan        bool
}

// blockTrain is what Block keeps between ForwardTrain and Backward.
type blockTrain struct {
	ok       bool
	inFlow   bool           // the block's input needs a gradient
	main, ds []bool         // per layer of the main path / downsample: ran ForwardTrain
	out      *tensor.Tensor // output after the final ReLU (its mask)
	in       []int
}

// SetTraining switches every batch norm between training mode (batch
// statistics, running statistics updated) and eval mode, like PyTorch's
// model.train() and model.eval(). It only affects ForwardTrain; Forward
// always runs in eval mode. Frozen batch norms stay in eval mode.
func (m *ResNet) SetTraining(on bool) {
	for _, bn := range m.BatchNorms() {
		bn.Training = on
	}
}

// BatchNorms returns every batch norm of the network in state_dict order
// (bn1, then each block's bn1, bn2, bn3 and downsample.1), the layers
// themselves, not copies.
func (m *ResNet) BatchNorms() []*nn.BatchNorm2d {
	bns := []*nn.BatchNorm2d{m.BN1}
	for _, st := range m.Stages {
		for _, b := range st {
			bns = append(bns, b.BN1, b.BN2)
			if b.BN3 != nil {
				bns = append(bns, b.BN3)
			}
			if b.Downsample != nil {
				bns = append(bns, b.Downsample.BN)
			}
		}
	}
	return bns
}

// ReplaceHead swaps fc for a new Linear(FeatureDim, numClasses) with
// PyTorch's default initialisation (weight and bias uniform in ±1/√in),
// drawn from seed; the new head is trainable. This is the transfer
// learning recipe's model.fc = nn.Linear(model.fc.in_features, n).
func (m *ResNet) ReplaceHead(numClasses int, seed uint64) error {
	if numClasses < 1 {
		return fmt.Errorf("models: ReplaceHead: %d classes", numClasses)
	}
	fc := nn.NewLinear(m.FC.InFeatures(), numClasses)
	nn.InitLinearDefault(fc, rand.New(rand.NewPCG(seed, 0x48454144))) // "HEAD"
	m.FC = fc
	m.Config.NumClasses = numClasses
	return nil
}

// FreezeBackbone freezes every parameter but fc's (requires_grad False),
// leaving fc trainable: fine-tuning only the head. Frozen batch norms keep
// their running statistics.
func (m *ResNet) FreezeBackbone() {
	nn.SetRequiresGrad(m, false)
	nn.SetRequiresGrad(m.FC, true)
}

// FreezeUpTo freezes the stem (conv1, bn1) and stages layer1..layerN,
// leaving the later stages and fc trainable. FreezeUpTo(0) freezes the
// stem only.
func (m *ResNet) FreezeUpTo(stage int) error {
	if stage < 0 || stage > len(m.Stages) {
		return fmt.Errorf("models: FreezeUpTo: no layer%d (the network has %d stages)", stage, len(m.Stages))
	}
	nn.SetRequiresGrad(m, true)
	nn.SetRequiresGrad(m.Conv1, false)
	nn.SetRequiresGrad(m.BN1, false)
	for _, st := range m.Stages[:stage] {
		for _, b := range st {
			nn.SetRequiresGrad(b, false)
		}
	}
	return nil
}

// Unfreeze makes every parameter trainable.
func (m *ResNet) Unfreeze() { nn.SetRequiresGrad(m, true) }

// ZeroGrad sets every gradient to zero (PyTorch's zero_grad with
// set_to_none=False).
func (m *ResNet) ZeroGrad() { nn.ZeroGrad(m) }

// ForwardTrain returns the logits (N, NumClasses) for x (N, InChannels,
// H, W) like Forward, in the mode SetTraining chose, and keeps what
// Backward needs. With inputGrad, Backward also returns ∂L/∂x.
func (m *ResNet) ForwardTrain(x *tensor.Tensor, inputGrad bool) (*tensor.Tensor, error) {
	if x == nil || x.Dims() != 4 || x.Shape[0] < 1 || x.Shape[1] != m.Config.InChannels {
		var got []int
		if x != nil {
			got = x.Shape
		}
		return nil, fmt.Errorf("models: %s: input shape %s, want (N, %d, H, W)", m.Config.Name, tensor.ShapeString(got), m.Config.InChannels)
	}
	t := netTrain{inputGrad: inputGrad, avgpool: nn.AdaptiveAvgPool2d{H: 1, W: 1}}
	out, err := nn.Run(func() *tensor.Tensor {
		flow := inputGrad || nn.RequiresGrad(m.Conv1) || nn.RequiresGrad(m.BN1)
		t.stem = flow
		var y *tensor.Tensor
		if flow {
			y = m.BN1.ForwardTrain(m.Conv1.ForwardTrain(x))
		} else {
			y = m.BN1.Forward(m.Conv1.Forward(x))
		}
		if m.MaxPool != nil {
			if flow {
				y = m.MaxPool.ForwardTrain(y)
				t.maxpoolRan = true
			} else {
				y = m.MaxPool.Forward(y)
			}
		}
		for _, st := range m.Stages {
			for _, b := range st {
				y = b.forwardTrain(y, flow)
				flow = flow || nn.RequiresGrad(b)
			}
		}
		t.pool = flow || nn.RequiresGrad(m.FC)
		if t.pool {
			y = t.avgpool.ForwardTrain(y)
		} else {
			y = t.avgpool.Forward(y)
		}
		t.first = flow
		y, _ = y.Reshape(y.Shape[0], y.Shape[1])
		return m.FC.ForwardTrain(y)
	})
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Config.Name, err)
	}
	t.ok = true
	m.train = t
	return out, nil
}

// ErrNoForward is returned by Backward without a ForwardTrain before it.
var ErrNoForward = errors.New("models: Backward without ForwardTrain")

// Backward takes ∂L/∂logits (N, NumClasses), accumulates every trainable
// parameter's gradient and returns ∂L/∂x if ForwardTrain was asked for it
// (else nil). It frees what ForwardTrain kept.
func (m *ResNet) Backward(dlogits *tensor.Tensor) (*tensor.Tensor, error) {
	return m.BackwardObserve(dlogits, nil)
}

// BackwardObserve is Backward that also hands observe, when not nil, the
// gradient of the loss with respect to each block's output as the
// backward pass reaches it (the last block first). dOut belongs to the
// backward pass: observe must not keep or change it.
func (m *ResNet) BackwardObserve(dlogits *tensor.Tensor, observe func(block BlockRef, dOut *tensor.Tensor)) (*tensor.Tensor, error) {
	t := m.train
	m.train = netTrain{}
	if !t.ok {
		return nil, ErrNoForward
	}
	dx, err := nn.Run(func() *tensor.Tensor {
		d := m.FC.Backward(dlogits, t.first)
		if !t.first {
			return nil
		}
		d, _ = d.Reshape(d.Shape[0], d.Shape[1], 1, 1)
		// t.pool ran ForwardTrain (t.first implies it).
		d = t.avgpool.Backward(d, true)
		for s := len(m.Stages) - 1; s >= 0; s-- {
			for i := len(m.Stages[s]) - 1; i >= 0; i-- {
				b := m.Stages[s][i]
				if !b.train.ok {
					return nil
				}
				if observe != nil {
					observe(BlockRef{Stage: s, Index: i}, d)
				}
				d = b.backward(d)
				if d == nil {
					return nil
				}
			}
		}
		if !t.stem {
			return nil
		}
		if t.maxpoolRan {
			d = m.MaxPool.Backward(d, true)
		}
		d = m.BN1.Backward(d, true)
		return m.Conv1.Backward(d, t.inputGrad)
	})
	if err != nil {
		return nil, fmt.Errorf("models: %s: %w", m.Config.Name, err)
	}
	return dx, nil
}

// mainPath returns the block's main-path layers in order.
func (b *Block) mainPath() []nn.Layer {
	l := []nn.Layer{b.Conv1, b.BN1, b.Conv2, b.BN2}
	if b.Conv3 != nil {
		l = append(l, b.Conv3, b.BN3)
	}
	return l
}

// runPath applies layers to x: ForwardTrain from the first layer through
// which a gradient will flow (the input's, or a trainable parameter's),
// plain Forward before it. ran[i] records which layers kept state.
func runPath(layers []nn.Layer, x *tensor.Tensor, flow bool) (*tensor.Tensor, []bool) {
	ran := make([]bool, len(layers))
	for i, l := range layers {
		flow = flow || nn.RequiresGrad(l)
		if flow {
			x = l.ForwardTrain(x)
		} else {
			x = l.Forward(x)
		}
		ran[i] = flow
	}
	return x, ran
}

// backPath runs Backward through the layers that kept state, last first,
// and returns the gradient of the path's input (nil unless inFlow).
func backPath(layers []nn.Layer, ran []bool, d *tensor.Tensor, inFlow bool) *tensor.Tensor {
	for i := len(layers) - 1; i >= 0 && ran[i]; i-- {
		need := inFlow
		if i > 0 {
			need = ran[i-1]
		}
		d = layers[i].Backward(d, need)
	}
	if !inFlow {
		return nil
	}
	return d
}

// forwardTrain is Forward for training; flow says whether the block's
// input needs a gradient.
func (b *Block) forwardTrain(x *tensor.Tensor, flow bool) *tensor.Tensor {
	keep := flow || nn.RequiresGrad(b)
	if !keep {
		b.train = blockTrain{}
		return b.Forward(x)
	}
	t := blockTrain{ok: true, inFlow: flow, in: x.Shape}
	y, ran := runPath(b.mainPath(), x, flow)
	t.main = ran
	switch {
	case b.Shortcut == NoShortcut:
		kernels.ReLU(y.Data)
	default:
		identity := x
		switch {
		case b.Downsample != nil:
			identity, t.ds = runPath([]nn.Layer{b.Downsample.Conv, b.Downsample.BN}, x, flow)
		case b.Shortcut == ShortcutA && !tensor.SameShape(x.Shape, y.Shape):
			identity = padSubsample(x, y.Shape)
		}
		if !tensor.SameShape(identity.Shape, y.Shape) {
			panic(&nn.ShapeError{Layer: "residual add", Got: identity.Shape, Want: tensor.ShapeString(y.Shape)})
		}
		kernels.Add(y.Data, identity.Data, true)
	}
	t.out = y
	b.train = t
	return y
}

// backward takes the gradient of the block's output and returns that of
// its input, or nil when the input needs none.
func (b *Block) backward(dy *tensor.Tensor) *tensor.Tensor {
	t := b.train
	b.train = blockTrain{}
	if !tensor.SameShape(dy.Shape, t.out.Shape) {
		panic(&nn.ShapeError{Layer: "block backward", Got: dy.Shape, Want: tensor.ShapeString(t.out.Shape)})
	}
	// Through the final ReLU (PyTorch's threshold_backward: zero where out <= 0).
	dz := tensor.New(dy.Shape...)
	kernels.ReLUBackward(dz.Data, dy.Data, t.out.Data)
	dx := backPath(b.mainPath(), t.main, dz, t.inFlow)
	if b.Shortcut == NoShortcut {
		return dx
	}
	var ds *tensor.Tensor
	switch {
	case b.Downsample != nil:
		ds = backPath([]nn.Layer{b.Downsample.Conv, b.Downsample.BN}, t.ds, dz, t.inFlow)
	case t.inFlow && b.Shortcut == ShortcutA && !tensor.SameShape(t.in, dz.Shape):
		ds = padSubsampleBackward(dz, t.in)
	case t.inFlow:
		ds = dz
	}
	if dx == nil {
		return ds
	}
	if ds != nil {
		kernels.Add(dx.Data, ds.Data, false)
	}
	return dx
}

// padSubsampleBackward is the adjoint of padSubsample: the gradient of
// the kept channels lands on the even rows and columns of the input.
func padSubsampleBackward(dy *tensor.Tensor, in []int) *tensor.Tensor {
	n, c, h, w := in[0], in[1], in[2], in[3]
	oc, oh, ow := dy.Shape[1], dy.Shape[2], dy.Shape[3]
	pad := (oc - c) / 2
	dx := tensor.New(in...)
	for i := 0; i < n; i++ {
		for ch := 0; ch < c; ch++ {
			src := dy.Data[(i*oc+ch+pad)*oh*ow:]
			dst := dx.Data[(i*c+ch)*h*w:]
			for yy := 0; yy < oh; yy++ {
				for xx := 0; xx < ow; xx++ {
					dst[2*yy*w+2*xx] = src[yy*ow+xx]
				}
			}
		}
	}
	return dx
}

// TrainableParameters returns the parameters that require a gradient,
// split into the backbone's (everything before fc) and the head's (fc),
// in state_dict order: the usual two parameter groups of fine-tuning,
// e.g. a smaller learning rate for the backbone.
func (m *ResNet) TrainableParameters() (backbone, head []*nn.Parameter) {
	m.Visit("", func(e nn.Entry) {
		if e.Param == nil || !e.Param.RequiresGrad {
			return
		}
		if e.Param == m.FC.Weight || e.Param == m.FC.Bias {
			head = append(head, e.Param)
		} else {
			backbone = append(backbone, e.Param)
		}
	})
	return backbone, head
}
