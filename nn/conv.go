package nn

import (
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
)

// Conv2d is torch.nn.Conv2d: weight (Out, In/Groups, KH, KW), optional bias.
type Conv2d struct {
	Weight *Parameter
	Bias   *Parameter // nil when bias=False, as in every ResNet conv
	kernels.ConvParams

	saved convSaved // between ForwardTrain and Backward
}

// ConvOptions are Conv2d's optional settings; zero fields take PyTorch's
// defaults (stride 1, padding 0, dilation 1, groups 1, no bias here).
type ConvOptions struct {
	Stride, Padding, Dilation, Groups int
	Bias                              bool
}

// NewConv2d returns a square-kernel convolution with zero weights.
func NewConv2d(in, out, kernel int, o ConvOptions) *Conv2d {
	o.Stride = max(o.Stride, 1)
	o.Dilation = max(o.Dilation, 1)
	o.Groups = max(o.Groups, 1)
	if in%o.Groups != 0 || out%o.Groups != 0 {
		panic("nn: Conv2d channels must be divisible by groups")
	}
	c := &Conv2d{
		Weight: NewParameter(out, in/o.Groups, kernel, kernel),
		ConvParams: kernels.ConvParams{
			InC: in, OutC: out, KH: kernel, KW: kernel,
			StrideH: o.Stride, StrideW: o.Stride, PadH: o.Padding, PadW: o.Padding,
			DilH: o.Dilation, DilW: o.Dilation, Groups: o.Groups,
		},
	}
	if o.Bias {
		c.Bias = NewParameter(out)
	}
	return c
}

// Forward: x (N, In, H, W) → (N, Out, OH, OW).
func (c *Conv2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 || x.Shape[1] != c.InC {
		shapePanic("Conv2d", x.Shape, "(N, %d, H, W)", c.InC)
	}
	n, h, w := x.Shape[0], x.Shape[2], x.Shape[3]
	oh, ow := c.OutSize(h, w)
	if oh <= 0 || ow <= 0 {
		shapePanic("Conv2d", x.Shape, "an input at least as large as the %dx%d kernel after padding", c.KH, c.KW)
	}
	y := tensor.New(n, c.OutC, oh, ow)
	var bias []float32
	if c.Bias != nil {
		bias = c.Bias.Value.Data
	}
	kernels.Conv2d(&c.ConvParams, n, h, w, x.Data, c.Weight.Value.Data, bias, y.Data)
	return y
}

// Visit reports weight and bias.
func (c *Conv2d) Visit(prefix string, fn func(Entry)) {
	fn(Entry{Name: prefix + "weight", Param: c.Weight})
	if c.Bias != nil {
		fn(Entry{Name: prefix + "bias", Param: c.Bias})
	}
}

// ForwardTrain is Forward, keeping the input for Backward (only when the
// weight is trainable: the input gradient needs just the weight).
func (c *Conv2d) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	y := c.Forward(x)
	c.saved = convSaved{in: x.Shape, out: y.Shape, ok: true}
	if c.Weight.Trainable() {
		c.saved.x = x
	}
	return y
}

// Backward: dy (N, Out, OH, OW) → dx (N, In, H, W). See Layer.
func (c *Conv2d) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	s := c.saved
	c.saved = convSaved{}
	if !s.ok {
		noForward("Conv2d")
	}
	checkGrad("Conv2d", dy, s.out)
	var dx *tensor.Tensor
	var dxd, xd []float32
	if needDX {
		dx = tensor.New(s.in...)
		dxd = dx.Data
	}
	if s.x != nil {
		xd = s.x.Data
	}
	kernels.Conv2dBackward(&c.ConvParams, s.in[0], s.in[2], s.in[3], xd, c.Weight.Value.Data, dy.Data,
		dxd, gradOf(c.Weight), gradOf(c.Bias))
	return dx
}

// convSaved is what Conv2d keeps between ForwardTrain and Backward.
type convSaved struct {
	x       *tensor.Tensor // nil when the weight is frozen
	in, out []int
	ok      bool
}
