// Package serve is an HTTP and gRPC inference server for classify.Classifier
// networks: a plain endpoint (POST /v1/models/{name}:classify) that answers
// with the JSON of `resnet classify --json`, the Open Inference Protocol
// (KServe v2) over REST and gRPC, a web page at /, Prometheus metrics at
// /metrics and optional pprof.
//
// Requests for one model that arrive within Config.BatchWindow are run as
// one forward pass of up to Config.MaxBatch images, on the classifier's
// compiled inference engine unless its Options.Reference is set. Each model has a
// bounded queue: a request that finds it full is refused (HTTP 429, gRPC
// RESOURCE_EXHAUSTED) rather than queued without limit, and an image whose
// client has gone or timed out is dropped before it runs.
package serve

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"crypto/tls"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/resnetgo/resnet/classify"
	"google.golang.org/grpc"
)

// Config sets the server's batching, limits and security. The zero value
// gives the defaults named on each field.
type Config struct {
	// MaxBatch is the most images in one forward pass (default 32; 1
	// turns batching off).
	MaxBatch int
	// BatchWindow is how long the first image of a batch waits for
	// others (default 5ms; negative: take only what is already queued).
	BatchWindow time.Duration
	// QueueSize bounds the images waiting per model (default 256).
	QueueSize int
	// RequestTimeout is each request's deadline (default 30s).
	RequestTimeout time.Duration
	// MaxBodyBytes bounds a request body or gRPC message (default 32 MiB).
	MaxBodyBytes int64
	// MaxPixels bounds width×height of a decoded image (default 40M).
	MaxPixels int64
	// MaxImages bounds the images in one request (default 64).
	MaxImages int
	// MaxConcurrency bounds the requests handled at once; more are
	// answered 503 (default 256).
	MaxConcurrency int
	// MaxDecodes bounds the images being decoded at once (default
	// 2·GOMAXPROCS); the others wait, within their deadline.
	MaxDecodes int
	// Token, when set, must come as "Authorization: Bearer TOKEN" (HTTP)
	// or "authorization" metadata (gRPC) on every request but the
	// health checks and the web page.
	Token string
	// TLS, when set, serves HTTPS and gRPC over TLS.
	TLS *tls.Config
	// Pprof mounts net/http/pprof under /debug/pprof/.
	Pprof bool
	// ShutdownTimeout bounds the wait for in-flight requests (default 30s).
	ShutdownTimeout time.Duration
	// Logger receives structured logs (default slog.Default()).
	Logger *slog.Logger
	// Version is reported by server metadata.
	Version string
	// NoWarmup skips New's pass of blank images through each model at
	// every batch size its engine runs (classify.Classifier.Warm), which
	// builds the buffers and transformed weights the first requests would
	// otherwise wait for.
	NoWarmup bool

	// forward replaces the network in tests.
	forward func(model string) forwardFunc
}

func (c *Config) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxBatch, 32)
	def(&c.QueueSize, 256)
	def(&c.MaxImages, 64)
	def(&c.MaxConcurrency, 256)
	def(&c.MaxDecodes, 2*runtime.GOMAXPROCS(0))
	if c.BatchWindow == 0 {
		c.BatchWindow = 5 * time.Millisecond
	}
	if c.RequestTimeout <= 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = 32 << 20
	}
	if c.MaxPixels == 0 {
		c.MaxPixels = 40_000_000
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Version == "" {
		c.Version = "dev"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			c.Version = bi.Main.Version
		}
	}
}

// model is one served network.
type model struct {
	name string
	c    *classify.Classifier
	b    *batcher
}

// Server serves named classifiers. Create it with New; it is safe for
// concurrent use.
type Server struct {
	cfg     Config
	models  map[string]*model
	names   []string
	m       *metrics
	log     *slog.Logger
	sem     chan struct{} // requests in flight
	decodes chan struct{} // images being decoded
	ready   atomic.Bool
	closed  atomic.Bool
}

