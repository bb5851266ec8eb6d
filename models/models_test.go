package models

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// TestParamCounts compares every architecture's parameter count with
// PyTorch's sum(p.numel()), recorded by testdata/gen/models_gen.py params.
func TestParamCounts(t *testing.T) {
	raw, err := os.ReadFile("testdata/params.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]int
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	for _, c := range Configs() {
		w, ok := want[c.Name]
		if !ok {
			t.Errorf("%s: no reference count in params.json", c.Name)
			continue
		}
		if testing.Short() && w > 100_000_000 {
			continue // building 0.5–3 GB of weights is slow under -race
		}
		m, err := Build(c, Options{NoInit: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := m.NumParams(); got != w {
			t.Errorf("%s: %d parameters, torchvision has %d", c.Name, got, w)
		}
	}
}

// TestStateNames checks the state_dict naming on resnet50 against keys
// torchvision uses, and that Infer recovers the architecture.
func TestStateNamesAndInfer(t *testing.T) {
	for _, name := range []string{"resnet18", "resnet50", "resnext50_32x4d", "wide_resnet50_2", "resnext101_64x4d", "resnet20b", "resnet56"} {
		m, err := New(name, Options{NoInit: true})
		if err != nil {
			t.Fatal(err)
		}
		shapes := map[string][]int{}
		for _, e := range nn.State(m) {
			shapes[e.Name] = e.Shape()
		}
		cs, err := Infer(shapes)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		found := false
		for _, c := range cs {
			found = found || c.Name == name
		}
		if !found {
			t.Errorf("Infer(%s) = %v", name, cs)
		}
	}
	m, _ := New("resnet50", Options{NoInit: true})
	st := nn.State(m)
	if st[0].Name != "conv1.weight" || st[len(st)-1].Name != "fc.bias" {
		t.Errorf("first/last keys %s, %s", st[0].Name, st[len(st)-1].Name)
	}
	want := map[string][]int{
		"layer1.0.downsample.0.weight":     {256, 64, 1, 1},
		"layer4.2.conv3.weight":            {2048, 512, 1, 1},
		"layer3.5.bn2.num_batches_tracked": {},
		"fc.weight":                        {1000, 2048},
	}
	got := map[string][]int{}
	for _, e := range st {
		got[e.Name] = e.Shape()
	}
	for k, s := range want {
		if !tensor.SameShape(got[k], s) {
			t.Errorf("%s: shape %v, want %v", k, got[k], s)
		}
	}
	if len(st) != 320 { // len(torchvision.models.resnet50().state_dict())
		t.Errorf("resnet50 has %d state entries, torchvision 320", len(st))
	}
}

func TestMACs(t *testing.T) {
	// torchvision meta GFLOPS (multiply-adds ×1e9): resnet18 1.81, resnet50 4.09, resnext101_32x8d 16.41.
	for name, want := range map[string]float64{"resnet18": 1.81, "resnet50": 4.09, "resnext101_32x8d": 16.41, "wide_resnet101_2": 22.75} {
		m, _ := New(name, Options{NoInit: true})
		if got := float64(m.MACs(224, 224)) / 1e9; math.Abs(got-want) > 0.01 {
			t.Errorf("%s: %.3f GMACs, torchvision says %.2f", name, got, want)
		}
	}
}

func TestUnknownArch(t *testing.T) {
	_, err := New("resnet51", Options{})
	if err == nil || !strings.Contains(err.Error(), "resnet50") {
		t.Fatalf("want an error listing known names, got %v", err)
	}
}

func TestBadInput(t *testing.T) {
	m, err := New("resnet20", Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, shape := range [][]int{{3, 32, 32}, {1, 1, 32, 32}, {0, 3, 32, 32}, {1, 3, 0, 4}} {
		x := tensor.New(shape...)
		if _, err := m.Forward(ctx, x); err == nil {
			t.Errorf("shape %v: no error", shape)
		}
	}
	if _, err := m.Forward(ctx, nil); err == nil {
		t.Error("nil input: no error")
	}
	// ImageNet stem on a 1x1 image: PyTorch raises "output size is too small" too.
	r, _ := New("resnet18", Options{Seed: 1})
	if _, err := r.Forward(ctx, tensor.New(1, 3, 1, 1)); err != nil {
		t.Logf("1x1 image: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.Forward(cctx, tensor.New(1, 3, 32, 32)); err != context.Canceled {
		t.Errorf("cancelled context: %v", err)
	}
}

func TestDeterministicInit(t *testing.T) {
	a, _ := New("resnet20", Options{Seed: 7})
	b, _ := New("resnet20", Options{Seed: 7})
	c, _ := New("resnet20", Options{Seed: 8})
	pa, pb, pc := nn.Parameters(a), nn.Parameters(b), nn.Parameters(c)
	same, diff := true, false
	for i := range pa {
		for j := range pa[i].Value.Data {
			same = same && pa[i].Value.Data[j] == pb[i].Value.Data[j]
			diff = diff || pa[i].Value.Data[j] != pc[i].Value.Data[j]
		}
	}
	if !same || !diff {
		t.Errorf("same seed same weights: %v; other seed other weights: %v", same, diff)
	}
	z, _ := New("resnet50", Options{Seed: 1, ZeroInitResidual: true})
	for _, v := range z.Stages[0][0].BN3.Weight.Value.Data {
		if v != 0 {
			t.Fatal("ZeroInitResidual left a non-zero bn3 weight")
		}
	}
}

// TestStatsMatchBuild checks the allocation-free Stats against the built
// networks it describes.
func TestStatsMatchBuild(t *testing.T) {
	for _, c := range Configs() {
		if c.Family == "wsl" && c.WidthPerGroup > 8 {
			continue // same code path as resnext101_32x8d_wsl, gigabytes to build
		}
		m, err := Build(c, Options{NoInit: true})
		if err != nil {
			t.Fatal(err)
		}
		p, macs := c.Stats(c.InputSize, c.InputSize)
		if p != int64(m.NumParams()) || macs != m.MACs(c.InputSize, c.InputSize) {
			t.Errorf("%s: Stats %d params %d MACs, built %d / %d", c.Name, p, macs, m.NumParams(), m.MACs(c.InputSize, c.InputSize))
		}
	}
}

func TestGroupsAndWidthOptions(t *testing.T) {
	a, err := New("resnet50", Options{Groups: 32, WidthPerGroup: 4, NoInit: true})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := New("resnext50_32x4d", Options{NoInit: true})
	if a.NumParams() != b.NumParams() || a.NumParams() != 25028904 {
		t.Fatalf("resnet50 with groups 32 width 4: %d params, resnext50_32x4d %d", a.NumParams(), b.NumParams())
	}
	if _, err := New("resnet18", Options{Groups: 2}); err == nil {
		t.Fatal("BasicBlock with groups 2 accepted (torchvision raises)")
	}
}
