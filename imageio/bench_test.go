package imageio

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
)

// The PIL side of this comparison is bench/imageio_pil.py, on the same file.
func benchPhoto(b *testing.B) []byte {
	data, err := os.ReadFile(filepath.Join("testdata", "bench_1000x750.jpg"))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

// BenchmarkImageNetEval is decode + convert + Resize(256) + CenterCrop(224)
// + ToTensor + Normalize of a 1000×750 JPEG, with Transform.Load.
func BenchmarkImageNetEval(b *testing.B) {
	data := benchPhoto(b)
	tr := ImageNetEval()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := tr.Load(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkImageNetEvalApply is the same through Decode and Apply, which
// reconstruct the whole image.
func BenchmarkImageNetEvalApply(b *testing.B) {
	data := benchPhoto(b)
	tr := ImageNetEval()
	defer reportCPU(b)()
	for b.Loop() {
		img, _, err := Decode(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := tr.Apply(img); err != nil {
			b.Fatal(err)
		}
	}
}

// reportCPU adds a cpu-ms/op metric (see cpuTime).
func reportCPU(b *testing.B) func() {
	start := cputime.Process()
	return func() {
		if b.N > 0 {
			b.ReportMetric(float64(cputime.Process()-start)/1e6/float64(b.N), "cpu-ms/op")
		}
	}
}

func BenchmarkImageNetEvalDecode(b *testing.B) {
	data := benchPhoto(b)
	defer reportCPU(b)()
	for b.Loop() {
		img, _, err := Decode(bytes.NewReader(data), Options{})
		if err != nil {
			b.Fatal(err)
		}
		ToRGB(img)
	}
}

func BenchmarkImageNetEvalTransform(b *testing.B) {
	img, _, err := Decode(bytes.NewReader(benchPhoto(b)), Options{})
	if err != nil {
		b.Fatal(err)
	}
	tr := ImageNetEval()
	defer reportCPU(b)()
	for b.Loop() {
		if _, err := tr.Apply(img); err != nil {
			b.Fatal(err)
		}
	}
}
