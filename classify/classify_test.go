package classify

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
)

func TestSoftmaxTopK(t *testing.T) {
	p := Softmax([]float32{1, 3, 2, 3})
	var s float64
	for _, v := range p {
		s += v
	}
	if math.Abs(s-1) > 1e-12 {
		t.Fatalf("softmax sums to %v", s)
	}
	// exp(3-3)/(e^-2 + 1 + e^-1 + 1)
	if want := 1 / (math.Exp(-2) + 2 + math.Exp(-1)); math.Abs(p[1]-want) > 1e-12 {
		t.Fatalf("p[1] = %v, want %v", p[1], want)
	}
	if got := TopK(p, 3); got[0] != 1 || got[1] != 3 || got[2] != 2 {
		t.Fatalf("TopK = %v, want [1 3 2] (ties by index)", got)
	}
	if got := TopK(p, 10); len(got) != 4 {
		t.Fatalf("TopK beyond length: %v", got)
	}
	// Large logits must not overflow.
	if p := Softmax([]float32{1000, 0}); math.IsNaN(p[0]) || p[0] != 1 {
		t.Fatalf("softmax overflow: %v", p)
	}
}

func writePNG(t *testing.T, path string, w, h int, c color.RGBA) {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < w*h; i++ {
		img.Set(i%w, i/w, color.RGBA{c.R + uint8(i%7), c.G, c.B, 255})
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := png.Encode(f, img); err != nil {
		t.Fatal(err)
	}
}

// tinyClassifier is a random CIFAR ResNet-20 saved and reloaded with labels.
func tinyClassifier(t *testing.T) (*Classifier, string) {
	dir := t.TempDir()
	m, err := models.New("resnet20b", models.Options{Seed: 3, NumClasses: 4})
	if err != nil {
		t.Fatal(err)
	}
	sd := models.StateDict(m)
	sd.Metadata = map[string]string{"labels": `["ant","bee","cat","dog"]`}
	path := filepath.Join(dir, "tiny.safetensors")
	if err := checkpoint.SaveSafetensors(path, sd); err != nil {
		t.Fatal(err)
	}
	c, err := LoadFile(context.Background(), "resnet20b", path)
	if err != nil {
		t.Fatal(err)
	}
	c.Transform = imageio.Transform{Resize: 36, Crop: 32, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	return c, dir
}

func TestClassifyFilesReportsFailuresPerFile(t *testing.T) {
	c, dir := tinyClassifier(t)
	if c.Label(2) != "cat" {
		t.Fatalf("labels from metadata: %q", c.Label(2))
	}
	good1, good2 := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	writePNG(t, good1, 40, 50, color.RGBA{200, 10, 10, 255})
	writePNG(t, good2, 64, 33, color.RGBA{10, 10, 200, 255})
	bad := filepath.Join(dir, "bad.png")
	os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644)
	missing := filepath.Join(dir, "missing.png")
	files := []string{good1, bad, missing, good2}
	var got []Result
	err := c.ClassifyFiles(context.Background(), files, FileOptions{TopK: 3, Batch: 3, Logits: true, Features: true}, func(r Result) { got = append(got, r) })
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("%d results", len(got))
	}
	for i, r := range got {
		if r.File != files[i] {
			t.Errorf("result %d is for %s, want %s", i, r.File, files[i])
		}
	}
	if got[1].Err == nil || got[2].Err == nil || !strings.Contains(got[2].Err.Error(), "missing.png") {
		t.Fatalf("errors: %v, %v", got[1].Err, got[2].Err)
	}
	// The batched results must equal classifying each image alone.
	for _, i := range []int{0, 3} {
		r := got[i]
		if r.Err != nil || len(r.Top) != 3 || len(r.Logits) != 4 || len(r.Features) != 64 {
			t.Fatalf("%s: %+v", r.File, r)
		}
		img, _, err := imageio.DecodeFile(r.File, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		alone, err := c.Classify(context.Background(), img, 3)
		if err != nil {
			t.Fatal(err)
		}
		for k := range alone {
			if alone[k].Index != r.Top[k].Index || math.Abs(alone[k].Prob-r.Top[k].Prob) > 1e-6 {
				t.Errorf("%s: batched %+v, alone %+v", r.File, r.Top, alone)
			}
		}
		// A batch of two may take other kernels than one image (the
		// engine picks Winograd forms and tilings by the batch's size), so
		// it agrees to float32 rounding, like the batched results above.
		batch, err := c.ClassifyImages(context.Background(), []image.Image{img, img}, 3)
		if err != nil || len(batch) != 2 || batch[1][0].Index != alone[0].Index || batch[1][0].Label != alone[0].Label ||
			math.Abs(batch[1][0].Prob-alone[0].Prob) > 1e-6 {
			t.Errorf("ClassifyImages: %v %v, alone %v", batch, err, alone)
		}
		x, _ := c.Preprocess(img)
		x, _ = x.Reshape(1, 3, 32, 32)
		y, _ := c.Logits(context.Background(), x)
		if !closeSlices(y.Data, r.Logits, 1e-5) {
			t.Errorf("logits differ: %v vs %v", y.Data, r.Logits)
		}
	}
}

func closeSlices(a, b []float32, tol float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Abs(float64(a[i]-b[i])) > tol {
			return false
		}
	}
	return true
}

func TestLabelsMismatch(t *testing.T) {
	c, _ := tinyClassifier(t)
	if err := c.SetLabels([]string{"a", "b"}); err == nil {
		t.Fatal("2 labels for 4 classes accepted")
	}
	if c.Label(17) != "class 17" {
		t.Fatal(c.Label(17))
	}
}

func ExampleClassifier_Classify() {
	// A randomly initialised CIFAR ResNet-20 stands in for real weights here;
	// classify.Load(ctx, "resnext101_32x8d_wsl", nil) fetches pretrained ones.
	m, _ := models.New("resnet20", models.Options{NumClasses: 3, Seed: 1})
	c := &Classifier{Model: m, Labels: []string{"red", "green", "blue"},
		Transform: imageio.Transform{Resize: 32, Crop: 32, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}}
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	top, err := c.Classify(context.Background(), img, 3)
	if err != nil {
		panic(err)
	}
	var sum float64
	for _, p := range top {
		sum += p.Prob
	}
	fmt.Printf("%d classes, probabilities sum to %.2f\n", len(top), sum)
	// Output: 3 classes, probabilities sum to 1.00
}
