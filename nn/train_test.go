package nn

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/tensor"
)

// gradCase reads nn/testdata/grad_NAME.pth (testdata/gen/train_grads.py):
// the layer's state goes into m, the rest is returned by name.
func gradCase(t *testing.T, name string, m Stateful) map[string]*tensor.Tensor {
	t.Helper()
	sd, err := checkpoint.Load("testdata/grad_" + name + ".pth")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]Value{}
	rest := map[string]*tensor.Tensor{}
	for _, k := range sd.Keys {
		v := sd.Tensors[k]
		switch k {
		case "weight", "bias", "running_mean", "running_var", "num_batches_tracked":
			values[k] = Value{Shape: v.Shape, F32: v.F32, I64: v.I64}
			continue
		}
		data := v.F32
		if data == nil {
			for _, i := range v.I64 {
				data = append(data, float32(i))
			}
		}
		rest[k] = &tensor.Tensor{Shape: v.Shape, Data: data}
	}
	if _, err := Load(m, values, true); err != nil {
		t.Fatal(err)
	}
	return rest
}

func gradCases() map[string]Layer {
	bn := func(c int, train, relu bool) Layer {
		b := NewBatchNorm2d(c)
		b.Training, b.ReLU = train, relu
		return b
	}
	return map[string]Layer{
		"conv_k3_s1_p1":         NewConv2d(4, 6, 3, ConvOptions{Stride: 1, Padding: 1}),
		"conv_k7_s2_p3_bias":    NewConv2d(3, 5, 7, ConvOptions{Stride: 2, Padding: 3, Bias: true}),
		"conv_k3_s2_p1_g4":      NewConv2d(8, 12, 3, ConvOptions{Stride: 2, Padding: 1, Groups: 4}),
		"conv_k3_d2_p2":         NewConv2d(3, 4, 3, ConvOptions{Padding: 2, Dilation: 2, Bias: true}),
		"conv_k1_s1":            NewConv2d(6, 5, 1, ConvOptions{}),
		"conv_k1_s2_g3":         NewConv2d(6, 9, 1, ConvOptions{Stride: 2, Groups: 3}),
		"conv_k3_s3_odd":        NewConv2d(2, 3, 3, ConvOptions{Stride: 3, Bias: true}),
		"conv_k5_p2_d3_g2":      NewConv2d(4, 4, 5, ConvOptions{Padding: 2, Dilation: 3, Groups: 2}),
		"bn_train":              bn(5, true, false),
		"bn_train_relu":         bn(4, true, true),
		"bn_eval":               bn(5, false, false),
		"bn_eval_relu":          bn(4, false, true),
		"maxpool_k3_s2_p1_ties": NewMaxPool2d(3, 2, 1),
		"maxpool_k2_s2":         NewMaxPool2d(2, 2, 0),
		"avgpool_3x2":           &AdaptiveAvgPool2d{H: 3, W: 2},
		"avgpool_1":             &AdaptiveAvgPool2d{H: 1, W: 1},
		"linear":                NewLinear(12, 7),
		"relu":                  &ReLU{},
	}
}

