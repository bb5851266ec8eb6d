package jpeg

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzDecode runs the decoder alone on arbitrary data whose frame header
// claims at most 2^16 pixels: no panic, and planes of the declared size.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "*.jpg"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil && len(b) < 32<<10 {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := DecodeConfig(data)
		if err != nil || cfg.Width*cfg.Height > 1<<16 {
			return
		}
		img, err := Decode(data)
		if err != nil {
			return
		}
		for _, c := range img.Components {
			if c.W <= 0 || c.H <= 0 || c.Stride < c.W || len(c.Pix) < c.Stride*(c.H-1)+c.W {
				t.Fatalf("bad plane %dx%d stride %d len %d", c.W, c.H, c.Stride, len(c.Pix))
			}
		}
	})
}
