package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/tensor"
)

// The Open Inference Protocol (KServe v2) names used by every model.
const (
	v2Platform     = "resnetgo"
	v2Version      = "1"
	inputTensor    = "input"         // FP32 (N, 3, H, W), already normalised
	inputImages    = "image"         // BYTES (N): encoded image files
	outLogits      = "logits"        // FP32 (N, classes)
	outProbs       = "probabilities" // FP32 (N, classes), softmax of the logits
	serverName     = "resnet"
	dtypeFP32      = "FP32"
	dtypeBytes     = "BYTES"
	maxInputSide   = 4096 // of an FP32 input when the model takes any size
	v2ErrNoVersion = "model %q has no version %q (only %q)"
)

// tensorMeta is the protocol's $metadata_tensor.
type tensorMeta struct {
	Name     string  `json:"name"`
	Datatype string  `json:"datatype"`
	Shape    []int64 `json:"shape"`
}

type modelMeta struct {
	Name     string       `json:"name"`
	Versions []string     `json:"versions"`
	Platform string       `json:"platform"`
	Inputs   []tensorMeta `json:"inputs"`
	Outputs  []tensorMeta `json:"outputs"`
}

func (m *model) meta() modelMeta {
	side := int64(m.c.Transform.Crop)
	if side == 0 {
		side = -1
	}
	k := int64(m.c.Model.Config.NumClasses)
	return modelMeta{Name: m.name, Versions: []string{v2Version}, Platform: v2Platform,
		Inputs: []tensorMeta{
			{inputTensor, dtypeFP32, []int64{-1, 3, side, side}},
			{inputImages, dtypeBytes, []int64{-1}},
		},
		Outputs: []tensorMeta{
			{outLogits, dtypeFP32, []int64{-1, k}},
			{outProbs, dtypeFP32, []int64{-1, k}},
		}}
}

// inferInput is one input tensor of either protocol form.
type inferInput struct {
	name, datatype string
	shape          []int64
	fp32           []float32
	bytes          [][]byte
}

// inferOutput is one output tensor.
type inferOutput struct {
	name  string
	shape []int64
	data  []float32
}

// infer runs an inference request of either protocol: one input, FP32
// NCHW or BYTES of encoded images, and the requested outputs (all when
// none are named).
func (s *Server) infer(ctx context.Context, m *model, ins []inferInput, want []string) ([]inferOutput, error) {
	m.b.active.Add(1)
	defer m.b.active.Add(-1)
	if len(ins) != 1 {
		return nil, badRequest("want one input tensor (%q FP32 [N,3,H,W] or %q BYTES [N] of encoded images), got %d", inputTensor, inputImages, len(ins))
	}
	for _, o := range want {
		if o != outLogits && o != outProbs {
			return nil, badRequest("unknown output %q: model %s has %q and %q", o, m.name, outLogits, outProbs)
		}
	}
	if len(want) == 0 {
		want = []string{outLogits, outProbs}
	}
	in := ins[0]
	var xs []*tensor.Tensor
	switch in.datatype {
	case dtypeFP32:
		var err error
		if xs, err = s.splitNCHW(m, in); err != nil {
			return nil, err
		}
	case dtypeBytes:
		n, err := numel(in.shape)
		if err != nil || len(in.shape) < 1 {
			return nil, badRequest("input %q: bad shape %v", in.name, in.shape)
		}
		if n != int64(len(in.bytes)) {
			return nil, badRequest("input %q: shape %v has %d elements, data has %d", in.name, in.shape, n, len(in.bytes))
		}
		if n < 1 || n > int64(s.cfg.MaxImages) {
			return nil, badRequest("input %q: %d images; want 1 to %d", in.name, n, s.cfg.MaxImages)
		}
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%s[%d]", in.name, i)
		}
		if xs, err = s.preprocessAll(ctx, m, names, in.bytes); err != nil {
			return nil, err
		}
	default:
		return nil, badRequest("input %q: unsupported datatype %q: want %s (NCHW tensor) or %s (encoded images)", in.name, in.datatype, dtypeFP32, dtypeBytes)
	}
	outs, err := s.run(ctx, m, xs)
	if err != nil {
		return nil, err
	}
	n, k := len(outs), len(outs[0].logits)
	res := make([]inferOutput, 0, len(want))
	for _, name := range want {
		o := inferOutput{name: name, shape: []int64{int64(n), int64(k)}, data: make([]float32, 0, n*k)}
		for _, r := range outs {
			if name == outLogits {
				o.data = append(o.data, r.logits...)
			} else {
				for _, p := range classify.Softmax(r.logits) {
					o.data = append(o.data, float32(p))
				}
			}
		}
		res = append(res, o)
	}
	return res, nil
}

