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
