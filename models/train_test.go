package models_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
	"github.com/resnetgo/resnet/train"
)

// uniform reproduces testdata/gen/train_nets.py's counter-based hash:
// n values in [-1, 1) from splitmix64(fnv1a(name) + i·φ).
func uniform(name string, n int) []float64 {
	h := uint64(0xcbf29ce484222325)
	for i := 0; i < len(name); i++ {
		h = (h ^ uint64(name[i])) * 0x100000001b3
	}
	u := make([]float64, n)
	for i := range u {
		z := h + uint64(i+1)*0x9E3779B97F4A7C15
		z = (z ^ z>>30) * 0xBF58476D1CE4E5B9
		z = (z ^ z>>27) * 0x94D049BB133111EB
		z ^= z >> 31
		u[i] = float64(z>>40)/float64(1<<24)*2 - 1
	}
	return u
}

// hashValue is train_nets.py's hash_value: the deterministic weights both
// sides use, so that fixtures need not store them.
func hashValue(name string, shape []int, dst []float32) {
	n, _ := tensor.Numel(shape)
	u := uniform(name, n)
	for i, v := range u {
		switch {
		case strings.HasSuffix(name, "running_mean"), strings.HasSuffix(name, ".bias"):
			v = 0.1 * v
		case strings.HasSuffix(name, "running_var"):
			v = 1 + 0.25*(v+1)
		case len(shape) == 1:
			v = 1 + 0.2*v
		default:
			v = v * math.Sqrt(3.0/float64(n/shape[0]))
		}
		dst[i] = float32(v)
	}
}

func hashInit(m nn.Stateful) {
	m.Visit("", func(e nn.Entry) {
		if e.Count != nil {
			*e.Count = 3
			return
		}
		t := e.Tensor()
		hashValue(e.Name, t.Shape, t.Data)
	})
}

func loadFixture(t *testing.T, path string) map[string]*checkpoint.Tensor {
	t.Helper()
	sd, err := checkpoint.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return sd.Tensors
}

func f32(ct *checkpoint.Tensor) *tensor.Tensor {
	d := ct.F32
	if d == nil {
		for _, v := range ct.I64 {
			d = append(d, float32(v))
		}
	}
	return &tensor.Tensor{Shape: ct.Shape, Data: d}
}

// sampled returns every ⌊n/256⌋-th element, as train_nets.py stores them.
func sampled(x []float32, want int) *tensor.Tensor {
	step := max(1, len(x)/256)
	var s []float32
	for i := 0; i < len(x); i += step {
		s = append(s, x[i])
	}
	if len(s) != want {
		s = x // stored in full
	}
	return &tensor.Tensor{Shape: []int{len(s)}, Data: s}
}

// gradTol: max|Δ| ≤ 1e-4·max|ref| + 1e-7 per tensor (SPEC §6's relative bound;
// the absolute floor only matters for gradients that are all ~0).
const gradRel, gradAbs = 1e-4, 1e-7

