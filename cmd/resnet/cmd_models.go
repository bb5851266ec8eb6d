package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/resnetgo/resnet/models"
	"github.com/spf13/cobra"
)

func newModelsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "models",
		Short: "List every architecture with its parameters, GFLOPs, reference top-1 and weights address",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			w := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 0, 2, ' ', 0)
			fmt.Fprintln(w, "NAME\tBLOCK\tLAYERS\tGROUPSxWIDTH\tSHORTCUT\tPARAMS\tGFLOPs\tINPUT\tTOP-1\tWEIGHTS")
			for _, c := range models.Configs() {
				params, macs := c.Stats(c.InputSize, c.InputSize)
				top1, url := weightsInfo(c.Name)
				fmt.Fprintf(w, "%s\t%s\t%v\t%dx%d\t%s\t%.1fM\t%.2f\t%d\t%s\t%s\n",
					c.Name, c.Block, c.Layers, c.Groups, c.WidthPerGroup, c.Shortcut,
					float64(params)/1e6, float64(macs)/1e9, c.InputSize, top1, url)
			}
			return w.Flush()
		},
	}
}
