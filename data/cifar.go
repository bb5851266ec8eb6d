package data

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/imageio"
)

// ErrCIFAR marks a file that is not a well-formed CIFAR-10 binary batch;
// it is wrapped in a *FormatError that names the file and the offset.
var ErrCIFAR = errors.New("malformed CIFAR-10 binary file")

// CIFAR-10's binary version (cifar-10-binary.tar.gz, "CIFAR-10 binary
// version (suitable for C programs)") is a sequence of 3073-byte records:
// the label (0..9), then the 32×32 red, green and blue planes, each row by
// row. data_batch_1.bin … data_batch_5.bin hold the 50,000 training images,
// test_batch.bin the 10,000 test images.
const (
	// CIFARSide is the images' width and height.
	CIFARSide       = 32
	cifarImageBytes = 3 * CIFARSide * CIFARSide
	// CIFARRecordSize is the bytes of one record: label and image.
	CIFARRecordSize = 1 + cifarImageBytes
	// CIFAR10Classes is the number of labels.
	CIFAR10Classes = 10
	// MaxCIFARRecords bounds the records read from one file (a batch
	// file holds 10,000; this allows concatenations of all six).
	MaxCIFARRecords = 1 << 17
)

// CIFAR10Labels returns CIFAR-10's class names by label, as in
// batches.meta.txt (a fresh slice each call).
func CIFAR10Labels() []string {
	return []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
}

// CIFAR10Norm returns the per-channel mean and standard deviation of x/255
// over every pixel of the 50,000 CIFAR-10 training images.
func CIFAR10Norm() (mean, std [3]float32) {
	return [3]float32{0.4914, 0.4822, 0.4465}, [3]float32{0.2470, 0.2435, 0.2616}
}

// CIFAR is a set of CIFAR-10 images: N 32×32 RGB images stored as CIFAR's
// records store them (three planes each) and their labels. As a Dataset
// it yields (3, H, W) tensors through Transform.
type CIFAR struct {
	N      int
	Images []uint8 // N·3072 bytes: per image the R, G and B planes
	Labels []uint8

	Transform Transform
}

// ReadCIFAR reads CIFAR-10 binary records from r until EOF. name is used
// in errors. A stream that ends inside a record is io.ErrUnexpectedEOF; a
// label above 9 is ErrCIFAR; more than MaxCIFARRecords records is an error
// before they are stored.
func ReadCIFAR(r io.Reader, name string) (*CIFAR, error) { return readCIFAR(r, name, -1) }

// ReadCIFARFile reads one CIFAR-10 binary batch file. Its size must be a
// whole number of records; that is checked before anything is read.
func ReadCIFARFile(path string) (*CIFAR, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return readCIFAR(f, filepath.Base(path), size)
}

