package embedded

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/imageio"
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