// New returns a server for the classifiers, keyed by the name clients use.
// It starts one batching goroutine per model; call Close (or Serve, which
// closes on return) to stop them.
func New(models map[string]*classify.Classifier, cfg Config) (*Server, error) {
	if len(models) == 0 {
		return nil, errors.New("serve: no models")
	}
	cfg.defaults()
	s := &Server{cfg: cfg, models: map[string]*model{}, m: newMetrics(), log: cfg.Logger,
		sem: make(chan struct{}, cfg.MaxConcurrency), decodes: make(chan struct{}, cfg.MaxDecodes)}
	for name, c := range models { // every check before any batcher starts
		if name == "" || strings.ContainsAny(name, "/:?#% ") {
			return nil, fmt.Errorf("serve: model name %q: use letters, digits, '.', '_' or '-'", name)
		}
		if c == nil || c.Model == nil {
			return nil, fmt.Errorf("serve: model %q has no network", name)
		}
		if cfg.forward == nil {
			if err := c.Compile(); err != nil { // now, not at the first request
				return nil, fmt.Errorf("serve: model %q: %w", name, err)
			}
		}
	}
	if cfg.forward == nil && !cfg.NoWarmup {
		for name, c := range models {
			start := time.Now()
			if err := c.Warm(context.Background()); err != nil {
				return nil, fmt.Errorf("serve: model %q: %w", name, err)
			}
			if !c.Options.Reference {
				cfg.Logger.Info("warmed up", "name", name, "seconds", time.Since(start).Seconds())
			}
		}
	}
	for name, c := range models {
		var fwd forwardFunc
		if cfg.forward != nil {
			fwd = cfg.forward(name)
		}
		b := newBatcher(name, c, &s.cfg, s.m, fwd, func(msg string, args ...any) { s.log.Error(msg, args...) })
		s.m.addQueueGauge(b)
		s.models[name] = &model{name: name, c: c, b: b}
		s.names = append(s.names, name)
	}
	slices.Sort(s.names)
	s.ready.Store(true)
	return s, nil
}

// Names returns the served model names, sorted.
func (s *Server) Names() []string { return slices.Clone(s.names) }

// Close stops the batching goroutines after the queued images have run.
// Requests arriving afterwards are answered 503.
func (s *Server) Close() {
	if s.closed.Swap(true) {
		return
	}
	s.ready.Store(false)
	for _, m := range s.models {
		m.b.close()
	}
}

// Handler returns the HTTP API: the plain and v2 endpoints, the web page,
// /metrics and (with Config.Pprof) /debug/pprof/.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", s.handleIndex)
	mux.HandleFunc("GET /v1/models", s.handleV1List)
	mux.HandleFunc("POST /v1/models/{target}", s.handleV1Classify)
	mux.HandleFunc("GET /v2", s.handleV2Server)
	mux.HandleFunc("GET /v2/health/live", s.handleV2Live)
	mux.HandleFunc("GET /v2/health/ready", s.handleV2Ready)
	mux.HandleFunc("GET /v2/models/{name}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}", s.handleV2Model)
	mux.HandleFunc("GET /v2/models/{name}/ready", s.handleV2ModelReady)
	mux.HandleFunc("GET /v2/models/{name}/versions/{version}/ready", s.handleV2ModelReady)
	mux.HandleFunc("POST /v2/models/{name}/infer", s.handleV2Infer)
	mux.HandleFunc("POST /v2/models/{name}/versions/{version}/infer", s.handleV2Infer)
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.m.reg, promhttp.HandlerOpts{}))
	if s.cfg.Pprof {
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
		mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
		mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	}
	return s.middleware(mux)
}

// reqInfo is filled in by handlers for the access log and metrics.
type reqInfo struct {
	id, model, handler string
}

type ctxKey struct{}

