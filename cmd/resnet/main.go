// Command resnet runs, inspects and converts ResNet-family networks.
//
//	resnet models                     list every architecture
//	resnet inspect FILE               keys, shapes, dtypes and the matching architecture
//	resnet convert IN OUT             .pth ⇄ .safetensors
//	resnet run --arch NAME ...        raw logits of an NCHW .npy batch
//	resnet bench --arch NAME ...      latency and throughput
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "resnet:", displayable(err.Error())) // errors quote names from files
		os.Exit(1)
	}
}

// maxThreads bounds --threads on machines with fewer CPUs.
const maxThreads = 1024

func newRootCmd() *cobra.Command {
	var threads int
	root := &cobra.Command{
		Use:           "resnet",
		Short:         "Run, inspect and convert ResNet, ResNeXt, Wide ResNet and WSL networks in pure Go",
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			if threads < 0 {
				return fmt.Errorf("--threads must be ≥ 0")
			}
			// Each thread is an OS thread running a share of every layer:
			// past the cores they only take turns, and past Go's limit of
			// 10000 threads the runtime aborts ("thread exhaustion").
			if most := max(maxThreads, runtime.NumCPU()); threads > most {
				return fmt.Errorf("--threads %d: at most %d (this machine has %d CPUs)", threads, most, runtime.NumCPU())
			}
			if threads > 0 {
				runtime.GOMAXPROCS(threads)
			}
			return nil
		},
	}
	root.PersistentFlags().IntVar(&threads, "threads", 0, "worker threads (0 = all cores)")
	root.AddCommand(newModelsCmd(), newInspectCmd(), newConvertCmd(), newRunCmd(), newBenchCmd(), newClassifyCmd(), newDownloadCmd(), newCacheCmd(), newTrainCmd(), newFinetuneCmd(), newServeCmd(), newLoadtestCmd(), newExperimentCmd(), newExportCmd())
	withUsage(root)
	return root
}

// withUsage makes every command's argument check say how the command is
// called: cobra's own message ("requires at least 1 arg(s), only received
// 0") names neither the command nor what it wants, and SilenceUsage keeps
// the usage text out of every other error.
func withUsage(cmd *cobra.Command) {
	if check := cmd.Args; check != nil {
		cmd.Args = func(c *cobra.Command, args []string) error {
			if err := check(c, args); err != nil {
				name := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ") // main says "resnet:"
				return fmt.Errorf("%s: %w (usage: %s; --help for more)", name, err, c.UseLine())
			}
			return nil
		}
	}
	for _, sub := range cmd.Commands() {
		withUsage(sub)
	}
}
