package train

import (
	"encoding/json"
	"math"
	"os"
	"testing"

	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

type optimCase struct {
	Name   string
	Shapes [][]int
	Init   [][]float64
	Grads  [][][]float64
	After  [][][]float64
	LRs    [][]float64 `json:"lrs"`
}

type schedCase struct {
	Name    string
	BaseLRs []float64 `json:"base_lrs"`
	LRs     [][]float64
}

type ceCase struct {
	Smoothing float64
	Logits    []float64
	Targets   []int
	Loss      float64
	Grad      []float64
}

type reference struct {
	Torch        string
	Optimizers   []optimCase
	Schedules    []schedCase
	CrossEntropy []ceCase `json:"cross_entropy"`
}

// readReference loads testdata/optim.json (testdata/gen/train_optim.py).
func readReference(t *testing.T) reference {
	t.Helper()
	b, err := os.ReadFile("testdata/optim.json")
	if err != nil {
		t.Fatal(err)
	}
	var r reference
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

func toF32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func twoGroups(ps []*nn.Parameter, h0, h1 Hyper) []Group {
	return []Group{{Params: ps[:2], Hyper: h0}, {Params: ps[2:], Hyper: h1}}
}

// optimizers builds each reference case's optimiser (and schedule).
var optimizers = map[string]func(ps []*nn.Parameter) (Optimizer, Scheduler, error){
	"sgd": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		o, err := NewSGD(Group{Params: ps, Hyper: SGDDefaults(0.1)})
		return o, nil, err
	},
	"sgd_momentum_wd": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		o, err := NewSGD(Group{Params: ps, Hyper: Hyper{LR: 0.05, Momentum: 0.9, WeightDecay: 1e-4}})
		return o, nil, err
	},
	"sgd_dampening": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		o, err := NewSGD(Group{Params: ps, Hyper: Hyper{LR: 0.05, Momentum: 0.9, Dampening: 0.1}})
		return o, nil, err
	},
	"sgd_nesterov_wd": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		o, err := NewSGD(Group{Params: ps, Hyper: Hyper{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 5e-4}})
		return o, nil, err
	},
	"adamw": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		o, err := NewAdamW(Group{Params: ps, Hyper: AdamWDefaults(1e-3)})
		return o, nil, err
	},
	"adamw_groups": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		h := Hyper{LR: 1e-2, Beta1: 0.8, Beta2: 0.99, Eps: 1e-6, WeightDecay: 0.1}
		h1 := h
		h1.LR, h1.WeightDecay = 1e-3, 0
		o, err := NewAdamW(twoGroups(ps, h, h1)...)
		return o, nil, err
	},
	"sgd_groups_steplr": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		h := Hyper{LR: 0.01, Momentum: 0.9, WeightDecay: 1e-4}
		h1 := h
		h1.LR = 0.1
		o, err := NewSGD(twoGroups(ps, h, h1)...)
		if err != nil {
			return nil, nil, err
		}
		return o, NewStepLR(o, 3, 0.5), nil
	},
	"adamw_cosine": func(ps []*nn.Parameter) (Optimizer, Scheduler, error) {
		h := AdamWDefaults(3e-3)
		h.WeightDecay = 0.05
		o, err := NewAdamW(Group{Params: ps, Hyper: h})
		if err != nil {
			return nil, nil, err
		}
		return o, NewCosineAnnealingLR(o, 5, 1e-4), nil
	},
}

// optTol: parameters after each of 8 steps agree with torch.optim within
// 1e-7·max|p| (an ulp or two: PyTorch's vectorised kernels may fuse
// operations differently; 7 of the 8 cases are bit-identical); learning
// rates agree exactly.
const optTol = 1e-7

