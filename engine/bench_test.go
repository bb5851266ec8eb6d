package engine

import (
	"context"
	"fmt"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// BenchmarkForward measures a compiled plan (and with NoWinograd where
// that matters), and the layer-by-layer models.ResNet.Forward beside it
// (reference), at 224×224 and batch 1 and 8, in ms/image and CPU ms/image:
//
//	go test -run X -bench Forward -benchtime 10x ./engine/
func BenchmarkForward(b *testing.B) {
	for _, name := range []string{"resnet18", "resnet50", "resnext50_32x4d", "resnext101_32x8d"} {
		b.Run(name, func(b *testing.B) {
			m, err := models.New(name, models.Options{Seed: 1})
			if err != nil {
				b.Fatal(err)
			}
			p, err := Compile(m, Options{})
			if err != nil {
				b.Fatal(err)
			}
			pNoWino, err := Compile(m, Options{NoWinograd: true})
			if err != nil {
				b.Fatal(err)
			}
			for _, batch := range []int{1, 8} {
				x := testnet.RandomInput(batch, 3, 224, 224, 1)
				b.Run(fmt.Sprintf("batch%d", batch), func(b *testing.B) {
					benchForward(b, p.Forward, x)
				})
				if p.hasWinograd() {
					b.Run(fmt.Sprintf("nowinograd-batch%d", batch), func(b *testing.B) {
						benchForward(b, pNoWino.Forward, x)
					})
				}
				b.Run(fmt.Sprintf("reference-batch%d", batch), func(b *testing.B) {
					benchForward(b, m.Forward, x)
				})
			}
		})
	}
}

func benchForward(b *testing.B, f func(context.Context, *tensor.Tensor) (*tensor.Tensor, error), x *tensor.Tensor) {
	ctx := context.Background()
	if _, err := f(ctx, x); err != nil { // warm-up: the plan's buffers
		b.Fatal(err)
	}
	b.ReportAllocs()
	cpu0 := cputime.Process()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := f(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	images := float64(b.N * x.Shape[0])
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1e3/images, "ms/image")
	// CPU time of all threads: what a run costs when the machine is busy
	// and wall time is not to be trusted.
	b.ReportMetric((cputime.Process()-cpu0).Seconds()*1e3/images, "cpu-ms/image")
}

// hasWinograd reports whether any layer of p was compiled with Winograd
// weights (so that NoWinograd would change it).
func (p *Plan) hasWinograd() bool {
	for _, b := range p.blocks {
		for _, c := range []*conv{b.conv1, b.conv2, b.conv3} {
			if c != nil && c.winoOK {
				return true
			}
		}
	}
	return false
}
