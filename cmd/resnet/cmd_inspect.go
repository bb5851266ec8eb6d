package main

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
	"github.com/spf13/cobra"
)

func newInspectCmd() *cobra.Command {
	var keys bool
	cmd := &cobra.Command{
		Use:   "inspect FILE",
		Short: "Show a checkpoint's tensors and the architecture it matches",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sd, err := checkpoint.Load(args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			var total int64
			dtypes := map[checkpoint.DType]int{}
			w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
			if keys {
				fmt.Fprintln(w, "KEY\tSHAPE\tDTYPE")
			}
			for _, k := range sd.Keys {
				t := sd.Tensors[k]
				total += int64(t.Numel())
				dtypes[t.DType]++
				if keys {
					fmt.Fprintf(w, "%s\t%s\t%s\n", displayable(k), tensor.ShapeString(t.Shape), t.DType)
				}
			}
			w.Flush()
			var ds []string
			for d, n := range dtypes {
				ds = append(ds, fmt.Sprintf("%s×%d", d, n))
			}
			sort.Strings(ds)
			fmt.Fprintf(out, "file:     %s\ntensors:  %d (%s), %d elements\n", displayable(args[0]), sd.Len(), strings.Join(ds, ", "), total)
			for _, k := range slices.Sorted(maps.Keys(sd.Metadata)) {
				fmt.Fprintf(out, "metadata: %s = %s\n", displayable(k), displayable(sd.Metadata[k]))
			}
			cs, err := models.Infer(models.Shapes(sd))
			if err != nil {
				fmt.Fprintf(out, "architecture: none known (%s)\n", displayable(err.Error()))
				return nil
			}
			for _, c := range cs {
				m, err := models.Build(c, models.Options{NoInit: true})
				if err != nil {
					return err
				}
				rep, _ := models.LoadStateDict(m, sd, false)
				verdict := "matches every key and shape"
				if !rep.OK() {
					verdict = fmt.Sprintf("%d missing, %d unexpected, %d mis-shaped keys", len(rep.Missing), len(rep.Unexpected), len(rep.Mismatched))
				}
				fmt.Fprintf(out, "architecture: %s (%d classes, %d input channels): %s\n", c.Name, c.NumClasses, c.InChannels, verdict)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&keys, "keys", "k", true, "list every key with its shape and dtype")
	return cmd
}
