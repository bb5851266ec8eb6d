package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// Errors wrapped by FormatError.
var (
	// ErrFormat marks a file that is not a well-formed IDX file.
	ErrFormat = errors.New("malformed IDX file")
	// ErrTooLarge marks dimensions beyond MaxIDXBytes or beyond the data
	// the file holds.
	ErrTooLarge = errors.New("IDX dimensions out of bounds")
	// ErrUnsupported marks an IDX element type other than unsigned byte.
	ErrUnsupported = errors.New("unsupported IDX element type")
)

// FormatError describes a problem in an IDX file. Err is ErrFormat,
// ErrTooLarge, ErrUnsupported or an I/O error such as io.ErrUnexpectedEOF.
type FormatError struct {
	File   string // base name, if known
	Offset int64  // byte offset of the problem in the (decompressed) stream
	Msg    string
	Err    error
}

func (e *FormatError) Error() string {
	s := "data: "
	if e.File != "" {
		s += e.File + ": "
	}
	s += fmt.Sprintf("offset %d: %s", e.Offset, e.Msg)
	if e.Err != nil && e.Err != ErrFormat && e.Err != ErrTooLarge && e.Err != ErrUnsupported {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the sentinel or I/O error.
func (e *FormatError) Unwrap() error { return e.Err }

// MaxIDXBytes bounds the element data of one IDX file (1 GiB; the MNIST
// training images are 47 MB).
const MaxIDXBytes = 1 << 30

// IDX is an array of unsigned bytes read from an IDX file (LeCun's MNIST
// format): a big-endian header — two zero bytes, the type 0x08, the number
// of dimensions, then each dimension as uint32 — followed by the elements
// in row-major order.
type IDX struct {
	Dims []int
	Data []uint8
}

// ReadIDX reads an IDX file of unsigned bytes from r, gunzipping it first
// if it starts with the gzip magic. Every dimension is checked before
// anything is allocated, and the buffer grows only as data arrives, so a
// header that claims more than the stream holds costs no more memory than
// the stream: it ends in io.ErrUnexpectedEOF.
func ReadIDX(r io.Reader) (*IDX, error) { return readIDX(r, "", -1) }

// ReadIDXFile is ReadIDX on the named file; errors name the file, and an
// uncompressed file's size is checked against its header.
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	size := int64(-1)
	if st, err := f.Stat(); err == nil && st.Mode().IsRegular() {
		size = st.Size()
	}
	return readIDX(f, filepath.Base(path), size)
}

func readIDX(r io.Reader, name string, size int64) (*IDX, error) {
	ferr := func(off int64, err error, format string, args ...any) error {
		return &FormatError{File: name, Offset: off, Msg: fmt.Sprintf(format, args...), Err: err}
	}
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, ferr(0, err, "gzip header")
		}
		defer zr.Close()
		br, size = bufio.NewReader(zr), -1
	}
	var hdr [4]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return nil, ferr(0, unexpected(err), "reading the magic number")
	}
	if hdr[0] != 0 || hdr[1] != 0 {
		return nil, ferr(0, ErrFormat, "bad magic % x (want 00 00 type ndims)", hdr)
	}
	if hdr[2] != 0x08 {
		return nil, ferr(2, ErrUnsupported, "element type 0x%02x (only 0x08, unsigned byte, is supported)", hdr[2])
	}
	nd := int(hdr[3])
	if nd == 0 {
		return nil, ferr(3, ErrFormat, "zero dimensions")
	}
	dimBytes := make([]byte, 4*nd)
	if _, err := io.ReadFull(br, dimBytes); err != nil {
		return nil, ferr(4, unexpected(err), "reading %d dimensions", nd)
	}
	dims := make([]int, nd)
	total := int64(1)
	for i := range dims {
		d := int64(binary.BigEndian.Uint32(dimBytes[4*i:]))
		dims[i] = int(d)
		if d != 0 && total > MaxIDXBytes/d {
			return nil, ferr(int64(4+4*i), ErrTooLarge, "dimensions %v exceed %d bytes", dims[:i+1], MaxIDXBytes)
		}
		total *= d
	}
	hdrLen := int64(4 + 4*nd)
	if size >= 0 && size != hdrLen+total {
		if size < hdrLen+total {
			return nil, ferr(hdrLen, io.ErrUnexpectedEOF, "dimensions %v need %d bytes of data, the file holds %d", dims, total, size-hdrLen)
		}
		return nil, ferr(hdrLen+total, ErrFormat, "%d bytes after the %v elements", size-hdrLen-total, dims)
	}
	// Grow with the data actually read, not with what the header claims.
	var buf bytes.Buffer
	buf.Grow(int(min(total, 1<<20)))
	n, err := io.Copy(&buf, io.LimitReader(br, total))
	if err != nil {
		return nil, ferr(hdrLen+n, err, "reading elements")
	}
	if n < total {
		return nil, ferr(hdrLen+n, io.ErrUnexpectedEOF, "dimensions %v need %d bytes of data, got %d", dims, total, n)
	}
	if _, err := br.ReadByte(); err == nil {
		return nil, ferr(hdrLen+total, ErrFormat, "trailing data after the %v elements", dims)
	} else if err != io.EOF {
		return nil, ferr(hdrLen+total, err, "after the elements")
	}
	return &IDX{Dims: dims, Data: buf.Bytes()}, nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// FashionMNISTLabels returns the class names of Fashion-MNIST, by label