// checkStep runs one training step of m (in train mode if training, label
// smoothing 0.1) on a fixture and compares logits, loss, input and
// parameter gradients and running statistics with PyTorch's.
func checkStep(t *testing.T, m *models.ResNet, ref map[string]*checkpoint.Tensor, training bool) {
	t.Helper()
	x := f32(ref["x"])
	var targets []int
	for _, v := range ref["targets"].I64 {
		targets = append(targets, int(v))
	}
	m.SetTraining(training)
	_, wantDX := ref["dx"]
	logits, err := m.ForwardTrain(x, wantDX)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.Compare(logits, f32(ref["logits"]), testutil.RelTol, testutil.AbsTol); err != nil {
		t.Errorf("logits: %v", err)
	}
	loss, dlogits, err := train.CrossEntropy(logits, targets, 0.1)
	if err != nil {
		t.Fatal(err)
	}
	if want := float64(ref["loss"].F32[0]); math.Abs(loss-want) > 1e-5*math.Abs(want) {
		t.Errorf("loss %.7g, PyTorch %.7g", loss, want)
	}
	m.ZeroGrad()
	dx, err := m.Backward(dlogits)
	if err != nil {
		t.Fatal(err)
	}
	var worst, worstF64 float64
	compare := func(what string, got []float32, want *checkpoint.Tensor) {
		t.Helper()
		w := f32(want)
		g := sampled(got, w.Len())
		g.Shape = w.Shape
		if r64, ok := ref["ref64."+what]; ok {
			// A float64 reference (live fixtures): where PyTorch's own float32
			// strays from it by more than a tenth of the bound (deep nets with
			// batch statistics over few values amplify rounding), ours must be
			// no further from it than twice PyTorch's distance plus the bound.
			f := f32(r64)
			bound := gradRel*testutil.MaxAbs(f.Data) + gradAbs
			errTorch, errOurs := testutil.MaxDiff(w.Data, f.Data), testutil.MaxDiff(g.Data, f.Data)
			if errTorch > bound/10 {
				if errOurs > 2*errTorch+bound {
					t.Errorf("%s: %.3g from float64, PyTorch float32 %.3g (bound %.3g)", what, errOurs, errTorch, bound)
				}
				worstF64 = max(worstF64, errOurs/max(errTorch, 1e-30))
				return
			}
		}
		if err := testutil.Compare(g, w, gradRel, gradAbs); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		var d, r float64
		for i := range w.Data {
			d = max(d, math.Abs(float64(g.Data[i]-w.Data[i])))
			r = max(r, math.Abs(float64(w.Data[i])))
		}
		if r > 0 {
			worst = max(worst, d/r)
		}
	}
	if wantDX {
		compare("dx", dx.Data, ref["dx"])
	} else if dx != nil {
		t.Error("input gradient computed though not asked for")
	}
	for _, e := range nn.State(m) {
		if e.Param != nil {
			want, ok := ref["grad."+e.Name]
			switch {
			case ok && e.Param.Grad == nil:
				t.Errorf("%s: no gradient", e.Name)
			case ok:
				compare("grad."+e.Name, e.Param.Grad.Data, want)
			case !e.Param.RequiresGrad && e.Param.Grad != nil:
				t.Errorf("%s: frozen but has a gradient", e.Name)
			case e.Param.RequiresGrad:
				t.Errorf("%s: PyTorch has no gradient", e.Name)
			}
			continue
		}
		want, ok := ref["after."+e.Name]
		if !ok {
			t.Errorf("%s: not in the fixture", e.Name)
			continue
		}
		got := e.Buffer
		if e.Count != nil {
			got = &tensor.Tensor{Shape: want.Shape, Data: []float32{float32(*e.Count)}}
		}
		if err := testutil.Compare(got, f32(want), testutil.RelTol, testutil.AbsTol); err != nil {
			t.Errorf("%s after the step: %v", e.Name, err)
		}
	}
	t.Logf("largest gradient error relative to its tensor's max |ref|: %.2g", worst)
	if worstF64 > 0 {
		t.Logf("where PyTorch float32 strays from float64: ours is at most %.2f× as far", worstF64)
	}
}

func tinyConfig(name string, block models.BlockKind, stem models.Stem, groups, width int) models.Config {
	return models.Config{Name: name, Block: block, Layers: []int{1, 2}, Planes: []int{8, 16}, Groups: groups,
		WidthPerGroup: width, Stem: stem, NumClasses: 5, InChannels: 3, InputSize: 12}
}

