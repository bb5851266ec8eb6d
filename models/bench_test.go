package models

import (
	"context"
	"fmt"
	"testing"

	"github.com/resnetgo/resnet/tensor"
)

// BenchmarkForward measures one forward pass (eval mode) at batch 1 on the
// architecture's input size: go test -bench Forward -benchtime 5x ./models
func BenchmarkForward(b *testing.B) {
	for _, name := range []string{"resnet18", "resnet50", "resnext50_32x4d", "resnet56"} {
		for _, batch := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/batch%d", name, batch), func(b *testing.B) {
				m, err := New(name, Options{Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				s := m.Config.InputSize
				x := tensor.New(batch, 3, s, s)
				for i := range x.Data {
					x.Data[i] = float32(i%17) / 17
				}
				ctx := context.Background()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					if _, err := m.Forward(ctx, x); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N*batch), "ms/image")
			})
		}
	}
}
