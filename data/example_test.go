package data_test

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/imageio"
)

// tree writes root/{cat,dog}/{a,b,c}.png, 40×30 each.
func tree() string {
	root, _ := os.MkdirTemp("", "imagefolder")
	for _, class := range []string{"dog", "cat"} {
		os.MkdirAll(filepath.Join(root, class), 0o755)
		for _, name := range []string{"c.png", "a.png", "b.png"} {
			f, _ := os.Create(filepath.Join(root, class, name))
			png.Encode(f, image.NewGray(image.Rect(0, 0, 40, 30)))
			f.Close()
		}
	}
	return root
}

// Classes and samples in torchvision's order.
func ExampleOpenImageFolder() {
	root := tree()
	defer os.RemoveAll(root)
	f, err := data.OpenImageFolder(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(f.Classes)
	for _, s := range f.Samples {
		rel, _ := filepath.Rel(root, s.Path)
		fmt.Println(rel, s.Label)
	}
	// Output:
	// [cat dog]
	// cat/a.png 0
	// cat/b.png 0
	// cat/c.png 0
	// dog/a.png 1
	// dog/b.png 1
	// dog/c.png 1
}

// One training epoch: shuffled with a seed, augmented, decoded in
// parallel, in batches of 4 (the last one holds the 2 left over).
func ExampleLoader() {
	root := tree()
	defer os.RemoveAll(root)
	f, err := data.OpenImageFolder(root)
	if err != nil {
		fmt.Println(err)
		return
	}
	f.Transform = data.TrainTransform(24) // RandomResizedCrop(24), RandomHorizontalFlip, ImageNet normalisation
	loader := &data.Loader{Dataset: f, BatchSize: 4, Shuffle: true, Seed: 1}
	it, err := loader.Epoch(context.Background(), 0, 0)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer it.Close()
	for {
		b, err := it.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(b.Index, b.X.Shape, len(b.Labels))
	}
	fmt.Println("skipped:", loader.NumSkipped())
	// Output:
	// 0 [4 3 24 24] 4
	// 1 [2 3 24 24] 2
	// skipped: 0
}

// torchvision's RandomResizedCrop on one image: the box, then PIL's
// crop + resize.
func ExampleRandomResizedCrop() {
	img := imageio.NewRGB(500, 375)
	rrc := data.NewRandomResizedCrop(224)
	rng := rand.New(rand.NewPCG(1, 2))
	box := rrc.Params(img.W, img.H, rng)
	out := data.Crop(img, box.X, box.Y, box.W, box.H).Resize(224, 224, imageio.Bilinear)
	inside := box.X >= 0 && box.Y >= 0 && box.X+box.W <= 500 && box.Y+box.H <= 375
	fmt.Println(inside, out.W, out.H)
	// Output: true 224 224
}

// Fashion-MNIST from Debian's dataset-fashion-mnist package (or
// $RESNET_FASHION_MNIST), padded to 32×32 with three channels.
func ExampleLoadMNIST() {
	dir, err := data.FashionMNISTDir()
	if err != nil {
		fmt.Println("no Fashion-MNIST") // apt-get install dataset-fashion-mnist
		return
	}
	test, err := data.LoadMNIST(dir, "t10k")
	if err != nil {
		fmt.Println(err)
		return
	}
	test.Channels = 3
	test.Transform = data.Transform{
		Steps: []data.Step{data.Pad{N: 2}},
		Mean:  [3]float32{data.FashionMNISTMean}, Std: [3]float32{data.FashionMNISTStd},
	}
	x := make([]float32, 3*32*32)
	label, err := test.Get(0, nil, x)
	fmt.Println(test.N, data.FashionMNISTLabels()[label], err)
}

// A reproducible 90/10 train/validation split.
func ExampleSplit() {
	train, val := data.Split(20, 0.1, 7)
	fmt.Println(len(train), len(val))
	train2, val2 := data.Split(20, 0.1, 7)
	fmt.Println(fmt.Sprint(train) == fmt.Sprint(train2), fmt.Sprint(val) == fmt.Sprint(val2))
	// Output:
	// 18 2
	// true true
}
