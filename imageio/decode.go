// Package imageio decodes images and turns them into network inputs the way
// PyTorch users do it: PIL.Image.open(f).convert("RGB"), then torchvision's
// Resize, CenterCrop, ToTensor and Normalize.
//
// Every step is bit-exact with Pillow 9.4 (libjpeg-turbo 2.1) and
// torchvision 0.14: decoding and convert("RGB") of PNG, GIF, BMP, TIFF,
// WebP (lossy with libwebp's upsampling and conversion) and
// baseline/progressive JPEG (our own decoder, internal/jpeg, with
// libjpeg-turbo's ISLOW IDCT, fancy upsampling and colour conversion), the
// fixed-point resampling, the crop rounding and the float32 normalisation. README.md says how this is tested.
//
// Decoding is safe for untrusted input: the format is sniffed from the
// content, the pixel count is checked before any pixel memory is allocated,
// and malformed files give errors, never panics.
package imageio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/png"
	"io"
	"os"
	"strings"

	"github.com/resnetgo/resnet/imageio/internal/jpeg"
	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
	"golang.org/x/image/webp"
)

// DefaultMaxPixels is PIL's Image.MAX_IMAGE_PIXELS (1024·1024·1024/4/3):
// PIL warns above it; we refuse, as PIL does from twice that.
const DefaultMaxPixels = 1024 * 1024 * 1024 / 4 / 3

// Options controls decoding. The zero value gives PIL's behaviour: a
// DefaultMaxPixels limit and EXIF orientation ignored.
type Options struct {
	// MaxPixels bounds width×height; 0 means DefaultMaxPixels, a negative
	// value disables the check.
	MaxPixels int64
	// ApplyEXIFOrientation rotates/flips JPEG images as their EXIF
	// Orientation tag says. PIL and torchvision do not, so it is off by
	// default.
	ApplyEXIFOrientation bool
}

// Errors returned (wrapped) by Decode and DecodeFile.
var (
	ErrUnknownFormat = errors.New("imageio: unknown image format")
	ErrTooLarge      = errors.New("imageio: image exceeds the pixel limit")
	ErrEmpty         = errors.New("imageio: image has zero width or height")
)

type format struct {
	name   string
	magic  func([]byte) bool
	config func(io.Reader) (image.Config, error)
	decode func(io.Reader) (image.Image, error)
}

var formats = []format{
	{"jpeg", func(b []byte) bool { return bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) }, nil, nil},
	{"png", func(b []byte) bool { return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) }, png.DecodeConfig, png.Decode},
	{"gif", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("GIF87a")) || bytes.HasPrefix(b, []byte("GIF89a"))
	}, gif.DecodeConfig, gif.Decode},
	{"bmp", func(b []byte) bool { return bytes.HasPrefix(b, []byte("BM")) }, bmp.DecodeConfig, bmp.Decode},
	{"tiff", func(b []byte) bool {
		return bytes.HasPrefix(b, []byte("II*\x00")) || bytes.HasPrefix(b, []byte("MM\x00*"))
	}, tiff.DecodeConfig, tiff.Decode},
	{"webp", func(b []byte) bool {
		return len(b) >= 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP"
	}, webp.DecodeConfig, webp.Decode},
}

// Decode reads a whole image from r. It sniffs the format from the content
// (JPEG, PNG, GIF, BMP, TIFF, WebP), checks the dimensions against
// opt.MaxPixels before decoding, and returns the image with the name of its
// format. The image keeps the information PIL's convert("RGB") needs
// (palette colours even where transparent, 16-bit samples); pass it to
// ToRGB or Transform.Apply.
func Decode(r io.Reader, opt Options) (image.Image, string, error) {
	data, err := readAll(r, opt)
	if err != nil {
		return nil, "", err
	}
	return decodeBytes(data, opt, nil)
}

// DecodeFile is Decode on the named file; its errors name the file.
func DecodeFile(path string, opt Options) (image.Image, string, error) {
	data, err := ReadFile(path, opt)
	if err != nil {
		return nil, "", err
	}
	img, f, err := decodeBytes(data, opt, nil)
	if err != nil {
		return nil, f, fmt.Errorf("%s: %w", path, err)
	}
	return img, f, nil
}

// maxEncodedBytes is the most bytes an encoded image within opt's pixel
// limit can take in any format we read (8 a pixel: 16-bit RGBA stored
// uncompressed), and a megabyte for headers and metadata; negative when
// the limit is off.
func maxEncodedBytes(opt Options) int64 {
	limit := pixelLimit(opt)
	if limit < 0 {
		return -1
	}
	return 8*limit + 1<<20
}

// pixelLimit is opt's bound on width×height, negative for none.
func pixelLimit(opt Options) int64 {
	if opt.MaxPixels == 0 {
		return DefaultMaxPixels
	}
	return opt.MaxPixels
}

// readAll reads r to its end, but no further than maxEncodedBytes: an
// endless stream (cat /dev/zero | resnet classify -) is ErrTooLarge, not
// memory grown until the process dies.
func readAll(r io.Reader, opt Options) ([]byte, error) {
	most := maxEncodedBytes(opt)
	if most >= 0 {
		r = io.LimitReader(r, most+1)
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("imageio: read: %w", err)
	}
	if most >= 0 && int64(len(data)) > most {
		return nil, fmt.Errorf("%w: more than %d bytes of encoded image", ErrTooLarge, most)
	}
	return data, nil
}

