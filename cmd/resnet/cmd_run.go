package main

import (
	"context"
	"fmt"
	"io"

	"github.com/resnetgo/resnet/engine"
	"github.com/resnetgo/resnet/npy"
	"github.com/resnetgo/resnet/tensor"
	"github.com/spf13/cobra"
)

func newRunCmd() *cobra.Command {
	var mf modelFlags
	var input, output string
	var features, useEngine bool
	var batch int
	var prec precision
	cmd := &cobra.Command{
		Use:   "run --arch NAME [--weights FILE] --input x.npy --output y.npy",
		Short: "Compute raw logits (or pooled features) of an NCHW float32 batch",
		Long: `Computes the raw logits (or, with --features, the pooled penultimate features)
of a float32 .npy batch of shape (N, C, H, W), already preprocessed, and writes
them as a float32 .npy: what the PyTorch module's forward (or everything but fc)
returns for the same tensor.

The batch runs --batch images at a time (with a progress bar on a terminal),
on the compiled inference engine;
--engine=false runs the layer-by-layer reference path instead. Both agree with
PyTorch within float32 tolerance. --bf16 and --int8 are the engine's faster,
less precise modes (see 'resnet bench --help').`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if input == "" || output == "" {
				return fmt.Errorf("--input and --output are required")
			}
			if batch < 1 {
				return fmt.Errorf("--batch %d: must be positive", batch)
			}
			if err := prec.check(cmd.ErrOrStderr(), useEngine); err != nil {
				return err
			}
			x, err := npy.ReadFile(input)
			if err != nil {
				return err
			}
			m, err := mf.load(cmd.Context(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			forward := m.Forward
			if features {
				forward = m.Features
			}
			if useEngine {
				// The model is not used again: the plan may fold into its weights.
				p, err := engine.Compile(m, engine.Options{InPlace: true, MaxBatch: batch, BF16: prec.bf16, Int8: prec.int8})
				if err != nil {
					return err
				}
				forward = p.Forward
				if features {
					forward = p.Features
				}
			}
			y, err := runSlices(cmd.Context(), forward, x, batch, cmd.ErrOrStderr())
			if err != nil {
				return fmt.Errorf("%s: %w", input, err)
			}
			return npy.WriteFile(output, y)
		},
	}
	mf.register(cmd, true)
	f := cmd.Flags()
	f.StringVarP(&input, "input", "i", "", "input batch, float32 .npy of shape (N, C, H, W)")
	f.StringVarP(&output, "output", "o", "", "where to write the (N, classes) float32 .npy")
	f.BoolVar(&features, "features", false, "write the pooled penultimate features (N, D) instead of logits")
	f.BoolVar(&useEngine, "engine", true, "run the compiled inference engine (false: the layer-by-layer reference path)")
	f.IntVar(&batch, "batch", 8, "images per forward pass (bounds the activation memory)")
	prec.register(f)
	return cmd
}

// runSlices computes forward of x (N, C, H, W) batch images at a time
// into one (N, ...) result, with a progress bar on stderr when it is a
// terminal and there is more than one slice. Other shapes go to forward
// whole, for its error.
func runSlices(ctx context.Context, forward func(context.Context, *tensor.Tensor) (*tensor.Tensor, error), x *tensor.Tensor, batch int, stderr io.Writer) (*tensor.Tensor, error) {
	if x.Dims() != 4 || x.Shape[0] <= batch {
		return forward(ctx, x)
	}
	n, img := x.Shape[0], x.Shape[1]*x.Shape[2]*x.Shape[3]
	bar := imageBar(stderr, n, "running")
	if bar != nil {
		defer bar.Finish()
	}
	var y *tensor.Tensor
	for i := 0; i < n; i += batch {
		c := min(batch, n-i)
		xi, err := tensor.FromData(x.Data[i*img:(i+c)*img], c, x.Shape[1], x.Shape[2], x.Shape[3])
		if err != nil {
			return nil, err
		}
		yi, err := forward(ctx, xi)
		if err != nil {
			return nil, fmt.Errorf("images %d to %d: %w", i, i+c-1, err)
		}
		if y == nil {
			y = tensor.New(append([]int{n}, yi.Shape[1:]...)...)
		}
		copy(y.Data[i*(yi.Len()/c):], yi.Data)
		if bar != nil {
			bar.Add(c)
		}
	}
	return y, nil
}
