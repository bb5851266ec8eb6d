package engine_test

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// Compile a model once, then run it on batches of any size.
func Example() {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{InPlace: true}) // m is spent
	if err != nil {
		log.Fatal(err)
	}
	logits, err := p.Forward(context.Background(), tensor.New(4, 3, 32, 32))
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(logits.Shape)
	// Output: [4 10]
}

// The optional precision modes trade float32 fidelity for speed on CPUs
// with AVX512-VNNI, AVX-VNNI or arm64's SDOT (Int8) and AVX512-BF16 (BF16); elsewhere they run
// portable code. The logits move by about 1 % of their range
// (bench/precision), so the prediction here stays the float32 one.
func ExampleOptions_int8() {
	x := tensor.New(1, 3, 32, 32)
	for i := range x.Data {
		x.Data[i] = float32(i%17)/8 - 1
	}
	var top [2]int
	for i, o := range []engine.Options{{}, {Int8: true, BF16: true}} {
		m, err := models.New("resnet20", models.Options{Seed: 1})
		if err != nil {
			log.Fatal(err)
		}
		p, err := engine.Compile(m, o)
		if err != nil {
			log.Fatal(err)
		}
		logits, err := p.Forward(context.Background(), x)
		if err != nil {
			log.Fatal(err)
		}
		for c, v := range logits.Data {
			if v > logits.Data[top[i]] {
				top[i] = c
			}
		}
	}
	fmt.Println(top[0] == top[1])
	// Output: true
}

// Plan.Profile times each convolution inside whole forward passes, named
// as the modules of PyTorch's model.
func ExamplePlan_Profile() {
	m, err := models.New("resnet20", models.Options{Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	p, err := engine.Compile(m, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	pr, err := p.Profile(context.Background(), tensor.New(1, 3, 32, 32), 3)
	if err != nil {
		log.Fatal(err)
	}
	var total time.Duration
	for _, l := range pr.Layers {
		total += l.Time
	}
	fmt.Println(len(pr.Layers), "convolutions, first", pr.Layers[0].Name, pr.Layers[1].Name, "last", pr.Layers[len(pr.Layers)-1].Name)
	fmt.Println(pr.Layers[7].Name, pr.Layers[7].Kind, pr.Layers[7].InC, "→", pr.Layers[7].OutC, "on", pr.Layers[7].H, "×", pr.Layers[7].W)
	fmt.Println("every layer timed:", total > 0)
	// Output:
	// 19 convolutions, first conv1 layer1.0.conv1 last layer3.2.conv2
	// layer2.0.conv1 3x3/2 16 → 32 on 32 × 32
	// every layer timed: true
}
