package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/resnetgo/resnet/hub"
	"github.com/spf13/cobra"
)

func newCacheCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List or remove downloaded weights",
	}
	cmd.AddCommand(newCacheLsCmd(), newCacheRmCmd())
	return cmd
}

func newCacheLsCmd() *cobra.Command {
	var f hubFlags
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List cached weights: ours and PyTorch's",
		Long: `List the weights files in the cache and the known ones in PyTorch's cache,
with their size and whether their SHA-256 has been checked since they last
changed and matches ("yes") or not ("BAD": 'resnet download' replaces such a
file in our cache), has not been checked yet ("-"), or the file is an
interrupted download ("partial").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := f.client(cmd.ErrOrStderr())
			files, err := c.List()
			if err != nil {
				return err
			}
			dir, _ := c.Dir()
			out := cmd.OutOrStdout()
			if len(files) == 0 {
				fmt.Fprintf(out, "no weights in %s or %s\n", dir, c.TorchDir())
				return nil
			}
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSIZE\tVERIFIED\tWHERE\tPATH")
			var total int64
			for _, fl := range files {
				name, verified := fl.Name, "-"
				if name == "" {
					name = "(unknown)"
				}
				switch {
				case fl.Partial:
					verified = "partial"
				case fl.Verified:
					verified = "yes"
				case fl.Corrupt:
					verified = "BAD"
				}
				total += fl.Size
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, sizeString(fl.Size), verified, fl.Location, fl.Path)
			}
			tw.Flush()
			fmt.Fprintf(out, "total %s in %d file(s)\n", sizeString(total), len(files))
			return nil
		},
	}
	f.register(cmd, false)
	return cmd
}

func newCacheRmCmd() *cobra.Command {
	var (
		f   hubFlags
		all bool
	)
	cmd := &cobra.Command{
		Use:   "rm NAME... | --all",
		Short: "Remove cached weights (never PyTorch's)",
		Long: `Remove weights files, interrupted downloads and their check markers from the
cache. Files in PyTorch's cache are never removed; they are only reported.`,
		Example: `  resnet cache rm resnet50 resnet50:v2
  resnet cache rm --all`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if all == (len(args) > 0) {
				return fmt.Errorf("give weights names or --all, not both or neither")
			}
			for _, name := range args {
				if _, err := hub.Lookup(name); err != nil {
					return err
				}
			}
			c := f.client(cmd.ErrOrStderr())
			before, err := c.List()
			if err != nil {
				return err
			}
			if all {
				err = c.RemoveAll()
			} else {
				err = c.Remove(args...)
			}
			if err != nil {
				return err
			}
			after, err := c.List()
			if err != nil {
				return err
			}
			left := map[string]bool{}
			for _, fl := range after {
				left[fl.Path] = true
			}
			removed := 0
			for _, fl := range before {
				switch {
				case !left[fl.Path]:
					fmt.Fprintf(cmd.OutOrStdout(), "removed %s (%s)\n", fl.Path, sizeString(fl.Size))
					removed++
				case fl.Location == hub.InTorch && (all || contains(args, fl.Name)):
					fmt.Fprintf(cmd.ErrOrStderr(), "kept %s: it is in PyTorch's cache\n", fl.Path)
				}
			}
			if removed == 0 {
				fmt.Fprintln(cmd.ErrOrStderr(), "nothing to remove")
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "remove every file in the cache")
	f.register(cmd, false)
	return cmd
}

// contains reports whether names holds name, as hub.Lookup resolves it.
func contains(names []string, name string) bool {
	for _, n := range names {
		if e, err := hub.Lookup(n); err == nil && e.Name == name {
			return true
		}
	}
	return false
}

// sizeString formats bytes in decimal units.
func sizeString(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 3 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %cB", v, "kMGT"[i])
}
