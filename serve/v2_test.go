package serve

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"slices"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/imageio"
)

// nchw preprocesses images as a client sending FP32 tensors would.
func nchw(t testing.TB, imgs ...[]byte) []float32 {
	t.Helper()
	var out []float32
	for _, img := range imgs {
		x, err := testClassifier().Transform.Apply(mustDecode(t, img))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, x.Data...)
	}
	return out
}

func TestV2Metadata(t *testing.T) {
	_, ts := newTest(t, Config{Version: "1.2.3"})
	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/v2", 200, `{"name":"resnet","version":"1.2.3","extensions":[]}`},
		{"/v2/health/live", 200, `{"live":true}`},
		{"/v2/health/ready", 200, `{"ready":true}`},
		{"/v2/models/m", 200, `{"name":"m","versions":["1"],"platform":"resnetgo","inputs":[{"name":"input","datatype":"FP32","shape":[-1,3,32,32]},{"name":"image","datatype":"BYTES","shape":[-1]}],"outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]},{"name":"probabilities","datatype":"FP32","shape":[-1,10]}]}`},
		{"/v2/models/m/versions/1", 200, `"name":"m"`},
		{"/v2/models/m/ready", 200, `{"name":"m","ready":true}`},
		{"/v2/models/m/versions/1/ready", 200, `"ready":true`},
		{"/v2/models/m/versions/2", 404, `{"error":"model \"m\" has no version \"2\" (only \"1\")"}`},
		{"/v2/models/nope", 404, `{"error":"unknown model \"nope\" (serving m, m2)"}`},
		{"/v2/models/nope/ready", 404, `unknown model`},
	} {
		resp, body := get(t, ts.URL+tc.path)
		if resp.StatusCode != tc.code || !strings.Contains(string(body), tc.want) {
			t.Errorf("GET %s: %d %s\nwant %d %s", tc.path, resp.StatusCode, body, tc.code, tc.want)
		}
	}
}

func v2Infer(t testing.TB, url string, req any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(req)
	resp, body := post(t, url, "application/json", b)
	return resp.StatusCode, body
}

type v2Resp struct {
	ModelName    string `json:"model_name"`
	ModelVersion string `json:"model_version"`
	ID           string `json:"id"`
	Outputs      []struct {
		Name     string
		Shape    []int64
		Datatype string
		Data     []float32
	}
}

func TestV2InferFP32(t *testing.T) {
	_, ts := newTest(t, Config{})
	a, b := pngImage(t, 40, 30, 1), pngImage(t, 64, 48, 2)
	x := nchw(t, a, b)
	// Nested data (as numpy's tolist() gives) must work too.
	nested := make([][]float32, 2)
	for i := range nested {
		nested[i] = x[i*3*32*32 : (i+1)*3*32*32]
	}
	for _, data := range []any{x, nested} {
		code, body := v2Infer(t, ts.URL+"/v2/models/m/infer", map[string]any{
			"id":     "req-1",
			"inputs": []any{map[string]any{"name": "input", "shape": []int{2, 3, 32, 32}, "datatype": "FP32", "data": data}},
		})
		if code != 200 {
			t.Fatalf("status %d: %s", code, body)
		}
		var r v2Resp
		json.Unmarshal(body, &r)
		if r.ModelName != "m" || r.ModelVersion != "1" || r.ID != "req-1" || len(r.Outputs) != 2 ||
			r.Outputs[0].Name != "logits" || r.Outputs[1].Name != "probabilities" || fmt.Sprint(r.Outputs[0].Shape) != "[2 10]" {
			t.Fatalf("response %s", body)
		}
		closeTo(t, r.Outputs[0].Data[:10], directLogits(t, a))
		closeTo(t, r.Outputs[0].Data[10:], directLogits(t, b))
		p := classify.Softmax(directLogits(t, b))
		for i := range p {
			if d := float64(r.Outputs[1].Data[10+i]) - p[i]; d > 1e-5 || d < -1e-5 {
				t.Fatalf("probability %d: %v, want %v", i, r.Outputs[1].Data[10+i], p[i])
			}
		}
	}
	// Only the requested output, through the versioned path.
	code, body := v2Infer(t, ts.URL+"/v2/models/m/versions/1/infer", map[string]any{
		"inputs":  []any{map[string]any{"name": "input", "shape": []int{1, 3, 32, 32}, "datatype": "FP32", "data": x[:3*32*32]}},
		"outputs": []any{map[string]any{"name": "probabilities"}},
	})
	var r v2Resp
	json.Unmarshal(body, &r)
	if code != 200 || len(r.Outputs) != 1 || r.Outputs[0].Name != "probabilities" {
		t.Fatalf("status %d: %s", code, body)
	}
}

func TestV2InferBytes(t *testing.T) {
	_, ts := newTest(t, Config{})
	a, b := pngImage(t, 40, 30, 1), pngImage(t, 64, 48, 2)
	code, body := v2Infer(t, ts.URL+"/v2/models/m2/infer", map[string]any{
		"inputs": []any{map[string]any{"name": "image", "shape": []int{2}, "datatype": "BYTES",
			"data": []string{base64.StdEncoding.EncodeToString(a), base64.RawStdEncoding.EncodeToString(b)}}},
		"outputs": []any{map[string]any{"name": "logits"}},
	})
	if code != 200 {
		t.Fatalf("status %d: %s", code, body)
	}
	var r v2Resp
	json.Unmarshal(body, &r)
	closeTo(t, r.Outputs[0].Data[:10], directLogits(t, a))
	closeTo(t, r.Outputs[0].Data[10:], directLogits(t, b))
}

