package train

import (
	"fmt"
	"math"
	"sort"
)

// Scheduler changes the optimiser's learning rates once per Step, as the
// classes of torch.optim.lr_scheduler do (PyTorch 1.13), including their
// recursive ("chainable") forms, so that the numbers agree to the last
// bit with PyTorch's. Call Step after the optimiser's Step.
type Scheduler interface {
	Step()
	// LastLR returns each group's learning rate after the last Step.
	LastLR() []float64
	// State returns the schedule's position for a checkpoint.
	State() SchedulerState
	// LoadState restores a position from State.
	LoadState(SchedulerState) error
}

// SchedulerState is a schedule's resumable position (PyTorch's
// scheduler.state_dict()): epoch counter, step count, base rates, the
// last rates, and those of the schedules it wraps.
type SchedulerState struct {
	LastEpoch int
	StepCount int
	BaseLRs   []float64
	LastLR    []float64
	Children  []SchedulerState `json:",omitempty"`
}

// schedule is PyTorch's _LRScheduler: the state and step logic every
// schedule shares; getLR is the recursive form, closedForm the direct one.
type schedule struct {
	opt        Optimizer
	baseLRs    []float64
	lastEpoch  int
	stepCount  int
	lastLR     []float64
	getLR      func() []float64
	closedForm func() []float64
}

func (s *schedule) init(opt Optimizer) {
	s.opt = opt
	for _, g := range opt.Groups() {
		if g.InitialLR == 0 {
			g.InitialLR = g.LR // group.setdefault('initial_lr', group['lr'])
		}
		s.baseLRs = append(s.baseLRs, g.InitialLR)
	}
	s.lastEpoch = -1
	s.initialStep()
}

func (s *schedule) initialStep() {
	s.stepCount = 0
	s.Step()
}

func (s *schedule) lrs() []float64 {
	var l []float64
	for _, g := range s.opt.Groups() {
		l = append(l, g.LR)
	}
	return l
}

// Step advances the schedule by one.
func (s *schedule) Step() { s.step(nil) }

func (s *schedule) step(epoch *int) {
	s.stepCount++
	var values []float64
	if epoch == nil {
		s.lastEpoch++
		values = s.getLR()
	} else {
		s.lastEpoch = *epoch
		if s.closedForm != nil {
			values = s.closedForm()
		} else {
			values = s.getLR()
		}
	}
	for i, g := range s.opt.Groups() {
		g.LR = values[i]
	}
	s.lastLR = s.lrs()
}

// LastLR returns the rates after the last Step.
func (s *schedule) LastLR() []float64 { return append([]float64(nil), s.lastLR...) }

// State returns the schedule's position.
func (s *schedule) State() SchedulerState {
	return SchedulerState{LastEpoch: s.lastEpoch, StepCount: s.stepCount,
		BaseLRs: append([]float64(nil), s.baseLRs...), LastLR: s.LastLR()}
}

// LoadState restores a position.
func (s *schedule) LoadState(st SchedulerState) error {
	if len(st.BaseLRs) != len(s.baseLRs) {
		return fmt.Errorf("train: schedule state for %d parameter groups, the optimiser has %d", len(st.BaseLRs), len(s.baseLRs))
	}
	s.lastEpoch, s.stepCount = st.LastEpoch, st.StepCount
	s.baseLRs = append([]float64(nil), st.BaseLRs...)
	s.lastLR = append([]float64(nil), st.LastLR...)
	return nil
}

func (s *schedule) mapLR(f func(i int, lr float64) float64) []float64 {
	l := s.lrs()
	for i := range l {
		l[i] = f(i, l[i])
	}
	return l
}

// StepLR multiplies the rate by Gamma every StepSize steps.
type StepLR struct {
	schedule
	StepSize int
	Gamma    float64
}

// NewStepLR is torch.optim.lr_scheduler.StepLR(opt, stepSize, gamma).
func NewStepLR(opt Optimizer, stepSize int, gamma float64) *StepLR {
	s := &StepLR{StepSize: max(stepSize, 1), Gamma: gamma}
	s.getLR = func() []float64 {
		if s.lastEpoch == 0 || s.lastEpoch%s.StepSize != 0 {
			return s.lrs()
		}
		return s.mapLR(func(_ int, lr float64) float64 { return lr * s.Gamma })
	}
	s.closedForm = func() []float64 {
		return s.mapLR(func(i int, _ float64) float64 {
			return s.baseLRs[i] * math.Pow(s.Gamma, float64(s.lastEpoch/s.StepSize))
		})
	}
	s.init(opt)
	return s
}

// MultiStepLR multiplies the rate by Gamma at each milestone (a milestone
// listed k times multiplies by Gammaᵏ).
type MultiStepLR struct {
	schedule
	Milestones []int
	Gamma      float64
}

