package nn

import (
	"math"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
)

// BatchNorm2d is torch.nn.BatchNorm2d with affine parameters and running
// statistics. Forward uses the running statistics (eval mode).
type BatchNorm2d struct {
	Weight, Bias            *Parameter
	RunningMean, RunningVar *tensor.Tensor
	NumBatchesTracked       int64
	Eps, Momentum           float64
	// ReLU fuses a following ReLU into Forward.
	ReLU bool
}

// NewBatchNorm2d returns PyTorch's freshly-initialised batch norm: weight
// 1, bias 0, running mean 0, running variance 1, eps 1e-5, momentum 0.1.
func NewBatchNorm2d(c int) *BatchNorm2d {
	b := &BatchNorm2d{
		Weight: NewParameter(c), Bias: NewParameter(c),
		RunningMean: tensor.New(c), RunningVar: tensor.New(c),
		Eps: 1e-5, Momentum: 0.1,
	}
	fill(b.Weight.Value.Data, 1)
	fill(b.RunningVar.Data, 1)
	return b
}

// Forward: x (N, C, H, W) → same shape, a new tensor.
func (b *BatchNorm2d) Forward(x *tensor.Tensor) *tensor.Tensor {
	y := x.Clone()
	b.ForwardInPlace(y)
	return y
}

// ForwardInPlace normalises x (N, C, H, W) in place.
func (b *BatchNorm2d) ForwardInPlace(x *tensor.Tensor) {
	c := b.Weight.Value.Len()
	if x.Dims() != 4 || x.Shape[1] != c {
		shapePanic("BatchNorm2d", x.Shape, "(N, %d, H, W)", c)
	}
	scale, shift := b.Folded()
	kernels.ScaleShift(x.Data, x.Shape[0], c, x.Shape[2]*x.Shape[3], scale, shift, b.ReLU)
}

// Folded returns the per-channel scale and shift that eval-mode batch norm
// applies: scale = w/√(var+eps), shift = b − mean·scale (PyTorch's form).
func (b *BatchNorm2d) Folded() (scale, shift []float32) {
	c := b.Weight.Value.Len()
	scale, shift = make([]float32, c), make([]float32, c)
	for i := 0; i < c; i++ {
		inv := 1 / math.Sqrt(float64(b.RunningVar.Data[i])+b.Eps)
		s := float64(b.Weight.Value.Data[i]) * inv
		scale[i] = float32(s)
		shift[i] = float32(float64(b.Bias.Value.Data[i]) - float64(b.RunningMean.Data[i])*s)
	}
	return scale, shift
}

// Visit reports weight, bias, running_mean, running_var, num_batches_tracked.
func (b *BatchNorm2d) Visit(prefix string, fn func(Entry)) {
	fn(Entry{Name: prefix + "weight", Param: b.Weight})
	fn(Entry{Name: prefix + "bias", Param: b.Bias})
	fn(Entry{Name: prefix + "running_mean", Buffer: b.RunningMean})
	fn(Entry{Name: prefix + "running_var", Buffer: b.RunningVar})
	fn(Entry{Name: prefix + "num_batches_tracked", Count: &b.NumBatchesTracked})
}

func fill(x []float32, v float32) {
	for i := range x {
		x[i] = v
	}
}
