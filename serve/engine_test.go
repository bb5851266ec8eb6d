package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
)

// cifarClassifier is a random CIFAR-style network of arch with 10
// classes (seed 11), preprocessed at 32×32.
func cifarClassifier(t *testing.T, arch string, o classify.Options) *classify.Classifier {
	t.Helper()
	m, err := models.New(arch, models.Options{NumClasses: 10, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	c, err := classify.New(m, o)
	if err != nil {
		t.Fatal(err)
	}
	c.Transform = imageio.Transform{Resize: 36, Crop: 32, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	return c
}

// TestEngineAndReferenceServed: the same weights served on the compiled
// engine (the default) and on the reference path answer alike, within
// SPEC §6, also when concurrent requests are batched together.
func TestEngineAndReferenceServed(t *testing.T) {
	build := func(o classify.Options) *classify.Classifier { return cifarClassifier(t, "resnet20b", o) }
	s, err := New(map[string]*classify.Classifier{"eng": build(classify.Options{MaxBatch: 2}), "ref": build(classify.Options{Reference: true})},
		Config{Logger: quietLogger(), MaxBatch: 8, BatchWindow: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	defer func() { ts.Close(); s.Close() }()

	const n = 7
	logits := map[string][][]float32{"eng": make([][]float32, n), "ref": make([][]float32, n)}
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := make(chan error, 2*n)
	for name := range logits {
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, body := post(t, ts.URL+"/v1/models/"+name+":classify?logits=1", "image/png", pngImage(t, 40+i, 36, i))
				var r resultJSON
				if err := json.Unmarshal(body, &r); resp.StatusCode != 200 || err != nil || len(r.Logits) != 10 {
					errs <- fmt.Errorf("%s image %d: %d %s", name, i, resp.StatusCode, body)
					return
				}
				mu.Lock()
				logits[name][i] = r.Logits
				mu.Unlock()
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for i := range n {
		got, want := logits["eng"][i], logits["ref"][i]
		var maxAbs, maxDiff float64
		for j := range want {
			maxAbs = math.Max(maxAbs, math.Abs(float64(want[j])))
			maxDiff = math.Max(maxDiff, math.Abs(float64(got[j]-want[j])))
		}
		if tol := 1e-4*maxAbs + 1e-5; maxDiff > tol {
			t.Errorf("image %d: engine and reference logits differ by %g > %g", i, maxDiff, tol)
		}
	}
}

// TestWarmup: New runs each engine model once on blank images before it
// returns (classify.Classifier.Warm, tested there) and logs it; not the
// reference path's, and not with NoWarmup.
func TestWarmup(t *testing.T) {
	build := func(o classify.Options) *classify.Classifier { return cifarClassifier(t, "resnet20", o) }
	for _, skip := range []bool{false, true} {
		var log bytes.Buffer
		s, err := New(map[string]*classify.Classifier{"eng": build(classify.Options{MaxBatch: 4}), "ref": build(classify.Options{Reference: true})},
			Config{Logger: slog.New(slog.NewTextHandler(&log, nil)), NoWarmup: skip})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()
		warmed := strings.Count(log.String(), `msg="warmed up" name=eng`)
		if all := strings.Count(log.String(), "warmed up"); all != warmed || warmed != map[bool]int{false: 1, true: 0}[skip] {
			t.Errorf("NoWarmup %v: log %q", skip, log.String())
		}
	}
}
