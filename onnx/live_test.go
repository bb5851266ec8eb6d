package onnx

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/npy"
)

// TestLiveORT exports networks with random weights, runs each file with
// ONNX Runtime (npm onnxruntime-node, through testdata/gen/onnx_ort.js)
// and compares its logits with the model's own forward pass, within SPEC
// §6 (two float32 computations summing in different orders), top-1
// included. .ci/onnx.sh installs the package and sets ONNX_ORT_NODE_PATH
// to its node_modules; without it the test says so and skips.
func TestLiveORT(t *testing.T) {
	nodePath := os.Getenv("ONNX_ORT_NODE_PATH")
	if nodePath == "" {
		t.Skip("set ONNX_ORT_NODE_PATH to a node_modules holding onnxruntime-node (see .ci/onnx.sh)")
	}
	script, err := filepath.Abs("../testdata/gen/onnx_ort.js")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		batch   int
		side    int
		options Options
	}{
		{"resnet18", 2, 224, Options{}},
		{"resnet50", 1, 224, Options{ExternalData: true}}, // weights in resnet50.onnx.data
		{"resnext50_32x4d", 2, 160, Options{}},            // symbolic height and width, not 224
		{"wide_resnet50_2", 1, 96, Options{Batch: 1, Height: 96, Width: 96}},
		{"resnet20", 3, 32, Options{}}, // option-A shortcut: Slice and Pad
		{"resnet20b", 2, 32, Options{}},
		{"plain20", 2, 32, Options{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			m, err := models.New(tc.name, models.Options{Seed: 11})
			if err != nil {
				t.Fatal(err)
			}
			x := testInput(tc.batch, tc.side)
			want, err := m.Forward(ctx, x)
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, tc.name+".onnx")
			if err := ExportFile(ctx, path, m, tc.options); err != nil {
				t.Fatal(err)
			}
			in, out := filepath.Join(dir, tc.name+".in.npy"), filepath.Join(dir, tc.name+".ort.npy")
			if err := npy.WriteFile(in, x); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("node", script, path, in, out)
			cmd.Env = append(os.Environ(), "NODE_PATH="+nodePath)
			msg, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("ONNX Runtime: %v\n%s", err, msg)
			}
			got, err := npy.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
				t.Fatalf("ONNX Runtime against the model: %v", err)
			}
			if g, w := testutil.Argmax(got), testutil.Argmax(want); !slices.Equal(g, w) {
				t.Errorf("top-1 %v, the model's %v", g, w)
			}
			t.Logf("%s (%dx3x%dx%d): ONNX Runtime's logits max |Δ| %.3g from ours (max |logit| %.3g)",
				tc.name, tc.batch, tc.side, tc.side, testutil.MaxDiff(got.Data, want.Data), testutil.MaxAbs(want.Data))
		})
	}
}