// ReadFile reads an encoded image file as DecodeFile does before
// decoding it: a regular file larger than any image within opt's pixel
// limit can be is refused before it is read, and anything else (a device,
// a pipe) read no further than that. Its errors name the file.
func ReadFile(path string, opt Options) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		if most := maxEncodedBytes(opt); most >= 0 && st.Size() > most {
			return nil, fmt.Errorf("%s: %w: %d bytes, more than any image within %d pixels takes", path, ErrTooLarge, st.Size(), pixelLimit(opt))
		}
	}
	data, err := readAll(f, opt)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// decodeBytes decodes data. need, if not nil, tells from the image size
// which pixels the caller will read; a JPEG then reconstructs only those
// (the others stay 0).
func decodeBytes(data []byte, opt Options, need func(w, h int) image.Rectangle) (img image.Image, name string, err error) {
	if len(data) == 0 {
		return nil, "", fmt.Errorf("%w (empty input)", ErrUnknownFormat)
	}
	var f *format
	for i := range formats {
		if formats[i].magic(data) {
			f = &formats[i]
			break
		}
	}
	if f == nil {
		return nil, "", ErrUnknownFormat
	}
	name = f.name
	// The decoders we call are not ours; a malformed file must still be an
	// error, not a crash of the caller's process.
	defer func() {
		if p := recover(); p != nil {
			img, err = nil, fmt.Errorf("imageio: %s: malformed image (decoder panic: %v)", name, p)
		}
	}()
	cmyk := false
	if name == "tiff" {
		data, cmyk = tiffCMYKAsRGBA(data)
	}
	if name == "jpeg" {
		// Our own decoder: its planes are libjpeg-turbo's (ISLOW IDCT).
		cfg, err := jpeg.DecodeConfig(data)
		if err != nil {
			return nil, name, fmt.Errorf("imageio: %w", err)
		}
		if err := checkSize(cfg.Width, cfg.Height, opt); err != nil {
			return nil, name, err
		}
		var r image.Rectangle
		if need != nil && !opt.ApplyEXIFOrientation {
			r = need(cfg.Width, cfg.Height)
		}
		j, err := jpeg.DecodeRegion(data, r)
		if err != nil {
			return nil, name, fmt.Errorf("imageio: %w", err)
		}
		img = jpegToImage(j, r)
	} else {
		// A PNG's size is checked from its header first: on a 32-bit
		// system the standard decoder refuses width·height past the int
		// range ("dimension overflow") before the limit could say so.
		if name == "png" && len(data) >= 24 && string(data[12:16]) == "IHDR" {
			w, h := int64(binary.BigEndian.Uint32(data[16:20])), int64(binary.BigEndian.Uint32(data[20:24]))
			if err := checkSize64(w, h, opt); errors.Is(err, ErrTooLarge) {
				return nil, name, err
			}
		}
		cfg, err := f.config(bytes.NewReader(data))
		if err != nil {
			return nil, name, decodeError(name, err)
		}
		if err := checkSize(cfg.Width, cfg.Height, opt); err != nil {
			return nil, name, err
		}
		img, err = f.decode(bytes.NewReader(data))
		if err != nil {
			return nil, name, decodeError(name, err)
		}
	}
	b := img.Bounds()
	if err := checkSize(b.Dx(), b.Dy(), opt); err != nil {
		return nil, name, err
	}
	switch name {
	case "png":
		img = pngFix(data, img)
	case "gif":
		if img, err = gifFix(data, img, opt); err != nil {
			return nil, name, err
		}
	case "webp":
		// Lossy WebP: convert now, as libwebp does, while we know the source.
		switch m := img.(type) {
		case *image.YCbCr:
			if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.Rect.Min == (image.Point{}) {
				img = webpToRGB(m)
			}
		case *image.NYCbCrA:
			if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.Rect.Min == (image.Point{}) {
				img = webpToRGB(&m.YCbCr)
			}
		}
	case "tiff":
		if cmyk {
			img = cmykFromNRGBA(img)
		}
	case "jpeg":
		if opt.ApplyEXIFOrientation {
			if o := jpegOrientation(data); o > 1 {
				img = ToRGB(img).orient(o)
			}
		}
	}
	return img, name, nil
}

func checkSize(w, h int, opt Options) error { return checkSize64(int64(w), int64(h), opt) }

func checkSize64(w, h int64, opt Options) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("%w (%dx%d)", ErrEmpty, w, h)
	}
	// w > limit/h is w·h > limit without overflowing (a PNG header's
	// 2³²−1 × 2³²−1 would).
	if limit := pixelLimit(opt); limit > 0 && w > limit/h {
		return fmt.Errorf("%w: %dx%d = %.0f pixels > %d", ErrTooLarge, w, h, float64(w)*float64(h), limit)
	}
	return nil
}

// decodeError wraps a decoder's error for format name, naming the format
// unless the decoder's message already starts with it (the standard
// library's "png: invalid format: …").
func decodeError(name string, err error) error {
	if strings.HasPrefix(err.Error(), name+": ") {
		return fmt.Errorf("imageio: %w", err)
	}
	return fmt.Errorf("imageio: %s: %w", name, err)
}
