package models

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/tensor"
)

func randInput(n, c, h, w int, seed uint64) *tensor.Tensor {
	x := tensor.New(n, c, h, w)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range x.Data {
		x.Data[i] = float32(r.NormFloat64())
	}
	return x
}

// randomBN gives every batch norm non-trivial statistics, so that the
// eval-mode network is not the identity-ish one of a fresh init.
func randomBN(m *ResNet, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 2))
	for _, bn := range m.BatchNorms() {
		for i := range bn.Weight.Value.Data {
			bn.Weight.Value.Data[i] = 0.5 + r.Float32()
			bn.Bias.Value.Data[i] = r.Float32() - 0.5
			bn.RunningMean.Data[i] = r.Float32() - 0.5
			bn.RunningVar.Data[i] = 0.5 + r.Float32()
		}
	}
}

func maxDiff(a, b []float32) float64 {
	d := 0.0
	for i := range a {
		d = max(d, float64(abs32(a[i]-b[i])))
	}
	return d
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func TestForwardLesionedNoneIsForward(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"resnet20", "resnet20b", "plain20"} {
		m, err := New(name, Options{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		randomBN(m, 4)
		x := randInput(2, 3, 16, 16, 5)
		want, err := m.Forward(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.ForwardLesioned(ctx, x, nil)
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got.Data, want.Data); d != 0 {
			t.Errorf("%s: ForwardLesioned(nil) differs from Forward by %g", name, d)
		}
	}
}

// A block whose residual branch outputs zero (last batch norm's weight and
// bias zero) computes ReLU(0 + shortcut(x)): removing it changes nothing,
// for identity and for option-A downsampling blocks alike.
func TestLesionZeroBranchIsNoOp(t *testing.T) {
	ctx := context.Background()
	m, err := New("resnet20", Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	randomBN(m, 4)
	x := randInput(2, 3, 16, 16, 5)
	for _, r := range []BlockRef{{0, 1}, {1, 0}, {2, 2}} {
		b, _ := m.Block(r)
		clear(b.BN2.Weight.Value.Data)
		clear(b.BN2.Bias.Value.Data)
		want, err := m.Forward(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.ForwardLesioned(ctx, x, []BlockRef{r})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(got.Data, want.Data); d != 0 {
			t.Errorf("removing zero-branch block %s changed the logits by %g", r, d)
		}
	}
	// A live block does matter.
	want, _ := m.Forward(ctx, x)
	got, err := m.ForwardLesioned(ctx, x, []BlockRef{{0, 0}})
	if err != nil {
		t.Fatal(err)
	}
	if maxDiff(got.Data, want.Data) == 0 {
		t.Error("removing a live block changed nothing")
	}
}

func TestBypass(t *testing.T) {
	x := randInput(1, 16, 8, 8, 6)
	for i := range x.Data {
		x.Data[i] = abs32(x.Data[i]) // block inputs come out of a ReLU
	}
	for _, c := range []struct {
		name  string
		ref   BlockRef
		shape []int
	}{
		{"resnet20", BlockRef{0, 1}, []int{1, 16, 8, 8}},
		{"resnet20", BlockRef{1, 0}, []int{1, 32, 4, 4}},
		{"plain20", BlockRef{0, 1}, []int{1, 16, 8, 8}},
		{"plain20", BlockRef{1, 0}, []int{1, 32, 4, 4}},
		{"resnet20b", BlockRef{1, 0}, []int{1, 32, 4, 4}},
	} {
		m, err := New(c.name, Options{Seed: 1})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.Block(c.ref)
		if err != nil {
			t.Fatal(err)
		}
		in := x
		y := b.Bypass(in)
		if !tensor.SameShape(y.Shape, c.shape) {
			t.Errorf("%s %s: bypass shape %v, want %v", c.name, c.ref, y.Shape, c.shape)
			continue
		}
		switch {
		case !b.ChangesShape():
			if maxDiff(y.Data, in.Data) != 0 {
				t.Errorf("%s %s: the bypass of a shape-keeping block is not the identity", c.name, c.ref)
			}
		case b.Downsample == nil:
			// Option A: channel 0 of the input lands in channel 8, subsampled.
			if y.Data[8*16] != in.Data[0] || y.Data[8*16+1] != in.Data[2] || y.Data[0] != 0 {
				t.Errorf("%s %s: not a subsample with zero-padded channels", c.name, c.ref)
			}
		}
		for _, v := range y.Data {
			if v < 0 {
				t.Fatalf("%s %s: bypass output %g < 0 (the block's final ReLU)", c.name, c.ref, v)
			}
		}
	}
}

func TestForwardLesionedErrors(t *testing.T) {
	ctx := context.Background()
	m, _ := New("resnet20", Options{Seed: 1})
	if _, err := m.ForwardLesioned(ctx, randInput(1, 3, 8, 8, 1), []BlockRef{{3, 0}}); err == nil {
		t.Error("no error for block layer4.0 of a three-stage network")
	}
	if _, err := m.ForwardLesioned(ctx, randInput(1, 3, 8, 8, 1), []BlockRef{{0, 3}}); err == nil {
		t.Error("no error for block layer1.3 of resnet20")
	}
	if _, err := m.ForwardLesioned(ctx, randInput(1, 1, 8, 8, 1), nil); err == nil {
		t.Error("no error for a 1-channel input to a 3-channel network")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := m.ForwardLesioned(cctx, randInput(1, 3, 8, 8, 1), nil); err == nil {
		t.Error("no error with a cancelled context")
	}
	if got := len(m.BlockRefs()); got != 9 {
		t.Errorf("resnet20 has %d blocks, want 9", got)
	}
	if s := (BlockRef{1, 0}).String(); s != "layer2.0" {
		t.Errorf("BlockRef{1,0} = %q", s)
	}
}
