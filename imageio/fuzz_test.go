package imageio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode with a small pixel limit and
// runs the whole pipeline on whatever decodes: nothing may panic, and
// nothing larger than the limit may be decoded.
func FuzzDecode(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, p := range files {
		if strings.HasSuffix(p, ".json") || strings.HasSuffix(p, ".rgb") {
			continue
		}
		if b, err := os.ReadFile(p); err == nil && len(b) < 16<<10 {
			f.Add(b)
		}
	}
	f.Add(pngWithHeader(1<<20, 1<<20))
	f.Add(jpegWithSOF(300, 300))
	f.Add(gifWithScreen(5, 5))
	const limit = 1 << 16
	tr := Transform{Resize: 9, Crop: 7, Mean: ImageNetMean, Std: ImageNetStd, Filter: Bicubic}
	f.Fuzz(func(t *testing.T, data []byte) {
		img, _, err := Decode(bytes.NewReader(data), Options{MaxPixels: limit, ApplyEXIFOrientation: true})
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Empty() || int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("decoded %v despite the limit", b)
		}
		if _, err := tr.Apply(img); err != nil {
			t.Fatal(err)
		}
	})
}
