package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/hub"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/internal/atomicfile"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/train"
	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// trainFlags are the settings shared by train and finetune.
type trainFlags struct {
	data, val, out, resume       string
	valSplit                     float64
	size, epochs, batch, workers int
	limit, valLimit              int
	optimizer, schedule          string
	lr, momentum, wd, gamma      float64
	backboneLR, smoothing        float64
	milestones                   string
	warmup                       int
	nesterov, noAugment          bool
	seed                         uint64
}

func (f *trainFlags) register(cmd *cobra.Command, lr float64, epochs int) {
	fl := cmd.Flags()
	fl.StringVar(&f.data, "data", "", `training data: an ImageFolder directory (one sub-directory per class) or "fashion-mnist" (Debian's dataset-fashion-mnist, or $RESNET_FASHION_MNIST)`)
	fl.StringVar(&f.val, "val", "", "validation ImageFolder (default: Fashion-MNIST's test split, or --val-split of the training folder)")
	fl.Float64Var(&f.valSplit, "val-split", 0, "fraction of the training folder held out for validation when --val is not given")
	fl.StringVarP(&f.out, "out", "o", "run", "output directory: checkpoint.pth, model.pth, labels.txt, metrics.csv/json, curves.png")
	fl.StringVar(&f.resume, "resume", "", "resume from a checkpoint.pth written by an earlier run")
	fl.IntVar(&f.size, "size", 0, "input size (default: 28 for Fashion-MNIST, 32 for CIFAR-style nets, 224 otherwise)")
	fl.IntVar(&f.epochs, "epochs", epochs, "epochs to train")
	fl.IntVar(&f.batch, "batch", 128, "batch size")
	fl.IntVar(&f.workers, "workers", 0, "data loading goroutines (0 = one per core)")
	fl.StringVar(&f.optimizer, "optimizer", "sgd", "sgd or adamw")
	fl.Float64Var(&f.lr, "lr", lr, "learning rate")
	fl.Float64Var(&f.backboneLR, "backbone-lr", -1, "learning rate of the pretrained layers when they train (default: --lr)")
	fl.Float64Var(&f.momentum, "momentum", 0.9, "SGD momentum")
	fl.BoolVar(&f.nesterov, "nesterov", false, "Nesterov momentum")
	fl.Float64Var(&f.wd, "wd", 1e-4, "weight decay (decoupled for AdamW)")
	fl.StringVar(&f.schedule, "schedule", "multistep", "learning-rate schedule per epoch: multistep, step, cosine or none")
	fl.StringVar(&f.milestones, "milestones", "0.5,0.75", "multistep: fractions of --epochs where the rate is multiplied by --gamma; step: the step size in epochs")
	fl.Float64Var(&f.gamma, "gamma", 0.1, "multistep/step decay factor")
	fl.IntVar(&f.warmup, "warmup", 0, "epochs of linear warm-up from 10% of the rate")
	fl.Float64Var(&f.smoothing, "label-smoothing", 0, "cross-entropy label smoothing")
	fl.BoolVar(&f.noAugment, "no-augment", false, "no random crops and flips")
	fl.Uint64Var(&f.seed, "seed", 1, "seed of initialisation, shuffling and augmentation")
	fl.IntVar(&f.limit, "limit", 0, "use a random subset of this many training samples (0 = all), for quick runs")
	fl.IntVar(&f.valLimit, "val-limit", 0, "use a random subset of this many validation samples (0 = all)")
}

// subset returns n samples of d chosen with seed (all of d when n is 0 or too large).
func subset(d data.Dataset, n int, seed uint64) data.Dataset {
	if n <= 0 || n >= d.Len() {
		return d
	}
	_, keep := data.Split(d.Len(), float64(n)/float64(d.Len()), seed)
	return data.Subset{Dataset: d, Indices: keep}
}

// datasets opens the training and validation data. in is the network's
// input channels it implies (1 for Fashion-MNIST).
type datasets struct {
	train, val data.Dataset
	classes    []string
	channels   int
	desc       string
	// eval is how classify should preprocess an image for the trained network.
	eval imageio.Transform
}

