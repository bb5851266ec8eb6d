package npy

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/tensor"
)

type expected struct {
	Shape  []int
	Values []float64
}

func loadExpected(t testing.TB) map[string]expected {
	b, err := os.ReadFile("testdata/expected.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]expected
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Every numpy-written fixture reads back with numpy's shape and values,
// through ReadFile (sized) and Read (streamed).
func TestReadFixtures(t *testing.T) {
	for name, want := range loadExpected(t) {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", name+".npy")
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			a, err := ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			s, err := Read(bytes.NewReader(b))
			if err != nil {
				t.Fatal(err)
			}
			for _, got := range []*tensor.Tensor{a, s} {
				if !tensor.SameShape(got.Shape, want.Shape) {
					t.Fatalf("shape %v, want %v", got.Shape, want.Shape)
				}
				if len(got.Data) != len(want.Values) {
					t.Fatalf("%d values, want %d", len(got.Data), len(want.Values))
				}
				for i, v := range want.Values {
					if got.Data[i] != float32(v) {
						t.Fatalf("[%d] = %v, want %v", i, got.Data[i], v)
					}
				}
			}
		})
	}
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, shape := range [][]int{{}, {0}, {5}, {2, 3}, {1, 3, 4, 5}, {0, 7}} {
		n, _ := tensor.Numel(shape)
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(i)*0.5 - 3
		}
		if n > 0 {
			x.Data[0] = float32(math.Inf(-1))
		}
		path := filepath.Join(dir, "x.npy")
		if err := WriteFile(path, x); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		hl := int(b[8]) | int(b[9])<<8
		if (10+hl)%64 != 0 || b[10+hl-1] != '\n' {
			t.Errorf("%v: data starts at %d", shape, 10+hl)
		}
		y, err := ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !tensor.SameShape(x.Shape, y.Shape) || len(x.Data) != len(y.Data) {
			t.Fatalf("%v: got %v", shape, y.Shape)
		}
		for i := range x.Data {
			if x.Data[i] != y.Data[i] {
				t.Fatalf("%v: [%d] %v != %v", shape, i, y.Data[i], x.Data[i])
			}
		}
	}
	// Write checks the data length.
	if err := Write(io.Discard, &tensor.Tensor{Shape: []int{3}, Data: make([]float32, 2)}); err == nil {
		t.Error("short data: no error")
	}
}

func TestErrors(t *testing.T) {
	f4, _ := os.ReadFile("testdata/f4.npy")
	hdr := func(dict string) []byte {
		b := append([]byte("\x93NUMPY\x01\x00"), byte(len(dict)), byte(len(dict)>>8))
		return append(b, dict...)
	}
	// Dimensions past a 32-bit int are refused as unsupported there; on
	// 64-bit systems the first shape's element count overflows and the
	// second is valid but for the missing data.
	hugeErr, hugeValidErr, hugeValidMsg := error(ErrFormat), io.ErrUnexpectedEOF, "needs 400000000000 data bytes"
	if strconv.IntSize == 32 {
		hugeErr, hugeValidErr, hugeValidMsg = ErrUnsupported, ErrUnsupported, "exceeds this system's int"
	}
	cases := []struct {
		name string
		data []byte
		want error
		msg  string
	}{
		{"empty", nil, io.ErrUnexpectedEOF, ""},
		{"bad magic", []byte("PK\x03\x04xxxxxxxxxxxx"), ErrFormat, "bad magic"},
		{"version 4", []byte("\x93NUMPY\x04\x00\x00\x00"), ErrUnsupported, "version 4.0"},
		{"header cut", f4[:40], io.ErrUnexpectedEOF, ""},
		{"data cut", f4[:len(f4)-1], io.ErrUnexpectedEOF, ""},
		{"complex", mustRead(t, "testdata/complex.npy"), ErrUnsupported, "<c8"},
		{"object", mustRead(t, "testdata/object.npy"), ErrUnsupported, "|O"},
		{"huge shape", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1000000000000), }\n"), hugeErr, ""},
		{"huge but valid shape", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (100000000000,), }\n"), hugeValidErr, hugeValidMsg},
		{"negative dim", hdr("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }\n"), ErrFormat, "bad shape"},
		{"missing key", hdr("{'descr': '<f4', 'shape': (1,), }\n"), ErrFormat, "lacks"},
		{"not a dict", hdr("[1, 2]\n"), ErrFormat, "not a dict"},
		{"garbage", hdr("{'descr': __import__('os')}\n"), ErrFormat, ""},
		{"deep", hdr(strings.Repeat("(", 100) + "\n"), ErrFormat, "nested"},
		{"v2 huge header", []byte("\x93NUMPY\x02\x00\xff\xff\xff\x7f"), ErrFormat, "exceeds"},
		{"structured", hdr("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }\n"), ErrUnsupported, "structured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "bad.npy")
			os.WriteFile(path, c.data, 0o644)
			_, err := ReadFile(path)
			if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.msg) || !strings.Contains(err.Error(), "bad.npy") {
				t.Errorf("ReadFile: got %v, want %v containing %q", err, c.want, c.msg)
			}
			if _, err := Read(bytes.NewReader(c.data)); err == nil {
				t.Errorf("Read: no error")
			}
		})
	}
	// Every truncation of every fixture fails cleanly.
	files, _ := filepath.Glob("testdata/*.npy")
	for _, f := range files {
		b := mustRead(t, f)
		for n := 0; n < len(b); n++ {
			if _, err := Read(bytes.NewReader(b[:n])); err == nil {
				if strings.Contains(f, "empty") && n >= 128 {
					continue // the header is the whole file
				}
				t.Errorf("%s cut to %d bytes: no error", f, n)
			}
		}
	}
}

func mustRead(t testing.TB, path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzRead(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.npy")
	for _, p := range files {
		f.Add(mustRead(f, p))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		x, err := Read(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		var b bytes.Buffer
		if err := Write(&b, x); err != nil {
			t.Fatal(err)
		}
		y, err := Read(&b)
		if err != nil || !tensor.SameShape(x.Shape, y.Shape) {
			t.Fatalf("rewrite: %v %v %v", err, x.Shape, y)
		}
	})
}

func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "npy")
	defer os.RemoveAll(dir)
	x, _ := tensor.FromData([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	path := filepath.Join(dir, "x.npy")
	if err := WriteFile(path, x); err != nil {
		panic(err)
	}
	y, err := ReadFile(path)
	if err != nil {
		panic(err)
	}
	fmt.Println(y, y.Data)
	// Output: Tensor[2, 3] [1 2 3 4 5 6]
}

// TestWriteForNumpy writes files that testdata/gen/checkpoint_roundtrip_check.py
// loads with numpy.load; it runs only when CHECKPOINT_ROUNDTRIP_DIR is set.
func TestWriteForNumpy(t *testing.T) {
	dir := os.Getenv("CHECKPOINT_ROUNDTRIP_DIR")
	if dir == "" {
		t.Skip("CHECKPOINT_ROUNDTRIP_DIR not set")
	}
	os.MkdirAll(dir, 0o755)
	for name, shape := range map[string][]int{"go_scalar": {}, "go_vec": {5}, "go_nchw": {2, 3, 4, 5}, "go_empty": {0, 3}} {
		x := tensor.New(shape...)
		for i := range x.Data {
			x.Data[i] = float32(i)*0.25 - 1
		}
		if err := WriteFile(filepath.Join(dir, name+".npy"), x); err != nil {
			t.Fatal(err)
		}
	}
}
