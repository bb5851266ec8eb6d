package train

import (
	"fmt"
	"math"

	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// Hyper holds one parameter group's hyperparameters. SGD reads LR,
// Momentum, Dampening, Nesterov and WeightDecay; AdamW reads LR, Beta1,
// Beta2, Eps and WeightDecay (decoupled: p ← p·(1 − lr·wd)).
type Hyper struct {
	LR          float64
	WeightDecay float64
	Momentum    float64
	Dampening   float64
	Nesterov    bool
	Beta1       float64
	Beta2       float64
	Eps         float64
}

// SGDDefaults are torch.optim.SGD's defaults for a learning rate.
func SGDDefaults(lr float64) Hyper { return Hyper{LR: lr} }

// AdamWDefaults are torch.optim.AdamW's defaults for a learning rate:
// betas (0.9, 0.999), eps 1e-8, weight decay 1e-2.
func AdamWDefaults(lr float64) Hyper {
	return Hyper{LR: lr, Beta1: 0.9, Beta2: 0.999, Eps: 1e-8, WeightDecay: 1e-2}
}

// Group is a parameter group: parameters that share hyperparameters, as
// in PyTorch's param_groups (e.g. a smaller learning rate for a
// pretrained backbone than for a new head). Schedulers change LR;
// InitialLR is PyTorch's initial_lr, set by the first scheduler.
type Group struct {
	Params []*nn.Parameter
	Hyper
	InitialLR float64
}

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient
	// (Grad non-nil), like torch.optim's step().
	Step()
	// ZeroGrad zeroes every gradient (set_to_none=False).
	ZeroGrad()
	// Groups returns the parameter groups; schedulers set their LR.
	Groups() []*Group
	// State returns a copy of the optimiser's state for a checkpoint.
	State() *State
	// LoadState restores a state from State, checking that it fits.
	LoadState(*State) error
}

// State is an optimiser's resumable state, laid out like PyTorch's
// optimizer.state_dict(): per group its hyperparameters and the global
// indices of its parameters, and per parameter index its buffers
// ("momentum_buffer"; "exp_avg", "exp_avg_sq", "step") under "INDEX.NAME".
type State struct {
	Kind    string // "SGD" or "AdamW"
	Groups  []GroupState
	Buffers map[string]*tensor.Tensor
}

// GroupState is one group's hyperparameters and parameter indices.
type GroupState struct {
	Hyper
	InitialLR float64
	Params    []int
}

// base is what both optimisers share.
type base struct {
	kind   string
	groups []*Group
	// buffers per parameter, by name; absent until the first step.
	state map[*nn.Parameter]map[string][]float32
}

func newBase(kind string, groups []Group) (base, error) {
	b := base{kind: kind, state: map[*nn.Parameter]map[string][]float32{}}
	seen := map[*nn.Parameter]bool{}
	for i := range groups {
		g := groups[i]
		if g.LR < 0 || g.WeightDecay < 0 || g.Momentum < 0 || math.IsNaN(g.LR) {
			return base{}, fmt.Errorf("train: %s group %d: invalid hyperparameters %+v", kind, i, g.Hyper)
		}
		for _, p := range g.Params {
			if seen[p] {
				return base{}, fmt.Errorf("train: %s: a parameter appears in more than one group", kind)
			}
			seen[p] = true
		}
		b.groups = append(b.groups, &g)
	}
	return b, nil
}

// Groups returns the parameter groups.
func (b *base) Groups() []*Group { return b.groups }

// ZeroGrad zeroes every allocated gradient.
func (b *base) ZeroGrad() {
	for _, g := range b.groups {
		for _, p := range g.Params {
			if p.Grad != nil {
				clear(p.Grad.Data)
			}
		}
	}
}

// State copies the hyperparameters and buffers.
func (b *base) State() *State {
	s := &State{Kind: b.kind, Buffers: map[string]*tensor.Tensor{}}
	idx := 0
	for _, g := range b.groups {
		gs := GroupState{Hyper: g.Hyper, InitialLR: g.InitialLR}
		for _, p := range g.Params {
			gs.Params = append(gs.Params, idx)
			for name, buf := range b.state[p] {
				shape := p.Value.Shape
				if len(buf) == 1 && name == "step" {
					shape = []int{}
				}
				s.Buffers[fmt.Sprintf("%d.%s", idx, name)] = &tensor.Tensor{Shape: append([]int(nil), shape...), Data: append([]float32(nil), buf...)}
			}
			idx++
		}
		s.Groups = append(s.Groups, gs)
	}
	return s
}

// LoadState restores hyperparameters and buffers. It fails, changing
// nothing, if the state is another optimiser's or does not fit the
// groups (a checkpoint of another architecture).
func (b *base) LoadState(s *State) error {
	if s.Kind != b.kind {
		return fmt.Errorf("train: optimiser state is %s's, not %s's", s.Kind, b.kind)
	}
	if len(s.Groups) != len(b.groups) {
		return fmt.Errorf("train: optimiser state has %d parameter groups, the optimiser %d", len(s.Groups), len(b.groups))
	}
	state := map[*nn.Parameter]map[string][]float32{}
	idx := 0
	for gi, g := range b.groups {
		if len(s.Groups[gi].Params) != len(g.Params) {
			return fmt.Errorf("train: optimiser state group %d has %d parameters, the optimiser %d", gi, len(s.Groups[gi].Params), len(g.Params))
		}
		for _, p := range g.Params {
			for _, name := range []string{"momentum_buffer", "exp_avg", "exp_avg_sq", "step"} {
				t, ok := s.Buffers[fmt.Sprintf("%d.%s", idx, name)]
				if !ok {
					continue
				}
				if name != "step" && len(t.Data) != p.Value.Len() {
					return fmt.Errorf("train: optimiser state %d.%s has %d values, parameter %d has shape %s",
						idx, name, len(t.Data), idx, tensor.ShapeString(p.Value.Shape))
				}
				if state[p] == nil {
					state[p] = map[string][]float32{}
				}
				state[p][name] = append([]float32(nil), t.Data...)
			}
			idx++
		}
	}
	for gi, g := range b.groups {
		g.Hyper, g.InitialLR = s.Groups[gi].Hyper, s.Groups[gi].InitialLR
	}
	b.state = state
	return nil
}

// buffer returns p's named buffer, and whether it existed before.
func (b *base) buffer(p *nn.Parameter, name string, n int) ([]float32, bool) {
	st := b.state[p]
	if st == nil {
		st = map[string][]float32{}
		b.state[p] = st
	}
	buf, ok := st[name]
	if !ok {
		buf = make([]float32, n)
		st[name] = buf
	}
	return buf, ok
}

// fma32 is a fused multiply-add rounded once to float32, as PyTorch's
// vectorised CPU kernels compute add(x, y, alpha) (vec::fmadd).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}