func (f *trainFlags) openData(cifarNet bool) (*datasets, error) {
	if f.data == "" {
		return nil, fmt.Errorf("--data is required")
	}
	if f.size < 0 {
		return nil, fmt.Errorf("--size %d: want 0 (the default) or a positive side", f.size)
	}
	if err := checkSide(f.size); err != nil {
		return nil, err
	}
	if f.data == "fashion-mnist" {
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
		size := f.size
		if size == 0 {
			size = 28
		}
		eval := data.Transform{Mean: [3]float32{data.FashionMNISTMean}, Std: [3]float32{data.FashionMNISTStd}}
		if size != 28 {
			eval.Steps = []data.Step{data.Resize{W: size, H: size, Filter: imageio.Bilinear}}
		}
		tr.Transform, te.Transform = eval, eval
		if !f.noAugment {
			tr.Transform = data.CIFARTrainTransform(size, [3]float32{data.FashionMNISTMean}, [3]float32{data.FashionMNISTStd})
			tr.Transform.Steps = append(append([]data.Step{}, eval.Steps...), tr.Transform.Steps...)
		}
		return &datasets{train: tr, val: te, classes: data.FashionMNISTLabels(), channels: 1,
			eval: imageio.Transform{Resize: size, Crop: size, Mean: [3]float32{data.FashionMNISTMean}, Std: [3]float32{data.FashionMNISTStd}, Filter: imageio.Bilinear, Grayscale: true},
			desc: fmt.Sprintf("Fashion-MNIST from %s: %d training, %d test images", dir, tr.Len(), te.Len())}, nil
	}
	tr, err := data.OpenImageFolder(f.data)
	if err != nil {
		return nil, err
	}
	size := f.size
	if size == 0 {
		size = 224
		if cifarNet {
			size = 32
		}
	}
	eval := imageio.ImageNetEval()
	eval.Resize, eval.Crop = size*256/224, size
	evalT := data.EvalTransform(eval)
	trainT := data.TrainTransform(size)
	if f.noAugment {
		trainT = evalT
	}
	ds := &datasets{classes: tr.Classes, channels: 3, eval: eval}
	var val data.Dataset
	switch {
	case f.val != "":
		v, err := data.OpenImageFolder(f.val)
		if err != nil {
			return nil, err
		}
		if strings.Join(v.Classes, "\x00") != strings.Join(tr.Classes, "\x00") {
			return nil, fmt.Errorf("%s and %s have different class folders", f.data, f.val)
		}
		v.Transform = evalT
		val = v
	case f.valSplit > 0:
		if f.valSplit >= 1 {
			return nil, fmt.Errorf("--val-split must be below 1")
		}
		// Two views of the folder: augmented for training, plain for validation.
		v := *tr
		v.Transform = evalT
		ti, vi := data.Split(tr.Len(), f.valSplit, f.seed)
		tr.Transform = trainT
		ds.train, val = data.Subset{Dataset: tr, Indices: ti}, data.Subset{Dataset: &v, Indices: vi}
	}
	if ds.train == nil {
		tr.Transform = trainT
		ds.train = tr
	}
	ds.val = val
	ds.desc = fmt.Sprintf("%s: %d classes, %d training images", f.data, len(tr.Classes), ds.train.Len())
	if val != nil {
		ds.desc += fmt.Sprintf(", %d validation images", val.Len())
	}
	return ds, nil
}

// optimiser builds the optimiser and schedule for the trainable parameters.
func (f *trainFlags) optimiser(m *models.ResNet) (train.Optimizer, train.Scheduler, error) {
	var head, body []*nn.Parameter
	for _, p := range nn.Parameters(m.FC) {
		head = append(head, p)
	}
	isHead := map[*nn.Parameter]bool{}
	for _, p := range head {
		isHead[p] = true
	}
	for _, p := range nn.Parameters(m) {
		if p.RequiresGrad && !isHead[p] {
			body = append(body, p)
		}
	}
	hyper := func(lr float64) train.Hyper {
		if f.optimizer == "adamw" {
			h := train.AdamWDefaults(lr)
			h.WeightDecay = f.wd
			return h
		}
		return train.Hyper{LR: lr, Momentum: f.momentum, Nesterov: f.nesterov, WeightDecay: f.wd}
	}
	groups := []train.Group{{Params: head, Hyper: hyper(f.lr)}}
	if len(body) > 0 {
		lr := f.lr
		if f.backboneLR >= 0 {
			lr = f.backboneLR
		}
		groups = append(groups, train.Group{Params: body, Hyper: hyper(lr)})
	}
	var opt train.Optimizer
	var err error
	switch f.optimizer {
	case "sgd":
		opt, err = train.NewSGD(groups...)
	case "adamw":
		opt, err = train.NewAdamW(groups...)
	default:
		err = fmt.Errorf("--optimizer %q: want sgd or adamw", f.optimizer)
	}
	if err != nil {
		return nil, nil, err
	}
	var sched train.Scheduler
	switch f.schedule {
	case "none":
	case "cosine":
		sched = train.NewCosineAnnealingLR(opt, max(f.epochs-f.warmup, 1), 0)
	case "step":
		n, err := strconv.Atoi(f.milestones)
		if err != nil || n < 1 {
			return nil, nil, fmt.Errorf("--schedule step needs --milestones N (epochs per step)")
		}
		sched = train.NewStepLR(opt, n, f.gamma)
	case "multistep":
		var ms []int
		for _, s := range strings.Split(f.milestones, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || v <= 0 {
				return nil, nil, fmt.Errorf("--milestones %q: want fractions of the epochs such as 0.5,0.75", f.milestones)
			}
			if v < 1 {
				v = math.Round(v * float64(f.epochs))
			}
			ms = append(ms, int(v)-f.warmup)
		}
		sched = train.NewMultiStepLR(opt, ms, f.gamma)
	default:
		return nil, nil, fmt.Errorf("--schedule %q: want multistep, step, cosine or none", f.schedule)
	}
	if f.warmup > 0 {
		w, err := train.NewLinearLR(opt, 0.1, 1, f.warmup)
		if err != nil {
			return nil, nil, err
		}
		if sched == nil {
			sched = w
		} else if sched, err = train.NewSequentialLR(opt, []train.Scheduler{w, sched}, []int{f.warmup}); err != nil {
			return nil, nil, err
		}
	}
	return opt, sched, nil
}

