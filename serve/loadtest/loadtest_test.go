package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestRun(t *testing.T) {
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer t" {
			w.WriteHeader(401)
			return
		}
		if n.Add(1)%10 == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		time.Sleep(time.Millisecond)
	}))
	defer ts.Close()
	r, err := Run(context.Background(), Options{URL: ts.URL, Body: []byte("x"), Token: "t", Concurrency: 4, Requests: 100})
	if err != nil {
		t.Fatal(err)
	}
	if r.Requests != 90 || r.Errors != 10 || r.Codes[429] != 10 || r.P50 < time.Millisecond || r.P99 < r.P50 || r.Throughput <= 0 {
		t.Fatalf("%+v", r)
	}
	r, err = Run(context.Background(), Options{URL: ts.URL, Token: "t", Concurrency: 2, Duration: 50 * time.Millisecond})
	if err != nil || r.Requests == 0 {
		t.Fatalf("duration run: %+v %v", r, err)
	}
	if _, err := Run(context.Background(), Options{URL: ts.URL}); err == nil {
		t.Error("no concurrency accepted")
	}
	if rss, err := RSS(0); err != nil || rss < 1<<20 {
		t.Errorf("RSS %d, %v", rss, err)
	}
}
