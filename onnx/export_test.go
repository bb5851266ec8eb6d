package onnx

import (
	"bytes"
	"context"
	"errors"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
	"google.golang.org/protobuf/encoding/protowire"
)

// testInput is a deterministic batch of n images of side s.
func testInput(n, s int) *tensor.Tensor {
	x := tensor.New(n, 3, s, s)
	for i := range x.Data {
		x.Data[i] = float32(i%251)/125 - 1
	}
	return x
}

// exportAndRun exports m (to a file in dir when dir is set, else to
// memory), decodes it and runs the decoded graph on x with this
// repository's layers.
func exportAndRun(t *testing.T, m *models.ResNet, o Options, dir string, x *tensor.Tensor) (*decodedModel, *tensor.Tensor) {
	t.Helper()
	var b []byte
	if dir != "" {
		path := filepath.Join(dir, m.Config.Name+".onnx")
		if err := ExportFile(context.Background(), path, m, o); err != nil {
			t.Fatal(err)
		}
		var err error
		if b, err = os.ReadFile(path); err != nil {
			t.Fatal(err)
		}
	} else {
		var buf bytes.Buffer
		if err := Export(context.Background(), &buf, m, o); err != nil {
			t.Fatal(err)
		}
		b = buf.Bytes()
	}
	dm, err := decodeModel(b)
	if err != nil {
		t.Fatalf("decoding the exported model: %v", err)
	}
	y, err := dm.graph.run(dir, x)
	if err != nil {
		t.Fatalf("running the exported graph: %v", err)
	}
	return dm, y
}

// TestExportRuns exports every kind of network (BasicBlock and
// Bottleneck, groups, the three shortcuts, both stems) and runs the
// decoded file: its logits must be the model's. The graph's nodes are
// computed with the same layers as the model's forward pass; the only
// difference is the batch norms' epsilon, which ONNX stores in float32
// (1e-5 moves by a few 1e-13), hence SPEC §6's tolerance rather than
// equality.
func TestExportRuns(t *testing.T) {
	for _, tc := range []struct {
		name string
		side int
	}{{"resnet18", 64}, {"resnet50", 64}, {"resnext50_32x4d", 64}, {"resnet20", 32}, {"resnet20b", 32}, {"plain20", 32}} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := models.New(tc.name, models.Options{Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			x := testInput(2, tc.side)
			want, err := m.Forward(context.Background(), x)
			if err != nil {
				t.Fatal(err)
			}
			dm, got := exportAndRun(t, m, Options{}, "", x)
			if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
				t.Fatal(err)
			}
			if dm.irVersion != irVersion || dm.opsets[""] != Opset || dm.graph.name != tc.name || dm.producer == "" {
				t.Errorf("ir_version %d, opsets %v, graph %q, producer %q", dm.irVersion, dm.opsets, dm.graph.name, dm.producer)
			}
		})
	}
}

