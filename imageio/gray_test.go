package imageio

import (
	"encoding/json"
	"math"
	"os"
	"testing"
)

// TestGrayscaleAgainstPIL checks Transform.Grayscale against torchvision's
// Grayscale(1) → Resize → CenterCrop → ToTensor → Normalize on PIL images
// (goldens by testdata/gen/imageio_gray.py): float32 bit equality.
func TestGrayscaleAgainstPIL(t *testing.T) {
	b, err := os.ReadFile("testdata/gray_golden.json")
	if err != nil {
		t.Fatal(err)
	}
	var cases []struct {
		File         string
		Resize, Crop int
		Tensor       []float64
	}
	if err := json.Unmarshal(b, &cases); err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		img, _, err := DecodeFile("testdata/"+c.File, Options{})
		if err != nil {
			t.Fatal(err)
		}
		tr := Transform{Resize: c.Resize, Crop: c.Crop, Mean: [3]float32{0.2860}, Std: [3]float32{0.3530}, Filter: Bilinear, Grayscale: true}
		x, err := tr.Apply(img)
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Shape) != 3 || x.Shape[0] != 1 || len(x.Data) != len(c.Tensor) {
			t.Fatalf("%s: shape %v, want (1, %d, %d)", c.File, x.Shape, c.Crop, c.Crop)
		}
		for i, v := range c.Tensor {
			if x.Data[i] != float32(v) && !(math.IsNaN(v) && x.Data[i] != x.Data[i]) {
				t.Fatalf("%s: element %d = %v, PIL+torchvision %v", c.File, i, x.Data[i], float32(v))
			}
		}
		if rgb, ok := img.(*RGB); ok {
			before := append([]uint8(nil), rgb.Pix...)
			tr.Apply(rgb)
			if string(before) != string(rgb.Pix) {
				t.Fatal("Apply changed the caller's image")
			}
		}
	}
}

func TestTransformJSON(t *testing.T) {
	in := Transform{Resize: 28, Crop: 28, Mean: [3]float32{0.286}, Std: [3]float32{0.353}, Filter: Bicubic, Grayscale: true}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	var out Transform
	if err := json.Unmarshal(b, &out); err != nil || out != in {
		t.Fatalf("%s → %+v, %v", b, out, err)
	}
	if err := json.Unmarshal([]byte(`{"Filter":"sinc"}`), &out); err == nil {
		t.Fatal("unknown filter accepted")
	}
}