// NewMultiStepLR is torch.optim.lr_scheduler.MultiStepLR(opt, milestones, gamma).
func NewMultiStepLR(opt Optimizer, milestones []int, gamma float64) *MultiStepLR {
	ms := append([]int(nil), milestones...)
	sort.Ints(ms)
	s := &MultiStepLR{Milestones: ms, Gamma: gamma}
	count := func(e int) int {
		n := 0
		for _, m := range s.Milestones {
			if m == e {
				n++
			}
		}
		return n
	}
	s.getLR = func() []float64 {
		k := count(s.lastEpoch)
		if k == 0 {
			return s.lrs()
		}
		return s.mapLR(func(_ int, lr float64) float64 { return lr * math.Pow(s.Gamma, float64(k)) })
	}
	s.closedForm = func() []float64 {
		k := sort.SearchInts(s.Milestones, s.lastEpoch+1) // bisect_right
		return s.mapLR(func(i int, _ float64) float64 { return s.baseLRs[i] * math.Pow(s.Gamma, float64(k)) })
	}
	s.init(opt)
	return s
}

// CosineAnnealingLR anneals the rate from its base to EtaMin over TMax
// steps along half a cosine (and back up over the next TMax, as PyTorch's
// recursive form does).
type CosineAnnealingLR struct {
	schedule
	TMax   int
	EtaMin float64
}

// NewCosineAnnealingLR is torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max, eta_min).
func NewCosineAnnealingLR(opt Optimizer, tMax int, etaMin float64) *CosineAnnealingLR {
	s := &CosineAnnealingLR{TMax: max(tMax, 1), EtaMin: etaMin}
	T := func() float64 { return float64(s.TMax) }
	s.getLR = func() []float64 {
		e := s.lastEpoch
		switch {
		case e == 0:
			return s.lrs()
		case s.stepCount == 1 && e > 0:
			return s.mapLR(func(i int, _ float64) float64 {
				return s.EtaMin + (s.baseLRs[i]-s.EtaMin)*(1+cosine(float64(e)*math.Pi/T()))/2
			})
		case pyMod(e-1-s.TMax, 2*s.TMax) == 0:
			return s.mapLR(func(i int, lr float64) float64 {
				return lr + (s.baseLRs[i]-s.EtaMin)*(1-cosine(math.Pi/T()))/2
			})
		}
		return s.mapLR(func(_ int, lr float64) float64 {
			return (1+cosine(math.Pi*float64(e)/T()))/(1+cosine(math.Pi*float64(e-1)/T()))*(lr-s.EtaMin) + s.EtaMin
		})
	}
	s.closedForm = func() []float64 {
		return s.mapLR(func(i int, _ float64) float64 {
			return s.EtaMin + (s.baseLRs[i]-s.EtaMin)*(1+cosine(math.Pi*float64(s.lastEpoch)/T()))/2
		})
	}
	s.init(opt)
	return s
}