func readCIFAR(r io.Reader, name string, size int64) (*CIFAR, error) {
	ferr := func(off int64, err error, format string, args ...any) error {
		return &FormatError{File: name, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	if size >= 0 {
		switch {
		case size == 0:
			return nil, ferr(0, ErrCIFAR, "empty file")
		case size%CIFARRecordSize != 0:
			return nil, ferr(size-size%CIFARRecordSize, io.ErrUnexpectedEOF, "%d bytes is not a whole number of %d-byte records", size, CIFARRecordSize)
		case size/CIFARRecordSize > MaxCIFARRecords:
			return nil, ferr(0, ErrCIFAR, "%d records, more than %d", size/CIFARRecordSize, MaxCIFARRecords)
		}
	}
	c := &CIFAR{}
	if size > 0 {
		n := size / CIFARRecordSize
		c.Images, c.Labels = make([]uint8, 0, n*cifarImageBytes), make([]uint8, 0, n)
	}
	br := bufio.NewReaderSize(r, 1<<16)
	rec := make([]byte, CIFARRecordSize)
	for {
		off := int64(c.N) * CIFARRecordSize
		k, err := io.ReadFull(br, rec)
		if err == io.EOF {
			break
		}
		if err == io.ErrUnexpectedEOF {
			return nil, ferr(off, err, "record %d ends after %d of its %d bytes", c.N, k, CIFARRecordSize)
		}
		if err != nil {
			return nil, ferr(off+int64(k), err, "reading record %d", c.N)
		}
		if c.N == MaxCIFARRecords {
			return nil, ferr(off, ErrCIFAR, "more than %d records", MaxCIFARRecords)
		}
		if rec[0] >= CIFAR10Classes {
			return nil, ferr(off, ErrCIFAR, "record %d: label %d (CIFAR-10 labels are 0..9)", c.N, rec[0])
		}
		c.Labels = append(c.Labels, rec[0])
		c.Images = append(c.Images, rec[1:]...)
		c.N++
	}
	if c.N == 0 {
		return nil, ferr(0, ErrCIFAR, "no records")
	}
	return c, nil
}

// LoadCIFAR10 reads a split of CIFAR-10's binary version from dir (the
// folder cifar-10-binary.tar.gz unpacks to, cifar-10-batches-bin): "train"
// is data_batch_1.bin … data_batch_5.bin, "test" is test_batch.bin.
func LoadCIFAR10(dir, split string) (*CIFAR, error) {
	var files []string
	switch split {
	case "train":
		for i := 1; i <= 5; i++ {
			files = append(files, fmt.Sprintf("data_batch_%d.bin", i))
		}
	case "test":
		files = []string{"test_batch.bin"}
	default:
		return nil, fmt.Errorf("data: CIFAR-10 split %q (want train or test)", split)
	}
	all := &CIFAR{}
	for _, f := range files {
		c, err := ReadCIFARFile(filepath.Join(dir, f))
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil, fmt.Errorf("data: no CIFAR-10 %s in %s (want the binary version's cifar-10-batches-bin folder): %w", f, dir, err)
			}
			return nil, err
		}
		if all.N+c.N > MaxCIFARRecords {
			return nil, fmt.Errorf("data: CIFAR-10 %s split in %s: more than %d records", split, dir, MaxCIFARRecords)
		}
		all.N += c.N
		all.Images = append(all.Images, c.Images...)
		all.Labels = append(all.Labels, c.Labels...)
	}
	return all, nil
}

// Len implements Dataset.
func (c *CIFAR) Len() int { return c.N }

// Shape implements Dataset.
func (c *CIFAR) Shape() (ch, h, w int) {
	w, h = c.Transform.OutSize(CIFARSide, CIFARSide)
	return 3, h, w
}

// Name implements Namer: "#i".
func (c *CIFAR) Name(i int) string { return fmt.Sprintf("#%d", i) }

// Image returns image i as an RGB image (CIFAR stores planes; imageio
// interleaves).
func (c *CIFAR) Image(i int) *imageio.RGB {
	const n = CIFARSide * CIFARSide
	m := imageio.NewRGB(CIFARSide, CIFARSide)
	src := c.Images[i*cifarImageBytes : (i+1)*cifarImageBytes]
	for k := 0; k < n; k++ {
		m.Pix[3*k], m.Pix[3*k+1], m.Pix[3*k+2] = src[k], src[n+k], src[2*n+k]
	}
	return m
}

// Get implements Dataset.
func (c *CIFAR) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	ch, h, w := c.Shape()
	if len(dst) != ch*h*w {
		return 0, fmt.Errorf("data: Get into %d floats, want %d", len(dst), ch*h*w)
	}
	if i < 0 || i >= c.N {
		return 0, fmt.Errorf("data: CIFAR index %d out of range [0, %d)", i, c.N)
	}
	img := c.Transform.Augment(c.Image(i), rng)
	if img.W != w || img.H != h {
		return 0, fmt.Errorf("data: CIFAR #%d transformed to %dx%d, want %dx%d", i, img.W, img.H, w, h)
	}
	c.Transform.normalize(dst, img, 3)
	return int(c.Labels[i]), nil
}