func newTrainCmd() *cobra.Command {
	var f trainFlags
	var arch string
	cmd := &cobra.Command{
		Use:   "train --arch NAME --data DIR|fashion-mnist [flags]",
		Short: "Train a network from scratch (any architecture, CIFAR-style ones included)",
		Long: `Trains from a random initialisation with SGD (momentum 0.9, weight decay 1e-4) and the
learning rate divided by 10 at 50% and 75% of the epochs, as in He et al. Every epoch writes
checkpoint.pth (resumable, with the optimiser state), model.pth (the weights, loadable with
torch.load(weights_only=True) and load_state_dict(strict=True)), model.safetensors (the weights
with class names and preprocessing, for 'resnet classify --weights'), labels.txt, metrics.csv,
metrics.json and curves.png into --out. Ctrl-C saves a resumable checkpoint.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if arch == "" && f.resume == "" {
				return fmt.Errorf("--arch is required")
			}
			cfg, err := models.Lookup(arch)
			if err != nil && f.resume == "" {
				return err
			}
			ds, err := f.openData(cfg.Family == "cifar")
			if err != nil {
				return err
			}
			m, err := models.New(arch, models.Options{NumClasses: len(ds.classes), InChannels: ds.channels, Seed: f.seed})
			if err != nil {
				return err
			}
			return runTraining(cmd, &f, m, ds)
		},
	}
	cmd.Flags().StringVar(&arch, "arch", "", "architecture (see 'resnet models')")
	f.register(cmd, 0.1, 30)
	return cmd
}

func newFinetuneCmd() *cobra.Command {
	var f trainFlags
	var model, weights, arch, freeze string
	var hf hubFlags
	cmd := &cobra.Command{
		Use:   "finetune (--model NAME | --weights FILE) --data DIR [flags]",
		Short: "Transfer learning: replace fc for the data's classes and train",
		Long: `Loads pretrained weights, replaces fc with Linear(in_features, number of class folders),
freezes what --freeze says (default: everything but fc, as in the ResNet-18 recipe) and trains.
Frozen batch norms keep their running statistics. Outputs as for 'resnet train'; model.pth loads
into torchvision after model.fc = nn.Linear(in_features, n).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			var m *models.ResNet
			var err error
			switch {
			case weights != "":
				m, err = models.LoadFile(ctx, arch, weights, models.Options{})
			case model != "":
				var e hub.Entry
				if e, err = hub.Lookup(model); err != nil {
					return err
				}
				var path string
				if path, err = hf.client(cmd.ErrOrStderr()).FetchEntry(ctx, e); err != nil {
					return err
				}
				m, err = models.LoadFile(ctx, e.Arch, path, models.Options{})
			default:
				return fmt.Errorf("choose the pretrained network: --model NAME or --weights FILE")
			}
			if err != nil {
				return err
			}
			ds, err := f.openData(m.Config.Family == "cifar")
			if err != nil {
				return err
			}
			if ds.channels != m.Config.InChannels {
				return fmt.Errorf("the data has %d channels, the network takes %d", ds.channels, m.Config.InChannels)
			}
			if err := m.ReplaceHead(len(ds.classes), f.seed); err != nil {
				return err
			}
			switch {
			case freeze == "backbone":
				m.FreezeBackbone()
			case freeze == "none":
				m.Unfreeze()
			case strings.HasPrefix(freeze, "up-to:layer"):
				n, err := strconv.Atoi(strings.TrimPrefix(freeze, "up-to:layer"))
				if err != nil {
					return fmt.Errorf("--freeze %q: want backbone, none or up-to:layerN", freeze)
				}
				if err := m.FreezeUpTo(n); err != nil {
					return err
				}
			default:
				return fmt.Errorf("--freeze %q: want backbone, none or up-to:layerN", freeze)
			}
			return runTraining(cmd, &f, m, ds)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&model, "model", "m", "", "hub name of the pretrained weights (see 'resnet models')")
	fl.StringVarP(&weights, "weights", "w", "", "pretrained checkpoint file")
	fl.StringVar(&arch, "arch", "", "architecture of --weights (inferred when omitted)")
	fl.StringVar(&freeze, "freeze", "backbone", "what stays fixed: backbone (all but fc), none, or up-to:layerN (stem and layer1..N)")
	hf.register(cmd, true)
	f.register(cmd, 0.01, 10)
	return cmd
}

