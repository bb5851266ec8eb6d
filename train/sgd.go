package train

import "fmt"

// SGD is torch.optim.SGD (PyTorch 1.13, single-tensor path): for each
// parameter with a gradient g,
//
//	d = g + wd·p
//	buf = d on the first step, else momentum·buf + (1 − dampening)·d
//	d = d + momentum·buf (Nesterov) or buf
//	p = p − lr·d
//
// in float32 with the scalars rounded to float32, as PyTorch does.
type SGD struct{ base }

// NewSGD returns SGD over the groups. Nesterov needs a momentum and zero
// dampening, as in PyTorch.
func NewSGD(groups ...Group) (*SGD, error) {
	for i, g := range groups {
		if g.Nesterov && (g.Momentum <= 0 || g.Dampening != 0) {
			return nil, fmt.Errorf("train: SGD group %d: Nesterov momentum requires a momentum and zero dampening", i)
		}
	}
	b, err := newBase("SGD", groups)
	if err != nil {
		return nil, err
	}
	return &SGD{b}, nil
}

// Step applies one update.
func (o *SGD) Step() {
	for _, g := range o.groups {
		wd, mom := float32(g.WeightDecay), float32(g.Momentum)
		damp := float32(1 - g.Dampening)
		lr := float32(-g.LR)
		for _, p := range g.Params {
			if p.Grad == nil {
				continue
			}
			pv, gv := p.Value.Data, p.Grad.Data
			var buf []float32
			var had bool
			if g.Momentum != 0 {
				buf, had = o.buffer(p, "momentum_buffer", len(pv))
			}
			for i, d := range gv {
				if wd != 0 {
					d = fma32(pv[i], wd, d)
				}
				if buf != nil {
					if had {
						buf[i] = fma32(d, damp, buf[i]*mom)
					} else {
						buf[i] = d
					}
					if g.Nesterov {
						d = fma32(buf[i], mom, d)
					} else {
						d = buf[i]
					}
				}
				pv[i] = fma32(d, lr, pv[i])
			}
		}
	}
}
