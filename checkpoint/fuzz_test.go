package checkpoint

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func addSeeds(f *testing.F, glob string) {
	files, _ := filepath.Glob(filepath.Join("testdata", glob))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// typed fails the fuzz run for an error that is not one of ours.
func typed(t *testing.T, err error) {
	if err == nil {
		return
	}
	var fe *FormatError
	var ue *UnsupportedError
	if !errors.As(err, &fe) && !errors.As(err, &ue) {
		t.Fatalf("untyped error %T: %v", err, err)
	}
}

func FuzzUnpickle(f *testing.F) {
	addSeeds(f, "*.pkl")
	for _, p := range []string{"tiny_zip.pth", "dtypes_zip.pth", "tiny_proto4.pth", "views_zip.pth"} {
		zr, err := zip.OpenReader(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		for _, e := range zr.File {
			if strings.HasSuffix(e.Name, "data.pkl") {
				rc, _ := e.Open()
				b, _ := io.ReadAll(rc)
				f.Add(b)
			}
		}
		zr.Close()
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unpickle(data)
		typed(t, err)
		if err == nil {
			// Whatever decodes must re-encode (except forbidden content).
			if _, err := pickleBytes(v); err != nil && !strings.Contains(err.Error(), "cannot pickle") {
				t.Fatalf("re-pickle: %v", err)
			}
		}
	})
}

func pickleBytes(v any) ([]byte, error) {
	p := newPickler()
	if err := p.dump(v, 0); err != nil {
		return nil, err
	}
	return p.buf.Bytes(), nil
}

func FuzzLoadPTH(f *testing.F) {
	addSeeds(f, "*.pth")
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		_, err := LoadObjectFrom(r, int64(len(data)), "fuzz.pth")
		typed(t, err)
		_, err = LoadFrom(r, int64(len(data)), "fuzz.pth")
		typed(t, err)
	})
}

func FuzzSafetensors(f *testing.F) {
	addSeeds(f, "*.safetensors")
	f.Fuzz(func(t *testing.T, data []byte) {
		sd, err := LoadFrom(bytes.NewReader(data), int64(len(data)), "fuzz.safetensors")
		typed(t, err)
		if err == nil {
			var b bytes.Buffer
			if err := WriteSafetensors(&b, sd); err != nil {
				t.Fatalf("rewrite: %v", err)
			}
		}
	})
}
