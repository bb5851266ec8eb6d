package nn

import (
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
)

// Linear is torch.nn.Linear: weight (Out, In), bias (Out).
type Linear struct {
	Weight, Bias *Parameter
}

// NewLinear returns a zero-initialised fully connected layer with bias.
func NewLinear(in, out int) *Linear {
	return &Linear{Weight: NewParameter(out, in), Bias: NewParameter(out)}
}

// InFeatures returns the input width.
func (l *Linear) InFeatures() int { return l.Weight.Value.Shape[1] }

// OutFeatures returns the output width.
func (l *Linear) OutFeatures() int { return l.Weight.Value.Shape[0] }

// Forward: x (N, In) → (N, Out).
func (l *Linear) Forward(x *tensor.Tensor) *tensor.Tensor {
	in, out := l.InFeatures(), l.OutFeatures()
	if x.Dims() != 2 || x.Shape[1] != in {
		shapePanic("Linear", x.Shape, "(N, %d)", in)
	}
	y := tensor.New(x.Shape[0], out)
	var b []float32
	if l.Bias != nil {
		b = l.Bias.Value.Data
	}
	kernels.Linear(x.Shape[0], in, out, x.Data, l.Weight.Value.Data, b, y.Data)
	return y
}

// Visit reports weight and bias.
func (l *Linear) Visit(prefix string, fn func(Entry)) {
	fn(Entry{Name: prefix + "weight", Param: l.Weight})
	if l.Bias != nil {
		fn(Entry{Name: prefix + "bias", Param: l.Bias})
	}
}

// ReLU is torch.nn.ReLU.
type ReLU struct{}

// Forward returns max(x, 0) as a new tensor.
func (ReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := x.Clone()
	kernels.ReLU(y.Data)
	return y
}

// Visit reports nothing: ReLU has no state.
func (ReLU) Visit(string, func(Entry)) {}

// MaxPool2d is torch.nn.MaxPool2d with a square window (floor mode).
type MaxPool2d struct{ kernels.PoolParams }

// NewMaxPool2d returns a kernel×kernel max pool.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	return &MaxPool2d{kernels.PoolParams{KH: kernel, KW: kernel, StrideH: stride, StrideW: stride, PadH: padding, PadW: padding}}
}

// Forward: x (N, C, H, W) → (N, C, OH, OW).
func (m *MaxPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 {
		shapePanic("MaxPool2d", x.Shape, "(N, C, H, W)")
	}
	oh, ow := m.OutSize(x.Shape[2], x.Shape[3])
	if oh <= 0 || ow <= 0 || 2*m.PadH > m.KH || 2*m.PadW > m.KW {
		shapePanic("MaxPool2d", x.Shape, "an input at least %dx%d after padding", m.KH, m.KW)
	}
	y := tensor.New(x.Shape[0], x.Shape[1], oh, ow)
	kernels.MaxPool2d(&m.PoolParams, x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3], x.Data, y.Data)
	return y
}

// Visit reports nothing: pooling has no state.
func (*MaxPool2d) Visit(string, func(Entry)) {}

// AdaptiveAvgPool2d is torch.nn.AdaptiveAvgPool2d((H, W)).
type AdaptiveAvgPool2d struct{ H, W int }

// Forward: x (N, C, H, W) → (N, C, a.H, a.W).
func (a AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 || x.Shape[2] == 0 || x.Shape[3] == 0 {
		shapePanic("AdaptiveAvgPool2d", x.Shape, "(N, C, H>0, W>0)")
	}
	y := tensor.New(x.Shape[0], x.Shape[1], a.H, a.W)
	kernels.AdaptiveAvgPool2d(x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3], a.H, a.W, x.Data, y.Data)
	return y
}

// Visit reports nothing: pooling has no state.
func (AdaptiveAvgPool2d) Visit(string, func(Entry)) {}

// Sequential runs modules in order; their state names are "0.", "1.", …
// as in torch.nn.Sequential.
type Sequential []Module

// Forward applies each module in turn.
func (s Sequential) Forward(x *tensor.Tensor) *tensor.Tensor {
	for _, m := range s {
		x = m.Forward(x)
	}
	return x
}

// Visit reports each child's state under its index.
func (s Sequential) Visit(prefix string, fn func(Entry)) {
	for i, m := range s {
		m.Visit(prefix+itoa(i)+".", fn)
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
