package imageio

import (
	"bytes"
	"encoding/json"
	"image"
	"image/draw"
	stdjpeg "image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// jpegDiff compares two RGB byte slices.
type jpegDiff struct {
	max       int
	mean      float64
	differing float64 // fraction of samples that differ
}

func compareRGB(a, b []uint8) jpegDiff {
	var d jpegDiff
	sum, n := 0, 0
	for i := range a {
		v := int(a[i]) - int(b[i])
		if v < 0 {
			v = -v
		}
		sum += v
		if v != 0 {
			n++
		}
		d.max = max(d.max, v)
	}
	d.mean = float64(sum) / float64(len(a))
	d.differing = float64(n) / float64(len(a))
	return d
}

// jpegBound is the largest per-sample difference from PIL measured on the
// JPEG fixtures: our decoder reproduces libjpeg-turbo exactly, so 0.
const jpegBound = 0

func TestJPEGAgainstPIL(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.JPEG {
		opt := Options{ApplyEXIFOrientation: strings.Contains(c.File, "exif")}
		img, _, err := DecodeFile(filepath.Join("testdata", c.File), opt)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join("testdata", c.RGBFile))
		if err != nil {
			t.Fatal(err)
		}
		got := ToRGB(img)
		if got.W != c.Width || got.H != c.Height || len(want) != len(got.Pix) {
			t.Fatalf("%s: size %dx%d, PIL %dx%d", c.File, got.W, got.H, c.Width, c.Height)
		}
		d := compareRGB(got.Pix, want)
		t.Logf("%-28s %-13T max|Δ| %2d  mean|Δ| %.4f  differing %5.2f%%", c.File, img, d.max, d.mean, 100*d.differing)
		if d.max > jpegBound {
			t.Errorf("%s: max |Δ| %d exceeds the achieved bound %d", c.File, d.max, jpegBound)
		}
	}
}

// TestJPEGPhotos measures realistic-size JPEGs made by
// "imageio_gen.py --photos DIR" (not committed): set IMAGEIO_PHOTOS=DIR.
// It reports our decoder and, for comparison, image/jpeg's planes with the
// same upsampling and colour conversion, and checks the ImageNet eval
// tensor against torchvision's.
func TestJPEGPhotos(t *testing.T) {
	dir := os.Getenv("IMAGEIO_PHOTOS")
	if dir == "" {
		t.Skip("IMAGEIO_PHOTOS not set")
	}
	b, err := os.ReadFile(filepath.Join(dir, "photos.json"))
	if err != nil {
		t.Fatal(err)
	}
	var photos []struct{ File string }
	if err := json.Unmarshal(b, &photos); err != nil {
		t.Fatal(err)
	}
	for _, p := range photos {
		path := filepath.Join(dir, p.File)
		want, err := os.ReadFile(path + ".rgb")
		if err != nil {
			t.Fatal(err)
		}
		wantT, err := os.ReadFile(path + ".f32")
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := DecodeFile(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		ours := compareRGB(ToRGB(img).Pix, want)
		x, _ := ImageNetEval().Apply(img)
		data, _ := os.ReadFile(path)
		y, err := ImageNetEval().Load(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		tensorEqual := bytes.Equal(floatBytes(x.Data), wantT) && bytes.Equal(floatBytes(y.Data), wantT)
		if !strings.HasSuffix(p.File, ".jpg") {
			t.Logf("%-22s ours: max %d mean %.4f differ %.2f%% tensor-equal %v", p.File, ours.max, ours.mean, 100*ours.differing, tensorEqual)
			if ours.max > jpegBound || !tensorEqual {
				t.Errorf("%s differs from PIL", p.File)
			}
			continue
		}
		std, err := stdjpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatal(err)
		}
		g := compareRGB(ToRGB(std).Pix, want)
		// Plain Go: image/jpeg's own conversion (replicated chroma).
		rgba := image.NewRGBA(std.Bounds())
		draw.Draw(rgba, rgba.Rect, std, image.Point{}, draw.Src)
		plain := NewRGB(rgba.Rect.Dx(), rgba.Rect.Dy())
		copy4to3(plain, rgba.Pix, rgba.Stride, 1)
		pg := compareRGB(plain.Pix, want)
		t.Logf("%-16s ours: max %d mean %.4f differ %.2f%% tensor-equal %v | image/jpeg planes+libjpeg upsampling: max %d mean %.4f differ %.2f%% | image/jpeg+draw: max %d mean %.4f differ %.2f%%",
			p.File, ours.max, ours.mean, 100*ours.differing, tensorEqual, g.max, g.mean, 100*g.differing, pg.max, pg.mean, 100*pg.differing)
		if ours.max > jpegBound || !tensorEqual {
			t.Errorf("%s differs from PIL", p.File)
		}
	}
}