// TestOptimizersAgainstPyTorch runs every reference case for 8 steps.
func TestOptimizersAgainstPyTorch(t *testing.T) {
	ref := readReference(t)
	if len(ref.Optimizers) != len(optimizers) {
		t.Fatalf("%d reference cases, %d here", len(ref.Optimizers), len(optimizers))
	}
	for _, c := range ref.Optimizers {
		t.Run(c.Name, func(t *testing.T) {
			ps := make([]*nn.Parameter, len(c.Shapes))
			for i, s := range c.Shapes {
				ps[i] = &nn.Parameter{Value: &tensor.Tensor{Shape: s, Data: toF32(c.Init[i])}, RequiresGrad: true}
			}
			o, sched, err := optimizers[c.Name](ps)
			if err != nil {
				t.Fatal(err)
			}
			var worst float64
			for step := range c.Grads {
				for i, p := range ps {
					p.Grad = &tensor.Tensor{Shape: p.Value.Shape, Data: toF32(c.Grads[step][i])}
				}
				o.Step()
				if sched != nil {
					sched.Step()
				}
				for i, p := range ps {
					want := c.After[step][i]
					var m, d float64
					for j, w := range want {
						m = math.Max(m, math.Abs(w))
						d = math.Max(d, math.Abs(float64(p.Value.Data[j])-w))
					}
					worst = math.Max(worst, d/m)
					if d > optTol*m {
						t.Fatalf("step %d, parameter %d: max |Δ| %.3g (max |p| %.3g)", step+1, i, d, m)
					}
				}
				for g, grp := range o.Groups() {
					if grp.LR != c.LRs[step][g] {
						t.Fatalf("step %d: group %d lr %v, PyTorch %v", step+1, g, grp.LR, c.LRs[step][g])
					}
				}
			}
			t.Logf("largest |Δ|/max|p| over 8 steps: %.2g", worst)
		})
	}
}

// schedules builds each reference schedule on an optimiser.
var schedules = map[string]func(o Optimizer) (Scheduler, error){
	"step":      func(o Optimizer) (Scheduler, error) { return NewStepLR(o, 3, 0.1), nil },
	"multistep": func(o Optimizer) (Scheduler, error) { return NewMultiStepLR(o, []int{2, 5, 5, 9}, 0.5), nil },
	"cosine":    func(o Optimizer) (Scheduler, error) { return NewCosineAnnealingLR(o, 5, 0.001), nil },
	"linear":    func(o Optimizer) (Scheduler, error) { return NewLinearLR(o, 0.1, 1, 4) },
	"warmup_cosine": func(o Optimizer) (Scheduler, error) {
		w, err := NewLinearLR(o, 0.25, 1, 3)
		if err != nil {
			return nil, err
		}
		return NewSequentialLR(o, []Scheduler{w, NewCosineAnnealingLR(o, 8, 0)}, []int{3})
	},
	"warmup_multistep": func(o Optimizer) (Scheduler, error) {
		w, err := NewLinearLR(o, 0.1, 1, 2)
		if err != nil {
			return nil, err
		}
		return NewSequentialLR(o, []Scheduler{w, NewMultiStepLR(o, []int{3, 6}, 0.1)}, []int{2})
	},
	"chained": func(o Optimizer) (Scheduler, error) {
		w, err := NewLinearLR(o, 0.5, 1, 4)
		if err != nil {
			return nil, err
		}
		return NewChainedScheduler(o, w, NewStepLR(o, 3, 0.5)), nil
	},
}

// TestSchedulesAgainstPyTorch compares every group's learning rate after
// construction and each step with torch.optim.lr_scheduler: exactly.
func TestSchedulesAgainstPyTorch(t *testing.T) {
	ref := readReference(t)
	for _, c := range ref.Schedules {
		t.Run(c.Name, func(t *testing.T) {
			var groups []Group
			for _, lr := range c.BaseLRs {
				groups = append(groups, Group{Params: []*nn.Parameter{nn.NewParameter(1)}, Hyper: SGDDefaults(lr)})
			}
			o, err := NewSGD(groups...)
			if err != nil {
				t.Fatal(err)
			}
			s, err := schedules[c.Name](o)
			if err != nil {
				t.Fatal(err)
			}
			for step, want := range c.LRs {
				if step > 0 {
					o.Step()
					s.Step()
				}
				for g, grp := range o.Groups() {
					if grp.LR != want[g] {
						t.Fatalf("after %d steps: group %d lr %.17g, PyTorch %.17g", step, g, grp.LR, want[g])
					}
				}
			}
		})
	}
}