// (a fresh slice each call).
func FashionMNISTLabels() []string {
	return []string{
		"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
		"Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
	}
}

// Normalisation constants of the Fashion-MNIST training images (mean and
// standard deviation of x/255 over all pixels), and of MNIST's.
const (
	FashionMNISTMean = 0.2860
	FashionMNISTStd  = 0.3530
	MNISTMean        = 0.1307
	MNISTStd         = 0.3081
)

// FashionMNISTEnv names the environment variable that overrides
// FashionMNISTDir.
const FashionMNISTEnv = "RESNET_FASHION_MNIST"

// DebianFashionMNISTDir is where Debian's dataset-fashion-mnist package
// installs the IDX files (gzipped).
const DebianFashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTDir returns the directory holding the Fashion-MNIST IDX
// files: $RESNET_FASHION_MNIST if set, else Debian's location. It fails,
// saying how to get the files, if the directory lacks the training images.
func FashionMNISTDir() (string, error) {
	dir := os.Getenv(FashionMNISTEnv)
	if dir == "" {
		dir = DebianFashionMNISTDir
	}
	if _, err := findIDX(dir, "train-images-idx3-ubyte"); err != nil {
		return "", fmt.Errorf("data: no Fashion-MNIST in %s (apt-get install dataset-fashion-mnist, or set %s): %w", dir, FashionMNISTEnv, err)
	}
	return dir, nil
}

// findIDX returns dir/name or dir/name.gz, whichever exists.
func findIDX(dir, name string) (string, error) {
	for _, n := range []string{name, name + ".gz"} {
		p := filepath.Join(dir, n)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, nil
		}
	}
	return "", fmt.Errorf("data: neither %s nor %[2]s.gz in %s: %w", name, name, dir, os.ErrNotExist)
}

// MNIST is one split of MNIST or Fashion-MNIST: N grayscale images of
// Rows×Cols bytes and their labels. As a Dataset it yields
// (Channels, H, W) tensors through Transform; Channels 0 means 1, and 3
// replicates the gray channel (for ImageNet-style networks).
type MNIST struct {
	N, Rows, Cols int
	Images        []uint8 // N·Rows·Cols bytes, image after image
	Labels        []uint8

	Channels  int
	Transform Transform
}

// LoadMNIST reads the split "train" or "t10k" from dir:
// {split}-images-idx3-ubyte and {split}-labels-idx1-ubyte, each possibly
// gzipped (.gz), checking that they agree on the number of images.
func LoadMNIST(dir, split string) (*MNIST, error) {
	ip, err := findIDX(dir, split+"-images-idx3-ubyte")
	if err != nil {
		return nil, err
	}
	lp, err := findIDX(dir, split+"-labels-idx1-ubyte")
	if err != nil {
		return nil, err
	}
	images, err := ReadIDXFile(ip)
	if err != nil {
		return nil, err
	}
	labels, err := ReadIDXFile(lp)
	if err != nil {
		return nil, err
	}
	return NewMNIST(images, labels)
}

// NewMNIST pairs an images IDX array (N, rows, cols) with a labels array
// (N).
func NewMNIST(images, labels *IDX) (*MNIST, error) {
	if len(images.Dims) != 3 {
		return nil, fmt.Errorf("data: MNIST images have dimensions %v, want (N, rows, cols)", images.Dims)
	}
	if len(labels.Dims) != 1 {
		return nil, fmt.Errorf("data: MNIST labels have dimensions %v, want (N)", labels.Dims)
	}
	if images.Dims[0] != labels.Dims[0] {
		return nil, fmt.Errorf("data: %d MNIST images but %d labels", images.Dims[0], labels.Dims[0])
	}
	return &MNIST{N: images.Dims[0], Rows: images.Dims[1], Cols: images.Dims[2], Images: images.Data, Labels: labels.Data}, nil
}
