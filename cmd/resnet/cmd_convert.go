package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/spf13/cobra"
)

func newConvertCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "convert IN OUT",
		Short: "Convert a checkpoint between .pth (zip or legacy) and .safetensors",
		Long: `Reads IN in any supported format (torch.save zip or legacy, safetensors) and
writes OUT in the format its extension names: .pth/.pt (torch.save zip, loadable with
torch.load(weights_only=True)) or .safetensors. Wrappers ({"state_dict": ...}) and
"module." prefixes are removed; half and double precision are converted to float32.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			in, out := args[0], args[1]
			save, err := saverFor(out)
			if err != nil {
				return err
			}
			sd, err := checkpoint.Load(in)
			if err != nil {
				return err
			}
			if err := save(out, sd); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %s (%d tensors)\n", out, sd.Len())
			return nil
		},
	}
}

func saverFor(path string) (func(string, *checkpoint.StateDict) error, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".pth", ".pt", ".bin", ".ckpt":
		return checkpoint.SavePTH, nil
	case ".safetensors":
		return checkpoint.SaveSafetensors, nil
	}
	return nil, fmt.Errorf("%s: unknown output format (use .pth or .safetensors)", path)
}