// TestExportNames: the initializers are the model's parameters and
// running statistics under PyTorch's state_dict names (all but
// num_batches_tracked, which inference does not read), each with its
// shape and values, and every batch norm's epsilon is the model's.
func TestExportNames(t *testing.T) {
	m, err := models.New("resnet50", models.Options{Seed: 5, NumClasses: 7})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := Export(context.Background(), &buf, m, Options{}); err != nil {
		t.Fatal(err)
	}
	dm, err := decodeModel(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	m.Visit("", func(e nn.Entry) {
		if e.Count != nil {
			return
		}
		want = append(want, e.Name)
		it := dm.graph.inits[e.Name]
		if it == nil {
			return
		}
		v := e.Tensor()
		got, err := it.floats("")
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		dims := make([]int64, len(v.Shape))
		for i, d := range v.Shape {
			dims[i] = int64(d)
		}
		if !slices.Equal(it.dims, dims) || !slices.Equal(got, v.Data) {
			t.Errorf("%s: dims %v, want %v, or values differ", e.Name, it.dims, dims)
		}
	})
	if got := slices.Sorted(slices.Values(dm.graph.order)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("initializers %v\nwant %v", got, want)
	}
	bns := 0
	for _, n := range dm.graph.nodes {
		if n.op == "BatchNormalization" {
			bns++
			if a := n.attrs["epsilon"]; a.kind != attrTypeFloat || a.f != float32(1e-5) {
				t.Errorf("%s: epsilon %+v", n.name, a)
			}
		}
	}
	if bns != 53 {
		t.Errorf("%d batch norms, want resnet50's 53", bns)
	}
	if in, out := dm.graph.inputs, dm.graph.outputs; len(in) != 1 || len(out) != 1 ||
		in[0].name != "input" || out[0].name != "logits" || in[0].elemType != dataTypeFloat ||
		!slices.Equal(in[0].dims, []any{"batch", int64(3), "height", "width"}) || !slices.Equal(out[0].dims, []any{"batch", int64(7)}) {
		t.Errorf("inputs %+v, outputs %+v", in, out)
	}
}

// TestExportFixedShape: Options fix the input's dimensions.
func TestExportFixedShape(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	meta := map[string]string{"labels": `["a","b"]`, "arch": "resnet20"}
	if err := Export(context.Background(), &buf, m, Options{Batch: 4, Height: 32, Width: 40, Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	dm, err := decodeModel(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if in, out := dm.graph.inputs[0].dims, dm.graph.outputs[0].dims; !slices.Equal(in, []any{int64(4), int64(3), int64(32), int64(40)}) || !slices.Equal(out, []any{int64(4), int64(10)}) {
		t.Errorf("input %v, output %v", in, out)
	}
	if !maps.Equal(dm.metadata, meta) {
		t.Errorf("metadata %v, want %v", dm.metadata, meta)
	}
	if err := Export(context.Background(), &buf, m, Options{Batch: -1}); err == nil {
		t.Error("a negative batch was accepted")
	}
}

// TestExportExternalData: with ExternalData the weights go to PATH.data,
// each at a 4096-byte aligned offset, and the model reads the same.
func TestExportExternalData(t *testing.T) {
	dir := t.TempDir()
	m, err := models.New("resnet18", models.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	x := testInput(1, 64)
	want, err := m.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	dm, got := exportAndRun(t, m, Options{ExternalData: true}, dir, x)
	if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(filepath.Join(dir, "resnet18.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() > 1<<20 {
		t.Errorf("the model file holds %d bytes: the weights are not all external", fi.Size())
	}
	for name, it := range dm.graph.inits {
		if it.dataType != dataTypeFloat {
			continue
		}
		off, err := strconv.Atoi(it.external["offset"])
		if it.location != 1 || it.external["location"] != "resnet18.onnx.data" || err != nil || off%4096 != 0 || len(it.raw) != 0 {
			t.Errorf("%s: location %d, external %v", name, it.location, it.external)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 2 {
		t.Errorf("files %v, want the model and its data", ents)
	}
}

// TestExportTooLarge: past the 2 GiB a protocol buffer holds (lowered
// here to 1 MB), Export refuses the model and ExportFile stores its
// weights beside it on its own.
func TestExportTooLarge(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 1}) // 1.1 MB of weights
	if err != nil {
		t.Fatal(err)
	}
	o := Options{limit: 1 << 20}
	if err := Export(context.Background(), &bytes.Buffer{}, m, o); err == nil || !strings.Contains(err.Error(), "2 GiB") {
		t.Errorf("Export: %v", err)
	}
	dir := t.TempDir()
	x := testInput(2, 32)
	want, err := m.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	_, got := exportAndRun(t, m, o, dir, x)
	if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "resnet20.onnx.data")); err != nil {
		t.Errorf("no external data: %v", err)
	}
	if err := ExportFile(context.Background(), filepath.Join(dir, "tiny.onnx"), m, Options{limit: 100}); err == nil || !strings.Contains(err.Error(), "graph alone") {
		t.Errorf("a graph past the limit without its weights: %v", err)
	}
}

type failingWriter struct{ n int }

func (f *failingWriter) Write(b []byte) (int, error) {
	if f.n += len(b); f.n > 1000 {
		return 0, errors.New("disk full")
	}
	return len(b), nil
}

// TestExportErrors: a failing writer, a cancelled context or a missing
// directory give an error and leave no file.
func TestExportErrors(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if err := Export(context.Background(), &failingWriter{}, m, Options{}); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("failing writer: %v", err)
	}
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, ext := range []bool{false, true} {
		if err := ExportFile(ctx, filepath.Join(dir, "m.onnx"), m, Options{ExternalData: ext}); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled (external %v): %v", ext, err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("left behind: %v", ents)
	}
	if err := ExportFile(context.Background(), filepath.Join(dir, "missing", "m.onnx"), m, Options{}); err == nil {
		t.Error("no error for a missing directory")
	}
	// A hollow model (a compiled classifier's) and a block without its
	// layers are refused.
	if err := Export(context.Background(), &bytes.Buffer{}, &models.ResNet{Config: m.Config, FC: m.FC}, Options{}); err == nil || !strings.Contains(err.Error(), "no layers") {
		t.Errorf("hollow model: %v", err)
	}
	saved := m.Stages[1][0].Conv2
	m.Stages[1][0].Conv2 = nil
	if err := Export(context.Background(), &bytes.Buffer{}, m, Options{}); err == nil || !strings.Contains(err.Error(), "layer2.0") {
		t.Errorf("block without conv2: %v", err)
	}
	m.Stages[1][0].Conv2 = saved
	// A tensor whose shape disagrees with its values is refused.
	m.FC.Bias.Value = &tensor.Tensor{Shape: []int{11}, Data: make([]float32, 10)}
	if err := Export(context.Background(), &bytes.Buffer{}, m, Options{}); err == nil || !strings.Contains(err.Error(), "fc.bias") {
		t.Errorf("inconsistent tensor: %v", err)
	}
}

// TestMessageSizes: an embedded message's length prefix is its encoded
// size, float payloads included, and the bytes written are that many.
func TestMessageSizes(t *testing.T) {
	var inner message
	inner.string(1, "w")
	inner.floats(9, []float32{1, -2, float32(math.Inf(1))})
	inner.int64s(1, []int64{3, 300, -1})
	var outer message
	outer.embed(5, &inner)
	outer.float(2, 0.5)
	var buf bytes.Buffer
	if err := outer.writeTo(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != outer.size {
		t.Fatalf("wrote %d bytes, size %d", buf.Len(), outer.size)
	}
	var seen int
	err := fields(buf.Bytes(), func(num protowire.Number, _ protowire.Type, v []byte, x uint64) error {
		seen++
		if num == 5 && len(v) != inner.size {
			t.Errorf("embedded %d bytes, want %d", len(v), inner.size)
		}
		return nil
	})
	if err != nil || seen != 2 {
		t.Errorf("fields %d, %v", seen, err)
	}
}
