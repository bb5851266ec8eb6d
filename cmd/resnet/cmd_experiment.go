package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/resnetgo/resnet/experiments"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

func newExperimentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "experiment",
		Short: "Reproduce the degradation problem, lesion studies and gradient flow, with plots",
		Long: `Seeded, resumable experiments that write CSV files and draw their plots from them, all under
one --out directory:

  resnet experiment degradation   plain-20/56 against ResNet-20/56, the paper's Figure 6
  resnet experiment lesion        remove blocks from the trained ResNet-56 and plain-56
  resnet experiment gradflow      per-layer gradient norms at initialisation, depth 20/56/110
  resnet experiment report        REPORT.md and documentation tables from the CSV files
  resnet experiment all           the three, then the report

They use Fashion-MNIST (Debian's dataset-fashion-mnist) unless --cifar10 names the folder of
CIFAR-10's binary version. Without --quick they take a few hours on two cores; --quick is a
smoke test of a few minutes whose numbers mean nothing. See docs/experiments/README.md.`,
	}
	cmd.AddCommand(newExpDegradationCmd(), newExpLesionCmd(), newExpGradFlowCmd(), newExpReportCmd(), newExpAllCmd())
	return cmd
}

// expFlags are the flags every experiment shares.
type expFlags struct {
	out, cifar10 string
	quick        bool
	resume       bool
	seed         uint64
	workers      int
	nets         []string
}

func (f *expFlags) register(fl *pflag.FlagSet) {
	fl.StringVarP(&f.out, "out", "o", "experiment-run", "run directory (degradation/, lesion/, gradflow/ inside)")
	fl.StringVar(&f.cifar10, "cifar10", "", "use CIFAR-10 from this folder of its binary version (data_batch_1.bin … test_batch.bin) instead of Fashion-MNIST")
	fl.BoolVar(&f.quick, "quick", false, "the smoke-test preset: a few minutes, meaningless numbers (CI)")
	fl.BoolVar(&f.resume, "resume", false, "continue the run in --out: finished parts are kept, unfinished ones resume from their checkpoints")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of initialisation, data order, augmentation, subsets and random draws")
	fl.IntVar(&f.workers, "workers", 0, "data loading goroutines (0 = one per core)")
	fl.StringSliceVar(&f.nets, "nets", nil, "networks, comma-separated (resnetD, resnetDb, plainD for D = 6n+2; default: the experiment's)")
}

func (f *expFlags) preset() experiments.Preset {
	if f.quick {
		return experiments.Quick()
	}
	return experiments.Full()
}

func (f *expFlags) common(cmd *cobra.Command) experiments.Common {
	return experiments.Common{Out: f.out, Seed: f.seed, Resume: f.resume, Workers: f.workers, Progress: cmd.ErrOrStderr(), Command: commandLine()}
}

// data opens the data set, after checking the network names (a typo
// should not wait for 70,000 images to load).
func (f *expFlags) data(cmd *cobra.Command) (*experiments.Data, error) {
	for _, n := range f.nets {
		if _, err := experiments.Arch(n); err != nil {
			return nil, err
		}
	}
	var d *experiments.Data
	var err error
	if f.cifar10 != "" {
		d, err = experiments.CIFAR10(f.cifar10)
	} else {
		d, err = experiments.FashionMNIST()
	}
	if err == nil {
		fmt.Fprintf(cmd.ErrOrStderr(), "data: %s, %d training and %d test images\n", d.Name, d.Train.Len(), d.Test.Len())
	}
	return d, err
}

