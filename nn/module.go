// Package nn holds the layers ResNets are made of — Conv2d, BatchNorm2d,
// Linear, pools, ReLU — with their parameters and buffers named exactly as
// in PyTorch's state_dict, and the machinery to visit and load them.
//
// A layer's Forward takes and returns NCHW tensors. For training, each
// layer is also a Layer: ForwardTrain keeps what Backward needs, Backward
// accumulates parameter gradients into Parameter.Grad and returns the
// input's gradient; frozen parameters (RequiresGrad false) cost no gradient
// work, and a frozen BatchNorm2d keeps its running statistics even in
// training mode. Shape errors inside a
// network are programming or input errors that are raised as a *ShapeError
// panic and turned into an ordinary error by Run at the model boundary.
package nn

import (
	"errors"
	"fmt"

	"github.com/resnetgo/resnet/tensor"
)

// Parameter is a learnable tensor. Grad is allocated by training code;
// RequiresGrad false freezes it.
type Parameter struct {
	Value        *tensor.Tensor
	Grad         *tensor.Tensor
	RequiresGrad bool
}

// NewParameter returns a zero-filled parameter of the given shape that
// requires a gradient.
func NewParameter(shape ...int) *Parameter {
	return &Parameter{Value: tensor.New(shape...), RequiresGrad: true}
}

// Entry is one item of a module's state: a parameter, a float buffer
// (running statistics) or an integer buffer (num_batches_tracked).
type Entry struct {
	Name   string
	Param  *Parameter     // non-nil for learnable parameters
	Buffer *tensor.Tensor // non-nil for float buffers
	Count  *int64         // non-nil for int64 scalar buffers
}

// Tensor returns the float tensor behind a parameter or buffer, or nil for
// an integer buffer.
func (e Entry) Tensor() *tensor.Tensor {
	if e.Param != nil {
		return e.Param.Value
	}
	return e.Buffer
}

// Shape returns the entry's shape; an integer buffer is a scalar ([]).
func (e Entry) Shape() []int {
	if t := e.Tensor(); t != nil {
		return t.Shape
	}
	return []int{}
}

// Stateful is anything with named parameters and buffers.
type Stateful interface {
	// Visit calls fn for every parameter and buffer, in state_dict order,
	// with its name prefixed by prefix (e.g. "layer1.0.").
	Visit(prefix string, fn func(Entry))
}

// Module is a layer or a composition of layers.
type Module interface {
	Stateful
	// Forward computes the layer's output for x.
	Forward(x *tensor.Tensor) *tensor.Tensor
}

// State returns every entry of m in state_dict order.
func State(m Stateful) []Entry {
	var out []Entry
	m.Visit("", func(e Entry) { out = append(out, e) })
	return out
}

// Parameters returns the learnable parameters of m in state_dict order.
func Parameters(m Stateful) []*Parameter {
	var out []*Parameter
	m.Visit("", func(e Entry) {
		if e.Param != nil {
			out = append(out, e.Param)
		}
	})
	return out
}

// NumParams counts the elements of all learnable parameters, like
// sum(p.numel() for p in model.parameters()).
func NumParams(m Stateful) int {
	n := 0
	for _, p := range Parameters(m) {
		n += p.Value.Len()
	}
	return n
}

// ShapeError reports an input whose shape a layer cannot take.
type ShapeError struct {
	Layer string
	Got   []int
	Want  string
}

func (e *ShapeError) Error() string {
	return fmt.Sprintf("nn: %s: input shape %s, want %s", e.Layer, tensor.ShapeString(e.Got), e.Want)
}

func shapePanic(layer string, got []int, format string, args ...any) {
	panic(&ShapeError{Layer: layer, Got: got, Want: fmt.Sprintf(format, args...)})
}

// Run calls fn and converts a *ShapeError panic raised by a layer into a
// returned error. Other panics propagate.
func Run(fn func() *tensor.Tensor) (out *tensor.Tensor, err error) {
	defer func() {
		if r := recover(); r != nil {
			var se *ShapeError
			if e, ok := r.(error); ok && errors.As(e, &se) {
				err = se
				return
			}
			panic(r)
		}
	}()
	return fn(), nil
}