// runTraining trains m on ds as f says, writing everything into f.out.
func runTraining(cmd *cobra.Command, f *trainFlags, m *models.ResNet, ds *datasets) error {
	ctx := cmd.Context()
	stderr := cmd.ErrOrStderr()
	if f.epochs < 1 || f.batch < 1 {
		return fmt.Errorf("--epochs and --batch must be positive")
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	meta := train.Meta{Arch: m.Config.Name, NumClasses: len(ds.classes), Labels: ds.classes, Epochs: f.epochs,
		Settings: map[string]any{"args": os.Args[1:]}}
	var resumeOpt *train.State
	var resumeSched *train.SchedulerState
	if f.resume != "" {
		c, err := train.LoadCheckpoint(f.resume)
		if err != nil {
			return err
		}
		if c.Meta.Arch != m.Config.Name || c.Meta.NumClasses != len(ds.classes) {
			return fmt.Errorf("%s: a checkpoint of %s with %d classes, not %s with %d", f.resume, c.Meta.Arch, c.Meta.NumClasses, m.Config.Name, len(ds.classes))
		}
		if _, err := models.LoadStateDict(m, c.Model, true); err != nil {
			return fmt.Errorf("%s: %w", f.resume, err)
		}
		meta.Epoch, meta.NextBatch, meta.History = c.Meta.Epoch, c.Meta.NextBatch, c.Meta.History
		resumeOpt, resumeSched = c.Optim, c.Meta.Sched
		fmt.Fprintf(stderr, "resuming %s at epoch %d, batch %d\n", f.resume, meta.Epoch+1, meta.NextBatch)
	}
	opt, sched, err := f.optimiser(m)
	if err != nil {
		return err
	}
	if resumeOpt != nil {
		if err := opt.LoadState(resumeOpt); err != nil {
			return fmt.Errorf("%s: %w", f.resume, err)
		}
		if sched != nil && resumeSched != nil {
			if err := sched.LoadState(*resumeSched); err != nil {
				return fmt.Errorf("%s: %w", f.resume, err)
			}
		}
	}
	ds.train = subset(ds.train, f.limit, f.seed)
	if ds.val != nil {
		ds.val = subset(ds.val, f.valLimit, f.seed+1)
	}
	t := &train.Trainer{Model: m, Opt: opt, Sched: sched, Smoothing: f.smoothing,
		Train: &data.Loader{Dataset: ds.train, BatchSize: f.batch, Shuffle: true, Seed: f.seed, Workers: f.workers}}
	if ds.val != nil {
		t.Val = &data.Loader{Dataset: ds.val, BatchSize: max(f.batch, 256), Workers: f.workers}
	}
	trainable := 0
	for _, p := range nn.Parameters(m) {
		if p.RequiresGrad {
			trainable += p.Value.Len()
		}
	}
	fmt.Fprintf(stderr, "%s: %s, %d of %d parameters trainable\n%s\n", m.Config.Name, f.optimizer, trainable, m.NumParams(), ds.desc)
	save := func() error {
		meta.Sched = nil
		if sched != nil {
			s := sched.State()
			meta.Sched = &s
		}
		return train.SaveCheckpoint(filepath.Join(f.out, "checkpoint.pth"), &train.Checkpoint{Model: models.StateDict(m), Optim: opt.State(), Meta: meta})
	}
	for epoch := meta.Epoch; epoch < f.epochs; epoch++ {
		bar := epochBar(stderr, t.Train.NumBatches(), epoch+1, f.epochs)
		t.OnBatch = func(b train.BatchStats) {
			if bar != nil {
				bar.Describe(fmt.Sprintf("epoch %d/%d  loss %.4f  acc %.2f%%  %.0f img/s", b.Epoch, f.epochs, b.EpochLoss, 100*b.EpochAcc, b.ImagesPerSec))
				bar.Set(b.Batch)
			}
		}
		st, err := t.RunEpoch(ctx, epoch, meta.NextBatch)
		if bar != nil {
			bar.Finish()
		}
		var intr *train.Interrupted
		if errors.As(err, &intr) {
			meta.Epoch, meta.NextBatch = intr.Epoch, intr.NextBatch
			if serr := save(); serr != nil {
				return fmt.Errorf("interrupted, and saving the checkpoint failed: %w", serr)
			}
			return fmt.Errorf("interrupted: resume with --resume %s", filepath.Join(f.out, "checkpoint.pth"))
		}
		if err != nil {
			return err
		}
		meta.History = append(meta.History, st)
		meta.Epoch, meta.NextBatch = epoch+1, 0
		val := ""
		if !math.IsNaN(st.ValLoss) {
			val = fmt.Sprintf("  val loss %.4f acc %.2f%%", st.ValLoss, 100*st.ValAcc)
		}
		fmt.Fprintf(stderr, "epoch %d/%d: lr %.4g  train loss %.4f acc %.2f%%%s  %.0f img/s  %.0fs\n",
			st.Epoch, f.epochs, st.LR, st.TrainLoss, 100*st.TrainAcc, val, st.ImagesPerSec, st.Seconds)
		if n := t.Train.NumSkipped(); n > 0 {
			fmt.Fprintf(stderr, "  %d samples could not be loaded and were skipped (first: %v)\n", n, t.Train.Skipped()[0].Err)
		}
		if err := writeOutputs(f.out, m, ds, meta.History, save); err != nil {
			return err
		}
	}
	fmt.Fprintf(stderr, "wrote %s\n", f.out)
	return nil
}

// writeOutputs writes the resumable checkpoint, the weights with their
// labels, the metrics and the plot; each file atomically.
func writeOutputs(out string, m *models.ResNet, ds *datasets, h []train.EpochStats, save func() error) error {
	if err := save(); err != nil {
		return err
	}
	weights := filepath.Join(out, "model.pth")
	if err := checkpoint.SavePTH(weights, models.StateDict(m)); err != nil {
		return err
	}
	labels := []byte(strings.Join(ds.classes, "\n") + "\n")
	for _, p := range []string{filepath.Join(out, "labels.txt"), weights + ".labels.txt"} {
		if err := atomicfile.WriteFile(p, labels); err != nil {
			return err
		}
	}
	tj, err := json.Marshal(ds.eval)
	if err != nil {
		return err
	}
	if err := atomicfile.WriteFile(weights+".transform.json", append(tj, '\n')); err != nil {
		return err
	}
	// One self-describing file: weights, class names, preprocessing and results.
	sd := models.StateDict(m)
	lj, _ := json.Marshal(ds.classes)
	last := h[len(h)-1]
	sd.Metadata = map[string]string{"arch": m.Config.Name, "labels": string(lj), "transform": string(tj),
		"epochs": strconv.Itoa(last.Epoch), "train_acc": fmt.Sprintf("%.4f", last.TrainAcc)}
	if !math.IsNaN(last.ValAcc) {
		sd.Metadata["val_acc"] = fmt.Sprintf("%.4f", last.ValAcc)
	}
	if err := checkpoint.SaveSafetensors(filepath.Join(out, "model.safetensors"), sd); err != nil {
		return err
	}
	if err := train.WriteMetrics(filepath.Join(out, "metrics.csv"), filepath.Join(out, "metrics.json"), h); err != nil {
		return err
	}
	return train.PlotCurves(filepath.Join(out, "curves.png"), m.Config.Name, h)
}

func epochBar(w io.Writer, n, epoch, epochs int) *progressbar.ProgressBar {
	if !isTerminal(w) {
		return nil
	}
	return progressbar.NewOptions(n, progressbar.OptionSetWriter(w), progressbar.OptionSetDescription(fmt.Sprintf("epoch %d/%d", epoch, epochs)),
		progressbar.OptionShowCount(), progressbar.OptionSetWidth(30), progressbar.OptionThrottle(200*time.Millisecond), progressbar.OptionClearOnFinish())
}