// TestTrainStepAgainstPyTorch checks a whole training step of small
// networks against PyTorch autograd (testdata/gen/train_nets.py):
// resnet20 (shortcut A), a tiny ResNeXt (Bottleneck, groups 4, shortcut B),
// the same in eval mode (batch norms on running statistics), a tiny
// ImageNet-stem net (7×7 conv, max pool, BasicBlock) and plain20 with its
// stem and layer1 frozen (their batch norms in eval mode).
func TestTrainStepAgainstPyTorch(t *testing.T) {
	imagenet := tinyConfig("tiny_imagenet_stem", models.Basic, models.ImageNetStem, 1, 64)
	imagenet.Layers = []int{1, 1}
	resnext := func() (models.Config, error) {
		return tinyConfig("tiny_resnext", models.Bottleneck, models.CIFARStem, 4, 16), nil
	}
	cases := []struct {
		name   string
		cfg    func() (models.Config, error)
		freeze int
		eval   bool
	}{
		{"resnet20", func() (models.Config, error) { return models.Lookup("resnet20") }, -1, false},
		{"tiny_resnext", resnext, -1, false},
		{"tiny_resnext_eval", resnext, -1, true},
		{"tiny_imagenet_stem", func() (models.Config, error) { return imagenet, nil }, -1, false},
		{"plain20_freeze1", func() (models.Config, error) { return models.Lookup("plain20") }, 1, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := c.cfg()
			if err != nil {
				t.Fatal(err)
			}
			m, err := models.Build(cfg, models.Options{NoInit: true})
			if err != nil {
				t.Fatal(err)
			}
			hashInit(m)
			if c.freeze >= 0 {
				if err := m.FreezeUpTo(c.freeze); err != nil {
					t.Fatal(err)
				}
			}
			checkStep(t, m, loadFixture(t, "testdata/grad_"+c.name+".pth"), !c.eval)
		})
	}
}

// TestLiveTrainStep compares a training step of a full torchvision
// resnet18 (hash weights, 2×3×64×64, 10 classes) with PyTorch autograd. .ci/run
// writes the fixtures with testdata/gen/train_nets.py live DIR and runs
// this test with RESNET_LIVE_TRAIN_DIR=DIR.
func TestLiveTrainStep(t *testing.T) {
	dir := os.Getenv("RESNET_LIVE_TRAIN_DIR")
	if dir == "" {
		t.Skip("set RESNET_LIVE_TRAIN_DIR (see .ci/run)")
	}
	for _, name := range []string{"resnet18"} {
		t.Run(name, func(t *testing.T) {
			m, err := models.New(name, models.Options{NumClasses: 10, NoInit: true})
			if err != nil {
				t.Fatal(err)
			}
			hashInit(m)
			checkStep(t, m, loadFixture(t, filepath.Join(dir, name+".pth")), true)
		})
	}
}

