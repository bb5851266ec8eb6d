package data

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// cifarRecords makes n records whose label is (first+i)%10 and whose
// pixel k of plane p is (i + 7p + k) mod 256.
func cifarRecords(n, first int) []byte {
	var b []byte
	for i := 0; i < n; i++ {
		b = append(b, byte((first+i)%10))
		for p := 0; p < 3; p++ {
			for k := 0; k < 32*32; k++ {
				b = append(b, byte(i+7*p+k))
			}
		}
	}
	return b
}

func writeCIFAR(t testing.TB, dir string) {
	for i := 1; i <= 5; i++ {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("data_batch_%d.bin", i)), cifarRecords(2, 2*(i-1)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "test_batch.bin"), cifarRecords(3, 5), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadCIFAR10(t *testing.T) {
	dir := t.TempDir()
	writeCIFAR(t, dir)
	tr, err := LoadCIFAR10(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	if tr.Len() != 10 {
		t.Fatalf("train has %d images, want 10", tr.Len())
	}
	for i := 0; i < 10; i++ {
		if int(tr.Labels[i]) != i {
			t.Errorf("train label %d = %d (batches concatenated out of order?)", i, tr.Labels[i])
		}
	}
	te, err := LoadCIFAR10(dir, "test")
	if err != nil {
		t.Fatal(err)
	}
	if te.Len() != 3 || te.Labels[0] != 5 {
		t.Fatalf("test: %d images, first label %d; want 3, 5", te.Len(), te.Labels[0])
	}
	// Planes become interleaved RGB: pixel 5 of image 1 is (1+5, 1+7+5, 1+14+5).
	m := te.Image(1)
	if got := m.Pix[15:18]; !bytes.Equal(got, []byte{6, 13, 20}) {
		t.Errorf("pixel 5 of image 1 = %v, want [6 13 20]", got)
	}
	// As a Dataset with no transform: (3, 32, 32), x/255 plane by plane.
	c, h, w := te.Shape()
	if c != 3 || h != 32 || w != 32 {
		t.Fatalf("shape (%d, %d, %d)", c, h, w)
	}
	dst := make([]float32, c*h*w)
	label, err := te.Get(1, nil, dst)
	if err != nil {
		t.Fatal(err)
	}
	if label != 6 || dst[5] != float32(6)/255 || dst[1024+5] != float32(13)/255 || dst[2048+5] != float32(20)/255 {
		t.Errorf("Get: label %d, pixel 5 = %v %v %v", label, dst[5], dst[1024+5], dst[2048+5])
	}
	// Normalised and augmented (the CIFAR recipe) keeps the shape.
	mean, std := CIFAR10Norm()
	te.Transform = CIFARTrainTransform(32, mean, std)
	if _, err := te.Get(2, rand.New(rand.NewPCG(1, 2)), dst); err != nil {
		t.Fatal(err)
	}
	if _, err := te.Get(3, nil, dst); err == nil {
		t.Error("no error for index 3 of 3")
	}
	if _, err := te.Get(0, nil, dst[:10]); err == nil {
		t.Error("no error for a short destination")
	}
	if len(CIFAR10Labels()) != CIFAR10Classes {
		t.Error("CIFAR10Labels is not 10 names")
	}
}

func TestCIFARHostile(t *testing.T) {
	good := cifarRecords(2, 0)
	badLabel := append([]byte{}, good...)
	badLabel[CIFARRecordSize] = 10
	for _, c := range []struct {
		name string
		data []byte
		want error
		off  int64
	}{
		{"empty", nil, ErrCIFAR, 0},
		{"truncated record", good[:CIFARRecordSize+100], io.ErrUnexpectedEOF, CIFARRecordSize},
		{"label 10", badLabel, ErrCIFAR, CIFARRecordSize},
	} {
		dir := t.TempDir()
		p := filepath.Join(dir, "x.bin")
		if err := os.WriteFile(p, c.data, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadCIFARFile(p)
		var fe *FormatError
		if !errors.Is(err, c.want) || !errors.As(err, &fe) || fe.Offset != c.off || fe.File != "x.bin" {
			t.Errorf("%s: file error %v, want %v at offset %d", c.name, err, c.want, c.off)
		}
		// The same from a stream whose size is not known.
		_, err = ReadCIFAR(bytes.NewReader(c.data), "s")
		if !errors.Is(err, c.want) || !errors.As(err, &fe) || fe.Offset != c.off {
			t.Errorf("%s: stream error %v, want %v at offset %d", c.name, err, c.want, c.off)
		}
	}
	if _, err := LoadCIFAR10(t.TempDir(), "train"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("empty folder: %v, want os.ErrNotExist", err)
	}
	if _, err := LoadCIFAR10(t.TempDir(), "validation"); err == nil {
		t.Error("no error for split validation")
	}
}

func FuzzReadCIFAR(f *testing.F) {
	f.Add(cifarRecords(1, 3))
	f.Add([]byte{0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ReadCIFAR(bytes.NewReader(b), "fuzz")
		if err != nil {
			return
		}
		if c.N*CIFARRecordSize != len(b) || len(c.Labels) != c.N || len(c.Images) != c.N*3072 {
			t.Fatalf("%d records from %d bytes", c.N, len(b))
		}
	})
}