// TestBackwardAgainstPyTorch compares every layer's output, input gradient,
// parameter gradients and (batch norm in training mode) updated running
// statistics with PyTorch autograd: max|Δ| ≤ 1e-4·max|ref| + 1e-5.
func TestBackwardAgainstPyTorch(t *testing.T) {
	for name, m := range gradCases() {
		t.Run(name, func(t *testing.T) {
			ref := gradCase(t, name, m)
			check := func(what string, got *tensor.Tensor) {
				t.Helper()
				want := ref[what]
				if got == nil {
					t.Errorf("%s: missing", what)
					return
				}
				if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
					t.Errorf("%s: %v", what, err)
				}
			}
			var y, dx *tensor.Tensor
			_, err := Run(func() *tensor.Tensor {
				y = m.ForwardTrain(ref["x"])
				dx = m.Backward(ref["dy"], true)
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			check("y", y)
			check("dx", dx)
			for _, e := range State(m) {
				if e.Param != nil {
					check("grad."+e.Name, e.Param.Grad)
				}
				if want, ok := ref["after."+e.Name]; ok {
					got := e.Buffer
					if e.Count != nil {
						got = &tensor.Tensor{Shape: want.Shape, Data: []float32{float32(*e.Count)}}
					}
					check("after."+e.Name, got)
				}
			}
		})
	}
}

// TestBackwardAccumulates checks that a second backward adds to Grad and
// that frozen parameters get no gradient at all.
func TestBackwardAccumulates(t *testing.T) {
	c := NewConv2d(3, 4, 3, ConvOptions{Padding: 1, Bias: true})
	rng := rand.New(rand.NewPCG(1, 2))
	fillRand(c.Weight.Value.Data, rng)
	x := randTensor(rng, 2, 3, 5, 5)
	dy := randTensor(rng, 2, 4, 5, 5)
	c.ForwardTrain(x)
	c.Backward(dy, false)
	once := c.Weight.Grad.Clone()
	c.ForwardTrain(x)
	c.Backward(dy, false)
	for i, v := range c.Weight.Grad.Data {
		if math.Abs(float64(v-2*once.Data[i])) > 1e-5*math.Abs(float64(v))+1e-6 {
			t.Fatalf("grad[%d] = %v after two passes, want 2×%v", i, v, once.Data[i])
		}
	}
	ZeroGrad(c)
	c.Weight.RequiresGrad = false
	c.ForwardTrain(x)
	if c.saved.x != nil {
		t.Error("frozen conv kept its input")
	}
	dx := c.Backward(dy, true)
	if dx == nil || c.Bias.Grad.Data[0] == 0 {
		t.Error("frozen weight: want dx and the bias gradient")
	}
	for _, v := range c.Weight.Grad.Data {
		if v != 0 {
			t.Fatal("frozen weight got a gradient")
		}
	}
	// A frozen batch norm in training mode uses (and keeps) running stats.
	b := NewBatchNorm2d(4)
	b.Training = true
	SetRequiresGrad(b, false)
	b.ForwardTrain(dy)
	if b.NumBatchesTracked != 0 || b.RunningMean.Data[0] != 0 {
		t.Error("frozen batch norm updated its running statistics")
	}
	if b.Backward(dy, false) != nil || b.Weight.Grad != nil {
		t.Error("frozen batch norm: no gradient work expected")
	}
}

// TestBackwardFiniteDifferences is an independent witness: for a loss
// L = Σ y·r (r random, summed in float64) it compares each layer's
// analytic gradients with central differences of the float32 forward pass
// on sampled elements: |Δ| ≤ 2e-3·max|g| + 2e-3. (Max pool and ReLU have
// kinks and are checked against PyTorch only.)
func TestBackwardFiniteDifferences(t *testing.T) {
	for name, m := range gradCases() {
		if strings.HasPrefix(name, "maxpool") || strings.Contains(name, "relu") {
			continue
		}
		t.Run(name, func(t *testing.T) {
			ref := gradCase(t, name, m)
			x := ref["x"].Clone()
			rng := rand.New(rand.NewPCG(3, uint64(len(name))))
			y := m.ForwardTrain(x)
			r := randTensor(rng, y.Shape...)
			ZeroGrad(m)
			dx := m.Backward(r, true)
			loss := func() float64 {
				// Running statistics must not drift between evaluations.
				saved := snapshot(m)
				defer restore(m, saved)
				yy := m.ForwardTrain(x)
				m.Backward(r, false)
				var s float64
				for i, v := range yy.Data {
					s += float64(v) * float64(r.Data[i])
				}
				return s
			}
			grads := map[string]*tensor.Tensor{"x": dx}
			vals := map[string][]float32{"x": x.Data}
			for _, e := range State(m) {
				if e.Param != nil {
					grads[e.Name] = e.Param.Grad.Clone()
					vals[e.Name] = e.Param.Value.Data
				}
			}
			for what, g := range grads {
				v := vals[what]
				var gmax float64
				for _, gv := range g.Data {
					gmax = max(gmax, math.Abs(float64(gv)))
				}
				for k := 0; k < 12; k++ {
					i := rng.IntN(len(v))
					const h = 1e-2
					old := v[i]
					v[i] = old + h
					lp := loss()
					v[i] = old - h
					lm := loss()
					v[i] = old
					fd := (lp - lm) / (2 * h)
					if d := math.Abs(fd - float64(g.Data[i])); d > 2e-3*gmax+2e-3 {
						t.Errorf("%s[%d]: analytic %.6g, finite difference %.6g", what, i, g.Data[i], fd)
					}
				}
			}
		})
	}
}

func snapshot(m Stateful) [][]float32 {
	var s [][]float32
	m.Visit("", func(e Entry) {
		if e.Buffer != nil {
			s = append(s, append([]float32(nil), e.Buffer.Data...))
		}
	})
	return s
}

func restore(m Stateful, s [][]float32) {
	i := 0
	m.Visit("", func(e Entry) {
		if e.Buffer != nil {
			copy(e.Buffer.Data, s[i])
			i++
		}
		if e.Count != nil {
			*e.Count = 0
		}
	})
}

func fillRand(x []float32, rng *rand.Rand) {
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
}

func randTensor(rng *rand.Rand, shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	fillRand(t.Data, rng)
	return t
}
