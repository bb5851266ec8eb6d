// Package testnet builds the random networks and inputs that the engine's
// and the classifier's tests compare with the reference forward pass.
package testnet

import (
	"math/rand/v2"

	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// RandomBN gives every batch norm of m non-trivial statistics and affine
// parameters drawn from seed, so that folding them into the convolutions
// is tested (a fresh network's are the identity).
func RandomBN(m *models.ResNet, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	for _, bn := range m.BatchNorms() {
		for i := range bn.Weight.Value.Data {
			bn.Weight.Value.Data[i] = float32(0.5 + rng.Float64())
			bn.Bias.Value.Data[i] = float32(0.2 * rng.NormFloat64())
			bn.RunningMean.Data[i] = float32(0.2 * rng.NormFloat64())
			bn.RunningVar.Data[i] = float32(0.5 + rng.Float64())
		}
	}
}

// RandomInput returns an (n, c, h, w) tensor of standard normal values
// drawn from seed.
func RandomInput(n, c, h, w int, seed uint64) *tensor.Tensor {
	rng := rand.New(rand.NewPCG(seed, 1))
	x := tensor.New(n, c, h, w)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	return x
}
