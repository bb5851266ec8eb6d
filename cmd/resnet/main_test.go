package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/npy"
)

// run executes the whole CLI in-process.
func run(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	root := newRootCmd()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.ExecuteContext(context.Background())
	return out.String(), err
}

const fixture = "../../models/testdata/resnet20.pth" // written by PyTorch (testdata/gen/models_gen.py)

func TestRunMatchesPyTorch(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "y.npy")
	want, err := npy.ReadFile("../../models/testdata/resnet20.output.npy")
	if err != nil {
		t.Fatal(err)
	}
	// The engine (the default) and the reference path, the fixture's two
	// images together and a slice of one at a time.
	for _, mode := range [][]string{nil, {"--batch", "1"}, {"--engine=false"}, {"--engine=false", "--batch", "1"}} {
		args := append([]string{"run", "--arch", "resnet20", "--weights", fixture, "-i", "../../models/testdata/resnet20.input.npy", "-o", out}, mode...)
		if _, err := run(t, args...); err != nil {
			t.Fatal(mode, err)
		}
		got, err := npy.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
			t.Fatal(mode, err)
		}
		// Features: (N, 64) for a CIFAR net.
		if _, err := run(t, append(args, "--features")...); err != nil {
			t.Fatal(mode, err)
		}
		if f, _ := npy.ReadFile(out); f == nil || f.Dims() != 2 || f.Shape[0] != want.Shape[0] || f.Shape[1] != 64 {
			t.Fatalf("%v: features shape %v", mode, f)
		}
	}
}

func TestConvertRoundTrip(t *testing.T) {
	dir := t.TempDir()
	st, pth := filepath.Join(dir, "a.safetensors"), filepath.Join(dir, "b.pth")
	if _, err := run(t, "convert", fixture, st); err != nil {
		t.Fatal(err)
	}
	if _, err := run(t, "convert", st, pth); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "inspect", pth)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"layer3.2.bn2.num_batches_tracked", "resnet20 (10 classes, 3 input channels): matches every key and shape", "float32×97"} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect output lacks %q:\n%s", want, out)
		}
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	x := filepath.Join(dir, "x.npy")
	wrong := filepath.Join(dir, "wrong.npy")
	os.WriteFile(filepath.Join(dir, "junk.pth"), []byte("not a checkpoint"), 0o644)
	if _, err := run(t, "run", "--arch", "resnet20", "-i", "../../models/testdata/resnet20.input.npy", "-o", x); err != nil {
		t.Fatal(err)
	}
	// A (2, 10) logits file is not an image batch.
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--arch", "resnet20", "-i", x, "-o", wrong}, "input shape"},
		{[]string{"run", "--arch", "resnet21", "-i", x, "-o", wrong}, "unknown architecture"},
		{[]string{"run", "--arch", "resnet32", "--weights", fixture, "-i", x, "-o", wrong}, "missing keys"},
		{[]string{"run", "--weights", fixture, "-i", x, "-o", wrong}, "name the architecture"},
		{[]string{"run", "--arch", "resnet20", "-i", filepath.Join(dir, "missing.npy"), "-o", wrong}, "missing.npy"},
		{[]string{"run", "--arch", "resnet20", "-i", x, "-o", wrong, "--engine=false"}, "input shape"},
		{[]string{"run", "--arch", "resnet20", "-i", x, "-o", wrong, "--batch", "0"}, "must be positive"},
		{[]string{"run", "--arch", "resnet20", "-i", x, "-o", wrong, "--int8", "--engine=false"}, "--int8 needs the engine"},
		{[]string{"inspect", filepath.Join(dir, "junk.pth")}, "junk.pth"},
		{[]string{"convert", fixture, filepath.Join(dir, "out.txt")}, "unknown output format"},
		{[]string{"bench", "--arch", "resnet20", "--batch", "0"}, "must be positive"},
		{[]string{"classify", "--threads", "100000", "x.png"}, "--threads 100000: at most"},
		{[]string{"bench", "--arch", "resnet20", "--size", "100000"}, "--size 100000: at most"},
		{[]string{"loadtest", "--concurrency", "1,100000000"}, "--concurrency 100000000: at most"},
		{[]string{"classify", "--threads", "-1", "x.png"}, "--threads must be ≥ 0"},
		{[]string{"bench", "--arch", "resnet20", "--bf16", "--engine=false"}, "--bf16 needs the engine"},
		{[]string{"bench", "--arch", "resnet20", "--profile", "--engine=false"}, "--profile times the compiled engine"},
		{[]string{"classify", "--bf16", "--engine=false", "x.png"}, "--bf16 needs the engine"},
		{[]string{"serve", "--int8", "--engine=false", "--model", "resnet18"}, "--int8 needs the engine"},
		{[]string{"classify", "--weights", filepath.Join(dir, "junk.pth"), "x.png"}, "junk.pth"},
		{[]string{"classify", "x.png"}, "1 of 1 images failed"},
		{[]string{"classify", "--model", "resnt50", "x.png"}, `did you mean "resnet50"`},
		{[]string{"classify", "--weights", fixture, "--arch", "resnet56", "x.png"}, "missing keys"},
	}
	for _, c := range cases {
		_, err := run(t, c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(wrong); !os.IsNotExist(err) {
		t.Error("a failed run left an output file")
	}
}

func TestModelsTable(t *testing.T) {
	out, err := run(t, "models")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"resnext101_32x48d_wsl", "828.4M", "153.31", "https://download.pytorch.org/models/ig_resnext101_32x48-3e41cc8a.pth", "plain110", "76.13"} {
		if !strings.Contains(out, want) {
			t.Errorf("models table lacks %q", want)
		}
	}
}

