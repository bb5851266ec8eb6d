package serve

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/resnetgo/resnet/classify"
)

// TestServeDrainsInFlight cancels Serve while requests are inside a slow
// forward pass: they finish, later connections are refused, and the
// batchers stop.
func TestServeDrainsInFlight(t *testing.T) {
	h := newHook()
	s, err := New(map[string]*classify.Classifier{"m": testClassifier()}, Config{Logger: quietLogger(), forward: h.forward, MaxBatch: 4})
	if err != nil {
		t.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, nil) }()
	url := "http://" + ln.Addr().String()
	img := pngImage(t, 40, 30, 1)
	codes := make(chan int, 3)
	for range 3 {
		go func() {
			resp, err := http.Post(url+"/v1/models/m:classify", "image/png", bytes.NewReader(img))
			if err != nil {
				codes <- -1
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	<-h.entered
	time.Sleep(50 * time.Millisecond) // let the others queue
	cancel()
	time.Sleep(50 * time.Millisecond)
	if s.ready.Load() {
		t.Error("still ready while draining")
	}
	if _, err := http.Get(url + "/v2/health/live"); err == nil {
		t.Error("new connection accepted while draining")
	}
	close(h.release)
	for range 3 {
		if c := <-codes; c != 200 {
			t.Errorf("in-flight request answered %d", c)
		}
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if out := s.models["m"].b.submit(context.Background(), nil); !errors.Is(out.err, ErrClosed) {
		t.Errorf("submit after shutdown: %v", out.err)
	}
}

// TestShutdownAnswersAcceptedConnections opens a connection, lets the
// shutdown begin, and only then sends a request on it: the server had
// accepted the connection, so it must answer (net/http's Shutdown alone
// would close it unanswered, and the client would see EOF).
func TestShutdownAnswersAcceptedConnections(t *testing.T) {
	s, err := New(map[string]*classify.Classifier{"m": testClassifier()}, Config{Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(ctx, ln, nil) }()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	time.Sleep(50 * time.Millisecond) // accepted
	cancel()
	time.Sleep(100 * time.Millisecond) // the shutdown is under way
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("a new connection was accepted during the shutdown")
	}
	img := pngImage(t, 40, 30, 1)
	req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/models/m:classify", bytes.NewReader(img))
	req.Header.Set("Content-Type", "image/png")
	if err := req.Write(conn); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		t.Fatalf("request on an accepted connection: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("status %d", resp.StatusCode)
	}
	if err := <-served; err != nil {
		t.Fatal(err)
	}
}