func TestV2InferErrors(t *testing.T) {
	_, ts := newTest(t, Config{MaxBodyBytes: 100000, MaxImages: 4})
	x := nchw(t, pngImage(t, 40, 30, 1))
	img := base64.StdEncoding.EncodeToString(pngImage(t, 40, 30, 1))
	in := func(name, dtype string, shape []int, data any) map[string]any {
		return map[string]any{"inputs": []any{map[string]any{"name": name, "shape": shape, "datatype": dtype, "data": data}}}
	}
	for _, tc := range []struct {
		name, path string
		req        any
		code       int
		reason     string
	}{
		{"unknown model", "/v2/models/nope/infer", in("input", "FP32", []int{1, 3, 32, 32}, x), 404, `unknown model "nope"`},
		{"unknown version", "/v2/models/m/versions/9/infer", in("input", "FP32", []int{1, 3, 32, 32}, x), 404, `no version "9"`},
		{"wrong shape", "/v2/models/m/infer", in("input", "FP32", []int{1, 3, 16, 64}, x), 400, "want [N,3,32,32]"},
		{"wrong rank", "/v2/models/m/infer", in("input", "FP32", []int{3, 32, 32}, x), 400, "shape [3 32 32]"},
		{"wrong channels", "/v2/models/m/infer", in("input", "FP32", []int{1, 1, 32, 32}, x[:1024]), 400, "want [N,3,32,32]"},
		{"element count", "/v2/models/m/infer", in("input", "FP32", []int{1, 3, 32, 32}, x[:100]), 400, "has 3072 elements, data has 100"},
		{"wrong dtype", "/v2/models/m/infer", in("input", "INT32", []int{1, 3, 32, 32}, x), 400, `unsupported datatype "INT32"`},
		{"fp64", "/v2/models/m/infer", in("input", "FP64", []int{1, 3, 32, 32}, x), 400, "unsupported datatype"},
		{"strings as FP32", "/v2/models/m/infer", in("input", "FP32", []int{1}, []string{"a"}), 400, "data"},
		{"batch too big", "/v2/models/m/infer", in("input", "FP32", []int{5, 3, 32, 32}, []float32{}), 400, "at most 4"},
		{"no inputs", "/v2/models/m/infer", map[string]any{"inputs": []any{}}, 400, "want one input tensor"},
		{"two inputs", "/v2/models/m/infer", map[string]any{"inputs": []any{
			in("input", "FP32", []int{1, 3, 32, 32}, x)["inputs"].([]any)[0], in("image", "BYTES", []int{1}, []string{img})["inputs"].([]any)[0]}}, 400, "got 2"},
		{"unknown output", "/v2/models/m/infer", map[string]any{"inputs": in("image", "BYTES", []int{1}, []string{img})["inputs"],
			"outputs": []any{map[string]any{"name": "features"}}}, 400, `unknown output "features"`},
		{"bytes count", "/v2/models/m/infer", in("image", "BYTES", []int{2}, []string{img}), 400, "has 2 elements, data has 1"},
		{"not base64", "/v2/models/m/infer", in("image", "BYTES", []int{1}, []string{"!!!"}), 400, "not base64"},
		{"corrupt image", "/v2/models/m/infer", in("image", "BYTES", []int{1}, []string{base64.StdEncoding.EncodeToString([]byte("GIF89a garbage"))}), 400, "image[0]: "},
		{"unknown format", "/v2/models/m/infer", in("image", "BYTES", []int{1}, []string{base64.StdEncoding.EncodeToString([]byte("hello"))}), 400, "unknown image format"},
		{"bad json", "/v2/models/m/infer", json.RawMessage(`{"inputs": [`), 400, "request JSON"},
		{"oversized", "/v2/models/m/infer", in("input", "FP32", []int{4, 3, 32, 32}, slices.Repeat([]float32{0.123456}, 4*3072)), 413, "exceeds 100000 bytes"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b []byte
			if raw, ok := tc.req.(json.RawMessage); ok {
				b = raw
			} else {
				b, _ = json.Marshal(tc.req)
			}
			resp, body := post(t, ts.URL+tc.path, "application/json", b)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			var e map[string]any
			if err := json.Unmarshal(body, &e); err != nil || len(e) != 1 || !strings.Contains(fmt.Sprint(e["error"]), tc.reason) {
				t.Fatalf("body %s, want {\"error\": ...%s...}", body, tc.reason)
			}
		})
	}
}

func TestParseFloats(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		ok   bool
	}{
		{`[1, 2.5, -3]`, "[1 2.5 -3]", true},
		{`[[1, 2], [3, 4]]`, "[1 2 3 4]", true},
		{`[[[1]], [[2]]]`, "[1 2]", true},
		{`5`, "", false},
		{`[{"a": 1}]`, "", false},
		{`["x"]`, "", false},
		{`[[1, true]]`, "", false},
	} {
		got, err := parseFloats(json.RawMessage(tc.in))
		if (err == nil) != tc.ok || (tc.ok && fmt.Sprint(got) != tc.want) {
			t.Errorf("parseFloats(%s) = %v, %v", tc.in, got, err)
		}
	}
}

func mustDecode(t testing.TB, b []byte) image.Image {
	t.Helper()
	img, _, err := imageio.Decode(bytes.NewReader(b), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return img
}
