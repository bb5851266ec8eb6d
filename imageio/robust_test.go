package imageio

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

func pngWithHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.WriteString(typ)
		b.Write(data)
		binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte(typ), data...)))
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr, w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// jpegWithSOF is a JPEG whose frame header claims w×h; no pixel data.
func jpegWithSOF(w, h uint16) []byte {
	b := []byte{0xff, 0xd8, 0xff, 0xc0, 0, 11, 8, byte(h >> 8), byte(h), byte(w >> 8), byte(w), 1, 1, 0x11, 0}
	return append(b, 0xff, 0xda, 0, 8, 1, 1, 0, 0, 63, 0, 0xff, 0xd9)
}

func gifWithScreen(w, h uint16) []byte {
	b := []byte("GIF89a")
	b = append(b, byte(w), byte(w>>8), byte(h), byte(h>>8), 0, 0, 0)
	b = append(b, 0x2c, 0, 0, 0, 0, byte(w), byte(w>>8), byte(h), byte(h>>8), 0, 2, 2, 0x4c, 0x01, 0, 0x3b)
	return b
}

// gifFrameAt is a GIF with a sw×sh screen and one fw×fh frame at (x, y).
func gifFrameAt(sw, sh, fw, fh, x, y uint16) []byte {
	b := []byte("GIF89a")
	b = append(b, byte(sw), byte(sw>>8), byte(sh), byte(sh>>8), 0, 0, 0)
	b = append(b, 0x2c, byte(x), byte(x>>8), byte(y), byte(y>>8), byte(fw), byte(fw>>8), byte(fh), byte(fh>>8), 0, 2, 2, 0x4c, 0x01, 0, 0x3b)
	return b
}

func TestBadInput(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "rgb_64x48.png"))
	if err != nil {
		t.Fatal(err)
	}
	jpg, err := os.ReadFile(filepath.Join("testdata", "jpeg420_64x48.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	corrupt := append([]byte(nil), jpg...)
	for i := len(corrupt) / 2; i < len(corrupt)-2; i++ {
		corrupt[i] = 0xff // markers everywhere in the entropy-coded data
	}
	cases := []struct {
		name string
		data []byte
		opt  Options
		is   error
	}{
		{"empty", nil, Options{}, ErrUnknownFormat},
		{"unknown", []byte("hello, world, this is not an image"), Options{}, ErrUnknownFormat},
		{"truncated png", good[:len(good)/2], Options{}, nil},
		{"truncated jpeg", jpg[:len(jpg)*2/3], Options{}, nil},
		{"corrupt jpeg", corrupt, Options{}, nil},
		{"zero width png", pngWithHeader(0, 10), Options{}, nil},
		{"zero height jpeg", jpegWithSOF(10, 0), Options{}, nil},
		{"huge png", pngWithHeader(1<<20, 1<<20), Options{}, ErrTooLarge},
		{"largest png header", pngWithHeader(1<<32-1, 1<<32-1), Options{}, ErrTooLarge}, // w·h past int64
		{"huge jpeg", jpegWithSOF(65535, 65535), Options{}, ErrTooLarge},
		{"huge gif", gifWithScreen(40000, 40000), Options{}, ErrTooLarge},
		{"over custom limit", good, Options{MaxPixels: 64*48 - 1}, ErrTooLarge},
		{"gif frame outside the screen", gifFrameAt(1, 40000, 40000, 1, 0, 0), Options{}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.img")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			img, _, err := DecodeFile(path, c.opt)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatalf("decoded %v, want an error", img.Bounds())
			}
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			for _, f := range []string{"png: ", "jpeg: ", "gif: "} {
				if strings.Count(err.Error(), f) > 1 {
					t.Errorf("error %q names the format twice", err)
				}
			}
			if c.is != nil && !errors.Is(err, c.is) {
				t.Errorf("error %q is not %v", err, c.is)
			}
			if grown := after.TotalAlloc - before.TotalAlloc; grown > 8<<20 {
				t.Errorf("allocated %d bytes before failing", grown)
			}
		})
	}
	if _, _, err := DecodeFile(filepath.Join(t.TempDir(), "missing.png"), Options{}); err == nil || !strings.Contains(err.Error(), "missing.png") {
		t.Errorf("missing file: %v", err)
	}
	if _, _, err := Decode(bytes.NewReader(good), Options{MaxPixels: -1}); err != nil {
		t.Errorf("limit disabled: %v", err)
	}
}

