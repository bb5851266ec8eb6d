package serve

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// testClassifier is a small random-init CIFAR network on 32×32 inputs,
// shared by the tests (it is safe for concurrent use).
var testClassifier = sync.OnceValue(func() *classify.Classifier {
	m, err := models.New("resnet20", models.Options{NumClasses: 10, Seed: 7})
	if err != nil {
		panic(err)
	}
	labels := []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}
	return &classify.Classifier{Model: m, Labels: labels, Transform: imageio.Transform{Resize: 36, Crop: 32,
		Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}}
})

// pngImage encodes a w×h gradient; seed varies the colours.
func pngImage(t testing.TB, w, h, seed int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x*7 + seed*31), uint8(y*5 + seed*17), uint8((x + y + seed) * 3), 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// newTest starts a server with model "m" (and "m2" when two is set).
func newTest(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	s, err := New(map[string]*classify.Classifier{"m": testClassifier(), "m2": testClassifier()}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() { ts.Close(); s.Close() })
	return s, ts
}

func post(t testing.TB, url, ctype string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func get(t testing.TB, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// directLogits runs the network without the server.
func directLogits(t testing.TB, img []byte) []float32 {
	t.Helper()
	c := testClassifier()
	im, _, err := imageio.Decode(bytes.NewReader(img), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	x, err := c.Preprocess(im)
	if err != nil {
		t.Fatal(err)
	}
	x, _ = x.Reshape(1, 3, 32, 32)
	y, err := c.Logits(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	return y.Data
}

func closeTo(t testing.TB, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range got {
		if math.Abs(float64(got[i]-want[i])) > 1e-4*(1+math.Abs(float64(want[i]))) {
			t.Fatalf("value %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

type resultJSON struct {
	File     string                `json:"file"`
	Top      []classify.Prediction `json:"top"`
	Logits   []float32             `json:"logits"`
	Features []float32             `json:"features"`
	Error    string                `json:"error"`
}

func TestV1ClassifyRaw(t *testing.T) {
	_, ts := newTest(t, Config{})
	img := pngImage(t, 40, 30, 1)
	resp, body := post(t, ts.URL+"/v1/models/m:classify?topk=3&logits=1&features=1", "image/png", img)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	var r resultJSON
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatal(err)
	}
	if r.File != "-" || len(r.Top) != 3 || len(r.Logits) != 10 || len(r.Features) != 64 {
		t.Fatalf("unexpected result %s", body)
	}
	want := directLogits(t, img)
	closeTo(t, r.Logits, want)
	top := testClassifier().TopK(want, 3)
	for i := range top {
		if r.Top[i].Index != top[i].Index || r.Top[i].Label != top[i].Label {
			t.Errorf("top %d: got %+v, want %+v", i, r.Top[i], top[i])
		}
	}
	// Defaults: five classes, no logits.
	_, body = post(t, ts.URL+"/v1/models/m2:classify", "", img)
	r = resultJSON{}
	json.Unmarshal(body, &r)
	if len(r.Top) != 5 || r.Logits != nil || r.Features != nil {
		t.Fatalf("default result %s", body)
	}
}

func multipartBody(t testing.TB, files map[string][]byte, order []string) (string, []byte) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("note", "ignored")
	for _, name := range order {
		w, err := mw.CreateFormFile("image", name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[name])
	}
	mw.Close()
	return mw.FormDataContentType(), b.Bytes()
}

func TestV1ClassifyMultipart(t *testing.T) {
	_, ts := newTest(t, Config{})
	files := map[string][]byte{"a.png": pngImage(t, 40, 30, 1), "b.png": pngImage(t, 50, 50, 2), "c.png": pngImage(t, 33, 60, 3)}
	order := []string{"a.png", "b.png", "c.png"}
	ct, body := multipartBody(t, files, order)
	resp, out := post(t, ts.URL+"/v1/models/m:classify?logits=1", ct, body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, out)
	}
	var rs []resultJSON
	if err := json.Unmarshal(out, &rs); err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("%d results", len(rs))
	}
	for i, r := range rs {
		if r.File != order[i] {
			t.Errorf("result %d is %q, want %q", i, r.File, order[i])
		}
		closeTo(t, r.Logits, directLogits(t, files[order[i]]))
	}
}

func TestV1List(t *testing.T) {
	_, ts := newTest(t, Config{})
	resp, body := get(t, ts.URL+"/v1/models")
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"name":"m"`) || !strings.Contains(string(body), `"arch":"resnet20"`) {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
}

func TestV1Errors(t *testing.T) {
	_, ts := newTest(t, Config{MaxBodyBytes: 20000, MaxPixels: 100 * 100, MaxImages: 2})
	img := pngImage(t, 40, 30, 1)
	big := pngImage(t, 200, 200, 1) // 40000 pixels: over the limit
	ctEmpty, noFiles := multipartBody(t, nil, nil)
	three := map[string][]byte{"a": img, "b": img, "c": img}
	ct3, body3 := multipartBody(t, three, []string{"a", "b", "c"})
	ctBig, bodyBig := multipartBody(t, map[string][]byte{"a": bytes.Repeat([]byte{1}, 30000)}, []string{"a"})
	for _, tc := range []struct {
		name, path, ctype string
		body              []byte
		code              int
		reason            string
	}{
		{"unknown model", "/v1/models/nope:classify", "", img, 404, `unknown model "nope"`},
		{"no :classify", "/v1/models/m", "", img, 404, "unknown endpoint"},
		{"corrupt image", "/v1/models/m:classify", "", []byte("this is not an image at all"), 400, "unknown image format"},
		{"truncated png", "/v1/models/m:classify", "", img[:len(img)/2], 400, "-: "},
		{"empty body", "/v1/models/m:classify", "", nil, 400, "empty body"},
		{"oversized body", "/v1/models/m:classify", "", bytes.Repeat([]byte{0xff}, 30000), 413, "exceeds 20000 bytes"},
		{"oversized multipart", "/v1/models/m:classify", ctBig, bodyBig, 413, "exceeds 20000 bytes"},
		{"too many pixels", "/v1/models/m:classify", "", big, 400, "pixel limit"},
		{"bad topk", "/v1/models/m:classify?topk=x", "", img, 400, "topk"},
		{"no files", "/v1/models/m:classify", ctEmpty, noFiles, 400, "no file parts"},
		{"too many files", "/v1/models/m:classify", ct3, body3, 400, "more than 2 images"},
		{"no boundary", "/v1/models/m:classify", "multipart/form-data", img, 400, "boundary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := post(t, ts.URL+tc.path, tc.ctype, tc.body)
			if resp.StatusCode != tc.code {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tc.code, body)
			}
			var e struct{ Error string }
			if err := json.Unmarshal(body, &e); err != nil || !strings.Contains(e.Error, tc.reason) {
				t.Fatalf("error %q (%v), want it to contain %q", e.Error, err, tc.reason)
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("content type %q", resp.Header.Get("Content-Type"))
			}
		})
	}
	if resp, _ := get(t, ts.URL+"/v1/models/m:classify"); resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET classify: status %d", resp.StatusCode)
	}
}

// hook is a controllable forward pass for the batching and error tests.
type hook struct {
	calls   atomic.Int64
	sizes   chan int
	entered chan struct{}
	release chan struct{}
	panicN  atomic.Int64 // panic on this many calls
}

func newHook() *hook {
	return &hook{sizes: make(chan int, 1000), entered: make(chan struct{}, 100), release: make(chan struct{})}
}

func (h *hook) forward(model string) forwardFunc {
	c := testClassifier()
	return func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, *tensor.Tensor, error) {
		h.calls.Add(1)
		h.sizes <- x.Shape[0]
		if h.panicN.Add(-1) >= 0 {
			panic("boom")
		}
		select {
		case h.entered <- struct{}{}:
		default:
		}
		select {
		case <-h.release:
		case <-ctx.Done():
			return nil, nil, ctx.Err()
		}
		f, err := c.Model.Features(ctx, x)
		if err != nil {
			return nil, nil, err
		}
		y, err := c.Model.Head(f)
		return y, f, err
	}
}

func TestBatching(t *testing.T) {
	for _, tc := range []struct {
		name     string
		maxBatch int
		wantMax  int
	}{{"on", 8, 8}, {"off", 1, 1}} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHook()
			close(h.release)
			s, ts := newTest(t, Config{MaxBatch: tc.maxBatch, BatchWindow: 300 * time.Millisecond, forward: h.forward})
			img := pngImage(t, 40, 30, 1)
			want := directLogits(t, img)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					resp, body := post(t, ts.URL+"/v1/models/m:classify?logits=1", "", img)
					var r resultJSON
					json.Unmarshal(body, &r)
					if resp.StatusCode != 200 {
						t.Errorf("status %d: %s", resp.StatusCode, body)
						return
					}
					closeTo(t, r.Logits, want)
				})
			}
			wg.Wait()
			close(h.sizes)
			most, total := 0, 0
			for n := range h.sizes {
				most, total = max(most, n), total+n
			}
			if total != 8 || most > tc.wantMax || (tc.wantMax > 1 && most < 2) {
				t.Fatalf("batches: largest %d, total %d images; want largest ≤ %d (and > 1 with batching)", most, total, tc.wantMax)
			}
			_ = s
		})
	}
}

// TestLoneRequestDoesNotWait: with nobody else in flight, the batch runs
// at once instead of waiting out the window.
func TestLoneRequestDoesNotWait(t *testing.T) {
	_, ts := newTest(t, Config{MaxBatch: 32, BatchWindow: 5 * time.Second})
	img := pngImage(t, 40, 30, 1)
	start := time.Now()
	for range 3 {
		if resp, body := post(t, ts.URL+"/v1/models/m:classify", "", img); resp.StatusCode != 200 {
			t.Fatalf("status %d: %s", resp.StatusCode, body)
		}
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Fatalf("3 sequential requests took %v: the 5s window was waited out", d)
	}
}

func TestQueueFull(t *testing.T) {
	h := newHook()
	s, ts := newTest(t, Config{MaxBatch: 1, QueueSize: 1, forward: h.forward})
	img := pngImage(t, 40, 30, 1)
	codes := make(chan int, 2)
	go func() { r, _ := post(t, ts.URL+"/v1/models/m:classify", "", img); codes <- r.StatusCode }()
	<-h.entered // the first request is running
	go func() { r, _ := post(t, ts.URL+"/v1/models/m:classify", "", img); codes <- r.StatusCode }()
	for len(s.models["m"].b.queue) < 1 { // the second waits in the queue
		time.Sleep(time.Millisecond)
	}
	resp, body := post(t, ts.URL+"/v1/models/m:classify", "", img)
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" || !strings.Contains(string(body), "queue full") {
		t.Fatalf("third request: status %d, Retry-After %q: %s", resp.StatusCode, resp.Header.Get("Retry-After"), body)
	}
	// The other model has a queue of its own.
	close(h.release)
	if resp, body := post(t, ts.URL+"/v1/models/m2:classify", "", img); resp.StatusCode != 200 {
		t.Fatalf("m2: status %d: %s", resp.StatusCode, body)
	}
	for range 2 {
		if c := <-codes; c != 200 {
			t.Errorf("accepted request answered %d", c)
		}
	}
	_, m := get(t, ts.URL+"/metrics")
	if !strings.Contains(string(m), `resnet_serve_requests_total{code="429",handler="v1",model="m"} 1`) {
		t.Errorf("metrics lack the 429")
	}
}

func TestTimeoutAndDrop(t *testing.T) {
	h := newHook()
	s, ts := newTest(t, Config{MaxBatch: 1, RequestTimeout: 200 * time.Millisecond, forward: h.forward})
	img := pngImage(t, 40, 30, 1)
	done := make(chan int, 1)
	go func() { r, _ := post(t, ts.URL+"/v1/models/m:classify", "", img); done <- r.StatusCode }()
	<-h.entered
	// Queued behind the first; its client gives up before it runs.
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/models/m:classify", bytes.NewReader(img))
	gone := make(chan error, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		gone <- err
	}()
	for len(s.models["m"].b.queue) < 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gone; err == nil {
		t.Fatal("cancelled request succeeded")
	}
	if c := <-done; c != http.StatusGatewayTimeout {
		t.Fatalf("timed-out request: status %d, want 504", c)
	}
	// The worker reaches the abandoned job only after the first call returns.
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, m := get(t, ts.URL+"/metrics")
		if strings.Contains(string(m), `resnet_serve_dropped_total{model="m"} 1`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("dropped counter not 1:\n%s", grep(string(m), "dropped"))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := h.calls.Load(); n != 1 {
		t.Errorf("forward ran %d times; the abandoned image should have been dropped", n)
	}
}

func grep(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

func TestPanicRecovered(t *testing.T) {
	h := newHook()
	close(h.release)
	h.panicN.Store(1)
	_, ts := newTest(t, Config{forward: h.forward})
	img := pngImage(t, 40, 30, 1)
	resp, body := post(t, ts.URL+"/v1/models/m:classify", "", img)
	if resp.StatusCode != 500 || !strings.Contains(string(body), "internal error") {
		t.Fatalf("panicking forward: status %d: %s", resp.StatusCode, body)
	}
	if resp, body := post(t, ts.URL+"/v1/models/m:classify", "", img); resp.StatusCode != 200 {
		t.Fatalf("after the panic: status %d: %s", resp.StatusCode, body)
	}
	// A panic in a handler itself.
	s, _ := newTest(t, Config{})
	rec := httptest.NewRecorder()
	s.middleware(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("handler bug") })).
		ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "internal error") {
		t.Fatalf("handler panic: %d %s", rec.Code, rec.Body)
	}
}

func TestMaxConcurrency(t *testing.T) {
	h := newHook()
	_, ts := newTest(t, Config{MaxConcurrency: 1, forward: h.forward})
	img := pngImage(t, 40, 30, 1)
	done := make(chan int, 1)
	go func() { r, _ := post(t, ts.URL+"/v1/models/m:classify", "", img); done <- r.StatusCode }()
	<-h.entered
	resp, body := post(t, ts.URL+"/v1/models/m:classify", "", img)
	if resp.StatusCode != 503 || !strings.Contains(string(body), "too many concurrent") {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	if resp, _ := get(t, ts.URL+"/v2/health/live"); resp.StatusCode != 200 {
		t.Errorf("health check limited: %d", resp.StatusCode)
	}
	close(h.release)
	if c := <-done; c != 200 {
		t.Errorf("first request: %d", c)
	}
}

func TestAuth(t *testing.T) {
	_, ts := newTest(t, Config{Token: "s3cret"})
	img := pngImage(t, 40, 30, 1)
	for _, tc := range []struct {
		method, path, auth string
		code               int
	}{
		{"GET", "/v1/models", "", 401},
		{"GET", "/v1/models", "Bearer wrong", 401},
		{"GET", "/v1/models", "s3cret", 401},
		{"GET", "/v1/models", "Bearer s3cret", 200},
		{"POST", "/v1/models/m:classify", "", 401},
		{"POST", "/v1/models/m:classify", "Bearer s3cret", 200},
		{"GET", "/metrics", "", 401},
		{"GET", "/v2/health/live", "", 200},
		{"GET", "/v2/health/ready", "", 200},
		{"GET", "/", "", 200},
		{"GET", "/v2/models/m", "", 401},
	} {
		var resp *http.Response
		if tc.method == "GET" {
			resp, _ = get(t, ts.URL+tc.path, "Authorization", tc.auth)
		} else {
			resp, _ = post(t, ts.URL+tc.path, "", img, "Authorization", tc.auth)
		}
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s with %q: status %d, want %d", tc.method, tc.path, tc.auth, resp.StatusCode, tc.code)
		}
		if tc.code == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: no WWW-Authenticate", tc.path)
		}
	}
}

func TestMetricsAndRequestID(t *testing.T) {
	var logs bytes.Buffer
	var mu sync.Mutex
	_, ts := newTest(t, Config{Logger: slog.New(slog.NewJSONHandler(lockedWriter{&mu, &logs}, nil))})
	img := pngImage(t, 40, 30, 1)
	resp, _ := post(t, ts.URL+"/v1/models/m:classify", "", img, "X-Request-Id", "abc-123")
	if got := resp.Header.Get("X-Request-Id"); got != "abc-123" {
		t.Errorf("request id %q", got)
	}
	resp, _ = get(t, ts.URL+"/v1/models")
	if len(resp.Header.Get("X-Request-Id")) != 16 {
		t.Errorf("generated request id %q", resp.Header.Get("X-Request-Id"))
	}
	_, m := get(t, ts.URL+"/metrics")
	for _, want := range []string{
		`resnet_serve_requests_total{code="200",handler="v1",model="m"} 1`,
		`resnet_serve_request_duration_seconds_count{code="200",handler="v1",model="m"} 1`,
		`resnet_serve_batch_size_count{model="m"} 1`,
		`resnet_serve_inference_duration_seconds_count{model="m"} 1`,
		`resnet_serve_queue_depth{model="m"} 0`,
		`resnet_serve_queue_depth{model="m2"} 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(m), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if !strings.Contains(logs.String(), `"id":"abc-123"`) || !strings.Contains(logs.String(), `"path":"/v1/models/m:classify","status":200`) {
		t.Errorf("access log:\n%s", logs.String())
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

func TestIndexAndPprof(t *testing.T) {
	_, ts := newTest(t, Config{})
	resp, body := get(t, ts.URL+"/")
	if resp.StatusCode != 200 || !strings.Contains(string(body), "<title>resnet serve</title>") ||
		resp.Header.Get("Content-Security-Policy") == "" || strings.Contains(string(body), "http://") || strings.Contains(string(body), "https://") {
		t.Fatalf("index: %d, CSP %q", resp.StatusCode, resp.Header.Get("Content-Security-Policy"))
	}
	if resp, _ := get(t, ts.URL+"/debug/pprof/"); resp.StatusCode != 404 {
		t.Errorf("pprof without the flag: %d", resp.StatusCode)
	}
	_, ts2 := newTest(t, Config{Pprof: true})
	if resp, _ := get(t, ts2.URL+"/debug/pprof/"); resp.StatusCode != 200 {
		t.Errorf("pprof with the flag: %d", resp.StatusCode)
	}
}

func TestNewErrors(t *testing.T) {
	c := testClassifier()
	for _, tc := range []map[string]*classify.Classifier{
		nil,
		{"a/b": c},
		{"": c},
		{"x": nil},
	} {
		if _, err := New(tc, Config{}); err == nil {
			t.Errorf("New(%v) succeeded", tc)
		}
	}
}

func ExampleServer() {
	m, _ := models.New("resnet20", models.Options{NumClasses: 10})
	c := &classify.Classifier{Model: m, Transform: imageio.Transform{Resize: 36, Crop: 32,
		Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}}
	s, err := New(map[string]*classify.Classifier{"cifar": c}, Config{MaxBatch: 16, Logger: quietLogger()})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(s.Handler()) // or s.Serve(ctx, listener, grpcListener)
	defer ts.Close()
	defer s.Close()
	resp, _ := http.Get(ts.URL + "/v2/models/cifar")
	var meta struct{ Inputs []struct{ Shape []int64 } }
	json.NewDecoder(resp.Body).Decode(&meta)
	resp.Body.Close()
	fmt.Println(meta.Inputs[0].Shape)
	// Output: [-1 3 32 32]
}
