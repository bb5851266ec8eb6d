package models_test

import (
	"fmt"
	"testing"

	"github.com/resnetgo/resnet/internal/cputime"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
	"github.com/resnetgo/resnet/train"
)

// BenchmarkTrainStep measures one training step — forward in train mode,
// cross-entropy, backward, SGD (momentum 0.9, weight decay 1e-4) — at batch
// 16 on 224×224 inputs, the same as bench/train_step_torch.py:
//
//	go test -run XXX -bench TrainStep -benchtime 3x ./models
func BenchmarkTrainStep(b *testing.B) {
	for _, c := range []struct {
		name             string
		batch, inC, size int
		classes          int
	}{
		{"resnet18", 16, 3, 224, 1000},
		{"resnet50", 16, 3, 224, 1000},
		// The embedded model's training: Fashion-MNIST, one channel, 28×28.
		{"resnet20", 128, 1, 28, 10},
	} {
		name, batch := c.name, c.batch
		b.Run(fmt.Sprintf("%s/batch%d", name, batch), func(b *testing.B) {
			m, err := models.New(name, models.Options{Seed: 1, InChannels: c.inC, NumClasses: c.classes})
			if err != nil {
				b.Fatal(err)
			}
			m.SetTraining(true)
			opt, err := train.NewSGD(train.Group{Params: trainable(m), Hyper: train.Hyper{LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4}})
			if err != nil {
				b.Fatal(err)
			}
			x := tensor.New(batch, c.inC, c.size, c.size)
			for i := range x.Data {
				x.Data[i] = float32(i%17)/17 - 0.5
			}
			labels := make([]int, batch)
			for i := range labels {
				labels[i] = i * 37 % c.classes
			}
			step := func() {
				logits, err := m.ForwardTrain(x, false)
				if err != nil {
					b.Fatal(err)
				}
				_, d, err := train.CrossEntropy(logits, labels, 0)
				if err != nil {
					b.Fatal(err)
				}
				opt.ZeroGrad()
				if _, err := m.Backward(d); err != nil {
					b.Fatal(err)
				}
				opt.Step()
			}
			step() // allocate gradients and momentum buffers
			cpu0 := cputime.Process().Seconds()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				step()
			}
			b.StopTimer()
			// On a shared machine wall time says little; CPU time (all
			// threads) compares with PyTorch's process_time.
			b.ReportMetric((cputime.Process().Seconds()-cpu0)/float64(b.N), "cpu-s/step")
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/step")
			b.ReportMetric(float64(batch*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