// TestTrainStepFiniteDifferences is an independent (and coarse) witness
// for whole networks: for each parameter tensor of a tiny ResNeXt (groups
// 2, shortcut B) and a tiny shortcut-A net, in eval mode, the directional
// derivative of the loss along a random direction v by central differences
// of the float32 forward pass (loss summed in float64, h = 1e-3) agrees
// with Σ g·v within 5e-2·|Σ g·v| + 1e-4·|g|·|v| + 1e-7·(1+L)/h. Float32 rounding of the
// logits (≈1e-7 of the loss) and ReLU kinks crossed by the step keep finite
// differences of a whole float32 network from being sharper than a few
// per cent; in training mode (batch statistics over 48 values) they stray
// by up to 20%, so that mode is left to the per-layer finite differences
// (nn) and to the PyTorch comparisons (1e-4).
func TestTrainStepFiniteDifferences(t *testing.T) {
	resnext := tinyConfig("fd_resnext", models.Bottleneck, models.CIFARStem, 2, 32)
	shortA := tinyConfig("fd_shortcut_a", models.Basic, models.CIFARStem, 1, 64)
	shortA.Shortcut = models.ShortcutA
	for _, cfg := range []models.Config{resnext, shortA} {
		for _, mode := range []bool{false} {
			t.Run(fmt.Sprintf("%s/train=%v", cfg.Name, mode), func(t *testing.T) {
				m, err := models.Build(cfg, models.Options{NoInit: true})
				if err != nil {
					t.Fatal(err)
				}
				hashInit(m)
				m.SetTraining(mode)
				x := tensor.New(3, 3, 8, 8)
				hashValue("input", x.Shape, x.Data)
				targets := []int{0, 3, 1}
				buffers := snapshotBuffers(m)
				loss := func() float64 {
					defer restoreBuffers(m, buffers)
					logits, err := m.ForwardTrain(x, false)
					if err != nil {
						t.Fatal(err)
					}
					m.Backward(tensor.New(logits.Shape...)) // frees the kept state; adds zero
					l, _, _ := train.CrossEntropy(logits, targets, 0.1)
					return l
				}
				m.ZeroGrad()
				logits, _ := m.ForwardTrain(x, false)
				_, d, _ := train.CrossEntropy(logits, targets, 0.1)
				m.Backward(d)
				restoreBuffers(m, buffers)
				for _, e := range nn.State(m) {
					if e.Param == nil {
						continue
					}
					p := e.Param.Value.Data
					v := make([]float32, len(p))
					hashValue("dir."+e.Name, []int{len(v), 1}, v) // uniform, variance 3
					var an, gn, vn float64
					for i := range v {
						an += float64(e.Param.Grad.Data[i]) * float64(v[i])
						gn += float64(e.Param.Grad.Data[i]) * float64(e.Param.Grad.Data[i])
						vn += float64(v[i]) * float64(v[i])
					}
					const h = 1e-3
					orig := append([]float32(nil), p...)
					for i := range p {
						p[i] = orig[i] + h*v[i]
					}
					lp := loss()
					for i := range p {
						p[i] = orig[i] - h*v[i]
					}
					lm := loss()
					copy(p, orig)
					fd := (lp - lm) / (2 * h)
					if tol := 5e-2*math.Abs(an) + 1e-4*math.Sqrt(gn*vn) + 1e-7*(1+math.Abs(lp))/h; math.Abs(fd-an) > tol {
						t.Errorf("%s: Σ g·v = %.6g, finite difference %.6g (tolerance %.2g)", e.Name, an, fd, tol)
					}
				}
			})
		}
	}
}

func snapshotBuffers(m nn.Stateful) [][]float32 {
	var s [][]float32
	m.Visit("", func(e nn.Entry) {
		if e.Buffer != nil {
			s = append(s, append([]float32(nil), e.Buffer.Data...))
		}
	})
	return s
}

func restoreBuffers(m nn.Stateful, s [][]float32) {
	i := 0
	m.Visit("", func(e nn.Entry) {
		if e.Buffer != nil {
			copy(e.Buffer.Data, s[i])
			i++
		}
	})
}