// splitNCHW checks an FP32 input against the model and cuts it into images.
func (s *Server) splitNCHW(m *model, in inferInput) ([]*tensor.Tensor, error) {
	sh := in.shape
	side := int64(m.c.Transform.Crop)
	bad := len(sh) != 4 || sh[0] < 1 || sh[1] != 3 || sh[2] < 1 || sh[3] < 1 ||
		(side > 0 && (sh[2] != side || sh[3] != side)) || sh[2] > maxInputSide || sh[3] > maxInputSide
	if bad {
		want := "[N,3,H,W]"
		if side > 0 {
			want = fmt.Sprintf("[N,3,%d,%d]", side, side)
		}
		return nil, badRequest("input %q: shape %v, want %s", in.name, sh, want)
	}
	if sh[0] > int64(s.cfg.MaxImages) {
		return nil, badRequest("input %q: batch of %d; at most %d per request", in.name, sh[0], s.cfg.MaxImages)
	}
	per := int(sh[1] * sh[2] * sh[3])
	if int64(len(in.fp32)) != sh[0]*int64(per) {
		return nil, badRequest("input %q: shape %v has %d elements, data has %d", in.name, sh, sh[0]*int64(per), len(in.fp32))
	}
	xs := make([]*tensor.Tensor, sh[0])
	for i := range xs {
		xs[i] = &tensor.Tensor{Shape: []int{3, int(sh[2]), int(sh[3])}, Data: in.fp32[i*per : (i+1)*per]}
	}
	return xs, nil
}

func numel(shape []int64) (int64, error) {
	n := int64(1)
	for _, d := range shape {
		if d < 0 || (d > 0 && n > (1<<40)/d) {
			return 0, fmt.Errorf("bad shape %v", shape)
		}
		n *= d
	}
	return n, nil
}

// v2 REST handlers.

func (s *Server) handleV2Server(w http.ResponseWriter, r *http.Request) {
	info(r.Context()).handler = "v2"
	writeJSON(w, http.StatusOK, struct {
		Name       string   `json:"name"`
		Version    string   `json:"version"`
		Extensions []string `json:"extensions"`
	}{serverName, s.cfg.Version, []string{}})
}

func (s *Server) handleV2Live(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]bool{"live": true})
}

func (s *Server) handleV2Ready(w http.ResponseWriter, r *http.Request) {
	code := http.StatusOK
	if !s.ready.Load() {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]bool{"ready": code == http.StatusOK})
}

// v2Model finds the model and version of a v2 path.
func (s *Server) v2Model(r *http.Request) (*model, error) {
	ri := info(r.Context())
	ri.handler = "v2"
	m, err := s.lookup(r.PathValue("name"))
	if err != nil {
		return nil, err
	}
	ri.model = m.name
	if v := r.PathValue("version"); v != "" && v != v2Version {
		return nil, &httpError{http.StatusNotFound, fmt.Sprintf(v2ErrNoVersion, m.name, v, v2Version)}
	}
	return m, nil
}

func (s *Server) handleV2Model(w http.ResponseWriter, r *http.Request) {
	m, err := s.v2Model(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, m.meta())
}

func (s *Server) handleV2ModelReady(w http.ResponseWriter, r *http.Request) {
	m, err := s.v2Model(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ready := s.ready.Load()
	code := http.StatusOK
	if !ready {
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]any{"name": m.name, "ready": ready})
}

