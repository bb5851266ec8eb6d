package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/tensor"
)

// preprocess decodes one encoded image under the server's pixel limit and
// applies the model's transform. Bad images are a 400 naming the reason.
func (s *Server) preprocess(m *model, name string, data []byte) (*tensor.Tensor, error) {
	opt := m.c.Decode
	if s.cfg.MaxPixels > 0 && (opt.MaxPixels <= 0 || opt.MaxPixels > s.cfg.MaxPixels) {
		opt.MaxPixels = s.cfg.MaxPixels
	}
	if len(data) == 0 {
		return nil, badRequest("%s: empty image", name)
	}
	img, _, err := imageio.Decode(bytes.NewReader(data), opt)
	if err != nil {
		return nil, badRequest("%s: %v", name, err)
	}
	x, err := m.c.Preprocess(img)
	if err != nil {
		return nil, badRequest("%s: %v", name, err)
	}
	return x, nil
}

// preprocessAll decodes the images in parallel, at most Config.MaxDecodes
// at a time across the server: decoded pixels, not bodies, are what can
// take gigabytes.
func (s *Server) preprocessAll(ctx context.Context, m *model, names []string, data [][]byte) ([]*tensor.Tensor, error) {
	xs := make([]*tensor.Tensor, len(data))
	errs := make([]error, len(data))
	var wg sync.WaitGroup
	for i := range data {
		wg.Go(func() {
			select {
			case s.decodes <- struct{}{}:
				defer func() { <-s.decodes }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			xs[i], errs[i] = s.preprocess(m, names[i], data[i])
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return xs, nil
}

// run queues the images at once, so that they can share a batch, and
// waits for all of them.
func (s *Server) run(ctx context.Context, m *model, xs []*tensor.Tensor) ([]output, error) {
	outs := make([]output, len(xs))
	var wg sync.WaitGroup
	for i, x := range xs {
		wg.Go(func() { outs[i] = m.b.submit(ctx, x) })
	}
	wg.Wait()
	for _, o := range outs {
		if o.err != nil {
			return nil, o.err
		}
	}
	return outs, nil
}

// modelInfo is an entry of GET /v1/models.
type modelInfo struct {
	Name    string `json:"name"`
	Arch    string `json:"arch"`
	Classes int    `json:"classes"`
	Input   []int  `json:"input"` // (3, H, W); -1 where any size is taken
}

func (m *model) info() modelInfo {
	side := m.c.Transform.Crop
	if side == 0 {
		side = -1
	}
	return modelInfo{Name: m.name, Arch: m.c.Model.Config.Name, Classes: m.c.Model.Config.NumClasses, Input: []int{3, side, side}}
}

func (s *Server) handleV1List(w http.ResponseWriter, r *http.Request) {
	info(r.Context()).handler = "v1"
	list := make([]modelInfo, 0, len(s.names))
	for _, n := range s.names {
		list = append(list, s.models[n].info())
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": list})
}

// handleV1Classify serves POST /v1/models/{name}:classify. The body is one
// encoded image, or multipart/form-data whose file parts are images. The
// answer is the JSON of `resnet classify --json`: one object for a raw
// body, an array for multipart. Query: topk (default 5), logits=1,
// features=1.
func (s *Server) handleV1Classify(w http.ResponseWriter, r *http.Request) {
	ri := info(r.Context())
	ri.handler = "v1"
	name, ok := strings.CutSuffix(r.PathValue("target"), ":classify")
	if !ok {
		writeError(w, http.StatusNotFound, "unknown endpoint: use POST /v1/models/{name}:classify")
		return
	}
	m, err := s.lookup(name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ri.model = name
	m.b.active.Add(1)
	defer m.b.active.Add(-1)
	q := r.URL.Query()
	topk := 5
	if v := q.Get("topk"); v != "" {
		if topk, err = strconv.Atoi(v); err != nil || topk < 0 {
			s.fail(w, r, badRequest("topk=%q: want a non-negative integer", v))
			return
		}
	}
	wantLogits, wantFeatures := flag(q.Get("logits")), flag(q.Get("features"))

	var names []string
	var data [][]byte
	ct, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	multi := ct == "multipart/form-data"
	if multi {
		names, data, err = s.readMultipart(r, params["boundary"])
	} else {
		var b []byte
		b, err = io.ReadAll(r.Body)
		names, data = []string{"-"}, [][]byte{b}
		if err == nil && len(b) == 0 {
			err = badRequest("empty body: send an image, or multipart/form-data with image files")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	xs, err := s.preprocessAll(r.Context(), m, names, data)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	outs, err := s.run(r.Context(), m, xs)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	res := make([]classify.Result, len(outs))
	for i, o := range outs {
		res[i] = classify.Result{File: names[i], Top: m.c.TopK(o.logits, topk)}
		if wantLogits {
			res[i].Logits = o.logits
		}
		if wantFeatures {
			res[i].Features = o.features
		}
	}
	if multi {
		writeJSON(w, http.StatusOK, res)
	} else {
		writeJSON(w, http.StatusOK, res[0])
	}
}

func flag(v string) bool { return v == "1" || v == "true" || v == "yes" }

// readMultipart returns the file parts of a multipart body.
func (s *Server) readMultipart(r *http.Request, boundary string) (names []string, data [][]byte, err error) {
	if boundary == "" {
		return nil, nil, badRequest("multipart body without a boundary")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, nil, badRequest("multipart: %v", err)
	}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, wrapBody(err, "multipart")
		}
		if p.FileName() == "" {
			p.Close()
			continue
		}
		if len(data) == s.cfg.MaxImages {
			return nil, nil, badRequest("more than %d images in one request", s.cfg.MaxImages)
		}
		b, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, wrapBody(err, "multipart")
		}
		names = append(names, p.FileName())
		data = append(data, b)
	}
	if len(data) == 0 {
		return nil, nil, badRequest("multipart body has no file parts")
	}
	return names, data, nil
}

// wrapBody keeps a body-limit error as it is (413) and makes others 400.
func wrapBody(err error, what string) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return mb
	}
	if strings.Contains(err.Error(), "request body too large") { // wrapped with %v somewhere
		return &httpError{http.StatusRequestEntityTooLarge, "request body too large"}
	}
	return badRequest("%s: %v", what, err)
}