// commandLine is this process's command line, quoted for a shell.
func commandLine() string {
	args := []string{"resnet"}
	for _, a := range os.Args[1:] {
		if a == "" || strings.ContainsAny(a, " \t\n'\"\\$`*?;&|<>()[]{}") {
			a = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
		args = append(args, a)
	}
	return strings.Join(args, " ")
}

// degradationFlags are degradation's own flags.
type degradationFlags struct {
	epochs, iters, batch                int
	lr, momentum, wd                    float64
	trainSubset, evalSubset, testSubset int
	logEvery, evalEvery                 int
}

func (g *degradationFlags) register(fl *pflag.FlagSet) {
	fl.IntVar(&g.epochs, "epochs", 3, "training length in epochs of the (sub)set (--quick: 8 iterations)")
	fl.IntVar(&g.iters, "iters", 0, "training length in iterations, instead of --epochs")
	fl.IntVar(&g.batch, "batch", 128, "minibatch size (--quick: 32)")
	fl.Float64Var(&g.lr, "lr", 0.1, "initial learning rate (divided by 10 at 50% and 75% of the iterations)")
	fl.Float64Var(&g.momentum, "momentum", 0.9, "SGD momentum")
	fl.Float64Var(&g.wd, "wd", 1e-4, "weight decay")
	fl.IntVar(&g.trainSubset, "train-subset", 0, "train on a seeded random subset of this many images (0 = all; --quick: 512)")
	fl.IntVar(&g.evalSubset, "eval-subset", 2000, "test images evaluated during training (0 = all of --test-subset; --quick: 64)")
	fl.IntVar(&g.testSubset, "test-subset", 0, "test images of the final evaluation (0 = all; --quick: 128)")
	fl.IntVar(&g.logEvery, "log-every", 20, "iterations averaged into each point of the training-error curve (--quick: 2)")
	fl.IntVar(&g.evalEvery, "eval-every", 100, "iterations between test evaluations (0 = once per epoch; --quick: 4)")
}

// apply overrides the preset with the flags given on the command line.
func (g *degradationFlags) apply(fl *pflag.FlagSet, c *experiments.DegradationConfig) error {
	if fl.Changed("epochs") && fl.Changed("iters") {
		return fmt.Errorf("--epochs and --iters: give one training length")
	}
	if fl.Changed("epochs") {
		c.Epochs, c.Iters = g.epochs, 0
		if g.epochs < 1 {
			return fmt.Errorf("--epochs must be positive")
		}
	}
	if fl.Changed("iters") {
		c.Iters, c.Epochs = g.iters, 0
		if g.iters < 1 {
			return fmt.Errorf("--iters must be positive")
		}
	}
	setInt(fl, "batch", g.batch, &c.Batch)
	setInt(fl, "train-subset", g.trainSubset, &c.TrainSubset)
	setInt(fl, "eval-subset", g.evalSubset, &c.EvalSubset)
	setInt(fl, "test-subset", g.testSubset, &c.TestSubset)
	setInt(fl, "log-every", g.logEvery, &c.LogEvery)
	setInt(fl, "eval-every", g.evalEvery, &c.EvalEvery)
	if fl.Changed("lr") {
		c.LR = g.lr
	}
	if fl.Changed("momentum") {
		c.Momentum = g.momentum
	}
	if fl.Changed("wd") {
		c.WeightDecay = g.wd
	}
	if c.Batch < 1 || c.LogEvery < 0 || c.EvalEvery < 0 || c.TrainSubset < 0 || c.EvalSubset < 0 || c.TestSubset < 0 {
		return fmt.Errorf("--batch must be positive, and the subsets and intervals not negative")
	}
	if !(c.LR > 0) || c.Momentum < 0 || c.WeightDecay < 0 {
		return fmt.Errorf("--lr must be positive, --momentum and --wd not negative")
	}
	return nil
}

func setInt(fl *pflag.FlagSet, name string, v int, dst *int) {
	if fl.Changed(name) {
		*dst = v
	}
}

func newExpDegradationCmd() *cobra.Command {
	var f expFlags
	var g degradationFlags
	cmd := &cobra.Command{
		Use:   "degradation [--quick] [--out DIR] [flags]",
		Short: "Train plain-20/56 and ResNet-20/56 with the paper's recipe; Figure 6 from the CSV",
		Long: `Trains each network of --nets (default plain20,plain56,resnet20,resnet56) with SGD, momentum 0.9,
weight decay 1e-4, batch 128, learning rate 0.1 divided by 10 at 50% and 75% of the iterations,
pad-4 random crops and horizontal flips (He et al. 2015, §4.2), and writes into DIR/degradation:
curves.csv (training error every --log-every iterations, test error every --eval-every),
results.csv and results.md (final training and test error per network), timing.csv, figure6.png
(plain networks left, residual right; dashed training error, bold test error), and per network
NET/checkpoint.pth (resumable) and NET/model.pth (the trained weights, which lesion reads).
Ctrl-C saves a checkpoint; --resume continues, and a finished network is not trained again.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := f.preset().Degradation
			if err := g.apply(cmd.Flags(), &c); err != nil {
				return err
			}
			if len(f.nets) > 0 {
				c.Nets = f.nets
			}
			c.Common = f.common(cmd)
			d, err := f.data(cmd)
			if err != nil {
				return err
			}
			_, err = experiments.RunDegradation(cmd.Context(), d, c)
			return err
		},
	}
	f.register(cmd.Flags())
	g.register(cmd.Flags())
	return cmd
}

type lesionFlags struct {
	weights     []string
	testSubset  int
	maxK, draws int
}

// register adds lesion's flags; its test subset is called subsetFlag
// ("test-subset" alone, "lesion-test-subset" beside degradation's).
func (l *lesionFlags) register(fl *pflag.FlagSet, subsetFlag string) {
	fl.StringSliceVar(&l.weights, "weights", nil, "NET=FILE: the trained weights of NET (default DIR/degradation/NET/model.pth); repeatable")
	fl.IntVar(&l.testSubset, subsetFlag, 1000, "test images per lesion evaluation (0 = all; --quick: 64)")
	fl.IntVar(&l.maxK, "max-k", 10, "remove up to this many random blocks at once")
	fl.IntVar(&l.draws, "draws", 5, "random sets of blocks for each k")
}

func (l *lesionFlags) apply(fl *pflag.FlagSet, subsetFlag string, c *experiments.LesionConfig) error {
	setInt(fl, subsetFlag, l.testSubset, &c.TestSubset)
	setInt(fl, "max-k", l.maxK, &c.MaxK)
	setInt(fl, "draws", l.draws, &c.Draws)
	if c.TestSubset < 0 || c.MaxK < 1 || c.Draws < 1 {
		return fmt.Errorf("--max-k and --draws must be positive, --%s not negative", subsetFlag)
	}
	for _, w := range l.weights {
		net, file, ok := strings.Cut(w, "=")
		if !ok || net == "" || file == "" {
			return fmt.Errorf("--weights %q: want NET=FILE", w)
		}
		if c.Weights == nil {
			c.Weights = map[string]string{}
		}
		c.Weights[net] = file
	}
	return nil
}

func newExpLesionCmd() *cobra.Command {
	var f expFlags
	var l lesionFlags
	cmd := &cobra.Command{
		Use:   "lesion [--quick] [--out DIR] [--weights NET=FILE ...] [flags]",
		Short: "Remove blocks from trained networks at test time: one at a time, and k at random",
		Long: `Loads the trained networks of --nets (default plain56,resnet56) from DIR/degradation/NET/model.pth,
or --weights NET=FILE, and measures the test error with each block removed, then with k random
blocks removed (k = 1..--max-k, --draws sets each). A residual block keeps its shortcut and loses
its residual branch; a plain block becomes the identity, or, where it changes the shape, the
parameter-free subsample with zero-padded channels of shortcut option A. Writes DIR/lesion:
single.csv, random.csv, random_summary.csv, lesion.png, results.md. --resume skips the
evaluations already made.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := f.preset().Lesion
			if err := l.apply(cmd.Flags(), "test-subset", &c); err != nil {
				return err
			}
			if len(f.nets) > 0 {
				c.Nets = f.nets
			}
			c.Common = f.common(cmd)
			d, err := f.data(cmd)
			if err != nil {
				return err
			}
			return experiments.RunLesion(cmd.Context(), d, c)
		},
	}
	f.register(cmd.Flags())
	l.register(cmd.Flags(), "test-subset")
	return cmd
}

