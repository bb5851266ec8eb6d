package imageio

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzDecode feeds arbitrary bytes to Decode with a small pixel limit and
// runs the whole pipeline on whatever decodes: nothing may panic, nothing
// larger than the limit may be decoded, and Transform.Load must give
// Apply's tensor.
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
		img, _, err := Decode(bytes.NewReader(data), Options{MaxPixels: limit})
		if err != nil {
			return
		}
		b := img.Bounds()
		if b.Empty() || int64(b.Dx())*int64(b.Dy()) > limit {
			t.Fatalf("decoded %v despite the limit", b)
		}
		want, err := tr.Apply(img)
		if err != nil {
			t.Fatal(err)
		}
		// Load reconstructs only what the crop reads: same tensor.
		got, err := tr.Load(bytes.NewReader(data), Options{MaxPixels: limit})
		if err != nil {
			t.Fatalf("Load failed where Decode worked: %v", err)
		}
		if !bytes.Equal(floatBytes(got.Data), floatBytes(want.Data)) {
			t.Fatal("Load differs from Apply")
		}
	})
}
