package checkpoint

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/resnetgo/resnet/tensor"
)

func sameTensor(a, b *Tensor) bool {
	if a.DType != b.DType || !tensor.SameShape(a.Shape, b.Shape) {
		return false
	}
	if a.DType.IsFloat() {
		if len(a.F32) != len(b.F32) {
			return false
		}
		for i := range a.F32 {
			if math.Float32bits(a.F32[i]) != math.Float32bits(b.F32[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(append([]int64{}, a.I64...), append([]int64{}, b.I64...))
}

func sameStateDict(t *testing.T, got, want *StateDict) {
	t.Helper()
	if !reflect.DeepEqual(got.Keys, want.Keys) {
		t.Fatalf("keys %v, want %v", got.Keys, want.Keys)
	}
	for _, k := range want.Keys {
		if !sameTensor(got.Tensors[k], want.Tensors[k]) {
			t.Errorf("%s: got %v %v %v, want %v %v %v", k, got.Tensors[k], got.Tensors[k].F32, got.Tensors[k].I64,
				want.Tensors[k], want.Tensors[k].F32, want.Tensors[k].I64)
		}
	}
}

// Every fixture survives Load → SavePTH/SaveSafetensors → Load unchanged,
// dtypes included.
func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"tiny_zip.pth", "tiny_legacy.pth", "dtypes_zip.pth", "views_legacy.pth", "params.pth", "dtypes.safetensors"} {
		t.Run(name, func(t *testing.T) {
			sd, err := Load(filepath.Join("testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			sd.Metadata = map[string]string{"source": name, "quote\"": "é"}
			for _, save := range []struct {
				ext string
				fn  func(string, *StateDict) error
			}{{".pth", SavePTH}, {".safetensors", SaveSafetensors}} {
				out := filepath.Join(dir, name+save.ext)
				if err := save.fn(out, sd); err != nil {
					t.Fatal(err)
				}
				back, err := Load(out)
				if err != nil {
					t.Fatalf("%s: %v", save.ext, err)
				}
				sameStateDict(t, back, sd)
				if save.ext == ".safetensors" && !reflect.DeepEqual(back.Metadata, sd.Metadata) {
					t.Errorf("metadata %v, want %v", back.Metadata, sd.Metadata)
				}
			}
		})
	}
}

// Records written by WritePTH start on 64-byte boundaries, as PyTorch's do.
func TestPTHAlignment(t *testing.T) {
	sd, err := Load("testdata/tiny_zip.pth")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "a.pth")
	if err := SavePTH(path, sd); err != nil {
		t.Fatal(err)
	}
	zr, err := openZip(t, path)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		off, err := f.DataOffset()
		if err != nil {
			t.Fatal(err)
		}
		if off%64 != 0 {
			t.Errorf("%s at offset %d", f.Name, off)
		}
	}
}

// A generic object tree with a state dict, an optimizer dict, scalars and
// a list of labels comes back as written; the same tensor twice is stored
// once and shared.
func TestSaveObject(t *testing.T) {
	w := &Tensor{DType: Float32, Shape: []int{2, 2}, F32: []float32{1, 2, 3, 4}, RequiresGrad: true}
	sd := NewStateDict()
	sd.Add("fc.weight", w)
	sd.Add("bn.num_batches_tracked", Int64Tensor([]int64{5}))
	opt := NewDict(false)
	opt.Set("lr", 0.1)
	opt.Set("momentum_buffer", Tuple{w, int64(-70000), int64(1) << 40})
	obj := map[string]any{"model": sd, "optimizer": opt, "epoch": 3, "labels": []string{"a", "b"}, "none": nil, "ok": true}
	path := filepath.Join(t.TempDir(), "ckpt.pth")
	if err := SaveObject(path, obj); err != nil {
		t.Fatal(err)
	}
	v, err := LoadObject(path)
	if err != nil {
		t.Fatal(err)
	}
	d := v.(*Dict)
	if e, _ := d.Get("epoch"); e != int64(3) {
		t.Errorf("epoch %v", e)
	}
	if l, _ := d.Get("labels"); !reflect.DeepEqual(l, []any{"a", "b"}) {
		t.Errorf("labels %#v", l)
	}
	m, _ := d.Get("model")
	mw, _ := m.(*Dict).Get("fc.weight")
	o, _ := d.Get("optimizer")
	lr, _ := o.(*Dict).Get("lr")
	buf, _ := o.(*Dict).Get("momentum_buffer")
	if lr != 0.1 || buf.(Tuple)[0] != mw || buf.(Tuple)[1] != int64(-70000) || buf.(Tuple)[2] != int64(1)<<40 {
		t.Errorf("optimizer %v %v", lr, buf)
	}
	if !sameTensor(mw.(*Tensor), w) || !mw.(*Tensor).RequiresGrad {
		t.Errorf("weight %v %v", mw, mw.(*Tensor).F32)
	}
	// Load finds the state dict under "model".
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	sameStateDict(t, back, sd)
}

// TestWriteForPython writes files for testdata/gen/checkpoint_roundtrip_check.py,
// which loads them with torch.load(weights_only=True). It runs only when
// CHECKPOINT_ROUNDTRIP_DIR is set (CI); see that script for the commands.
func TestWriteForPython(t *testing.T) {
	dir := os.Getenv("CHECKPOINT_ROUNDTRIP_DIR")
	if dir == "" {
		t.Skip("CHECKPOINT_ROUNDTRIP_DIR not set")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"tiny_zip", "dtypes_zip", "views_legacy", "params"} {
		sd, err := Load(filepath.Join("testdata", name+".pth"))
		if err != nil {
			t.Fatal(err)
		}
		sd.Metadata = map[string]string{"format": "pt", "source": name}
		if err := SavePTH(filepath.Join(dir, name+".pth"), sd); err != nil {
			t.Fatal(err)
		}
		if err := SaveSafetensors(filepath.Join(dir, name+".safetensors"), sd); err != nil {
			t.Fatal(err)
		}
		// The expected values, in the fixtures' JSON layout.
		var rows []any
		for _, k := range sd.Keys {
			ts := sd.Tensors[k]
			vals := []float64{}
			for _, v := range ts.F32 {
				vals = append(vals, float64(v))
			}
			for _, v := range ts.I64 {
				vals = append(vals, float64(v))
			}
			rows = append(rows, []any{k, string(ts.DType), ts.Shape, vals})
		}
		b, _ := json.Marshal(rows)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// A training checkpoint: tensors, ints, strings, lists, nested dicts
	// (no floats, which PyTorch 1.13's weights_only loader rejects).
	sd, err := Load("testdata/tiny_zip.pth")
	if err != nil {
		t.Fatal(err)
	}
	obj := map[string]any{"model": sd, "epoch": 3, "labels": []string{"cat", "dog"}, "best": map[string]any{"epoch": 2, "top1_x1000": 765}}
	if err := SaveObject(filepath.Join(dir, "training.pth"), obj); err != nil {
		t.Fatal(err)
	}
}