type gradFlowFlags struct{ batches, batch int }

func (g *gradFlowFlags) register(fl *pflag.FlagSet, batchFlag string) {
	fl.IntVar(&g.batches, "grad-batches", 4, "minibatches the gradient norms are averaged over (--quick: 1)")
	fl.IntVar(&g.batch, batchFlag, 128, "images per gradient-flow minibatch (--quick: 16)")
}

func (g *gradFlowFlags) apply(fl *pflag.FlagSet, batchFlag string, c *experiments.GradFlowConfig) error {
	setInt(fl, "grad-batches", g.batches, &c.Batches)
	setInt(fl, batchFlag, g.batch, &c.Batch)
	if c.Batches < 1 || c.Batch < 1 {
		return fmt.Errorf("--grad-batches and --%s must be positive", batchFlag)
	}
	return nil
}

func newExpGradFlowCmd() *cobra.Command {
	var f expFlags
	var g gradFlowFlags
	cmd := &cobra.Command{
		Use:   "gradflow [--quick] [--out DIR] [flags]",
		Short: "Per-layer gradient norms at initialisation, plain against residual, depth 20/56/110",
		Long: `Initialises each network of --nets (default plain20,plain56,plain110,resnet20,resnet56,resnet110)
with --seed and measures the L2 norm of the cross-entropy's gradient with respect to every
convolution on the main path and fc, batch norm in training mode, averaged over --grad-batches
minibatches of real training images. Writes DIR/gradflow: gradflow.csv, gradflow.png (log
scale, one panel per depth), results.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c := f.preset().GradFlow
			if err := g.apply(cmd.Flags(), "batch", &c); err != nil {
				return err
			}
			if len(f.nets) > 0 {
				c.Nets = f.nets
			}
			c.Common = f.common(cmd)
			d, err := f.data(cmd)
			if err != nil {
				return err
			}
			return experiments.RunGradFlow(cmd.Context(), d, c)
		},
	}
	f.register(cmd.Flags())
	g.register(cmd.Flags(), "batch")
	return cmd
}

func newExpAllCmd() *cobra.Command {
	var f expFlags
	var g degradationFlags
	var l lesionFlags
	var gf gradFlowFlags
	cmd := &cobra.Command{
		Use:   "all [--quick] [--out DIR] [flags]",
		Short: "degradation, lesion and gradflow one after the other, then report",
		Long: `Runs the three experiments into one --out directory with the preset's networks (--nets is not
taken: each experiment has its own), then writes DIR/REPORT.md. The flags are those of the
three commands; gradflow's minibatch size is --grad-batch.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(f.nets) > 0 {
				return fmt.Errorf("--nets: choose the networks with the individual commands")
			}
			p := f.preset()
			if err := g.apply(cmd.Flags(), &p.Degradation); err != nil {
				return err
			}
			if err := l.apply(cmd.Flags(), "lesion-test-subset", &p.Lesion); err != nil {
				return err
			}
			if err := gf.apply(cmd.Flags(), "grad-batch", &p.GradFlow); err != nil {
				return err
			}
			d, err := f.data(cmd)
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			p.Degradation.Common, p.Lesion.Common, p.GradFlow.Common = f.common(cmd), f.common(cmd), f.common(cmd)
			if _, err := experiments.RunDegradation(ctx, d, p.Degradation); err != nil {
				return err
			}
			if err := experiments.RunLesion(ctx, d, p.Lesion); err != nil {
				return err
			}
			if err := experiments.RunGradFlow(ctx, d, p.GradFlow); err != nil {
				return err
			}
			if err := experiments.WriteReport(f.out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s/REPORT.md\n", f.out)
			return nil
		},
	}
	f.register(cmd.Flags())
	g.register(cmd.Flags())
	l.register(cmd.Flags(), "lesion-test-subset")
	gf.register(cmd.Flags(), "grad-batch")
	return cmd
}

