package imageio_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/resnetgo/resnet/imageio"
)

// The ImageNet evaluation transform on one file, as
// torchvision.transforms.Compose([Resize(256), CenterCrop(224), ToTensor(),
// Normalize(mean, std)])(PIL.Image.open(path).convert("RGB")).
func ExampleTransform_Apply() {
	img, format, err := imageio.DecodeFile(filepath.Join("testdata", "rgb_photo_120x90.png"), imageio.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	x, err := imageio.ImageNetEval().Apply(img)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(format, img.Bounds().Dx(), img.Bounds().Dy(), x.Shape)
	// Output: png 120 90 [3 224 224]
}

// PIL's convert("RGB") and Image.resize, step by step.
func ExampleRGB_Resize() {
	img, _, err := imageio.DecodeFile(filepath.Join("testdata", "p_trns_31x19.png"), imageio.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rgb := imageio.ToRGB(img) // palette looked up; transparency ignored, as PIL does
	w, h := imageio.ResizeShorter(rgb.W, rgb.H, 8)
	small := rgb.Resize(w, h, imageio.Bilinear).CenterCrop(8, 8)
	fmt.Println(w, h, small.W, small.H, len(small.Pix))
	// Output: 13 8 8 8 192
}

// Loading a batch: one error per file, never a failed batch.
func ExampleLoadBatch() {
	paths := []string{
		filepath.Join("testdata", "rgb_64x48.png"),
		filepath.Join("testdata", "no-such-file.jpg"),
		filepath.Join("testdata", "jpeg420_64x48.jpg"),
	}
	t := imageio.Transform{Resize: 32, Crop: 28, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	x, errs := imageio.LoadBatch(context.Background(), paths, t, imageio.Options{})
	fmt.Println(x.Shape)
	for i, err := range errs {
		if err != nil {
			fmt.Println(i, "failed")
		}
	}
	// Output:
	// [3 3 28 28]
	// 1 failed
}

// Decode and transform in one step; for a JPEG only the pixels the crop
// reads are reconstructed, with the same result as Apply.
func ExampleTransform_Load() {
	f, err := os.Open(filepath.Join("testdata", "jpeg420_64x48.jpg"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	t := imageio.Transform{Resize: 32, Crop: 28, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	x, err := t.Load(f, imageio.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(x.Shape)
	// Output: [3 28 28]
}
