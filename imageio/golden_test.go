package imageio

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// golden.json is written by testdata/gen/imageio_gen.py with Pillow 9.4 and
// torchvision 0.14; every digest must match bit for bit.
type golden struct {
	Pillow string `json:"pillow"`
	Cases  []struct {
		File          string `json:"file"`
		Mode          string `json:"mode"`
		Width, Height int
		RGB           string `json:"rgb"`
		Resize        []struct {
			Width, Height int
			Filter        string `json:"filter"`
			RGB           string `json:"rgb"`
		} `json:"resize"`
		Eval []struct {
			Resize, Crop int
			Filter       string `json:"filter"`
			Uint8        string `json:"uint8"`
			Float32      string `json:"float32"`
		} `json:"eval"`
	} `json:"cases"`
	JPEG []struct {
		File          string `json:"file"`
		Width, Height int
		RGBFile       string `json:"rgb_file"`
	} `json:"jpeg"`
}

func loadGolden(t testing.TB) *golden {
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

func digest(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func floatBytes(x []float32) []byte {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return b
}

func TestGoldenPIL(t *testing.T) {
	g := loadGolden(t)
	for _, c := range g.Cases {
		t.Run(c.File, func(t *testing.T) {
			img, _, err := DecodeFile(filepath.Join("testdata", c.File), Options{})
			if err != nil {
				t.Fatal(err)
			}
			rgb := ToRGB(img)
			if rgb.W != c.Width || rgb.H != c.Height {
				t.Fatalf("size %dx%d, PIL %dx%d", rgb.W, rgb.H, c.Width, c.Height)
			}
			if digest(rgb.Pix) != c.RGB {
				t.Fatalf("convert(RGB) differs from PIL (mode %s, %T)", c.Mode, img)
			}
			for _, r := range c.Resize {
				f, err := ParseFilter(r.Filter)
				if err != nil {
					t.Fatal(err)
				}
				if got := rgb.Resize(r.Width, r.Height, f); digest(got.Pix) != r.RGB {
					t.Errorf("resize %dx%d %s differs from PIL", r.Width, r.Height, r.Filter)
				}
			}
			for _, e := range c.Eval {
				f, _ := ParseFilter(e.Filter)
				tr := Transform{Resize: e.Resize, Crop: e.Crop, Mean: ImageNetMean, Std: ImageNetStd, Filter: f}
				if got := tr.Preprocess(rgb); digest(got.Pix) != e.Uint8 {
					t.Errorf("eval resize %d crop %d %s: uint8 differs from torchvision", e.Resize, e.Crop, e.Filter)
				}
				x, err := tr.Apply(img)
				if err != nil {
					t.Fatal(err)
				}
				if digest(floatBytes(x.Data)) != e.Float32 {
					t.Errorf("eval resize %d crop %d %s: float32 differs from torchvision", e.Resize, e.Crop, e.Filter)
				}
				data, _ := os.ReadFile(filepath.Join("testdata", c.File))
				if y, err := tr.Load(bytes.NewReader(data), Options{}); err != nil || digest(floatBytes(y.Data)) != e.Float32 {
					t.Errorf("eval resize %d crop %d %s: Load differs from torchvision (%v)", e.Resize, e.Crop, e.Filter, err)
				}
			}
		})
	}
}

// Load reconstructs only part of a JPEG; the result must equal Apply's.
func TestLoadEqualsApply(t *testing.T) {
	g := loadGolden(t)
	trs := []Transform{ImageNetEval()}
	for _, s := range [][2]int{{8, 6}, {16, 16}, {12, 20}, {40, 9}, {0, 5}, {7, 0}} {
		for _, f := range []Filter{Bilinear, Bicubic, Nearest, Lanczos} {
			trs = append(trs, Transform{Resize: s[0], Crop: s[1], Mean: ImageNetMean, Std: ImageNetStd, Filter: f})
		}
	}
	for _, c := range g.JPEG {
		data, err := os.ReadFile(filepath.Join("testdata", c.File))
		if err != nil {
			t.Fatal(err)
		}
		img, _, err := Decode(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range trs {
			want, _ := tr.Apply(img)
			got, err := tr.Load(bytes.NewReader(data), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(floatBytes(got.Data), floatBytes(want.Data)) {
				t.Errorf("%s %+v: Load differs from Apply", c.File, tr)
			}
		}
	}
}
