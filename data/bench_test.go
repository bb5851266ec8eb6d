package data

import (
	"context"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/internal/cputime"
)

// writePhotos writes n photo-sized JPEGs (smooth gradients plus noise,
// quality 90) in 4 classes.
func writePhotos(b *testing.B, root string, n, w, h int) {
	for i := range n {
		dir := filepath.Join(root, fmt.Sprintf("c%d", i%4))
		must(b, os.MkdirAll(dir, 0o755))
		m := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		r := rand.New(rand.NewPCG(uint64(i), 0))
		for y := range h {
			for x := range w {
				m.Y[y*m.YStride+x] = uint8((x*255/w+y*128/h)/2 + r.IntN(24))
			}
		}
		for k := range m.Cb {
			m.Cb[k], m.Cr[k] = uint8(100+k%50), uint8(140-k%40)
		}
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("%04d.jpg", i)))
		must(b, err)
		must(b, jpeg.Encode(f, m, &jpeg.Options{Quality: 90}))
		must(b, f.Close())
	}
}

// benchLoader runs b.N batches through l, epoch after epoch, and reports
// images per second of wall time and CPU milliseconds per image (all
// workers together: steadier than wall time on a shared machine).
func benchLoader(b *testing.B, l *Loader) {
	images := 0
	epoch := 0
	b.ResetTimer()
	cpu0 := cputime.Process()
	for done := 0; done < b.N; epoch++ {
		it, err := l.Epoch(context.Background(), epoch, 0)
		if err != nil {
			b.Fatal(err)
		}
		for done < b.N {
			batch, err := it.Next()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			images += len(batch.Labels)
			done++
		}
		it.Close()
	}
	b.ReportMetric(float64(images)/b.Elapsed().Seconds(), "images/s")
	b.ReportMetric(float64(cputime.Process()-cpu0)/1e6/float64(images), "cpu-ms/img")
	if n := l.NumSkipped(); n > 0 {
		b.Fatalf("%d skipped", n)
	}
}

// go test -run XXX -bench Loader -benchtime 20x ./data/
//
// $RESNET_BENCH_PHOTOS, if set, names a directory to write the photos in
// and keep (for testdata/gen/data_bench_torch.py to time torchvision on).
func BenchmarkLoaderImageFolder(b *testing.B) {
	root := os.Getenv("RESNET_BENCH_PHOTOS")
	if root == "" {
		root = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(root, "c0")); err != nil {
		writePhotos(b, root, 64, 500, 375)
	}
	f, err := OpenImageFolder(root)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		t    Transform
	}{
		{"train224", TrainTransform(224)},
		{"eval224", EvalTransform(imageio.ImageNetEval())},
	} {
		b.Run(tc.name, func(b *testing.B) {
			g := *f
			g.Transform = tc.t
			benchLoader(b, &Loader{Dataset: &g, BatchSize: 32, Shuffle: true, Seed: 1})
		})
	}
}

func BenchmarkLoaderFashionMNIST(b *testing.B) {
	dir, err := FashionMNISTDir()
	if err != nil {
		b.Skip(err)
	}
	m, err := LoadMNIST(dir, "train")
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		channels int
		t        Transform
	}{
		{"plain", 1, Transform{Mean: [3]float32{FashionMNISTMean}, Std: [3]float32{FashionMNISTStd}}},
		{"pad4crop28flip", 1, CIFARTrainTransform(28, [3]float32{FashionMNISTMean}, [3]float32{FashionMNISTStd})},
		{"3ch_resize32", 3, Transform{Steps: []Step{Resize{W: 32, H: 32, Filter: imageio.Bilinear}, RandomHorizontalFlip{P: 0.5}}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			d := *m
			d.Channels, d.Transform = tc.channels, tc.t
			benchLoader(b, &Loader{Dataset: &d, BatchSize: 128, Shuffle: true, Seed: 1})
		})
	}
}