func newExpReportCmd() *cobra.Command {
	var out, doc string
	var check bool
	cmd := &cobra.Command{
		Use:   "report --out DIR [--doc FILE [--check]]",
		Short: "Check a run's outputs, redraw its plots from the CSV files and write REPORT.md; fill a document's tables",
		Long: `Checks every CSV, PNG and JSON file of the run in --out (columns, numbers, decoding), draws the
figures again from the CSV files and writes DIR/REPORT.md with the tables, the reading of them
next to the paper's numbers, and the estimated time of a full run.

With --doc FILE it also rewrites, in that markdown file, every region between
"<!-- generated:NAME -->" and "<!-- /generated:NAME -->" with the section NAME generated from
the CSV files, so that a document's numbers cannot drift from its data. --check writes nothing
and fails if the run is malformed or the document is out of date (CI). Sections: ` + strings.Join(experiments.SectionNames(), ", ") + ".",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if check {
				if err := experiments.Check(out); err != nil {
					return err
				}
				if doc == "" {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s: outputs well-formed\n", out)
					return nil
				}
				changed, err := experiments.UpdateDoc(doc, out, true)
				if err != nil {
					return err
				}
				if changed {
					return fmt.Errorf("%s is out of date with %s: run resnet experiment report --out %s --doc %s", doc, out, out, doc)
				}
				fmt.Fprintf(cmd.ErrOrStderr(), "%s: outputs well-formed; %s up to date\n", out, doc)
				return nil
			}
			if err := experiments.WriteReport(out); err != nil {
				return err
			}
			fmt.Fprintf(cmd.ErrOrStderr(), "wrote %s/REPORT.md\n", out)
			if doc != "" {
				changed, err := experiments.UpdateDoc(doc, out, false)
				if err != nil {
					return err
				}
				if changed {
					fmt.Fprintf(cmd.ErrOrStderr(), "updated %s\n", doc)
				} else {
					fmt.Fprintf(cmd.ErrOrStderr(), "%s already up to date\n", doc)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "out", "o", "experiment-run", "run directory")
	cmd.Flags().StringVar(&doc, "doc", "", "markdown file whose generated regions to fill from the run")
	cmd.Flags().BoolVar(&check, "check", false, "write nothing; fail if the outputs are malformed or --doc is out of date")
	return cmd
}
