package main

import (
	"fmt"

	"github.com/resnetgo/resnet/npy"
	"github.com/spf13/cobra"
)

func newRunCmd() *cobra.Command {
	var mf modelFlags
	var input, output string
	var features bool
	cmd := &cobra.Command{
		Use:   "run --arch NAME [--weights FILE] --input x.npy --output y.npy",
		Short: "Compute raw logits (or pooled features) of an NCHW float32 batch",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if input == "" || output == "" {
				return fmt.Errorf("--input and --output are required")
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
			y, err := forward(cmd.Context(), x)
			if err != nil {
				return fmt.Errorf("%s: %w", input, err)
			}
			return npy.WriteFile(output, y)
		},
	}
	mf.register(cmd, true)
	cmd.Flags().StringVarP(&input, "input", "i", "", "input batch, float32 .npy of shape (N, C, H, W)")
	cmd.Flags().StringVarP(&output, "output", "o", "", "where to write the (N, classes) float32 .npy")
	cmd.Flags().BoolVar(&features, "features", false, "write the pooled penultimate features (N, D) instead of logits")
	return cmd
}
