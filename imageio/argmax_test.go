//go:build argmax

// Behind a build tag so that imageio's tests do not depend on the models
// package: go test -tags argmax -run ArgmaxPhotos ./imageio/ (with the env
// below).

package imageio_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/draw"
	stdjpeg "image/jpeg"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// TestArgmaxPhotos runs a random-weight resnet50 on the photos of
// IMAGEIO_PHOTOS (see TestJPEGPhotos) preprocessed three ways — PIL's
// tensor, ours, and Go's image/jpeg + draw followed by our exact resize —
// and counts how often the argmax differs from PIL's. Set IMAGEIO_ARGMAX=1.
//
//	IMAGEIO_PHOTOS=DIR IMAGEIO_ARGMAX=1 go test -tags argmax -run ArgmaxPhotos -v ./imageio/
func TestArgmaxPhotos(t *testing.T) {
	dir := os.Getenv("IMAGEIO_PHOTOS")
	if dir == "" || os.Getenv("IMAGEIO_ARGMAX") == "" {
		t.Skip("IMAGEIO_PHOTOS and IMAGEIO_ARGMAX not set")
	}
	b, err := os.ReadFile(filepath.Join(dir, "photos.json"))
	if err != nil {
		t.Fatal(err)
	}
	var photos []struct{ File string }
	if err := json.Unmarshal(b, &photos); err != nil {
		t.Fatal(err)
	}
	net, err := models.New("resnet50", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var last, pilLogits []float32
	argmax := func(x *tensor.Tensor) int {
		in, _ := x.Reshape(1, 3, 224, 224)
		y, err := net.Forward(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		last = y.Data
		best := 0
		for i, v := range y.Data {
			if v > y.Data[best] {
				best = i
			}
		}
		return best
	}
	// relDiff is max |Δlogit| / max |logit| against PIL's logits.
	relDiff := func() float64 {
		var d, m float64
		for i, v := range pilLogits {
			d = math.Max(d, math.Abs(float64(last[i]-v)))
			m = math.Max(m, math.Abs(float64(v)))
		}
		return d / m
	}
	var oursRel, goRel float64
	tr := imageio.ImageNetEval()
	var n, oursDiff, goDiff int
	for _, p := range photos {
		path := filepath.Join(dir, p.File)
		raw, err := os.ReadFile(path + ".f32")
		if err != nil {
			t.Fatal(err)
		}
		pil := tensor.New(3, 224, 224)
		for i := range pil.Data {
			pil.Data[i] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*i:]))
		}
		data, _ := os.ReadFile(path)
		ours, err := tr.Load(bytes.NewReader(data), imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		a := argmax(pil)
		pilLogits = last
		n++
		if argmax(ours) != a {
			oursDiff++
		}
		oursRel = math.Max(oursRel, relDiff())
		if strings.HasSuffix(p.File, ".jpg") {
			std, err := stdjpeg.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			rgba := image.NewRGBA(std.Bounds())
			draw.Draw(rgba, rgba.Rect, std, image.Point{}, draw.Src)
			g, _ := tr.Apply(rgba)
			if argmax(g) != a {
				goDiff++
			}
			goRel = math.Max(goRel, relDiff())
		}
	}
	t.Logf("argmax differs from PIL's: ours %d/%d, image/jpeg+draw %d/%d; max |Δlogit|/max|logit|: ours %.2g, image/jpeg+draw %.2g",
		oursDiff, n, goDiff, n-2, oursRel, goRel)
	if oursDiff != 0 {
		t.Error("our tensors changed an argmax")
	}
}