// TestCrossEntropyAgainstPyTorch: loss within 1e-6 relative, gradient
// within 1e-6·max|ref| + 1e-8, for label smoothing 0, 0.1 and 1.
func TestCrossEntropyAgainstPyTorch(t *testing.T) {
	for _, c := range readReference(t).CrossEntropy {
		n := len(c.Targets)
		logits := &tensor.Tensor{Shape: []int{n, len(c.Logits) / n}, Data: toF32(c.Logits)}
		loss, grad, err := CrossEntropy(logits, c.Targets, c.Smoothing)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(loss-c.Loss) > 1e-6*math.Abs(c.Loss) {
			t.Errorf("smoothing %g: loss %.8g, PyTorch %.8g", c.Smoothing, loss, c.Loss)
		}
		var m, d float64
		for i, w := range c.Grad {
			m = math.Max(m, math.Abs(w))
			d = math.Max(d, math.Abs(float64(grad.Data[i])-w))
		}
		if d > 1e-6*m+1e-8 {
			t.Errorf("smoothing %g: gradient max |Δ| %.3g (max %.3g)", c.Smoothing, d, m)
		}
	}
	bad := &tensor.Tensor{Shape: []int{2, 3}, Data: make([]float32, 6)}
	for _, targets := range [][]int{{0}, {0, 3}, {-1, 0}} {
		if _, _, err := CrossEntropy(bad, targets, 0); err == nil {
			t.Errorf("targets %v: no error", targets)
		}
	}
}

// TestResume checks that an optimiser and schedule restored from their
// State continue exactly as the uninterrupted run, and that a state from
// another model is refused.
func TestResume(t *testing.T) {
	newRun := func() ([]*nn.Parameter, Optimizer, Scheduler) {
		ps := []*nn.Parameter{nn.NewParameter(3, 2), nn.NewParameter(4)}
		for i, p := range ps {
			for j := range p.Value.Data {
				p.Value.Data[j] = float32(i+1) * float32(j%5-2) / 3
			}
		}
		h := AdamWDefaults(1e-2)
		h1 := h
		h1.LR = 1e-3
		o, err := NewAdamW(Group{Params: ps[:1], Hyper: h}, Group{Params: ps[1:], Hyper: h1})
		if err != nil {
			t.Fatal(err)
		}
		w, _ := NewLinearLR(o, 0.5, 1, 2)
		s, err := NewSequentialLR(o, []Scheduler{w, NewCosineAnnealingLR(o, 6, 0)}, []int{2})
		if err != nil {
			t.Fatal(err)
		}
		return ps, o, s
	}
	step := func(ps []*nn.Parameter, o Optimizer, s Scheduler, k int) {
		for _, p := range ps {
			p.Grad = tensor.New(p.Value.Shape...)
			for j := range p.Grad.Data {
				p.Grad.Data[j] = p.Value.Data[j] - float32(k%3)/4
			}
		}
		o.Step()
		s.Step()
	}
	psA, oA, sA := newRun()
	for k := 0; k < 8; k++ {
		step(psA, oA, sA, k)
	}
	psB, oB, sB := newRun()
	for k := 0; k < 3; k++ {
		step(psB, oB, sB, k)
	}
	ost, sst := oB.State(), sB.State()
	saved := [][]float32{append([]float32(nil), psB[0].Value.Data...), append([]float32(nil), psB[1].Value.Data...)}
	psC, oC, sC := newRun()
	copy(psC[0].Value.Data, saved[0])
	copy(psC[1].Value.Data, saved[1])
	if err := oC.LoadState(ost); err != nil {
		t.Fatal(err)
	}
	if err := sC.LoadState(sst); err != nil {
		t.Fatal(err)
	}
	for k := 3; k < 8; k++ {
		step(psC, oC, sC, k)
	}
	for i := range psA {
		for j, v := range psA[i].Value.Data {
			if psC[i].Value.Data[j] != v {
				t.Fatalf("parameter %d[%d]: resumed %v, uninterrupted %v", i, j, psC[i].Value.Data[j], v)
			}
		}
	}
	if a, c := sA.LastLR(), sC.LastLR(); a[0] != c[0] || a[1] != c[1] {
		t.Errorf("learning rates: resumed %v, uninterrupted %v", c, a)
	}
	other, err := NewAdamW(Group{Params: []*nn.Parameter{nn.NewParameter(5, 2), nn.NewParameter(4)}, Hyper: AdamWDefaults(1)})
	if err != nil {
		t.Fatal(err)
	}
	if err := other.LoadState(ost); err == nil {
		t.Error("state of another model loaded without error")
	}
	sgd, _ := NewSGD(Group{Params: psA, Hyper: SGDDefaults(1)})
	if err := sgd.LoadState(ost); err == nil {
		t.Error("AdamW state loaded into SGD without error")
	}
}