// TestFreezeAndReplaceHead checks the transfer-learning recipe: with the
// backbone frozen only fc gets gradients, nothing before fc keeps state,
// batch-norm statistics stay fixed in training mode, and the new head has
// PyTorch's default init range.
func TestFreezeAndReplaceHead(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.ReplaceHead(4, 7); err != nil {
		t.Fatal(err)
	}
	if m.FC.OutFeatures() != 4 || m.Config.NumClasses != 4 {
		t.Fatalf("head %v", m.FC.Weight.Value.Shape)
	}
	bound := float32(1 / math.Sqrt(64))
	for _, v := range append(m.FC.Weight.Value.Data, m.FC.Bias.Value.Data...) {
		if v < -bound || v > bound {
			t.Fatalf("fc value %v outside ±%v", v, bound)
		}
	}
	m.FreezeBackbone()
	m.SetTraining(true)
	before := snapshotBuffers(m)
	x := tensor.New(2, 3, 16, 16)
	hashValue("input", x.Shape, x.Data)
	logits, err := m.ForwardTrain(x, false)
	if err != nil {
		t.Fatal(err)
	}
	_, d, _ := train.CrossEntropy(logits, []int{1, 2}, 0)
	if _, err := m.Backward(d); err != nil {
		t.Fatal(err)
	}
	for _, e := range nn.State(m) {
		if e.Param != nil && (e.Param.Grad != nil) != strings.HasPrefix(e.Name, "fc.") {
			t.Errorf("%s: gradient allocated = %v", e.Name, e.Param.Grad != nil)
		}
	}
	after := snapshotBuffers(m)
	for i := range before {
		for j := range before[i] {
			if before[i][j] != after[i][j] {
				t.Fatal("a frozen batch norm's running statistics changed")
			}
		}
	}
	if _, err := m.Backward(d); err != models.ErrNoForward {
		t.Errorf("second Backward: %v, want ErrNoForward", err)
	}
	if bb, head := m.TrainableParameters(); len(bb) != 0 || len(head) != 2 {
		t.Errorf("frozen backbone: %d backbone and %d head parameters trainable", len(bb), len(head))
	}
	if err := m.FreezeUpTo(2); err != nil {
		t.Fatal(err)
	}
	if bb, _ := m.TrainableParameters(); len(bb) != 6*3 { // layer3: 3 blocks × (2 convs + 2 BNs × 2)
		t.Errorf("FreezeUpTo(2): %d backbone parameters trainable, want 18", len(bb))
	}
	if err := m.FreezeUpTo(4); err == nil {
		t.Error("FreezeUpTo(4) on a 3-stage net: no error")
	}
}

// trainable returns m's parameters that require a gradient.
func trainable(m *models.ResNet) []*nn.Parameter {
	var ps []*nn.Parameter
	for _, p := range nn.Parameters(m) {
		if p.RequiresGrad {
			ps = append(ps, p)
		}
	}
	return ps
}

// TestSGDStepsAgainstPyTorch trains a tiny ResNeXt (groups 2) for three
// SGD steps (Nesterov momentum 0.9, weight decay 1e-4, lr 0.05) on one
// batch, the network and the optimiser together, and compares each loss
// (relative 1e-5) and every parameter and running statistic afterwards
// (max|Δ| ≤ 1e-4·max|ref| + 1e-6 per tensor) with PyTorch's.
func TestSGDStepsAgainstPyTorch(t *testing.T) {
	ref := loadFixture(t, "testdata/grad_tiny_resnext_sgd3.pth")
	m, err := models.Build(tinyConfig("tiny_resnext_sgd3", models.Bottleneck, models.CIFARStem, 2, 32), models.Options{NoInit: true})
	if err != nil {
		t.Fatal(err)
	}
	hashInit(m)
	m.SetTraining(true)
	opt, err := train.NewSGD(train.Group{Params: nn.Parameters(m), Hyper: train.Hyper{LR: 0.05, Momentum: 0.9, Nesterov: true, WeightDecay: 1e-4}})
	if err != nil {
		t.Fatal(err)
	}
	x := f32(ref["x"])
	var targets []int
	for _, v := range ref["targets"].I64 {
		targets = append(targets, int(v))
	}
	var losses []float64
	for i := 0; i < 3; i++ {
		logits, err := m.ForwardTrain(x, false)
		if err != nil {
			t.Fatal(err)
		}
		loss, d, err := train.CrossEntropy(logits, targets, 0.1)
		if err != nil {
			t.Fatal(err)
		}
		opt.ZeroGrad()
		if _, err := m.Backward(d); err != nil {
			t.Fatal(err)
		}
		opt.Step()
		losses = append(losses, loss)
	}
	want := ref["losses"]
	for i, l := range losses {
		w := float64(want.F32[i])
		if math.Abs(l-w) > 1e-5*math.Abs(w) {
			t.Errorf("step %d: loss %.7g, PyTorch %.7g", i+1, l, w)
		}
	}
	var worst float64
	for _, e := range nn.State(m) {
		w := f32(ref["after."+e.Name])
		var got *tensor.Tensor
		switch {
		case e.Count != nil:
			got = &tensor.Tensor{Shape: w.Shape, Data: []float32{float32(*e.Count)}}
		case e.Param != nil:
			got = sampled(e.Param.Value.Data, w.Len())
		default:
			got = e.Buffer
		}
		got = &tensor.Tensor{Shape: w.Shape, Data: got.Data}
		if err := testutil.Compare(got, w, 1e-4, 1e-6); err != nil {
			t.Errorf("%s after 3 steps: %v", e.Name, err)
		}
		if m := testutil.MaxAbs(w.Data); m > 0 {
			worst = max(worst, testutil.MaxDiff(got.Data, w.Data)/m)
		}
	}
	t.Logf("losses %.6g; largest |Δ|/max|ref| after 3 steps: %.2g", losses, worst)
}

