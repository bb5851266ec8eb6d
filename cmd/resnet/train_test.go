package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/train"
)

// tinyFolder makes an ImageFolder with two classes of small PNGs, one of
// them corrupt.
func tinyFolder(t *testing.T) string {
	root := filepath.Join(t.TempDir(), "data")
	for _, c := range []string{"a", "b"} {
		os.MkdirAll(filepath.Join(root, c), 0o755)
		for i := 0; i < 5; i++ {
			copyFile(t, "../../imageio/testdata/rgb_photo_120x90.png", filepath.Join(root, c, string(rune('0'+i))+".png"))
		}
	}
	os.WriteFile(filepath.Join(root, "b", "corrupt.png"), []byte("\x89PNG\r\n\x1a\ngarbage"), 0o644)
	return root
}

func TestTrainResumeAndOutputs(t *testing.T) {
	root := tinyFolder(t)
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"train", "--arch", "resnet20", "--data", root, "--size", "32", "--batch", "4", "--epochs", "1", "--out", out, "--seed", "3"}
	if _, err := run(t, args...); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"checkpoint.pth", "model.pth", "model.safetensors", "model.pth.transform.json", "model.pth.labels.txt", "labels.txt", "metrics.csv", "metrics.json", "curves.png"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s: %v", f, err)
		}
	}
	var h []train.EpochStats
	b, _ := os.ReadFile(filepath.Join(out, "metrics.json"))
	if err := json.Unmarshal(b, &h); err != nil || len(h) != 1 || h[0].Images != 10 || h[0].Skipped != 1 {
		t.Fatalf("metrics %s: %+v %v (want 10 images, the corrupt one skipped)", b, h, err)
	}
	// Resume to a second epoch: history grows, epoch 1 is kept.
	resumed := append(append([]string{}, args...), "--resume", filepath.Join(out, "checkpoint.pth"))
	resumed[10] = "2" // --epochs 2
	if _, err := run(t, resumed...); err != nil {
		t.Fatal(err)
	}
	b, _ = os.ReadFile(filepath.Join(out, "metrics.json"))
	if err := json.Unmarshal(b, &h); err != nil || len(h) != 2 || h[1].Epoch != 2 {
		t.Fatalf("after resuming: %s", b)
	}
	// The weights classify with the folder's class names.
	o, err := run(t, "classify", "--weights", filepath.Join(out, "model.pth"), "--arch", "resnet20", "--topk", "2", filepath.Join(root, "a", "0.png"))
	if err != nil || !strings.Contains(o, " a\n") || !strings.Contains(o, " b\n") {
		t.Fatalf("classify with saved labels: %v\n%s", err, o)
	}
	o, err = run(t, "classify", "--weights", filepath.Join(out, "model.safetensors"), "--topk", "1", "--arch", "resnet20", filepath.Join(root, "b", "0.png"))
	if err != nil || !strings.Contains(o, " a\n") && !strings.Contains(o, " b\n") {
		t.Fatalf("classify with model.safetensors: %v\n%s", err, o)
	}
	// A checkpoint of another architecture is refused.
	other := []string{"train", "--arch", "resnet32", "--data", root, "--size", "32", "--epochs", "3", "--out", out, "--resume", filepath.Join(out, "checkpoint.pth")}
	if _, err := run(t, other...); err == nil || !strings.Contains(err.Error(), "resnet20") {
		t.Fatalf("resume from another architecture: %v", err)
	}
}

func TestTrainBadData(t *testing.T) {
	root := tinyFolder(t)
	os.MkdirAll(filepath.Join(root, "empty"), 0o755)
	_, err := run(t, "train", "--arch", "resnet20", "--data", root, "--out", t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "empty") {
		t.Fatalf("empty class folder: %v", err)
	}
	if _, err := run(t, "train", "--arch", "resnet20", "--data", filepath.Join(root, "nope"), "--out", t.TempDir()); err == nil {
		t.Fatal("missing data directory: no error")
	}
	if _, err := run(t, "finetune", "--data", root); err == nil || !strings.Contains(err.Error(), "--model") {
		t.Fatalf("finetune without weights: %v", err)
	}
	// A side of 100000 would be 120 GB a batch of 32: refused, not an
	// allocation the runtime dies of.
	for _, size := range []string{"100000", "-3"} {
		if _, err := run(t, "train", "--arch", "resnet20", "--data", root, "--size", size, "--out", t.TempDir()); err == nil || !strings.Contains(err.Error(), "--size "+size) {
			t.Errorf("--size %s: %v", size, err)
		}
	}
}