func info(ctx context.Context) *reqInfo {
	if ri, ok := ctx.Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// statusWriter records the status code and size of a response.
type statusWriter struct {
	http.ResponseWriter
	code  int
	bytes int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// public paths need no token: probes and the page itself.
func public(path string) bool {
	return path == "/" || path == "/v2/health/live" || path == "/v2/health/ready"
}

// middleware adds, from the outside in: request IDs, the access log and
// metrics, panic recovery, bearer auth, the concurrency limit, the body
// limit and the request deadline.
func (s *Server) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		ri := &reqInfo{id: requestID(r.Header.Get("X-Request-Id")), handler: "other"}
		w.Header().Set("X-Request-Id", ri.id)
		sw := &statusWriter{ResponseWriter: w}
		s.m.inflight.Inc()
		defer func() {
			s.m.inflight.Dec()
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.m.panics.Inc()
				s.log.Error("panic in handler", "id", ri.id, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				if sw.code == 0 {
					writeError(sw, http.StatusInternalServerError, "internal error")
				}
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			if r.Context().Err() != nil && code >= 500 {
				code = 499 // the client went away; nginx's code for it
			}
			d := time.Since(start)
			if ri.handler != "other" || ri.model != "" {
				lc := fmt.Sprint(code)
				s.m.requests.WithLabelValues(ri.model, ri.handler, lc).Inc()
				s.m.latency.WithLabelValues(ri.model, ri.handler, lc).Observe(d.Seconds())
			}
			lvl := slog.LevelInfo
			if code >= 500 {
				lvl = slog.LevelWarn
			}
			s.log.LogAttrs(r.Context(), lvl, "request", slog.String("id", ri.id), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.Int("status", code), slog.Int64("bytes", sw.bytes),
				slog.Duration("dur", d), slog.String("model", ri.model), slog.String("remote", r.RemoteAddr))
		}()

		if s.cfg.Token != "" && !public(r.URL.Path) && !s.authorized(r.Header.Get("Authorization")) {
			sw.Header().Set("WWW-Authenticate", `Bearer realm="resnet"`)
			writeError(sw, http.StatusUnauthorized, "missing or wrong bearer token")
			return
		}
		if !public(r.URL.Path) && r.URL.Path != "/metrics" {
			select {
			case s.sem <- struct{}{}:
				defer func() { <-s.sem }()
			default:
				writeError(sw, http.StatusServiceUnavailable, "too many concurrent requests")
				return
			}
		}
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
		ctx, cancel := context.WithTimeout(context.WithValue(r.Context(), ctxKey{}, ri), s.cfg.RequestTimeout)
		defer cancel()
		next.ServeHTTP(sw, r.WithContext(ctx))
	})
}

func (s *Server) authorized(h string) bool {
	tok, ok := strings.CutPrefix(h, "Bearer ")
	return ok && subtle.ConstantTimeCompare([]byte(tok), []byte(s.cfg.Token)) == 1
}

