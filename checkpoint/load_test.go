package checkpoint

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// expectedEntry is one [key, dtype, shape, values] row of a fixture's .json.
type expectedEntry struct {
	Key    string
	DType  DType
	Shape  []int
	Values []float64
}

func readExpected(t *testing.T, path string) []expectedEntry {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var rows [][]json.RawMessage
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	var out []expectedEntry
	for _, r := range rows {
		var e expectedEntry
		if err := json.Unmarshal(r[0], &e.Key); err != nil {
			t.Fatal(err)
		}
		var dt string
		json.Unmarshal(r[1], &dt)
		e.DType = DType(dt)
		json.Unmarshal(r[2], &e.Shape)
		json.Unmarshal(r[3], &e.Values)
		out = append(out, e)
	}
	return out
}

func checkStateDict(t *testing.T, sd *StateDict, want []expectedEntry) {
	t.Helper()
	if len(sd.Keys) != len(want) {
		t.Fatalf("got keys %v, want %d keys", sd.Keys, len(want))
	}
	for i, w := range want {
		k := sd.Keys[i]
		if k != w.Key {
			t.Fatalf("key %d: got %q, want %q", i, k, w.Key)
		}
		ts := sd.Tensors[k]
		if ts.DType != w.DType {
			t.Errorf("%s: dtype %s, want %s", k, ts.DType, w.DType)
		}
		if len(ts.Shape) != len(w.Shape) {
			t.Errorf("%s: shape %v, want %v", k, ts.Shape, w.Shape)
			continue
		}
		for j := range w.Shape {
			if ts.Shape[j] != w.Shape[j] {
				t.Errorf("%s: shape %v, want %v", k, ts.Shape, w.Shape)
			}
		}
		var got []float64
		if ts.DType.IsFloat() {
			for _, v := range ts.F32 {
				got = append(got, float64(v))
			}
		} else {
			for _, v := range ts.I64 {
				got = append(got, float64(v))
			}
		}
		if len(got) != len(w.Values) {
			t.Errorf("%s: %d values, want %d", k, len(got), len(w.Values))
			continue
		}
		for j := range got {
			// float64 sources round to float32 once; everything else is exact.
			if got[j] != w.Values[j] && math.Abs(got[j]-w.Values[j]) > 1e-7*math.Abs(w.Values[j]) {
				t.Errorf("%s[%d] = %v, want %v", k, j, got[j], w.Values[j])
				break
			}
		}
	}
}

func TestLoadFixtures(t *testing.T) {
	cases := []struct {
		file, want string
		format     Format
	}{
		{"tiny_zip.pth", "tiny_zip.json", FormatZip},
		{"tiny_legacy.pth", "tiny_legacy.json", FormatLegacy},
		{"tiny_proto4.pth", "tiny_proto4.json", FormatZip},
		{"dtypes_zip.pth", "dtypes_zip.json", FormatZip},
		{"dtypes_legacy.pth", "dtypes_legacy.json", FormatLegacy},
		{"views_zip.pth", "views_zip.json", FormatZip},
		{"views_legacy.pth", "views_legacy.json", FormatLegacy},
		{"wrapped_state_dict.pth", "wrapped_state_dict.json", FormatZip},
		{"wrapped_model_legacy.pth", "wrapped_model_legacy.json", FormatLegacy},
		{"mixed_prefix.pth", "mixed_prefix.json", FormatZip},
		{"params.pth", "params.json", FormatZip},
		{"dtypes.safetensors", "dtypes_safetensors.json", FormatSafetensors},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			path := filepath.Join("testdata", c.file)
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if f := Detect(b[:min(len(b), DetectSize)]); f != c.format {
				t.Errorf("Detect = %v, want %v", f, c.format)
			}
			sd, err := Load(path)
			if err != nil {
				t.Fatal(err)
			}
			checkStateDict(t, sd, readExpected(t, filepath.Join("testdata", c.want)))
			if strings.HasSuffix(c.file, ".safetensors") && sd.Metadata["format"] != "pt" {
				t.Errorf("metadata %v", sd.Metadata)
			}
		})
	}
}

func openZip(t *testing.T, path string) (*zip.Reader, error) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return zip.NewReader(bytes.NewReader(b), int64(len(b)))
}
