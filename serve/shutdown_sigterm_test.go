//go:build unix

package serve

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/resnetgo/resnet/classify"
)

// TestSIGTERMUnderLoad sends the process a real SIGTERM while clients keep
// the server busy: every request the server accepted must be answered
// 200, and the only client errors allowed are connections that never
// opened (after the listener closed).
func TestSIGTERMUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	s, err := New(map[string]*classify.Classifier{"m": testClassifier()}, Config{Logger: quietLogger(),
		MaxBatch: 8, BatchWindow: 2 * time.Millisecond, QueueSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	gln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, gln) }()
	// Read the server's own count before it stops: a test-only side door.
	var handled atomic.Int64
	url := "http://" + ln.Addr().String() + "/v1/models/m:classify"
	img := pngImage(t, 40, 30, 1)

	var ok, refused atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	deadline := time.Now().Add(20 * time.Second)
	for range 16 {
		wg.Go(func() {
			for time.Now().Before(deadline) {
				// fresh: the request went out on a new connection, not a
				// kept-alive one.
				var fresh bool
				trace := &httptrace.ClientTrace{GotConn: func(i httptrace.GotConnInfo) { fresh = !i.Reused }}
				req, _ := http.NewRequestWithContext(httptrace.WithClientTrace(context.Background(), trace), "POST", url, bytes.NewReader(img))
				// Lets net/http resend a request that an idle connection
				// closing under it never delivered (as any client retries).
				req.Header.Set("X-Idempotency-Key", "k")
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					if notConnected(err, fresh) {
						refused.Add(1)
						return
					}
					mu.Lock()
					failures = append(failures, err.Error())
					mu.Unlock()
					return
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					mu.Lock()
					failures = append(failures, strconv.Itoa(resp.StatusCode)+" "+string(b))
					mu.Unlock()
					continue
				}
				ok.Add(1)
			}
		})
	}
	for ok.Load() < 50 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if _, body := get(t, "http://"+ln.Addr().String()+"/metrics"); true {
		handled.Store(int64(countMetric(string(body), `resnet_serve_requests_total{code="200",handler="v1",model="m"}`)))
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after SIGTERM")
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d requests lost or failed, e.g. %q", len(failures), failures[0])
	}
	if refused.Load() != 16 || ok.Load() < handled.Load() {
		t.Fatalf("ok %d, refused %d of 16 clients, %d already counted by the server", ok.Load(), refused.Load(), handled.Load())
	}
	t.Logf("%d requests answered, then every client was refused", ok.Load())
}

// notConnected reports whether err says the server never took the
// client's connection: refused once the listener closed, or reset while
// still in the kernel's accept queue when the listener closed (Linux
// answers those with RST). The reset comes while dialling, or, when the
// kernel had completed the handshake, on the first read of a fresh
// connection whose request the server never read (a CI run saw that once).
// In either case nothing the server accepted was lost.
func notConnected(err error, fresh bool) bool {
	var op *net.OpError
	if !errors.As(err, &op) {
		return false
	}
	switch op.Op {
	case "dial":
		return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET)
	case "read":
		return fresh && errors.Is(err, syscall.ECONNRESET)
	}
	return false
}

func countMetric(text, series string) float64 {
	for _, l := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(l, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}