// requestID keeps a client's ID when it is short and printable, else makes one.
func requestID(h string) string {
	if h != "" && len(h) <= 128 && !strings.ContainsFunc(h, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return h
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// httpError is an error with the HTTP status it is answered with.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

func badRequest(format string, args ...any) error {
	return &httpError{http.StatusBadRequest, fmt.Sprintf(format, args...)}
}

// statusOf maps an error to an HTTP status and a message for the client.
func statusOf(err error) (int, string) {
	var he *httpError
	var mb *http.MaxBytesError
	var pe *panicError
	switch {
	case errors.As(err, &he):
		return he.code, he.msg
	case errors.As(err, &mb):
		return http.StatusRequestEntityTooLarge, fmt.Sprintf("request body exceeds %d bytes", mb.Limit)
	case errors.Is(err, ErrQueueFull):
		return http.StatusTooManyRequests, "queue full, retry later"
	case errors.Is(err, ErrClosed):
		return http.StatusServiceUnavailable, "server is shutting down"
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "request timed out"
	case errors.Is(err, context.Canceled):
		return 499, "request cancelled"
	case errors.As(err, &pe):
		return http.StatusInternalServerError, "internal error"
	}
	return http.StatusInternalServerError, err.Error()
}

// writeError answers {"error": msg}, the error shape of both the v2
// protocol and the plain endpoint.
func writeError(w http.ResponseWriter, code int, msg string) {
	if code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	writeJSON(w, code, map[string]string{"error": msg})
}

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code, msg := statusOf(err)
	if code == http.StatusInternalServerError {
		s.log.Error("request failed", "id", info(r.Context()).id, "err", err)
	}
	writeError(w, code, msg)
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}

// lookup returns the named model or a 404 error.
func (s *Server) lookup(name string) (*model, error) {
	if m, ok := s.models[name]; ok {
		return m, nil
	}
	return nil, &httpError{http.StatusNotFound, fmt.Sprintf("unknown model %q (serving %s)", name, strings.Join(s.names, ", "))}
}

// HTTPServer returns an http.Server for Handler with the timeouts a
// server facing a network needs.
func (s *Server) HTTPServer() *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      s.cfg.RequestTimeout + 30*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		TLSConfig:         s.cfg.TLS.Clone(), // net/http adds to NextProtos; gRPC clones its own
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Serve answers HTTP on ln and, when grpcLn is not nil, gRPC on grpcLn
// until ctx is done, then shuts down gracefully: readiness turns false,
// the listeners close, requests on connections already accepted are
// still read (up to 2 s) and every request read is answered (up to
// Config.ShutdownTimeout), and the batchers stop.
func (s *Server) Serve(ctx context.Context, ln, grpcLn net.Listener) error {
	hs := s.HTTPServer()
	fresh := newFreshConns()
	fresh.install(hs)
	oln := &onceCloseListener{Listener: ln}
	ln = oln
	errc := make(chan error, 2)
	go func() {
		var err error
		if s.cfg.TLS != nil {
			err = hs.ServeTLS(ln, "", "")
		} else {
			err = hs.Serve(ln)
		}
		if errors.Is(err, http.ErrServerClosed) || ctx.Err() != nil {
			err = nil // closed by the shutdown below
		}
		errc <- err
	}()
	var gs *grpc.Server
	if grpcLn != nil {
		gs = s.GRPCServer()
		go func() { errc <- gs.Serve(grpcLn) }()
	}
	s.log.Info("serving", "addr", ln.Addr().String(), "grpc", addrOf(grpcLn), "models", s.names,
		"max_batch", s.cfg.MaxBatch, "batch_window", s.cfg.BatchWindow, "queue", s.cfg.QueueSize, "tls", s.cfg.TLS != nil)
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	s.ready.Store(false)
	s.log.Info("shutting down", "timeout", s.cfg.ShutdownTimeout)
	sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownTimeout)
	defer cancel()
	// No new connections; the requests of those already accepted reach
	// the handler before Shutdown, which would drop them unanswered.
	oln.Close()
	fresh.wait(min(drainNewConns, s.cfg.ShutdownTimeout))
	done := make(chan struct{})
	if gs != nil {
		go func() { gs.GracefulStop(); close(done) }()
	} else {
		close(done)
	}
	if e := hs.Shutdown(sctx); e != nil && err == nil {
		err = fmt.Errorf("serve: shutdown: %w", e)
		hs.Close()
	}
	select {
	case <-done:
	case <-sctx.Done():
		if gs != nil {
			gs.Stop()
		}
		if err == nil {
			err = errors.New("serve: shutdown: gRPC requests still running at the deadline")
		}
	}
	s.Close()
	s.log.Info("stopped")
	return err
}

func addrOf(ln net.Listener) string {
	if ln == nil {
		return ""
	}
	return ln.Addr().String()
}
