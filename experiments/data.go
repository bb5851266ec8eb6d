package experiments

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/resnetgo/resnet/data"
)

// Data is what an experiment trains and tests on.
type Data struct {
	// Name says where the images came from, for reports.
	Name string
	// Train is the training set with the paper's augmentation (4-pixel
	// padding, random crop, horizontal flip) where it applies; TrainPlain
	// is the same images without it.
	Train, TrainPlain data.Dataset
	// Test is the test set, not augmented.
	Test data.Dataset
	// Channels and Classes size the networks' input and output.
	Channels, Classes int
}

// FashionMNIST opens Fashion-MNIST (data.FashionMNISTDir: Debian's
// dataset-fashion-mnist, or $RESNET_FASHION_MNIST): 60,000 training and
// 10,000 test images, 28×28, one channel, normalised with the training
// set's mean and standard deviation.
func FashionMNIST() (*Data, error) {
	dir, err := data.FashionMNISTDir()
	if err != nil {
		return nil, err
	}
	tr, err := data.LoadMNIST(dir, "train")
	if err != nil {
		return nil, err
	}
	te, err := data.LoadMNIST(dir, "t10k")
	if err != nil {
		return nil, err
	}
	mean, std := [3]float32{data.FashionMNISTMean}, [3]float32{data.FashionMNISTStd}
	plain := *tr
	plain.Transform = data.Transform{Mean: mean, Std: std}
	te.Transform = plain.Transform
	tr.Transform = data.CIFARTrainTransform(tr.Cols, mean, std)
	return &Data{Name: "Fashion-MNIST (" + dir + ")", Train: tr, TrainPlain: &plain, Test: te, Channels: 1, Classes: 10}, nil
}

// CIFAR10 opens CIFAR-10's binary version in dir (data_batch_1.bin …
// data_batch_5.bin and test_batch.bin): 50,000 training and 10,000 test
// images, 32×32 RGB, normalised per channel.
func CIFAR10(dir string) (*Data, error) {
	tr, err := data.LoadCIFAR10(dir, "train")
	if err != nil {
		return nil, err
	}
	te, err := data.LoadCIFAR10(dir, "test")
	if err != nil {
		return nil, err
	}
	mean, std := data.CIFAR10Norm()
	plain := *tr
	plain.Transform = data.Transform{Mean: mean, Std: std}
	te.Transform = plain.Transform
	tr.Transform = data.CIFARTrainTransform(data.CIFARSide, mean, std)
	return &Data{Name: "CIFAR-10 (" + dir + ")", Train: tr, TrainPlain: &plain, Test: te, Channels: 3, Classes: 10}, nil
}

// Synthetic returns a small learnable problem for tests and examples:
// size×size images of Gaussian noise in which class c adds a bright
// horizontal band at a height that depends on c. Images are a function of
// (seed, split, index), so the data set costs no memory.
func Synthetic(train, test, size, channels, classes int, seed uint64) (*Data, error) {
	if train < 1 || test < 1 || size < 4 || channels < 1 || classes < 2 || classes > size {
		return nil, fmt.Errorf("experiments: Synthetic(%d, %d, %d, %d, %d): want positive set sizes, size ≥ 4, channels ≥ 1, 2 ≤ classes ≤ size", train, test, size, channels, classes)
	}
	tr := &synthetic{n: train, size: size, channels: channels, classes: classes, seed: seed}
	te := *tr
	te.n, te.split = test, 1
	return &Data{Name: fmt.Sprintf("synthetic %dx%d, %d classes", size, size, classes), Train: tr, TrainPlain: tr, Test: &te, Channels: channels, Classes: classes}, nil
}

type synthetic struct {
	n, size, channels, classes int
	split                      uint64
	seed                       uint64
}

// Len, Shape and Get implement data.Dataset.
func (s *synthetic) Len() int             { return s.n }
func (s *synthetic) Shape() (c, h, w int) { return s.channels, s.size, s.size }
func (s *synthetic) Get(i int, _ *rand.Rand, dst []float32) (int, error) {
	if i < 0 || i >= s.n {
		return 0, fmt.Errorf("experiments: synthetic index %d out of range [0, %d)", i, s.n)
	}
	if len(dst) != s.channels*s.size*s.size {
		return 0, fmt.Errorf("experiments: Get into %d floats, want %d", len(dst), s.channels*s.size*s.size)
	}
	r := rand.New(rand.NewPCG(s.seed, s.split<<48^uint64(i)))
	label := r.IntN(s.classes)
	band := label * s.size / s.classes
	for c := 0; c < s.channels; c++ {
		for y := 0; y < s.size; y++ {
			for x := 0; x < s.size; x++ {
				v := float32(r.NormFloat64()) * 0.5
				if y == band {
					v += 2
				}
				dst[(c*s.size+y)*s.size+x] = v
			}
		}
	}
	return label, nil
}

// subsetIndices returns n indices of 0..total-1 drawn with seed, sorted
// (all of them when n is 0 or not smaller than total). The first m of
// the draw for n are the draw for m, so smaller subsets nest in larger.
func subsetIndices(total, n int, seed uint64) []int {
	if n <= 0 || n >= total {
		n = total
	}
	perm := rand.New(rand.NewPCG(seed, 0x5355_4253)).Perm(total) // "SUBS"
	idx := append([]int(nil), perm[:n]...)
	slices.Sort(idx)
	return idx
}

// subset is subsetIndices applied to d.
func subset(d data.Dataset, n int, seed uint64) data.Dataset {
	if n <= 0 || n >= d.Len() {
		return d
	}
	return data.Subset{Dataset: d, Indices: subsetIndices(d.Len(), n, seed)}
}
