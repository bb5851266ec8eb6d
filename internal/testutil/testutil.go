// Package testutil holds helpers shared by the tests that compare our
// numbers with PyTorch's.
package testutil

import (
	"fmt"
	"math"

	"github.com/resnetgo/resnet/tensor"
)

// Tolerance of SPEC §6 for whole networks and layers in float32: PyTorch
// and we sum the same products in a different order, so each output may
// differ by a few float32 ulps of the largest magnitudes involved.
const (
	RelTol = 1e-4
	AbsTol = 1e-5
)

// Compare returns an error if got and want differ in shape, or if
// max|got−want| > rel·max|want| + abs, or if one has a NaN the other lacks.
func Compare(got, want *tensor.Tensor, rel, abs float64) error {
	if !tensor.SameShape(got.Shape, want.Shape) {
		return fmt.Errorf("shape %v, want %v", got.Shape, want.Shape)
	}
	var maxRef, maxDiff float64
	worst := -1
	for i, w := range want.Data {
		g := got.Data[i]
		if math.IsNaN(float64(w)) != math.IsNaN(float64(g)) {
			return fmt.Errorf("element %d: got %v, want %v", i, g, w)
		}
		maxRef = math.Max(maxRef, math.Abs(float64(w)))
		if d := math.Abs(float64(g) - float64(w)); d > maxDiff {
			maxDiff, worst = d, i
		}
	}
	if bound := rel*maxRef + abs; maxDiff > bound {
		return fmt.Errorf("max |Δ| %.3g at element %d (got %v, want %v) exceeds %.3g (max |want| %.3g)",
			maxDiff, worst, got.Data[worst], want.Data[worst], bound, maxRef)
	}
	return nil
}

// Argmax returns the index of the largest value in each row of a (N, K) tensor.
func Argmax(t *tensor.Tensor) []int {
	n, k := t.Shape[0], t.Shape[1]
	out := make([]int, n)
	for i := 0; i < n; i++ {
		row := t.Data[i*k : (i+1)*k]
		for j, v := range row {
			if v > row[out[i]] {
				out[i] = j
			}
		}
	}
	return out
}

// MaxAbs returns max |x_i|.
func MaxAbs(x []float32) float64 {
	var m float64
	for _, v := range x {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// MaxDiff returns max |a_i − b_i| over the common length.
func MaxDiff(a, b []float32) float64 {
	var m float64
	for i := range min(len(a), len(b)) {
		m = math.Max(m, math.Abs(float64(a[i])-float64(b[i])))
	}
	return m
}
