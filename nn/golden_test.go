package nn

import (
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/npy"
	"github.com/resnetgo/resnet/tensor"
)

// loadCase reads testdata/NAME.{pth,input.npy,output.npy}, written by
// testdata/gen/models_gen.py from PyTorch layers wrapped as module "f".
func loadCase(t *testing.T, name string, m Stateful) (x, want *tensor.Tensor) {
	t.Helper()
	var err error
	if len(State(m)) == 0 { // pools: an empty state dict, nothing to load
		return readNPYPair(t, name)
	}
	sd, err := checkpoint.Load("testdata/" + name + ".pth")
	if err != nil {
		t.Fatal(err)
	}
	values := map[string]Value{}
	for _, k := range sd.Keys {
		v := sd.Tensors[k]
		values[strings.TrimPrefix(k, "f.")] = Value{Shape: v.Shape, F32: v.F32, I64: v.I64}
	}
	if _, err := Load(m, values, true); err != nil {
		t.Fatal(err)
	}
	return readNPYPair(t, name)
}

func readNPYPair(t *testing.T, name string) (x, want *tensor.Tensor) {
	var err error
	if x, err = npy.ReadFile("testdata/" + name + ".input.npy"); err != nil {
		t.Fatal(err)
	}
	if want, err = npy.ReadFile("testdata/" + name + ".output.npy"); err != nil {
		t.Fatal(err)
	}
	return x, want
}

func TestLayersAgainstPyTorch(t *testing.T) {
	cases := map[string]Module{
		"conv_k3_s1_p1":           NewConv2d(4, 6, 3, ConvOptions{Stride: 1, Padding: 1}),
		"conv_k7_s2_p3_bias":      NewConv2d(3, 5, 7, ConvOptions{Stride: 2, Padding: 3, Bias: true}),
		"conv_k3_s2_p1_g4":        NewConv2d(8, 12, 3, ConvOptions{Stride: 2, Padding: 1, Groups: 4}),
		"conv_k3_d2_p2":           NewConv2d(3, 4, 3, ConvOptions{Padding: 2, Dilation: 2, Bias: true}),
		"conv_k1_s1":              NewConv2d(6, 5, 1, ConvOptions{}),
		"conv_k1_s2_g3":           NewConv2d(6, 9, 1, ConvOptions{Stride: 2, Groups: 3}),
		"conv_k3_s3_p0_d1_g1_odd": NewConv2d(2, 3, 3, ConvOptions{Stride: 3, Bias: true}),
		"conv_k5_s1_p2_d3_g2":     NewConv2d(4, 4, 5, ConvOptions{Padding: 2, Dilation: 3, Groups: 2}),
		"batchnorm":               NewBatchNorm2d(5),
		"maxpool_k3_s2_p1":        NewMaxPool2d(3, 2, 1),
		"maxpool_k2_s2":           NewMaxPool2d(2, 2, 0),
		"adaptiveavgpool_3x2":     AdaptiveAvgPool2d{H: 3, W: 2},
		"adaptiveavgpool_1":       AdaptiveAvgPool2d{H: 1, W: 1},
		"linear":                  NewLinear(12, 7),
	}
	for name, m := range cases {
		t.Run(name, func(t *testing.T) {
			x, want := loadCase(t, name, m)
			got, err := Run(func() *tensor.Tensor { return m.Forward(x) })
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestStrictLoadReportsEverything(t *testing.T) {
	m := Sequential{NewConv2d(3, 4, 3, ConvOptions{}), NewBatchNorm2d(4)}
	values := map[string]Value{
		"0.weight":              {Shape: []int{4, 3, 3, 3}, F32: make([]float32, 108)},
		"1.weight":              {Shape: []int{5}, F32: make([]float32, 5)},
		"1.bias":                {Shape: []int{4}, F32: make([]float32, 4)},
		"1.running_mean":        {Shape: []int{4}, F32: make([]float32, 4)},
		"2.weight":              {Shape: []int{1}, F32: make([]float32, 1)},
		"1.num_batches_tracked": {Shape: []int{}, I64: []int64{3}},
	}
	before := m[1].(*BatchNorm2d).Bias.Value.Data
	_, err := Load(m, values, true)
	se, ok := err.(*StateError)
	if !ok {
		t.Fatalf("want *StateError, got %v", err)
	}
	r := se.Report
	if len(r.Missing) != 1 || r.Missing[0] != "1.running_var" || len(r.Unexpected) != 1 || r.Unexpected[0] != "2.weight" ||
		len(r.Mismatched) != 1 || r.Mismatched[0].Name != "1.weight" {
		t.Fatalf("report %+v", r)
	}
	for _, s := range []string{"1.running_var", "2.weight", "size mismatch for 1.weight"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error does not mention %q: %v", s, err)
		}
	}
	if &m[1].(*BatchNorm2d).Bias.Value.Data[0] != &before[0] {
		t.Error("strict load changed the model despite failing")
	}
	rep, err := Load(m, values, false)
	if err != nil || rep.OK() {
		t.Fatalf("non-strict: %v %+v", err, rep)
	}
	if m[1].(*BatchNorm2d).NumBatchesTracked != 3 {
		t.Error("non-strict load skipped a matching key")
	}
}

func TestShapeErrors(t *testing.T) {
	c := NewConv2d(3, 4, 3, ConvOptions{})
	for _, s := range [][]int{{1, 2, 5, 5}, {3, 5, 5}, {1, 3, 2, 2}} {
		if _, err := Run(func() *tensor.Tensor { return c.Forward(tensor.New(s...)) }); err == nil {
			t.Errorf("conv on %v: no error", s)
		}
	}
	if _, err := Run(func() *tensor.Tensor { return NewLinear(4, 2).Forward(tensor.New(2, 5)) }); err == nil {
		t.Error("linear with wrong width: no error")
	}
}