// v2Tensor is a request input ($request_input) or response output.
type v2Tensor struct {
	Name       string          `json:"name"`
	Shape      []int64         `json:"shape"`
	Datatype   string          `json:"datatype"`
	Parameters map[string]any  `json:"parameters,omitempty"`
	Data       json.RawMessage `json:"data"`
}

type v2Request struct {
	ID         string         `json:"id"`
	Parameters map[string]any `json:"parameters"`
	Inputs     []v2Tensor     `json:"inputs"`
	Outputs    []struct {
		Name string `json:"name"`
	} `json:"outputs"`
}

type v2Output struct {
	Name     string    `json:"name"`
	Shape    []int64   `json:"shape"`
	Datatype string    `json:"datatype"`
	Data     []float32 `json:"data"`
}

type v2Response struct {
	ModelName    string     `json:"model_name"`
	ModelVersion string     `json:"model_version"`
	ID           string     `json:"id,omitempty"`
	Outputs      []v2Output `json:"outputs"`
}

func (s *Server) handleV2Infer(w http.ResponseWriter, r *http.Request) {
	m, err := s.v2Model(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		s.fail(w, r, wrapBody(err, "body"))
		return
	}
	var req v2Request
	if err := json.Unmarshal(body, &req); err != nil {
		s.fail(w, r, badRequest("request JSON: %v", err))
		return
	}
	ins := make([]inferInput, len(req.Inputs))
	for i, t := range req.Inputs {
		ins[i] = inferInput{name: t.Name, datatype: strings.ToUpper(t.Datatype), shape: t.Shape}
		switch ins[i].datatype {
		case dtypeFP32:
			ins[i].fp32, err = parseFloats(t.Data)
		case dtypeBytes:
			ins[i].bytes, err = parseBytes(t.Data)
		}
		if err != nil {
			s.fail(w, r, badRequest("input %q: data: %v", t.Name, err))
			return
		}
	}
	var want []string
	for _, o := range req.Outputs {
		want = append(want, o.Name)
	}
	outs, err := s.infer(r.Context(), m, ins, want)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	resp := v2Response{ModelName: m.name, ModelVersion: v2Version, ID: req.ID}
	for _, o := range outs {
		resp.Outputs = append(resp.Outputs, v2Output{Name: o.name, Shape: o.shape, Datatype: dtypeFP32, Data: o.data})
	}
	writeJSON(w, http.StatusOK, resp)
}

// parseFloats reads tensor data given flat ([1,2,3,4]) or nested
// ([[1,2],[3,4]]), as the protocol allows.
func parseFloats(raw json.RawMessage) ([]float32, error) {
	var flat []float32
	if err := json.Unmarshal(raw, &flat); err == nil {
		return flat, nil
	}
	flat = nil
	dec := json.NewDecoder(bytes.NewReader(raw))
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '[' {
				depth++
			} else if v == ']' {
				depth--
			} else {
				return nil, fmt.Errorf("want numbers, found an object")
			}
		case float64:
			if depth == 0 {
				return nil, fmt.Errorf("want an array")
			}
			flat = append(flat, float32(v))
		default:
			return nil, fmt.Errorf("want numbers, found %T", v)
		}
	}
	if flat == nil {
		return nil, fmt.Errorf("want an array of numbers")
	}
	return flat, nil
}

// parseBytes reads BYTES elements: strings holding base64 of the image
// files (flat or nested).
func parseBytes(raw json.RawMessage) ([][]byte, error) {
	var strs []string
	if err := json.Unmarshal(raw, &strs); err != nil {
		var nested [][]string
		if err2 := json.Unmarshal(raw, &nested); err2 != nil {
			return nil, fmt.Errorf("want an array of base64 strings: %v", err)
		}
		for _, row := range nested {
			strs = append(strs, row...)
		}
	}
	out := make([][]byte, len(strs))
	for i, s := range strs {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
				return nil, fmt.Errorf("element %d is not base64: %v", i, err)
			}
		}
		out[i] = b
	}
	return out, nil
}
