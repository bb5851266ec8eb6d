package serve

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/resnetgo/resnet/tensor"
)

// BenchmarkForward is the network alone (resnet20, 32×32) per image at
// several batch sizes: what batching can gain at most.
func BenchmarkForward(b *testing.B) {
	c := testClassifier()
	for _, n := range []int{1, 8, 32} {
		b.Run(fmt.Sprint("batch=", n), func(b *testing.B) {
			x := tensor.New(n, 3, 32, 32)
			for i := range x.Data {
				x.Data[i] = float32(i%17) / 17
			}
			for b.Loop() {
				if _, err := c.Logits(context.Background(), x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n)/1e6, "ms/img")
		})
	}
}

// BenchmarkClassify is POST /v1/models/m:classify end to end over
// loopback from parallel clients, batching off and on.
func BenchmarkClassify(b *testing.B) {
	img := pngImage(b, 64, 64, 1)
	for _, mb := range []int{1, 32} {
		b.Run(fmt.Sprint("maxbatch=", mb), func(b *testing.B) {
			_, ts := newTest(b, Config{MaxBatch: mb, BatchWindow: 2 * time.Millisecond})
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if resp, body := post(b, ts.URL+"/v1/models/m:classify", "", img); resp.StatusCode != 200 {
						b.Fatalf("%d %s", resp.StatusCode, body)
					}
				}
			})
		})
	}
}
