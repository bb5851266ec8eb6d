// Command precision measures what engine.Options.BF16 and Int8 cost: each
// network compiled in float32 and in each mode (bf16, int8, int8+bf16)
// runs the same inputs, and the table gives how far the mode's logits are
// from the float32 ones and how often the top-1 and top-5 agree.
//
//	go run ./bench/precision [-arch resnet18,resnet50] [-n 8]
//
// The ImageNet networks have random weights (seed 1: no pretrained weights
// can be fetched here) and run n random-normal inputs and the photos of
// imageio/testdata (decoder test images) through the ImageNet eval transform; the embedded
// Fashion-MNIST ResNet-20, a trained network, runs samples/*.png.
package main

import (
	"context"
	"flag"
	"fmt"
	"image"
	"log"
	"math"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"

	"github.com/resnetgo/resnet/classify"
	"github.com/resnetgo/resnet/embedded"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

func main() {
	archs := flag.String("arch", "resnet18,resnet50,resnext50_32x4d,resnext101_32x8d", "comma-separated ImageNet architectures")
	n := flag.Int("n", 8, "random inputs per architecture")
	flag.Parse()
	ctx := context.Background()
	fmt.Printf("# AVX512-BF16 kernels: %v, AVX512-VNNI, AVX-VNNI or SDOT kernels: %v\n", kernels.BF16Native(), kernels.Int8Native())
	fmt.Println("| network | mode | inputs | max abs Δlogit | max Δ / logit range | relative L2 | top-1 agree | top-5 overlap |")
	fmt.Println("|---|---|---:|---:|---:|---:|---:|---:|")
	photos, _ := filepath.Glob("imageio/testdata/*.jpg")
	for _, arch := range strings.Split(*archs, ",") {
		// classify.New owns (compiles in place) the network it is given:
		// each classifier gets its own copy of the same random network.
		net := func() *models.ResNet { return must(models.New(arch, models.Options{Seed: 1})) }
		c32 := must(classify.New(net(), classify.Options{}))
		var xs []*tensor.Tensor
		rng := rand.New(rand.NewPCG(1, 2))
		for range *n {
			x := tensor.New(1, 3, 224, 224)
			for i := range x.Data {
				x.Data[i] = float32(rng.NormFloat64())
			}
			xs = append(xs, x)
		}
		for _, p := range photos {
			img, err := decode(p)
			if err != nil {
				log.Fatal(err)
			}
			xs = append(xs, batchOf1(must(c32.Preprocess(img))))
		}
		for _, md := range modes {
			report(ctx, arch+" (random weights)", md.name, c32, must(classify.New(net(), md.opts)), xs)
		}
	}
	c32, err := embedded.Load()
	if err != nil {
		log.Fatal(err)
	}
	samples, _ := filepath.Glob("samples/*.png")
	var xs []*tensor.Tensor
	for _, p := range samples {
		img, err := decode(p)
		if err != nil {
			log.Fatal(err)
		}
		xs = append(xs, batchOf1(must(c32.Preprocess(img))))
	}
	for _, md := range modes {
		c, err := embedded.Load(md.opts)
		if err != nil {
			log.Fatal(err)
		}
		report(ctx, embedded.Name+" (trained)", md.name, c32, c, xs)
	}
}

// modes are the precision modes measured against float32.
var modes = []struct {
	name string
	opts classify.Options
}{
	{"bf16", classify.Options{BF16: true}},
	{"int8", classify.Options{Int8: true}},
	{"int8+bf16", classify.Options{Int8: true, BF16: true}},
}

// batchOf1 views a (C, H, W) image as a batch of one.
func batchOf1(x *tensor.Tensor) *tensor.Tensor {
	return &tensor.Tensor{Shape: append([]int{1}, x.Shape...), Data: x.Data}
}

func must[T any](v T, err error) T {
	if err != nil {
		log.Fatal(err)
	}
	return v
}

func decode(path string) (image.Image, error) {
	img, _, err := imageio.DecodeFile(path, imageio.Options{})
	return img, err
}

// report prints one row: both classifiers' logits on every input.
func report(ctx context.Context, name, mode string, c32, c16 *classify.Classifier, xs []*tensor.Tensor) {
	var maxAbs, maxRel, d2, n2 float64
	top1, top5 := 0, 0
	for _, x := range xs {
		a, err := c32.Logits(ctx, x)
		if err != nil {
			log.Fatal(err)
		}
		b, err := c16.Logits(ctx, x)
		if err != nil {
			log.Fatal(err)
		}
		lo, hi := slices.Min(a.Data), slices.Max(a.Data)
		for i, v := range a.Data {
			d := math.Abs(float64(b.Data[i] - v))
			maxAbs = max(maxAbs, d)
			maxRel = max(maxRel, d/float64(hi-lo))
			d2 += d * d
			n2 += float64(v) * float64(v)
		}
		ta := classify.TopK(classify.Softmax(a.Data), 5)
		tb := classify.TopK(classify.Softmax(b.Data), 5)
		if ta[0] == tb[0] {
			top1++
		}
		for _, i := range tb {
			if slices.Contains(ta, i) {
				top5++
			}
		}
	}
	fmt.Printf("| %s | %s | %d | %.3g | %.2g | %.2g | %d/%d | %.2f |\n", name, mode, len(xs), maxAbs, maxRel, math.Sqrt(d2/n2), top1, len(xs), float64(top5)/float64(5*len(xs)))
}
