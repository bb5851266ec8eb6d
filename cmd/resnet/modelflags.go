package main

import (
	"context"
	"fmt"
	"io"

	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/models"
	"github.com/spf13/cobra"
)

// modelFlags are the flags that choose a network and its weights.
type modelFlags struct {
	arch       string
	weights    string
	numClasses int
	seed       uint64
}

func (f *modelFlags) register(cmd *cobra.Command, requireArch bool) {
	fl := cmd.Flags()
	fl.StringVar(&f.arch, "arch", "", "architecture name (see 'resnet models'); inferred from --weights when omitted")
	fl.StringVar(&f.weights, "weights", "", "checkpoint file (.pth or .safetensors); omitted = deterministic random init")
	fl.IntVar(&f.numClasses, "num-classes", 0, "classes of a randomly initialised fc (default: the architecture's)")
	fl.Uint64Var(&f.seed, "seed", 0, "seed of the random init")
}

// load builds the network, from --weights if given.
func (f *modelFlags) load(ctx context.Context, log io.Writer) (*models.ResNet, error) {
	if f.weights == "" {
		if f.arch == "" {
			return nil, fmt.Errorf("--arch is required without --weights")
		}
		return models.New(f.arch, models.Options{NumClasses: f.numClasses, Seed: f.seed})
	}
	return models.LoadFile(ctx, f.arch, f.weights, models.Options{NumClasses: f.numClasses})
}

// checkSide refuses an input side (--size) whose square passes the
// decoder's pixel limit: a batch of such images alone would not fit in
// memory, and the runtime cannot recover from running out.
func checkSide(size int) error {
	if int64(size)*int64(size) > imageio.DefaultMaxPixels {
		return fmt.Errorf("--size %d: at most a side whose square is %d pixels (imageio.DefaultMaxPixels)", size, imageio.DefaultMaxPixels)
	}
	return nil
}
