package train

import (
	"fmt"
	"math"
)

// AdamW is torch.optim.AdamW (PyTorch 1.13, single-tensor path, no
// amsgrad): for each parameter with a gradient g, at step t (counted per
// parameter from 1),
//
//	p = p·(1 − lr·wd)
//	m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²   (both start at 0)
//	p = p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
//
// with the bias corrections in float64 and the tensor arithmetic in
// float32, in PyTorch's order.
type AdamW struct{ base }

// NewAdamW returns AdamW over the groups.
func NewAdamW(groups ...Group) (*AdamW, error) {
	for i, g := range groups {
		if g.Beta1 < 0 || g.Beta1 >= 1 || g.Beta2 < 0 || g.Beta2 >= 1 || g.Eps < 0 {
			return nil, fmt.Errorf("train: AdamW group %d: invalid betas (%g, %g) or eps %g", i, g.Beta1, g.Beta2, g.Eps)
		}
	}
	b, err := newBase("AdamW", groups)
	if err != nil {
		return nil, err
	}
	return &AdamW{b}, nil
}

// Step applies one update.
func (o *AdamW) Step() {
	for _, g := range o.groups {
		decay := float32(1 - g.LR*g.WeightDecay)
		b1, b2 := float32(g.Beta1), float32(g.Beta2)
		c1, c2 := float32(1-g.Beta1), float32(1-g.Beta2)
		eps := float32(g.Eps)
		for _, p := range g.Params {
			if p.Grad == nil {
				continue
			}
			pv, gv := p.Value.Data, p.Grad.Data
			m, _ := o.buffer(p, "exp_avg", len(pv))
			v, _ := o.buffer(p, "exp_avg_sq", len(pv))
			st, _ := o.buffer(p, "step", 1)
			st[0]++ // PyTorch keeps the step as a float32 tensor
			t := float64(st[0])
			bc1 := 1 - math.Pow(g.Beta1, t)
			bc2 := 1 - math.Pow(g.Beta2, t)
			step := float32(-g.LR / bc1)
			bc2s := float32(math.Sqrt(bc2))
			for i, gr := range gv {
				pv[i] *= decay
				m[i] = fma32(gr, c1, m[i]*b1)
				v[i] = v[i]*b2 + c2*gr*gr
				denom := float32(math.Sqrt(float64(v[i])))/bc2s + eps
				pv[i] += step * m[i] / denom
			}
		}
	}
}