// Every prefix of every fixture must decode or fail cleanly, never panic,
// and a decoded image must have its full size.
func TestTruncatedFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.*"))
	for _, f := range files {
		if strings.HasSuffix(f, ".json") || strings.HasSuffix(f, ".rgb") {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		full, _, err := Decode(bytes.NewReader(data), Options{})
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		step := max(1, len(data)/97)
		for n := 0; n < len(data); n += step {
			img, _, err := Decode(bytes.NewReader(data[:n]), Options{})
			if err == nil && img.Bounds() != full.Bounds() {
				t.Errorf("%s[:%d]: decoded %v, want %v", f, n, img.Bounds(), full.Bounds())
			}
		}
	}
}

func TestEXIFOrientation(t *testing.T) {
	path := filepath.Join("testdata", "jpeg_exif6_24x16.jpg")
	plain, _, err := DecodeFile(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	rotated, _, err := DecodeFile(path, Options{ApplyEXIFOrientation: true})
	if err != nil {
		t.Fatal(err)
	}
	p, r := ToRGB(plain), ToRGB(rotated)
	if p.W != 24 || p.H != 16 || r.W != 16 || r.H != 24 {
		t.Fatalf("sizes %dx%d and %dx%d", p.W, p.H, r.W, r.H)
	}
	// Orientation 6: the stored image is turned a quarter clockwise for display.
	for y := range r.H {
		for x := range r.W {
			if r.At(x, y) != p.At(y, p.H-1-x) {
				t.Fatalf("pixel (%d,%d) not rotated", x, y)
			}
		}
	}
	for o := 1; o <= 8; o++ {
		m := NewRGB(3, 2)
		for i := range m.Pix {
			m.Pix[i] = uint8(i)
		}
		if o > 1 {
			m = m.orient(o)
		}
		if (o >= 5) != (m.W == 2) {
			t.Errorf("orientation %d: size %dx%d", o, m.W, m.H)
		}
	}
}

func TestLoadBatch(t *testing.T) {
	paths := []string{
		filepath.Join("testdata", "rgb_photo_120x90.png"),
		filepath.Join("testdata", "missing.png"),
		filepath.Join("testdata", "p_trns_27x21.gif"),
		filepath.Join("testdata", "jpeg420_64x48.jpg"),
	}
	tr := Transform{Resize: 20, Crop: 16, Mean: ImageNetMean, Std: ImageNetStd, Filter: Bilinear}
	x, errs := LoadBatch(context.Background(), paths, tr, Options{})
	if len(errs) != len(paths) || errs[1] == nil || !strings.Contains(errs[1].Error(), "missing.png") {
		t.Fatalf("errs = %v", errs)
	}
	if want := []int{4, 3, 16, 16}; len(x.Shape) != 4 || x.Shape[0] != 4 || x.Shape[1] != 3 || x.Shape[2] != 16 || x.Shape[3] != 16 {
		t.Fatalf("shape %v, want %v", x.Shape, want)
	}
	per := 3 * 16 * 16
	for i, p := range paths {
		if errs[i] != nil {
			for _, v := range x.Data[i*per : (i+1)*per] {
				if v != 0 {
					t.Fatalf("failed slot %d is not zero", i)
				}
			}
			continue
		}
		img, _, err := DecodeFile(p, Options{})
		if err != nil {
			t.Fatal(err)
		}
		one, err := tr.Apply(img)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(floatBytes(one.Data), floatBytes(x.Data[i*per:(i+1)*per])) {
			t.Errorf("batch slot %d differs from Apply", i)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, errs := LoadBatch(ctx, paths[:1], tr, Options{}); errs == nil || !errors.Is(errs[0], context.Canceled) {
		t.Errorf("cancelled: %v", errs)
	}
	if _, errs := LoadBatch(context.Background(), paths[:1], Transform{Resize: 20, Std: ImageNetStd}, Options{}); errs == nil {
		t.Error("crop 0 accepted")
	}
}

func TestCenterCropPadding(t *testing.T) {
	m := NewRGB(3, 2)
	for i := range m.Pix {
		m.Pix[i] = 200
	}
	c := m.CenterCrop(6, 5) // pads 1 left / 2 right, 1 top / 2 bottom
	white := func(x, y int) bool { return c.Pix[3*(y*c.W+x)] == 200 }
	for y := range 5 {
		for x := range 6 {
			if want := x >= 1 && x < 4 && y >= 1 && y < 3; white(x, y) != want {
				t.Fatalf("pixel (%d,%d) = %v, want %v", x, y, white(x, y), want)
			}
		}
	}
}

// TestTransformLimits: a transform whose resize or crop would make an
// image past the pixel limit is an error (ErrTooLarge), not an allocation
// that ends the process: transforms come with checkpoints. The limit is
// the decoder's (Options.MaxPixels), on the resized image (its shape
// depends on each image's: a 10×1000 image resized to 32 on its shorter
// side is 32×3200) and on the crop.
func TestTransformLimits(t *testing.T) {
	img := NewRGB(8, 8)
	for _, tr := range []Transform{
		{Crop: 100000, Std: ImageNetStd},
		{Resize: 100000000, Crop: 4, Std: ImageNetStd, Filter: Bilinear},
		{Resize: 100000000, Crop: 4, Std: ImageNetStd, Filter: Nearest},
	} {
		if _, err := tr.Apply(img); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Apply with %+v: %v, want ErrTooLarge", tr, err)
		}
		if _, err := tr.Load(bytes.NewReader(pngWithPixels(8, 8)), Options{}); !errors.Is(err, ErrTooLarge) {
			t.Errorf("Load with %+v: %v, want ErrTooLarge", tr, err)
		}
	}
	if err := (Transform{Crop: 100000, Std: ImageNetStd}).Check(Options{}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Check of a 100000×100000 crop: %v", err)
	}
	if err := ImageNetEval().Check(Options{}); err != nil {
		t.Errorf("Check of ImageNet's eval transform: %v", err)
	}
	if err := ImageNetEval().Check(Options{MaxPixels: 224*224 - 1}); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Check of a 224×224 crop under a smaller limit: %v", err)
	}
	tall := pngWithPixels(10, 1000)
	opt := Options{MaxPixels: 100000}
	if _, err := (Transform{Resize: 32, Std: ImageNetStd}).Load(bytes.NewReader(tall), opt); !errors.Is(err, ErrTooLarge) {
		t.Errorf("10×1000 resized to 32×3200 under a limit of 100000: %v", err)
	}
	x, err := (Transform{Resize: 31, Std: ImageNetStd}).Load(bytes.NewReader(tall), opt)
	if err != nil || x.Shape[1] != 3100 || x.Shape[2] != 31 {
		t.Errorf("10×1000 resized to 31×3100 under a limit of 100000: %v %v", x, err)
	}
	if x, errs := LoadBatch(context.Background(), []string{filepath.Join("testdata", "rgb_photo_120x90.png")}, Transform{Crop: 100000, Std: ImageNetStd}, Options{}); x != nil || errs == nil || !errors.Is(errs[0], ErrTooLarge) {
		t.Errorf("LoadBatch with a 100000×100000 crop: %v %v", x, errs)
	}
}

// pngWithPixels encodes a grey w×h PNG.
func pngWithPixels(w, h int) []byte {
	var b bytes.Buffer
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = uint8(i)
	}
	if err := png.Encode(&b, m); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// zeros is an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// TestReadLimits: an encoded image is read no further than any image
// within the pixel limit can take (8 bytes a pixel, and a megabyte):
// an endless stream, a device or a file past that is ErrTooLarge instead
// of memory grown until the process dies.
func TestReadLimits(t *testing.T) {
	opt := Options{MaxPixels: 1000} // 8000 bytes and a megabyte
	if _, _, err := Decode(zeros{}, opt); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Decode of an endless stream: %v", err)
	}
	if _, err := ImageNetEval().Load(zeros{}, opt); !errors.Is(err, ErrTooLarge) {
		t.Errorf("Load of an endless stream: %v", err)
	}
	big := filepath.Join(t.TempDir(), "big.png")
	if err := os.WriteFile(big, append(pngWithHeader(10, 10), make([]byte, 2<<20)...), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := DecodeFile(big, opt); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), big) {
		t.Errorf("DecodeFile of a 2 MB file: %v", err)
	}
	if _, errs := LoadBatch(context.Background(), []string{big}, ImageNetEval(), opt); errs == nil || !errors.Is(errs[0], ErrTooLarge) {
		t.Errorf("LoadBatch of a 2 MB file: %v", errs)
	}
	if runtime.GOOS != "windows" {
		if _, _, err := DecodeFile("/dev/zero", opt); !errors.Is(err, ErrTooLarge) {
			t.Errorf("DecodeFile of /dev/zero: %v", err)
		}
	}
	// The default limit takes photo-sized files.
	if _, _, err := DecodeFile(filepath.Join("testdata", "rgb_photo_120x90.png"), Options{}); err != nil {
		t.Error(err)
	}
}
