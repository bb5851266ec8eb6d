package nn

import (
	"fmt"

	"github.com/resnetgo/resnet/tensor"
)

// Layer is a Module that can be trained: ForwardTrain computes the same
// output as Forward (batch norm in training mode uses batch statistics)
// and keeps what Backward needs; Backward takes the gradient of the
// output, accumulates the parameters' gradients into Parameter.Grad and,
// if needDX, returns the gradient of the input (else nil). Backward
// releases what ForwardTrain kept, so each ForwardTrain is followed by at
// most one Backward. A layer holds one pass at a time: it is not safe to
// train the same layer from two goroutines.
//
// Frozen parameters (RequiresGrad false) get no gradient and cost no
// gradient work; a layer whose parameters are all frozen keeps only what
// the input gradient needs.
type Layer interface {
	Module
	ForwardTrain(x *tensor.Tensor) *tensor.Tensor
	Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor
}

// gradOf returns p's gradient buffer, allocating it (zeroed) on first use,
// or nil when p is nil or frozen.
func gradOf(p *Parameter) []float32 {
	if p == nil || !p.RequiresGrad {
		return nil
	}
	if p.Grad == nil || !tensor.SameShape(p.Grad.Shape, p.Value.Shape) {
		p.Grad = tensor.New(p.Value.Shape...)
	}
	return p.Grad.Data
}

// Trainable reports whether p is non-nil and requires a gradient.
func (p *Parameter) Trainable() bool { return p != nil && p.RequiresGrad }

// RequiresGrad reports whether any parameter of m requires a gradient.
func RequiresGrad(m Stateful) bool {
	any := false
	m.Visit("", func(e Entry) {
		if e.Param != nil && e.Param.RequiresGrad {
			any = true
		}
	})
	return any
}

// SetRequiresGrad sets RequiresGrad on every parameter of m (freezing it
// with false), like PyTorch's requires_grad_.
func SetRequiresGrad(m Stateful, on bool) {
	m.Visit("", func(e Entry) {
		if e.Param != nil {
			e.Param.RequiresGrad = on
		}
	})
}

// ZeroGrad sets every allocated gradient of m to zero, like PyTorch's
// zero_grad(set_to_none=False); gradients not yet allocated stay nil.
func ZeroGrad(m Stateful) {
	m.Visit("", func(e Entry) {
		if e.Param != nil && e.Param.Grad != nil {
			clear(e.Param.Grad.Data)
		}
	})
}

// noForward reports a Backward without its ForwardTrain: a programming
// error, not an input error.
func noForward(layer string) {
	panic(fmt.Sprintf("nn: %s.Backward without a preceding ForwardTrain", layer))
}

func checkGrad(layer string, dy *tensor.Tensor, want []int) {
	if !tensor.SameShape(dy.Shape, want) {
		panic(&ShapeError{Layer: layer + " backward", Got: dy.Shape, Want: tensor.ShapeString(want)})
	}
}

var (
	_ Layer = (*Conv2d)(nil)
	_ Layer = (*BatchNorm2d)(nil)
	_ Layer = (*Linear)(nil)
	_ Layer = (*ReLU)(nil)
	_ Layer = (*MaxPool2d)(nil)
	_ Layer = (*AdaptiveAvgPool2d)(nil)
)
