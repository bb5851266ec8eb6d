package nn

import (
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
)

// Linear is torch.nn.Linear: weight (Out, In), bias (Out).
type Linear struct {
	Weight, Bias *Parameter

	x *tensor.Tensor // between ForwardTrain and Backward
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

// ForwardTrain is Forward, keeping the input for Backward.
func (l *Linear) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	y := l.Forward(x)
	l.x = x
	return y
}

// Backward: dy (N, Out) → dx (N, In). dW += dyᵀ·x, db += Σ dy, dx = dy·W.
func (l *Linear) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	x := l.x
	l.x = nil
	if x == nil {
		noForward("Linear")
	}
	n, in, out := x.Shape[0], l.InFeatures(), l.OutFeatures()
	checkGrad("Linear", dy, []int{n, out})
	if dw := gradOf(l.Weight); dw != nil {
		kernels.Sgemm(true, false, out, in, n, 1, dy.Data, out, x.Data, in, 1, dw, in)
	}
	if db := gradOf(l.Bias); db != nil {
		for i := 0; i < n; i++ {
			for j, g := range dy.Data[i*out : (i+1)*out] {
				db[j] += g
			}
		}
	}
	if !needDX {
		return nil
	}
	dx := tensor.New(n, in)
	kernels.Sgemm(false, false, n, in, out, 1, dy.Data, out, l.Weight.Value.Data, in, 0, dx.Data, in)
	return dx
}

// Visit reports weight and bias.
func (l *Linear) Visit(prefix string, fn func(Entry)) {
	fn(Entry{Name: prefix + "weight", Param: l.Weight})
	if l.Bias != nil {
		fn(Entry{Name: prefix + "bias", Param: l.Bias})
	}
}

// ReLU is torch.nn.ReLU.
type ReLU struct {
	y *tensor.Tensor // between ForwardTrain and Backward
}

// Forward returns max(x, 0) as a new tensor.
func (ReLU) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := x.Clone()
	kernels.ReLU(y.Data)
	return y
}

// ForwardTrain is Forward, keeping the output (its sign is the mask).
func (r *ReLU) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	r.y = r.Forward(x)
	return r.y
}

// Backward: dx = dy where the output was > 0, else 0 (PyTorch's
// threshold_backward on the result).
func (r *ReLU) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	y := r.y
	r.y = nil
	if y == nil {
		noForward("ReLU")
	}
	checkGrad("ReLU", dy, y.Shape)
	if !needDX {
		return nil
	}
	dx := tensor.New(y.Shape...)
	for i, v := range y.Data {
		if !(v <= 0) {
			dx.Data[i] = dy.Data[i]
		}
	}
	return dx
}

// Visit reports nothing: ReLU has no state.
func (ReLU) Visit(string, func(Entry)) {}

// MaxPool2d is torch.nn.MaxPool2d with a square window (floor mode).
type MaxPool2d struct {
	kernels.PoolParams

	saved poolSaved // between ForwardTrain and Backward
}

// NewMaxPool2d returns a kernel×kernel max pool.
func NewMaxPool2d(kernel, stride, padding int) *MaxPool2d {
	return &MaxPool2d{PoolParams: kernels.PoolParams{KH: kernel, KW: kernel, StrideH: stride, StrideW: stride, PadH: padding, PadW: padding}}
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

// poolSaved is what MaxPool2d keeps between ForwardTrain and Backward.
type poolSaved struct {
	argmax  []int32
	in, out []int
}

// ForwardTrain is Forward, keeping where each maximum came from.
func (m *MaxPool2d) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 {
		shapePanic("MaxPool2d", x.Shape, "(N, C, H, W)")
	}
	oh, ow := m.OutSize(x.Shape[2], x.Shape[3])
	if oh <= 0 || ow <= 0 || 2*m.PadH > m.KH || 2*m.PadW > m.KW {
		shapePanic("MaxPool2d", x.Shape, "an input at least %dx%d after padding", m.KH, m.KW)
	}
	y := tensor.New(x.Shape[0], x.Shape[1], oh, ow)
	arg := make([]int32, y.Len())
	kernels.MaxPool2dArgmax(&m.PoolParams, x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3], x.Data, y.Data, arg)
	m.saved = poolSaved{argmax: arg, in: x.Shape, out: y.Shape}
	return y
}

// Backward routes each output's gradient to its argmax; ties went to the
// first maximum in the window, as in PyTorch.
func (m *MaxPool2d) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	s := m.saved
	m.saved = poolSaved{}
	if s.argmax == nil {
		noForward("MaxPool2d")
	}
	checkGrad("MaxPool2d", dy, s.out)
	if !needDX {
		return nil
	}
	dx := tensor.New(s.in...)
	kernels.MaxPool2dBackward(s.in[0]*s.in[1], s.in[2], s.in[3], s.out[2], s.out[3], dy.Data, s.argmax, dx.Data)
	return dx
}

// Visit reports nothing: pooling has no state.
func (*MaxPool2d) Visit(string, func(Entry)) {}

// AdaptiveAvgPool2d is torch.nn.AdaptiveAvgPool2d((H, W)).
type AdaptiveAvgPool2d struct {
	H, W int

	in []int // between ForwardTrain and Backward
}

// Forward: x (N, C, H, W) → (N, C, a.H, a.W).
func (a AdaptiveAvgPool2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 || x.Shape[2] == 0 || x.Shape[3] == 0 {
		shapePanic("AdaptiveAvgPool2d", x.Shape, "(N, C, H>0, W>0)")
	}
	y := tensor.New(x.Shape[0], x.Shape[1], a.H, a.W)
	kernels.AdaptiveAvgPool2d(x.Shape[0]*x.Shape[1], x.Shape[2], x.Shape[3], a.H, a.W, x.Data, y.Data)
	return y
}

// ForwardTrain is Forward, keeping the input shape.
func (a *AdaptiveAvgPool2d) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	y := a.Forward(x)
	a.in = x.Shape
	return y
}

// Backward spreads each output's gradient evenly over its bin.
func (a *AdaptiveAvgPool2d) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	in := a.in
	a.in = nil
	if in == nil {
		noForward("AdaptiveAvgPool2d")
	}
	checkGrad("AdaptiveAvgPool2d", dy, []int{in[0], in[1], a.H, a.W})
	if !needDX {
		return nil
	}
	dx := tensor.New(in...)
	kernels.AdaptiveAvgPool2dBackward(in[0]*in[1], in[2], in[3], a.H, a.W, dy.Data, dx.Data)
	return dx
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
