// Package loadtest drives an inference server with a fixed number of
// concurrent clients and reports throughput and latency percentiles. It
// is what `resnet loadtest` runs; point it only at servers on this
// machine or ones you own.
package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options describe one run: Concurrency clients send Requests POSTs of
// Body to URL between them (or stop at Duration, when set).
type Options struct {
	URL         string // full address, e.g. http://127.0.0.1:8080/v1/models/m:classify
	Body        []byte
	ContentType string
	Token       string
	Concurrency int
	Requests    int
	Duration    time.Duration
	Client      *http.Client // default: one with enough idle connections
}

// Result is what a run measured. Latencies are of successful requests.
type Result struct {
	Concurrency int
	Requests    int // answered 200
	Errors      int // transport errors and other status codes
	Codes       map[int]int
	Elapsed     time.Duration
	Throughput  float64 // successful requests per second
	P50, P99    time.Duration
	Max         time.Duration
	FirstError  string
}

func (r Result) String() string {
	return fmt.Sprintf("conc %3d  %6d ok  %4d err  %8.1f req/s  p50 %8s  p99 %8s", r.Concurrency, r.Requests, r.Errors,
		r.Throughput, r.P50.Round(10*time.Microsecond), r.P99.Round(10*time.Microsecond))
}

// Run performs one load run.
func Run(ctx context.Context, o Options) (Result, error) {
	if o.Concurrency < 1 || (o.Requests < 1 && o.Duration <= 0) {
		return Result{}, errors.New("loadtest: need Concurrency ≥ 1 and Requests or Duration")
	}
	c := o.Client
	if c == nil {
		c = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: o.Concurrency, MaxIdleConns: o.Concurrency}}
	}
	if o.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Duration)
		defer cancel()
	}
	var (
		next      atomic.Int64
		mu        sync.Mutex
		lat       []time.Duration
		res       = Result{Concurrency: o.Concurrency, Codes: map[int]int{}}
		wg        sync.WaitGroup
		unlimited = o.Requests < 1
	)
	start := time.Now()
	for range o.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil && (unlimited || next.Add(1) <= int64(o.Requests)) {
				req, err := http.NewRequestWithContext(ctx, "POST", o.URL, bytes.NewReader(o.Body))
				if err != nil {
					return
				}
				if o.ContentType != "" {
					req.Header.Set("Content-Type", o.ContentType)
				}
				if o.Token != "" {
					req.Header.Set("Authorization", "Bearer "+o.Token)
				}
				t0 := time.Now()
				resp, err := c.Do(req)
				code := 0
				if err == nil {
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					code = resp.StatusCode
				}
				d := time.Since(t0)
				mu.Lock()
				switch {
				case err != nil && ctx.Err() != nil: // stopped by Duration
				case err != nil:
					res.Errors++
					if res.FirstError == "" {
						res.FirstError = err.Error()
					}
				case code != http.StatusOK:
					res.Errors++
					res.Codes[code]++
					if res.FirstError == "" {
						res.FirstError = "status " + strconv.Itoa(code)
					}
				default:
					res.Codes[code]++
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	res.Elapsed = time.Since(start)
	res.Requests = len(lat)
	if len(lat) > 0 {
		slices.Sort(lat)
		res.P50, res.P99, res.Max = pct(lat, 0.50), pct(lat, 0.99), lat[len(lat)-1]
		res.Throughput = float64(len(lat)) / res.Elapsed.Seconds()
	}
	return res, nil
}

// pct is the nearest-rank percentile of sorted latencies.
func pct(sorted []time.Duration, p float64) time.Duration {
	i := int(p*float64(len(sorted))+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// RSS returns the resident set size of process pid (0: this process) in
// bytes, from /proc (Linux).
func RSS(pid int) (int64, error) {
	p := "/proc/self/status"
	if pid > 0 {
		p = fmt.Sprintf("/proc/%d/status", pid)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("loadtest: no VmRSS in " + p)
}
