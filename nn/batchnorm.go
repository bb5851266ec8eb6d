package nn

import (
	"math"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/tensor"
)

// BatchNorm2d is torch.nn.BatchNorm2d with affine parameters and running
// statistics. Forward uses the running statistics (eval mode); so does
// ForwardTrain unless Training is set.
type BatchNorm2d struct {
	Weight, Bias            *Parameter
	RunningMean, RunningVar *tensor.Tensor
	NumBatchesTracked       int64
	Eps, Momentum           float64
	// ReLU fuses a following ReLU into Forward and ForwardTrain.
	ReLU bool
	// Training makes ForwardTrain normalise with the batch's statistics
	// and update the running ones (PyTorch's train mode). A batch norm
	// whose weight and bias are both frozen stays in eval mode regardless:
	// a frozen part of a network keeps its statistics fixed (unlike
	// PyTorch, where they drift unless the module is put in eval mode).
	Training bool

	saved bnSaved // between ForwardTrain and Backward
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

// BatchStats reports whether ForwardTrain normalises with batch
// statistics: Training is set and the layer is not frozen.
func (b *BatchNorm2d) BatchStats() bool {
	return b.Training && (b.Weight.Trainable() || b.Bias.Trainable())
}

// bnSaved is what BatchNorm2d keeps between ForwardTrain and Backward.
type bnSaved struct {
	x, y         *tensor.Tensor // y only with ReLU (its mask); x nil when no gradient needs it
	mean, invstd []float64
	batch, ok    bool
}

// ForwardTrain: x (N, C, H, W) → y, a new tensor. With batch statistics
// (see BatchStats) it normalises by the batch mean and biased variance,
// then updates running_mean and running_var (with the unbiased variance)
// by Momentum and counts the batch in NumBatchesTracked, as PyTorch does.
func (b *BatchNorm2d) ForwardTrain(x *tensor.Tensor) *tensor.Tensor {
	c := b.Weight.Value.Len()
	if x.Dims() != 4 || x.Shape[1] != c {
		shapePanic("BatchNorm2d", x.Shape, "(N, %d, H, W)", c)
	}
	n, plane := x.Shape[0], x.Shape[2]*x.Shape[3]
	s := bnSaved{mean: make([]float64, c), invstd: make([]float64, c), batch: b.BatchStats(), ok: true}
	var scale, shift []float32
	if s.batch {
		cnt := n * plane
		if cnt <= 1 {
			shapePanic("BatchNorm2d", x.Shape, "more than 1 value per channel when training")
		}
		variance := make([]float64, c)
		kernels.BatchNormStats(x.Data, n, c, plane, s.mean, variance)
		kernels.InvStd(variance, b.Eps, s.invstd)
		m := b.Momentum
		unbias := float64(cnt) / float64(cnt-1)
		scale, shift = make([]float32, c), make([]float32, c)
		for i := 0; i < c; i++ {
			rm, rv := &b.RunningMean.Data[i], &b.RunningVar.Data[i]
			*rm = float32(m*s.mean[i] + (1-m)*float64(*rm))
			*rv = float32(m*variance[i]*unbias + (1-m)*float64(*rv))
			// PyTorch keeps mean and invstd as float32 and folds them
			// into a scale and shift in float32.
			mean32, is32 := float32(s.mean[i]), float32(s.invstd[i])
			s.mean[i], s.invstd[i] = float64(mean32), float64(is32)
			scale[i] = is32 * b.Weight.Value.Data[i]
			shift[i] = b.Bias.Value.Data[i] - mean32*scale[i]
		}
		b.NumBatchesTracked++
	} else {
		for i := 0; i < c; i++ {
			s.mean[i] = float64(b.RunningMean.Data[i])
			s.invstd[i] = 1 / math.Sqrt(float64(b.RunningVar.Data[i])+b.Eps)
		}
		scale, shift = b.Folded()
	}
	y := &tensor.Tensor{Shape: append([]int(nil), x.Shape...), Data: make([]float32, len(x.Data))}
	kernels.ScaleShiftTo(y.Data, x.Data, n, c, plane, scale, shift, b.ReLU)
	if s.batch || b.Weight.Trainable() {
		s.x = x
	}
	if b.ReLU {
		s.y = y
	}
	b.saved = s
	return y
}

// Backward: dy (N, C, H, W) → dx. See Layer.
func (b *BatchNorm2d) Backward(dy *tensor.Tensor, needDX bool) *tensor.Tensor {
	s := b.saved
	b.saved = bnSaved{}
	if !s.ok {
		noForward("BatchNorm2d")
	}
	shape := dy.Shape
	if s.x != nil {
		shape = s.x.Shape
	}
	checkGrad("BatchNorm2d", dy, shape)
	c := b.Weight.Value.Len()
	n, plane := shape[0], shape[2]*shape[3]
	var dx *tensor.Tensor
	var dxd, yd []float32
	if needDX {
		dx = tensor.New(shape...)
		dxd = dx.Data
	}
	if s.y != nil {
		yd = s.y.Data
	}
	dw, db := gradOf(b.Weight), gradOf(b.Bias)
	if s.x == nil {
		// Frozen weight, eval mode: dx = dy·w·invstd, masked by the ReLU.
		if db != nil {
			for i, g := range dy.Data {
				if yd == nil || yd[i] > 0 {
					db[(i/plane)%c] += g
				}
			}
		}
		if dx != nil {
			scale, _ := b.Folded()
			for i := range dxd {
				if yd != nil && yd[i] <= 0 {
					continue
				}
				dxd[i] = dy.Data[i] * scale[(i/plane)%c]
			}
		}
		return dx
	}
	kernels.BatchNormBackward(s.x.Data, yd, dy.Data, n, c, plane, s.mean, s.invstd, b.Weight.Value.Data,
		s.batch, dxd, dw, db)
	return dx
}
