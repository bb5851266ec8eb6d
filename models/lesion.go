package models

import (
	"context"
	"fmt"

	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Lesion studies (Veit et al. 2016, "Residual Networks Behave Like
// Ensembles of Relatively Shallow Networks") remove blocks from a trained
// network at test time and measure the damage. This file adds that to
// ResNet without touching its own forward pass: ForwardLesioned runs the
// network with some blocks replaced by what is left of them.

// BlockRef names one block: Stage is 0 for layer1, Index counts within the
// stage from 0, as in the state_dict key "layer{Stage+1}.{Index}".
type BlockRef struct {
	Stage, Index int
}

// String returns the block's state_dict prefix, e.g. "layer2.0".
func (r BlockRef) String() string { return fmt.Sprintf("layer%d.%d", r.Stage+1, r.Index) }

// BlockRefs returns every block of the network in forward order.
func (m *ResNet) BlockRefs() []BlockRef {
	var refs []BlockRef
	for s, st := range m.Stages {
		for i := range st {
			refs = append(refs, BlockRef{s, i})
		}
	}
	return refs
}

// Block returns the block r names, or an error if there is none.
func (m *ResNet) Block(r BlockRef) (*Block, error) {
	if r.Stage < 0 || r.Stage >= len(m.Stages) || r.Index < 0 || r.Index >= len(m.Stages[r.Stage]) {
		return nil, fmt.Errorf("models: %s has no block %s", m.Config.Name, r)
	}
	return m.Stages[r.Stage][r.Index], nil
}

// ChangesShape reports whether the block's output differs in shape from
// its input (a stride or a change of width): the first block of layer2
// and later stages.
func (b *Block) ChangesShape() bool { return b.stride != 1 || b.Conv1.InC != b.outC }

// Bypass is what is left of the block when its residual branch is
// removed: ReLU(shortcut(x)). The shortcut is the identity, option A's
// stride-2 subsample with zero-padded channels, or option B's projection.
// A plain block has no shortcut; it is replaced by the identity, or, when
// it changes the shape, by option A's parameter-free subsample-and-pad
// (the only map from its input to its output shape that has no weights).
// x: (N, in, H, W) → (N, out, H/stride, W/stride).
func (b *Block) Bypass(x *tensor.Tensor) *tensor.Tensor {
	if x.Dims() != 4 || x.Shape[1] != b.Conv1.InC {
		panic(&nn.ShapeError{Layer: "block bypass", Got: x.Shape, Want: fmt.Sprintf("(N, %d, H, W)", b.Conv1.InC)})
	}
	var y *tensor.Tensor
	switch {
	case !b.ChangesShape():
		y = x.Clone()
	case b.Downsample != nil:
		y = b.Downsample.Conv.Forward(x)
		b.Downsample.BN.ForwardInPlace(y)
	default:
		// The main path's 3×3 convolutions (padding 1) give ⌊(H−1)/stride⌋+1.
		oh, ow := (x.Shape[2]-1)/b.stride+1, (x.Shape[3]-1)/b.stride+1
		y = padSubsample(x, []int{x.Shape[0], b.outC, oh, ow})
	}
	// The block ends in a ReLU after the addition. Its input came out of
	// a ReLU, so for the identity and option A this changes nothing.
	for i, v := range y.Data {
		if !(v > 0) {
			y.Data[i] = 0
		}
	}
	return y
}

// ForwardLesioned is Forward with the blocks in removed replaced by their
// Bypass: the residual branch is dropped and the shortcut kept (Veit et
// al.'s lesion), and a plain network's block becomes the identity (or the
// parameter-free subsample-and-pad where it changes the shape). Forward
// itself is unaffected. x: (N, InChannels, H, W) → logits (N, NumClasses).
func (m *ResNet) ForwardLesioned(ctx context.Context, x *tensor.Tensor, removed []BlockRef) (*tensor.Tensor, error) {
	skip := map[BlockRef]bool{}
	for _, r := range removed {
		if _, err := m.Block(r); err != nil {
			return nil, err
		}
		skip[r] = true
	}
	f, err := m.features(ctx, x, skip)
	if err != nil {
		return nil, err
	}
	return m.Head(f)
}
