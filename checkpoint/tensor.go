package checkpoint

import (
	"fmt"

	"github.com/resnetgo/resnet/tensor"
)

// DType is a tensor element type, named as PyTorch prints it without the
// "torch." prefix.
type DType string

// The element types this package reads. Floating types load into
// Tensor.F32, integer and bool types into Tensor.I64.
const (
	Float32  DType = "float32"
	Float16  DType = "float16"
	BFloat16 DType = "bfloat16"
	Float64  DType = "float64"
	Int64    DType = "int64"
	Int32    DType = "int32"
	Int16    DType = "int16"
	Int8     DType = "int8"
	Uint8    DType = "uint8"
	Bool     DType = "bool"
)

// IsFloat reports whether d is a floating-point type (held in F32).
func (d DType) IsFloat() bool {
	return d == Float32 || d == Float16 || d == BFloat16 || d == Float64
}

// Size returns the number of bytes one element takes in a file, or 0 for
// an unknown type.
func (d DType) Size() int {
	switch d {
	case Float64, Int64:
		return 8
	case Float32, Int32:
		return 4
	case Float16, BFloat16, Int16:
		return 2
	case Int8, Uint8, Bool:
		return 1
	}
	return 0
}

func (d DType) valid() bool { return d.Size() != 0 }

// Tensor is a dense, contiguous, row-major tensor read from or written to a
// checkpoint. Floating-point data of any width is held as float32 in F32;
// integer and bool data as int64 in I64. DType records the type in the file,
// and the writers convert back to it.
type Tensor struct {
	DType        DType
	Shape        []int
	F32          []float32
	I64          []int64
	RequiresGrad bool // set for nn.Parameter with requires_grad=True

	src *view // where the data lives while a file is being loaded
}

// FromTensor wraps t's data (without copying) as a float32 Tensor.
func FromTensor(t *tensor.Tensor) *Tensor {
	return &Tensor{DType: Float32, Shape: append([]int(nil), t.Shape...), F32: t.Data}
}

// Int64Tensor returns an int64 Tensor of the given shape and data, such as
// BatchNorm's num_batches_tracked (shape [] and one value).
func Int64Tensor(data []int64, shape ...int) *Tensor {
	return &Tensor{DType: Int64, Shape: append([]int{}, shape...), I64: data}
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int {
	n, _ := tensor.Numel(t.Shape)
	return n
}

// Float returns the tensor as a *tensor.Tensor, converting integer data to
// float32. Float data is shared, not copied.
func (t *Tensor) Float() *tensor.Tensor {
	if t.DType.IsFloat() || t.I64 == nil {
		return &tensor.Tensor{Shape: append([]int(nil), t.Shape...), Data: t.F32}
	}
	d := make([]float32, len(t.I64))
	for i, v := range t.I64 {
		d[i] = float32(v)
	}
	return &tensor.Tensor{Shape: append([]int(nil), t.Shape...), Data: d}
}

func (t *Tensor) String() string {
	return fmt.Sprintf("Tensor(%s, %s)", tensor.ShapeString(t.Shape), t.DType)
}

// check verifies that the data slice matches shape and dtype.
func (t *Tensor) check() error {
	if !t.DType.valid() {
		return fmt.Errorf("unknown dtype %q", t.DType)
	}
	n, err := tensor.Numel(t.Shape)
	if err != nil {
		return err
	}
	if t.DType.IsFloat() {
		if len(t.F32) != n {
			return fmt.Errorf("shape %s needs %d elements, F32 has %d", tensor.ShapeString(t.Shape), n, len(t.F32))
		}
	} else if len(t.I64) != n {
		return fmt.Errorf("shape %s needs %d elements, I64 has %d", tensor.ShapeString(t.Shape), n, len(t.I64))
	}
	return nil
}

// StateDict is a model's named tensors in order, as torch's
// Module.state_dict() returns them. Metadata holds a safetensors file's
// __metadata__ strings (nil for .pth files).
type StateDict struct {
	Keys     []string
	Tensors  map[string]*Tensor
	Metadata map[string]string
}

// NewStateDict returns an empty StateDict.
func NewStateDict() *StateDict { return &StateDict{Tensors: make(map[string]*Tensor)} }

// Add appends a tensor under key, or replaces the tensor of an existing key
// in place.
func (sd *StateDict) Add(key string, t *Tensor) {
	if sd.Tensors == nil {
		sd.Tensors = make(map[string]*Tensor)
	}
	if _, ok := sd.Tensors[key]; !ok {
		sd.Keys = append(sd.Keys, key)
	}
	sd.Tensors[key] = t
}

// Len returns the number of tensors.
func (sd *StateDict) Len() int { return len(sd.Keys) }
