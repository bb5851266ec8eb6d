package embedded

import (
	"bytes"
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/tensor"
)

// TestSamples classifies the sample images shipped in samples/ (the first
// test-split image of each class, written by testdata/gen/samples.py).
func TestSamples(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if c.Model.Config.InChannels != 1 || !c.Transform.Grayscale || len(c.Labels) != 10 {
		t.Fatalf("embedded classifier: %d channels, grayscale %v, %d labels", c.Model.Config.InChannels, c.Transform.Grayscale, len(c.Labels))
	}
	files, _ := filepath.Glob("../samples/*.png")
	if len(files) != 10 {
		t.Fatalf("%d sample images", len(files))
	}
	right := 0
	for _, f := range files {
		img, _, err := imageio.DecodeFile(f, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		top, err := c.Classify(context.Background(), img, 1)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("%s: %s (%.3f)", filepath.Base(f), top[0].Label, top[0].Prob)
		if strings.HasPrefix(filepath.Base(f), sampleKey(top[0].Index)) {
			right++
		}
	}
	md, _ := Metadata()
	acc, _ := strconv.ParseFloat(md["val_acc"], 64)
	t.Logf("%d of 10 samples right; test accuracy recorded in the file: %.2f%%", right, 100*acc)
	// A network with test accuracy a gets each sample right with probability a;
	// fewer than half right would mean the file or the pipeline is broken.
	if acc < 0.8 || right < 5 {
		t.Errorf("%d of 10 samples right, recorded accuracy %v", right, acc)
	}
}

// sampleKey is the file-name prefix samples.py uses for class i.
func sampleKey(i int) string {
	return []string{"tshirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker", "bag", "boot"}[i]
}

// TestEngineMatchesReference: Load runs the compiled engine (1-channel
// 28×28 input through the CIFAR stem); on the samples its logits equal the
// reference path's within SPEC §6, with the same ranking.
func TestEngineMatchesReference(t *testing.T) {
	eng, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	sd, err := checkpoint.LoadFrom(bytes.NewReader(weights), int64(len(weights)), Name)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := classify.FromStateDict(sd.Metadata["arch"], sd, classify.Options{Reference: true})
	if err != nil {
		t.Fatal(err)
	}
	if eng.Model.Conv1 != nil || ref.Model.Conv1 == nil {
		t.Fatal("Load did not compile the network, or the reference classifier did")
	}
	files, _ := filepath.Glob("../samples/*.png")
	if len(files) == 0 {
		t.Fatal("no samples")
	}
	x := tensorOf(t, eng, files)
	ctx := context.Background()
	want, err := ref.Logits(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := eng.Logits(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Error(err)
	}
	t.Logf("%d samples: max |Δlogit| %.3g, max |logit| %.3g", len(files), testutil.MaxDiff(got.Data, want.Data), testutil.MaxAbs(want.Data))
	g, w := testutil.Argmax(got), testutil.Argmax(want)
	for i := range w {
		if g[i] != w[i] {
			t.Errorf("%s: engine class %d, reference %d", files[i], g[i], w[i])
		}
	}
}

// tensorOf preprocesses the files into one batch (N, 1, 28, 28).
func tensorOf(t *testing.T, c *classify.Classifier, files []string) *tensor.Tensor {
	t.Helper()
	var batch *tensor.Tensor
	for i, f := range files {
		img, _, err := imageio.DecodeFile(f, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		x, err := c.Preprocess(img)
		if err != nil {
			t.Fatal(err)
		}
		if batch == nil {
			batch = tensor.New(append([]int{len(files)}, x.Shape...)...)
		}
		copy(batch.Data[i*x.Len():], x.Data)
	}
	return batch
}