// pyMod is Python's %, whose result has the divisor's sign.
func pyMod(a, b int) int {
	m := a % b
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

// LinearLR scales the rate by a factor moving linearly from Start to End
// over TotalIters steps: the usual linear warm-up.
type LinearLR struct {
	schedule
	Start, End float64
	TotalIters int
}

// NewLinearLR is torch.optim.lr_scheduler.LinearLR(opt, start_factor,
// end_factor, total_iters). PyTorch's defaults are 1/3, 1 and 5.
func NewLinearLR(opt Optimizer, start, end float64, totalIters int) (*LinearLR, error) {
	if start <= 0 || start > 1 || end < 0 || end > 1 {
		return nil, fmt.Errorf("train: LinearLR factors %g → %g outside (0, 1]", start, end)
	}
	s := &LinearLR{Start: start, End: end, TotalIters: totalIters}
	s.getLR = func() []float64 {
		e := s.lastEpoch
		switch {
		case e == 0:
			return s.mapLR(func(_ int, lr float64) float64 { return lr * s.Start })
		case e > s.TotalIters:
			return s.lrs()
		}
		return s.mapLR(func(_ int, lr float64) float64 {
			return lr * (1. + (s.End-s.Start)/(float64(s.TotalIters)*s.Start+float64(e-1)*(s.End-s.Start)))
		})
	}
	s.closedForm = func() []float64 {
		return s.mapLR(func(i int, _ float64) float64 {
			return s.baseLRs[i] * (s.Start + (s.End-s.Start)*float64(min(s.TotalIters, s.lastEpoch))/float64(s.TotalIters))
		})
	}
	s.init(opt)
	return s, nil
}

// child is what SequentialLR needs of the schedules it runs.
type child interface {
	Scheduler
	base() *schedule
}

func (s *schedule) base() *schedule { return s }

// SequentialLR runs schedules one after another, switching at the
// milestones (e.g. a linear warm-up, then cosine annealing). Build the
// schedules on the same optimiser first, then pass them here.
type SequentialLR struct {
	schedules  []child
	milestones []int
	lastEpoch  int
	lastLR     []float64
}

// NewSequentialLR is torch.optim.lr_scheduler.SequentialLR(opt,
// schedulers, milestones); len(milestones) must be len(schedules)−1.
func NewSequentialLR(opt Optimizer, schedules []Scheduler, milestones []int) (*SequentialLR, error) {
	if len(schedules) == 0 || len(milestones) != len(schedules)-1 {
		return nil, fmt.Errorf("train: SequentialLR needs one milestone fewer than schedules, got %d and %d", len(milestones), len(schedules))
	}
	s := &SequentialLR{milestones: append([]int(nil), milestones...)}
	for i, sc := range schedules {
		c, ok := sc.(child)
		if !ok || c.base().opt != opt {
			return nil, fmt.Errorf("train: SequentialLR schedule %d is not a basic schedule of this optimiser", i)
		}
		s.schedules = append(s.schedules, c)
	}
	for _, g := range opt.Groups() {
		g.LR = g.InitialLR
	}
	for _, c := range s.schedules {
		c.base().lastEpoch--
	}
	s.schedules[0].base().initialStep()
	s.lastLR = s.schedules[0].LastLR()
	return s, nil
}

// Step advances the active schedule; at a milestone the next schedule
// restarts from its epoch 0 (closed form), as PyTorch's does.
func (s *SequentialLR) Step() {
	s.lastEpoch++
	idx := sort.SearchInts(s.milestones, s.lastEpoch+1) // bisect_right
	c := s.schedules[idx]
	if idx > 0 && s.milestones[idx-1] == s.lastEpoch {
		zero := 0
		c.base().step(&zero)
	} else {
		c.Step()
	}
	s.lastLR = c.LastLR()
}

// LastLR returns the rates after the last Step.
func (s *SequentialLR) LastLR() []float64 { return append([]float64(nil), s.lastLR...) }

// State returns the position of this schedule and of those it runs.
func (s *SequentialLR) State() SchedulerState {
	st := SchedulerState{LastEpoch: s.lastEpoch, LastLR: s.LastLR()}
	for _, c := range s.schedules {
		st.Children = append(st.Children, c.State())
	}
	return st
}

// LoadState restores a position from State.
func (s *SequentialLR) LoadState(st SchedulerState) error {
	if len(st.Children) != len(s.schedules) {
		return fmt.Errorf("train: SequentialLR state has %d schedules, want %d", len(st.Children), len(s.schedules))
	}
	for i, c := range s.schedules {
		if err := c.LoadState(st.Children[i]); err != nil {
			return err
		}
	}
	s.lastEpoch, s.lastLR = st.LastEpoch, append([]float64(nil), st.LastLR...)
	return nil
}

// ChainedScheduler steps several schedules together, each multiplying
// its effect into the rates (e.g. warm-up and step decay at once).
type ChainedScheduler struct {
	schedules []Scheduler
	opt       Optimizer
	lastLR    []float64
}

// NewChainedScheduler is torch.optim.lr_scheduler.ChainedScheduler(schedulers).
func NewChainedScheduler(opt Optimizer, schedules ...Scheduler) *ChainedScheduler {
	c := &ChainedScheduler{schedules: schedules, opt: opt}
	c.lastLR = c.rates()
	return c
}

func (c *ChainedScheduler) rates() []float64 {
	var l []float64
	for _, g := range c.opt.Groups() {
		l = append(l, g.LR)
	}
	return l
}

// Step steps every schedule in order.
func (c *ChainedScheduler) Step() {
	for _, s := range c.schedules {
		s.Step()
	}
	c.lastLR = c.rates()
}

// LastLR returns the rates after the last Step.
func (c *ChainedScheduler) LastLR() []float64 { return append([]float64(nil), c.lastLR...) }

// State returns the position of every schedule.
func (c *ChainedScheduler) State() SchedulerState {
	st := SchedulerState{LastLR: c.LastLR()}
	for _, s := range c.schedules {
		st.Children = append(st.Children, s.State())
	}
	return st
}

// LoadState restores a position from State.
func (c *ChainedScheduler) LoadState(st SchedulerState) error {
	if len(st.Children) != len(c.schedules) {
		return fmt.Errorf("train: ChainedScheduler state has %d schedules, want %d", len(st.Children), len(c.schedules))
	}
	for i, s := range c.schedules {
		if err := s.LoadState(st.Children[i]); err != nil {
			return err
		}
	}
	c.lastLR = append([]float64(nil), st.LastLR...)
	return nil
}
