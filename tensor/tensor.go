// Package tensor holds Tensor, a dense float32 array with a shape, stored
// contiguously in row-major (C) order. For images and feature maps the
// shape is (N, C, H, W). The package does shape plumbing only; the math
// lives in internal/kernels and the layers in nn.
package tensor

import (
	"fmt"
	"math"
	"strings"
)

// Tensor is a contiguous row-major float32 array. The zero value is an
// empty tensor of shape () with no data. Data may be shared between
// tensors (see Reshape); Clone makes an independent copy.
type Tensor struct {
	Shape []int
	Data  []float32
}

// New returns a zero-filled tensor of the given shape. It panics if a
// dimension is negative; use FromData to validate untrusted shapes.
func New(shape ...int) *Tensor {
	n, err := Numel(shape)
	if err != nil {
		panic(err)
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: make([]float32, n)}
}

// FromData wraps data (without copying) as a tensor of the given shape.
func FromData(data []float32, shape ...int) (*Tensor, error) {
	n, err := Numel(shape)
	if err != nil {
		return nil, err
	}
	if n != len(data) {
		return nil, fmt.Errorf("tensor: shape %v needs %d elements, have %d", shape, n, len(data))
	}
	return &Tensor{Shape: append([]int(nil), shape...), Data: data}, nil
}

// Numel returns the number of elements of a shape, or an error if a
// dimension is negative or the product overflows.
func Numel(shape []int) (int, error) {
	n := 1
	for _, d := range shape {
		if d < 0 {
			return 0, fmt.Errorf("tensor: negative dimension in shape %v", shape)
		}
		if d != 0 && n > math.MaxInt/2/d { // at most half the int range (2⁶² on 64-bit systems)
			return 0, fmt.Errorf("tensor: shape %v is too large", shape)
		}
		n *= d
	}
	return n, nil
}

// Len returns the number of elements.
func (t *Tensor) Len() int { return len(t.Data) }

// Dims returns the number of dimensions.
func (t *Tensor) Dims() int { return len(t.Shape) }

// Reshape returns a tensor sharing t's data with a new shape. One
// dimension may be -1 and is inferred.
func (t *Tensor) Reshape(shape ...int) (*Tensor, error) {
	s := append([]int(nil), shape...)
	infer := -1
	known := 1
	for i, d := range s {
		if d == -1 {
			if infer >= 0 {
				return nil, fmt.Errorf("tensor: reshape %v: more than one -1", shape)
			}
			infer = i
			continue
		}
		if d < 0 {
			return nil, fmt.Errorf("tensor: reshape %v: negative dimension", shape)
		}
		known *= d
	}
	if infer >= 0 {
		if known == 0 || len(t.Data)%known != 0 {
			return nil, fmt.Errorf("tensor: cannot reshape %v into %v", t.Shape, shape)
		}
		s[infer] = len(t.Data) / known
	}
	return FromData(t.Data, s...)
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{Shape: append([]int(nil), t.Shape...), Data: append([]float32(nil), t.Data...)}
}

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// ShapeString formats a shape the way PyTorch prints torch.Size: [2, 3, 224, 224].
func ShapeString(shape []int) string {
	parts := make([]string, len(shape))
	for i, d := range shape {
		parts[i] = fmt.Sprint(d)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// String describes the tensor's shape (not its contents).
func (t *Tensor) String() string { return "Tensor" + ShapeString(t.Shape) }