func TestBenchJSON(t *testing.T) {
	out, err := run(t, "bench", "--arch", "resnet20", "--iters", "2", "--warmup", "0", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"ms_median", "ms_p90", "images_per_s"} {
		if _, ok := v[k].(float64); !ok {
			t.Errorf("bench --json lacks %s: %s", k, out)
		}
	}
	ks := kernels.Running()
	if v["kernels"] != ks.GEMM || v["int8_kernels"] != ks.Int8 || v["bf16_kernels"] != ks.BF16 {
		t.Errorf("bench --json kernels %v, %v, %v; running %+v", v["kernels"], v["int8_kernels"], v["bf16_kernels"], ks)
	}
	out, err = run(t, "bench", "--arch", "resnet20", "--iters", "1", "--warmup", "0", "--bf16", "--json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil || v["bf16"] != true {
		t.Errorf("bench --bf16 --json: %v %s", err, out)
	}
	out, err = run(t, "bench", "--arch", "resnet20", "--iters", "1", "--warmup", "0", "--int8", "--bf16", "--json")
	if err != nil {
		t.Fatal(err)
	}
	v = nil
	if err := json.Unmarshal([]byte(out), &v); err != nil || v["int8"] != true || v["bf16"] != true {
		t.Errorf("bench --int8 --bf16 --json: %v %s", err, out)
	}
}

// TestBenchProfile checks --profile: the table names every convolution of
// resnet20 as PyTorch's modules, then the totals; --json carries them.
func TestBenchProfile(t *testing.T) {
	out, err := run(t, "bench", "--arch", "resnet20", "--iters", "2", "--warmup", "0", "--profile")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"convolutions inside 2 passes", "conv1 ", "layer1.0.conv1", "layer3.2.conv2", "the rest", "pass"} {
		if !strings.Contains(out, want) {
			t.Errorf("bench --profile lacks %q:\n%s", want, out)
		}
	}
	out, err = run(t, "bench", "--arch", "resnet20", "--iters", "1", "--warmup", "0", "--profile", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Profile struct {
			PassMS float64 `json:"pass_ms"`
			Layers []struct {
				Name string  `json:"name"`
				MS   float64 `json:"ms"`
			} `json:"layers"`
		} `json:"profile"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Profile.Layers) != 19 || v.Profile.Layers[0].Name != "conv1" || v.Profile.PassMS <= 0 {
		t.Errorf("bench --profile --json: %s", out)
	}
}

func TestClassifyDirectoryWithBadFiles(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.safetensors")
	if _, err := run(t, "convert", fixture, weights); err != nil {
		t.Fatal(err)
	}
	imgs := filepath.Join(dir, "imgs")
	os.MkdirAll(filepath.Join(imgs, "sub"), 0o755)
	copyFile(t, "../../imageio/testdata/rgb_photo_120x90.png", filepath.Join(imgs, "a.png"))
	copyFile(t, "../../imageio/testdata/rgb_photo_120x90.png", filepath.Join(imgs, "sub", "b.png"))
	os.WriteFile(filepath.Join(imgs, "text.jpg"), []byte("hello, I am text"), 0o644)
	os.WriteFile(filepath.Join(imgs, "notes.txt"), []byte("not an image, not picked up"), 0o644)
	out, err := run(t, "classify", "--weights", weights, "--arch", "resnet20", "--json", "--topk", "3", imgs)
	if err == nil || !strings.Contains(err.Error(), "1 of 3 images failed") {
		t.Fatalf("err = %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d JSON lines:\n%s", len(lines), out)
	}
	var good, bad int
	for _, l := range lines {
		var r struct {
			File  string
			Top   []struct{ Index int }
			Error string
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Error != "" {
			bad++
			if !strings.Contains(r.Error, "text.jpg") {
				t.Errorf("error does not name the file: %s", r.Error)
			}
		} else if len(r.Top) == 3 {
			good++
		}
	}
	if good != 2 || bad != 1 {
		t.Errorf("%d good, %d bad:\n%s", good, bad, out)
	}
	// The table names the failed file once on its line.
	out, _ = run(t, "classify", "--weights", weights, "--arch", "resnet20", "--topk", "3", imgs)
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "error") && strings.Count(l, "text.jpg") != 1 {
			t.Errorf("error line %q does not name the file once", l)
		}
	}
}

func copyFile(t *testing.T, src, dst string) {
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExport: `resnet export` writes the built-in network with its class
// names and preprocessing as metadata, a checkpoint's network under its
// state_dict names, and refuses bad flags without leaving a file
// (onnx's tests check the graph itself, and .ci/onnx.sh runs the files
// with ONNX Runtime).
func TestExport(t *testing.T) {
	dir := t.TempDir()
	builtin := filepath.Join(dir, "builtin.onnx")
	out, err := run(t, "export", builtin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(builtin)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"Ankle boot"`, `"Grayscale":true`, "layer3.2.bn2.running_var", "GlobalAveragePool"} {
		if !bytes.Contains(b, []byte(want)) {
			t.Errorf("the built-in network's ONNX file lacks %q", want)
		}
	}
	if !strings.Contains(out, "wrote "+builtin+" (resnet20") {
		t.Errorf("output %q", out)
	}
	ckpt := filepath.Join(dir, "ckpt.onnx")
	if out, err = run(t, "export", "--arch", "resnet20", "--weights", fixture, "--batch", "2", "--size", "32", "--external-data", ckpt); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "weights in "+ckpt+".data") {
		t.Errorf("output %q", out)
	}
	if fi, err := os.Stat(ckpt + ".data"); err != nil || fi.Size() < 4*269722 {
		t.Errorf("external data: %v, %v", fi, err)
	}
	bad := filepath.Join(dir, "bad.onnx")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"export", "--arch", "resnet20", "--size", "-3", bad}, "--size -3"},
		{[]string{"export", "--arch", "resnet21", bad}, "unknown architecture"},
		{[]string{"export", "--arch", "resnet20", "--batch", "-1", bad}, "negative input size"},
		{[]string{"export", "--arch", "resnet20", filepath.Join(dir, "missing", "x.onnx")}, "no such file"},
		{[]string{"export", "--arch", "resnet20"}, "accepts 1 arg"},
	} {
		if _, err := run(t, c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want one mentioning %q", c.args, err, c.want)
		}
	}
	if _, err := os.Stat(bad); !os.IsNotExist(err) {
		t.Error("a failed export left a file")
	}
}

