package kernels

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestConv2dBackwardIsAdjoint checks the backward kernels by the adjoint
// identities of a convolution, which is linear in x and in w separately:
// ⟨conv(x, w), dy⟩ = ⟨x, dx⟩ = ⟨w, dw⟩ (sums in float64, relative 1e-5),
// over strides, padding, dilation, groups and 1×1 fast paths.
func TestConv2dBackwardIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	cases := []ConvParams{
		{InC: 3, OutC: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{InC: 4, OutC: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 0, DilH: 2, DilW: 1, Groups: 2},
		{InC: 6, OutC: 3, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 3},
		{InC: 5, OutC: 7, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Groups: 1},
		{InC: 8, OutC: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Groups: 8},
		{InC: 3, OutC: 2, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1, Groups: 1},
	}
	randn := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	dot := func(a, b []float32) float64 {
		var s float64
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	for i, p := range cases {
		n, h, w := 2, 9, 8
		oh, ow := p.OutSize(h, w)
		x := randn(n * p.InC * h * w)
		wt := randn(p.OutC * p.InC / p.Groups * p.KH * p.KW)
		dy := randn(n * p.OutC * oh * ow)
		y := make([]float32, len(dy))
		Conv2d(&p, n, h, w, x, wt, nil, y)
		dx := make([]float32, len(x))
		for j := range dx {
			dx[j] = float32(math.NaN()) // must be overwritten
		}
		dw := make([]float32, len(wt))
		db := make([]float32, p.OutC)
		Conv2dBackward(&p, n, h, w, x, wt, dy, dx, dw, db)
		ref := dot(y, dy)
		for name, got := range map[string]float64{"dx": dot(x, dx), "dw": dot(wt, dw)} {
			if math.Abs(got-ref) > 1e-5*math.Abs(ref)+1e-4 {
				t.Errorf("case %d: ⟨conv, dy⟩ = %.8g, ⟨·, %s⟩ = %.8g", i, ref, name, got)
			}
		}
		var sum float64
		for _, v := range dy {
			sum += float64(v)
		}
		var dbs float64
		for _, v := range db {
			dbs += float64(v)
		}
		if math.Abs(sum-dbs) > 1e-4 {
			t.Errorf("case %d: Σ db = %g, Σ dy = %g", i, dbs, sum)
		}
	}
}
