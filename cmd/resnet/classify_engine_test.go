package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/npy"
	"github.com/resnetgo/resnet/tensor"
)

// TestClassifyEngineFlag: `resnet classify` on the engine (the default)
// and with --engine=false gives the same logits and features within SPEC
// §6, for the built-in network and for a PyTorch checkpoint, with a batch
// size that leaves a remainder.
func TestClassifyEngineFlag(t *testing.T) {
	dir := t.TempDir()
	samples, _ := filepath.Glob("../../samples/*.png")
	if len(samples) == 0 {
		t.Fatal("no samples")
	}
	for _, tc := range []struct {
		name   string
		args   []string
		images []string
	}{
		{"embedded", nil, samples},
		// A 3-channel network: the grayscale samples at ImageNet's 224×224.
		{"resnet20.pth", []string{"--weights", fixture, "--arch", "resnet20"}, samples[:4]},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if testing.Short() && tc.name != "embedded" {
				t.Skip("224×224 images: not in -short")
			}
			logits := map[bool]*tensor.Tensor{}
			feats := map[bool]*tensor.Tensor{}
			for _, eng := range []bool{true, false} {
				f := filepath.Join(dir, tc.name+map[bool]string{true: ".eng.npy", false: ".ref.npy"}[eng])
				a := append([]string{"classify", "--json", "--logits", "--batch", "3", "--features", f}, tc.args...)
				if !eng {
					a = append(a, "--engine=false")
				}
				out, err := run(t, append(a, tc.images...)...)
				if err != nil {
					t.Fatal(err)
				}
				lines := strings.Split(strings.TrimSpace(out), "\n")
				var y *tensor.Tensor
				for i, l := range lines {
					var r struct{ Logits []float32 }
					if err := json.Unmarshal([]byte(l), &r); err != nil || len(r.Logits) == 0 {
						t.Fatalf("line %q: %v", l, err)
					}
					if y == nil {
						y = tensor.New(len(lines), len(r.Logits))
					}
					copy(y.Data[i*len(r.Logits):], r.Logits)
				}
				logits[eng] = y
				if feats[eng], err = npy.ReadFile(f); err != nil {
					t.Fatal(err)
				}
			}
			if err := testutil.Compare(logits[true], logits[false], testutil.RelTol, testutil.AbsTol); err != nil {
				t.Errorf("logits: %v", err)
			}
			if err := testutil.Compare(feats[true], feats[false], testutil.RelTol, testutil.AbsTol); err != nil {
				t.Errorf("features: %v", err)
			}
			g, w := testutil.Argmax(logits[true]), testutil.Argmax(logits[false])
			for i := range w {
				if g[i] != w[i] {
					t.Errorf("%s: class %d on the engine, %d on the reference path", tc.images[i], g[i], w[i])
				}
			}
		})
	}
}