// TestBackwardObserve: every block's output gradient is handed over once,
// last block first, with the block output's shape; the last one equals
// its closed form through the average pool and fc, ∂L/∂y[n,c,h,w] =
// Σ_k W[k,c]·∂L/∂logits[n,k] / (H·W); and the parameters' gradients are
// those of Backward.
func TestBackwardObserve(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 3, NumClasses: 10, InChannels: 1})
	if err != nil {
		t.Fatal(err)
	}
	m.SetTraining(true)
	rng := rand.New(rand.NewPCG(5, 6))
	x := tensor.New(2, 1, 12, 12)
	for i := range x.Data {
		x.Data[i] = float32(rng.NormFloat64())
	}
	dl := tensor.New(2, 10)
	for i := range dl.Data {
		dl.Data[i] = float32(rng.NormFloat64())
	}
	grads := func(observe func(models.BlockRef, *tensor.Tensor)) []float32 {
		m.ZeroGrad()
		if _, err := m.ForwardTrain(x, false); err != nil {
			t.Fatal(err)
		}
		if _, err := m.BackwardObserve(dl, observe); err != nil {
			t.Fatal(err)
		}
		var g []float32
		for _, p := range nn.Parameters(m) {
			g = append(g, p.Grad.Data...)
		}
		return g
	}
	want := grads(nil)
	var seen []models.BlockRef
	var last *tensor.Tensor
	got := grads(func(r models.BlockRef, d *tensor.Tensor) {
		if len(seen) == 0 {
			last = d.Clone()
		}
		seen = append(seen, r)
	})
	refs := m.BlockRefs()
	if len(seen) != len(refs) {
		t.Fatalf("observed %d blocks, want %d", len(seen), len(refs))
	}
	for i, r := range seen {
		if r != refs[len(refs)-1-i] {
			t.Fatalf("observation %d is %v, want %v", i, r, refs[len(refs)-1-i])
		}
	}
	if n, c, h, w := last.Shape[0], last.Shape[1], last.Shape[2], last.Shape[3]; n != 2 || c != 64 || h != 3 || w != 3 {
		t.Fatalf("last block's output gradient has shape %v, want [2 64 3 3]", last.Shape)
	}
	for n := 0; n < 2; n++ {
		for c := 0; c < 64; c++ {
			var s float64
			for k := 0; k < 10; k++ {
				s += float64(m.FC.Weight.Value.Data[k*64+c]) * float64(dl.Data[n*10+k])
			}
			s /= 9
			for p := 0; p < 9; p++ {
				if v := float64(last.Data[(n*64+c)*9+p]); math.Abs(v-s) > 1e-6*(1+math.Abs(s)) {
					t.Fatalf("∂L/∂y[%d,%d,%d] = %v, want %v", n, c, p, v, s)
				}
			}
		}
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("parameter gradient %d: %v with observe, %v without", i, got[i], want[i])
		}
	}
}