// TestHostileNames: class names, tensor keys and metadata from a
// checkpoint (or a labels file) reach the terminal escaped, never as the
// control sequences they hold.
func TestHostileNames(t *testing.T) {
	for in, want := range map[string]string{
		"Ankle boot":           "Ankle boot",
		"chat noir · 猫":        "chat noir · 猫",
		"\x1b]0;pwned\x07boot": `\x1b]0;pwned\aboot`,
		"a\nb\rc\u200bd\xff":   `a\nb\rc\u200bd\xff`,
	} {
		if got := displayable(in); got != want {
			t.Errorf("displayable(%q) = %q, want %q", in, got, want)
		}
	}
	dir := t.TempDir()
	labels := filepath.Join(dir, "labels.txt")
	var names []string
	for i := range 10 {
		names = append(names, fmt.Sprintf("class %d \x1b[2J\x1b]0;pwned\x07", i))
	}
	if err := os.WriteFile(labels, []byte(strings.Join(names, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, "classify", "--labels", labels, "--topk", "2", "../../samples/boot-0000.png")
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(out, "\x1b\x07") || !strings.Contains(out, `\x1b[2J\x1b]0;pwned\a`) {
		t.Errorf("classify printed:\n%q", out)
	}
	m, err := models.New("resnet20", models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sd := models.StateDict(m)
	sd.Metadata = map[string]string{"note\x1b[31m": "red\x1b[0m"}
	sd.Tensors["evil\x1b[2Jkey"] = &checkpoint.Tensor{DType: checkpoint.Float32, Shape: []int{2}, F32: []float32{1, 2}}
	sd.Keys = append(sd.Keys, "evil\x1b[2Jkey")
	st := filepath.Join(dir, "evil.safetensors")
	if err := checkpoint.SaveSafetensors(st, sd); err != nil {
		t.Fatal(err)
	}
	if out, err = run(t, "inspect", "--keys", st); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b") || !strings.Contains(out, `evil\x1b[2Jkey`) || !strings.Contains(out, `metadata: note\x1b[31m = red\x1b[0m`) {
		t.Errorf("inspect printed:\n%q", out)
	}
}

// A wrong number of arguments names the command and says how it is called.
func TestArgsUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"classify"}, []string{"classify: requires at least 1 arg", "usage: resnet classify [flags] IMAGE|DIR|- ..."}},
		{[]string{"convert", "a.pth"}, []string{"convert: accepts 2 arg(s), received 1", "usage: resnet convert IN OUT"}},
		{[]string{"inspect"}, []string{"inspect: accepts 1 arg(s)", "usage: resnet inspect FILE"}},
		{[]string{"bench", "resnet50"}, []string{"bench: unknown command \"resnet50\"", "usage: resnet bench [flags]"}},
		{[]string{"experiment", "lesion", "x"}, []string{"experiment lesion: unknown command", "usage: resnet experiment lesion"}},
	} {
		_, err := run(t, tc.args...)
		if err == nil {
			t.Errorf("%q: no error", tc.args)
			continue
		}
		for _, w := range tc.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not say %q", tc.args, err, w)
			}
		}
	}
}
