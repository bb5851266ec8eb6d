package data

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// idxBytes encodes an unsigned-byte IDX file.
func idxBytes(dims []int, data []byte) []byte {
	b := []byte{0, 0, 8, byte(len(dims))}
	for _, d := range dims {
		b = binary.BigEndian.AppendUint32(b, uint32(d))
	}
	return append(b, data...)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestReadIDX(t *testing.T) {
	data := make([]byte, 2*3*4)
	for i := range data {
		data[i] = byte(i)
	}
	for _, raw := range [][]byte{idxBytes([]int{2, 3, 4}, data), gz(idxBytes([]int{2, 3, 4}, data))} {
		x, err := ReadIDX(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Dims) != 3 || x.Dims[0] != 2 || x.Dims[1] != 3 || x.Dims[2] != 4 || !bytes.Equal(x.Data, data) {
			t.Fatalf("got %v %v", x.Dims, x.Data)
		}
	}
}

func TestReadIDXHostile(t *testing.T) {
	good := idxBytes([]int{2, 2}, []byte{1, 2, 3, 4})
	huge := []byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	for _, tc := range []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"empty", nil, io.ErrUnexpectedEOF, "magic"},
		{"short magic", []byte{0, 0, 8}, io.ErrUnexpectedEOF, "magic"},
		{"bad magic", []byte{1, 0, 8, 1, 0, 0, 0, 0}, ErrFormat, "bad magic"},
		{"float type", []byte{0, 0, 0x0d, 1, 0, 0, 0, 0}, ErrUnsupported, "0x0d"},
		{"zero dims", []byte{0, 0, 8, 0}, ErrFormat, "zero dimensions"},
		{"short dims", []byte{0, 0, 8, 3, 0, 0, 0, 1}, io.ErrUnexpectedEOF, "dimensions"},
		{"255 dims missing", []byte{0, 0, 8, 255}, io.ErrUnexpectedEOF, "255 dimensions"},
		{"huge", huge, ErrTooLarge, "exceed"},
		{"huge gz", gz(huge), ErrTooLarge, "exceed"},
		{"claims 1 GiB, holds 4 bytes", idxBytes([]int{1 << 15, 1 << 15}, []byte{1, 2, 3, 4}), io.ErrUnexpectedEOF, "got 4"},
		{"truncated", good[:len(good)-1], io.ErrUnexpectedEOF, "got 3"},
		{"truncated gz", gz(good[:len(good)-1]), io.ErrUnexpectedEOF, "got 3"},
		{"trailing", append(good, 9), ErrFormat, "trailing"},
		{"trailing gz", gz(append(good, 9)), ErrFormat, "trailing"},
		{"corrupt gz", append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte{7}, 20)...), nil, "gzip"},
		{"cut gz", gz(good)[:20], io.ErrUnexpectedEOF, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ReadIDX(bytes.NewReader(tc.in))
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v (%T), want a *FormatError", err, err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("error %v, want %v", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
		})
	}
}

func TestReadIDXFileSize(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "x-idx1-ubyte")
	// The header claims 1<<29 bytes: refused from the file size alone.
	must(t, os.WriteFile(p, idxBytes([]int{1 << 29}, []byte{1}), 0o644))
	_, err := ReadIDXFile(p)
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), "x-idx1-ubyte") {
		t.Fatalf("error %v", err)
	}
	must(t, os.WriteFile(p, idxBytes([]int{1}, []byte{1, 2}), 0o644))
	if _, err := ReadIDXFile(p); !errors.Is(err, ErrFormat) {
		t.Fatalf("error %v", err)
	}
}

// writeMNIST writes a tiny MNIST-format split (gzipped images, raw labels).
func writeMNIST(t testing.TB, dir, split string, n, rows, cols int) {
	img := make([]byte, n*rows*cols)
	lab := make([]byte, n)
	for i := range img {
		img[i] = byte(i * 7)
	}
	for i := range lab {
		lab[i] = byte(i % 10)
	}
	must(t, os.WriteFile(filepath.Join(dir, split+"-images-idx3-ubyte.gz"), gz(idxBytes([]int{n, rows, cols}, img)), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, split+"-labels-idx1-ubyte"), idxBytes([]int{n}, lab), 0o644))
}

func TestLoadMNIST(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 5, 4, 3)
	m, err := LoadMNIST(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if m.N != 5 || m.Rows != 4 || m.Cols != 3 || len(m.Images) != 60 || m.Labels[4] != 4 {
		t.Fatalf("%+v", m)
	}
	if _, err := LoadMNIST(dir, "t10k"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing split: %v", err)
	}
	// Disagreeing counts.
	must(t, os.WriteFile(filepath.Join(dir, "train-labels-idx1-ubyte"), idxBytes([]int{4}, []byte{0, 1, 2, 3}), 0o644))
	if _, err := LoadMNIST(dir, "train"); err == nil || !strings.Contains(err.Error(), "5 MNIST images but 4 labels") {
		t.Errorf("count mismatch: %v", err)
	}
}

func TestFashionMNISTDirEnv(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(FashionMNISTEnv, dir)
	if _, err := FashionMNISTDir(); err == nil || !strings.Contains(err.Error(), FashionMNISTEnv) {
		t.Fatalf("empty dir: %v", err)
	}
	writeMNIST(t, dir, "train", 1, 28, 28)
	if got, err := FashionMNISTDir(); err != nil || got != dir {
		t.Fatalf("%q %v", got, err)
	}
	if len(FashionMNISTLabels()) != 10 || FashionMNISTLabels()[9] != "Ankle boot" || FashionMNISTLabels()[0] != "T-shirt/top" {
		t.Error(FashionMNISTLabels())
	}
}

func FuzzReadIDX(f *testing.F) {
	f.Add(idxBytes([]int{2, 2}, []byte{1, 2, 3, 4}))
	f.Add(gz(idxBytes([]int{1, 1, 1}, []byte{1})))
	f.Add([]byte{0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := ReadIDX(bytes.NewReader(b))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("error %v is not a *FormatError", err)
			}
			return
		}
		n := 1
		for _, d := range x.Dims {
			n *= d
		}
		if n != len(x.Data) {
			t.Fatalf("dims %v but %d bytes", x.Dims, len(x.Data))
		}
	})
}
