package experiments

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/internal/atomicfile"
	"github.com/resnetgo/resnet/internal/cputime"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/train"
)

// Common holds what every experiment shares.
type Common struct {
	// Out is the run directory; each experiment writes into its own
	// sub-directory (degradation/, lesion/, gradflow/).
	Out string
	// Seed seeds initialisation, shuffling, augmentation, subsets and
	// random draws: the same seed gives the same CSV files.
	Seed uint64
	// Resume continues a run found in Out; without it an existing run is
	// an error rather than silently mixed with a new one.
	Resume bool
	// Workers is the number of data-loading goroutines (0: one per core).
	Workers int
	// Progress, if set, receives one line per step of progress.
	Progress io.Writer
	// Command is recorded in the sub-directory's command.txt, so that a
	// report can say how the results were made.
	Command string
}

func (c *Common) logf(format string, args ...any) {
	if c.Progress != nil {
		fmt.Fprintf(c.Progress, format+"\n", args...)
	}
}

// prepare makes the experiment's directory, checks the settings against
// those of a run already there (checkSettings), and records the command.
func (c *Common) prepare(sub string, settings any) (string, error) {
	if c.Out == "" {
		return "", fmt.Errorf("experiments: no output directory")
	}
	dir := filepath.Join(c.Out, sub)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	if err := checkSettings(filepath.Join(dir, "config.json"), settings, c.Resume, sub); err != nil {
		return "", err
	}
	if c.Command != "" {
		p := filepath.Join(dir, "command.txt")
		old, _ := os.ReadFile(p)
		if err := atomicfile.WriteFile(p, append(old, []byte(c.Command+"\n")...)); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// DegradationConfig sets up RunDegradation. Zero fields take the
// defaults of Full().Degradation where one is given.
type DegradationConfig struct {
	Common
	// Nets are the networks to train (Arch names).
	Nets []string
	// Iters is the training length in iterations (minibatches); when 0,
	// Epochs passes over the (sub)set.
	Iters, Epochs int
	// Batch is the minibatch size (128 in the paper).
	Batch int
	// LR is the initial learning rate, divided by 10 at 50 % and 75 % of
	// the iterations; Momentum and WeightDecay are SGD's.
	LR, Momentum, WeightDecay float64
	// TrainSubset limits the training set to a seeded random subset of
	// this many images (0: all), to make the run fit a time budget.
	TrainSubset int
	// EvalSubset is the number of test images evaluated every EvalEvery
	// iterations during training; TestSubset those of the final
	// evaluation (0: the whole test set). The smaller set is part of the
	// larger.
	EvalSubset, TestSubset int
	// LogEvery is the number of iterations averaged into each point of the
	// training-error curve; EvalEvery the iterations between test
	// evaluations (0: once per epoch).
	LogEvery, EvalEvery int

	onStep func(net string, iter int) // tests: called after every iteration
}

// degradationSettings is what config.json records and a resume must match.
type degradationSettings struct {
	Data          string  `json:"data"`
	TrainImages   int     `json:"train_images"`
	EvalImages    int     `json:"eval_images"`
	TestImages    int     `json:"test_images"`
	Batch         int     `json:"batch"`
	Iters         int     `json:"iterations"`
	ItersPerEpoch int     `json:"iterations_per_epoch"`
	Milestones    []int   `json:"lr_milestones"`
	LR            float64 `json:"lr"`
	Momentum      float64 `json:"momentum"`
	WeightDecay   float64 `json:"weight_decay"`
	LogEvery      int     `json:"log_every"`
	EvalEvery     int     `json:"eval_every"`
	Seed          uint64  `json:"seed"`
	Augmentation  string  `json:"augmentation"`
	Recipe        string  `json:"recipe"`
}

// CurvePoint is one row of degradation/curves.csv: the training error
// (split "train": the mean over the minibatches since the previous point,
// in training mode, augmented, as the paper's curves) or the test error
// (split "test": the network in eval mode on Images test images) after
// Iteration iterations. LR is the learning rate of the last of them.
type CurvePoint struct {
	Net       string  `json:"net"`
	Iteration int     `json:"iteration"`
	Epoch     float64 `json:"epoch"`
	Split     string  `json:"split"`
	Error     float64 `json:"error"`
	Loss      float64 `json:"loss"`
	LR        float64 `json:"lr"`
	Images    int     `json:"images"`
}

var curvesHeader = []string{"net", "iteration", "epoch", "split", "error", "loss", "lr", "images"}

func (p CurvePoint) record() []string {
	return []string{p.Net, strconv.Itoa(p.Iteration), fmtFloat(p.Epoch), p.Split, fmtFloat(p.Error), fmtFloat(p.Loss), fmtFloat(p.LR), strconv.Itoa(p.Images)}
}

// netState is one network's progress, saved inside its checkpoint.
type netState struct {
	Iter         int          `json:"iter"`
	Total        int          `json:"total"`
	PerEpoch     int          `json:"per_epoch"`
	Done         bool         `json:"done"`
	Params       int          `json:"params"`
	LastLR       float64      `json:"last_lr"` // the rate of the last iteration trained
	Win          window       `json:"window"`
	Points       []CurvePoint `json:"points"`
	TrainSeconds float64      `json:"train_seconds"`
	TrainCPU     float64      `json:"train_cpu_seconds"` // process CPU time, all threads
	TrainImages  int          `json:"train_images"`
	EvalSeconds  float64      `json:"eval_seconds"`
	EvalCPU      float64      `json:"eval_cpu_seconds"`
	EvalImages   int          `json:"eval_images"`
}

// window accumulates the minibatches of the next training-error point.
type window struct {
	Iters, Images, Wrong int
	LossSum              float64
}

// DegradationResult is what RunDegradation trained: each network's final
// errors, in the order of results.csv.
type DegradationResult struct {
	Dir  string
	Nets []NetResult
}

// NetResult is one network's row of results.csv.
type NetResult struct {
	Net        string
	Depth      int
	Shortcut   string
	Params     int
	Iterations int
	Epochs     float64
	// TrainError is the mean training error of the minibatches of the
	// last epoch (the curve's points after Iterations − one epoch).
	TrainError float64
	// TestError is the final evaluation's, on TestImages images.
	TestError  float64
	TestImages int
}

var resultsHeader = []string{"net", "depth", "shortcut", "params", "iterations", "epochs", "train_error", "test_error", "test_images"}

// RunDegradation trains c.Nets on d with the recipe of He et al. §4.2
// (SGD, momentum, weight decay, the rate ÷10 at 50 % and 75 %), one
// after the other, into c.Out/degradation: per network NET/checkpoint.pth
// (resumable; written at every evaluation and when ctx is cancelled) and
// NET/model.pth (the final weights), and for all networks curves.csv,
// results.csv, results.md, timing.csv and figure6.png (drawn from
// curves.csv). With Resume, a finished network is not trained again and
// an unfinished one continues where its checkpoint stopped, giving the
// same numbers as an uninterrupted run.
func RunDegradation(ctx context.Context, d *Data, c DegradationConfig) (*DegradationResult, error) {
	def := Full().Degradation
	if len(c.Nets) == 0 {
		c.Nets = def.Nets
	}
	if c.Batch == 0 {
		c.Batch = def.Batch
	}
	if c.LR == 0 {
		c.LR, c.Momentum, c.WeightDecay = def.LR, def.Momentum, def.WeightDecay
	}
	if c.Batch < 1 || c.Iters < 0 || c.Epochs < 0 || c.LogEvery < 0 || c.EvalEvery < 0 || c.TrainSubset < 0 || c.EvalSubset < 0 || c.TestSubset < 0 {
		return nil, fmt.Errorf("experiments: degradation: sizes must not be negative and the batch positive")
	}
	if c.Iters == 0 && c.Epochs == 0 {
		return nil, fmt.Errorf("experiments: degradation: set the training length (iterations or epochs)")
	}
	if !(c.LR > 0) || c.Momentum < 0 || c.WeightDecay < 0 {
		return nil, fmt.Errorf("experiments: degradation: learning rate %g, momentum %g, weight decay %g", c.LR, c.Momentum, c.WeightDecay)
	}
	c.Nets = dedupe(c.Nets)
	for _, n := range c.Nets {
		if _, err := Arch(n); err != nil {
			return nil, err
		}
	}
	trainSet := subset(d.Train, c.TrainSubset, c.Seed)
	perEpoch := trainSet.Len() / c.Batch
	if perEpoch == 0 {
		return nil, fmt.Errorf("experiments: degradation: %d training images do not fill one batch of %d", trainSet.Len(), c.Batch)
	}
	total := c.Iters
	if total == 0 {
		total = c.Epochs * perEpoch
	}
	if c.LogEvery == 0 {
		c.LogEvery = max(1, total/100)
	}
	if c.EvalEvery == 0 {
		c.EvalEvery = perEpoch
	}
	testN := d.Test.Len()
	if c.TestSubset > 0 {
		testN = min(c.TestSubset, testN)
	}
	evalN := testN
	if c.EvalSubset > 0 {
		evalN = min(c.EvalSubset, testN)
	}
	set := degradationSettings{
		Data: d.Name, TrainImages: trainSet.Len(), EvalImages: evalN, TestImages: testN, Batch: c.Batch,
		Iters: total, ItersPerEpoch: perEpoch, Milestones: milestones(total),
		LR: c.LR, Momentum: c.Momentum, WeightDecay: c.WeightDecay, LogEvery: c.LogEvery, EvalEvery: c.EvalEvery,
		Seed: c.Seed, Augmentation: "pad 4, random crop, horizontal flip", Recipe: "SGD; lr ÷10 at 50% and 75% of the iterations",
	}
	dir, err := c.prepare("degradation", set)
	if err != nil {
		return nil, err
	}
	r := &degRun{c: c, d: d, dir: dir, set: set, train: trainSet}
	c.logf("degradation: %s; %d training images (%d iterations of %d = %.3g epochs), test error on %d images every %d iterations, %d at the end",
		d.Name, trainSet.Len(), total, c.Batch, float64(total)/float64(perEpoch), evalN, c.EvalEvery, testN)
	var runErr error
	for _, name := range c.Nets {
		if runErr = r.trainNet(ctx, name); runErr != nil {
			break
		}
	}
	// The summary covers every network in the directory, also on failure,
	// so that an interrupted run shows its curves so far.
	res, err := writeDegradationSummary(dir)
	if runErr != nil {
		return res, runErr
	}
	if err != nil {
		return nil, err
	}
	c.logf("degradation: wrote %s", dir)
	return res, nil
}

// milestones are the iterations after which the rate is divided by 10.
func milestones(total int) []int {
	a := max(1, int(math.Round(0.5*float64(total))))
	b := max(a+1, int(math.Round(0.75*float64(total))))
	return []int{a, b}
}

type degRun struct {
	c          DegradationConfig
	d          *Data
	dir        string
	set        degradationSettings
	train      data.Dataset
	evalSmall  *evalSet
	evalFinal  *evalSet
	loadedEval bool
}

// evalSets loads the test images once for all networks.
func (r *degRun) evalSets(ctx context.Context) error {
	if r.loadedEval {
		return nil
	}
	var err error
	testIdx := subsetIndices(r.d.Test.Len(), r.set.TestImages, r.c.Seed+1)
	if r.evalFinal, err = loadEvalSet(ctx, data.Subset{Dataset: r.d.Test, Indices: testIdx}, 256, r.c.Workers); err != nil {
		return err
	}
	r.evalSmall = r.evalFinal
	if r.set.EvalImages < r.set.TestImages {
		small := subsetIndices(r.d.Test.Len(), r.set.EvalImages, r.c.Seed+1)
		if r.evalSmall, err = loadEvalSet(ctx, data.Subset{Dataset: r.d.Test, Indices: small}, 256, r.c.Workers); err != nil {
			return err
		}
	}
	r.loadedEval = true
	return nil
}

func (r *degRun) trainNet(ctx context.Context, name string) error {
	c, set := r.c, r.set
	netDir := filepath.Join(r.dir, name)
	if err := os.MkdirAll(netDir, 0o755); err != nil {
		return err
	}
	ckPath := filepath.Join(netDir, "checkpoint.pth")
	m, err := newNet(name, r.d, c.Seed)
	if err != nil {
		return err
	}
	opt, err := train.NewSGD(train.Group{Params: trainable(m), Hyper: train.Hyper{LR: set.LR, Momentum: set.Momentum, WeightDecay: set.WeightDecay}})
	if err != nil {
		return err
	}
	sched := train.NewMultiStepLR(opt, set.Milestones, 0.1)
	st := netState{Total: set.Iters, PerEpoch: set.ItersPerEpoch, Params: m.NumParams()}
	if exists(ckPath) {
		if !c.Resume {
			return fmt.Errorf("experiments: %s exists: pass --resume (Resume) to continue, or choose another output directory", ckPath)
		}
		if st, err = loadNetState(ckPath, name, m, opt, sched); err != nil {
			return err
		}
		if st.Total != set.Iters {
			return fmt.Errorf("experiments: %s: trained for %d iterations, this run wants %d", ckPath, st.Total, set.Iters)
		}
		if st.Done {
			c.logf("%s: finished earlier (%d iterations); not trained again", name, st.Iter)
			return nil
		}
		c.logf("%s: resuming at iteration %d of %d", name, st.Iter, st.Total)
	}
	if err := r.evalSets(ctx); err != nil {
		return err
	}
	save := func() error {
		ss := sched.State()
		return train.SaveCheckpoint(ckPath, &train.Checkpoint{Model: models.StateDict(m), Optim: opt.State(), Meta: train.Meta{
			Arch: name, NumClasses: r.d.Classes, Epoch: st.Iter / st.PerEpoch, NextBatch: st.Iter % st.PerEpoch,
			Epochs: (st.Total + st.PerEpoch - 1) / st.PerEpoch, Sched: &ss, Settings: map[string]any{"degradation": st}}})
	}
	evaluate := func(e *evalSet) error {
		t0, cpu0 := time.Now(), cputime.Process().Seconds()
		errRate, loss, err := e.errorRate(ctx, m.Forward)
		if err != nil {
			return err
		}
		sec := time.Since(t0).Seconds()
		st.EvalSeconds += sec
		st.EvalCPU += cputime.Process().Seconds() - cpu0
		st.EvalImages += e.n
		st.Points = append(st.Points, CurvePoint{Net: name, Iteration: st.Iter, Epoch: float64(st.Iter) / float64(st.PerEpoch),
			Split: "test", Error: errRate, Loss: loss, LR: st.LastLR, Images: e.n})
		c.logf("%-10s iter %5d/%d  test error %6.2f%%  loss %.4f  (%d images, %.0fs)", name, st.Iter, st.Total, 100*errRate, loss, e.n, sec)
		return nil
	}
	loader := &data.Loader{Dataset: r.train, BatchSize: set.Batch, Shuffle: true, Seed: c.Seed, DropLast: true, Workers: c.Workers}
	m.SetTraining(true)
	defer m.SetTraining(false)
	sessionStart, sessionIters, sessionTrain := time.Now(), 0, 0.0
	interrupted := func(err error) error {
		if serr := save(); serr != nil {
			return fmt.Errorf("experiments: %s interrupted at iteration %d, and saving its checkpoint failed: %w", name, st.Iter, serr)
		}
		return fmt.Errorf("experiments: %s interrupted at iteration %d of %d (checkpoint saved; rerun with --resume): %w", name, st.Iter, st.Total, err)
	}
	// A run interrupted during an evaluation resumes with that evaluation.
	if st.Iter > 0 && st.Iter < st.Total && st.Iter%set.EvalEvery == 0 && !hasTestPoint(st, st.Iter) {
		if err := evaluate(r.evalSmall); err != nil {
			if ctx.Err() != nil {
				return interrupted(ctx.Err())
			}
			return err
		}
		if err := save(); err != nil {
			return err
		}
	}
	for st.Iter < st.Total {
		it, err := loader.Epoch(ctx, st.Iter/st.PerEpoch, st.Iter%st.PerEpoch)
		if err != nil {
			return err
		}
		for st.Iter < st.Total {
			if err := ctx.Err(); err != nil {
				it.Close()
				return interrupted(err)
			}
			t0, cpu0 := time.Now(), cputime.Process().Seconds()
			b, err := it.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				it.Close()
				if ctx.Err() != nil {
					return interrupted(ctx.Err())
				}
				return err
			}
			lr := opt.Groups()[0].LR
			loss, wrong, err := step(m, opt, b)
			if err != nil {
				it.Close()
				return fmt.Errorf("experiments: %s iteration %d: %w", name, st.Iter+1, err)
			}
			sched.Step()
			st.Iter++
			st.LastLR = lr
			if c.onStep != nil {
				c.onStep(name, st.Iter)
			}
			sessionIters++
			n := len(b.Labels)
			st.TrainImages += n
			st.Win.Iters++
			st.Win.Images += n
			st.Win.Wrong += wrong
			st.Win.LossSum += loss * float64(n)
			st.TrainSeconds += time.Since(t0).Seconds()
			st.TrainCPU += cputime.Process().Seconds() - cpu0
			sessionTrain += time.Since(t0).Seconds()
			if st.Win.Iters == set.LogEvery || st.Iter == st.Total {
				p := CurvePoint{Net: name, Iteration: st.Iter, Epoch: float64(st.Iter) / float64(st.PerEpoch), Split: "train",
					Error: float64(st.Win.Wrong) / float64(st.Win.Images), Loss: st.Win.LossSum / float64(st.Win.Images), LR: lr, Images: st.Win.Images}
				st.Points = append(st.Points, p)
				st.Win = window{}
				// Speed of training alone; the time left counts evaluations too.
				el := time.Since(sessionStart).Seconds()
				eta := time.Duration(el / float64(sessionIters) * float64(st.Total-st.Iter) * float64(time.Second)).Round(time.Second)
				c.logf("%-10s iter %5d/%d  epoch %5.2f  lr %-6.3g train error %6.2f%%  loss %.4f  %4.0f img/s  %s left",
					name, st.Iter, st.Total, p.Epoch, lr, 100*p.Error, p.Loss, float64(sessionIters*set.Batch)/math.Max(sessionTrain, 1e-9), eta)
			}
			if st.Iter%set.EvalEvery == 0 && st.Iter < st.Total {
				if err := evaluate(r.evalSmall); err != nil {
					it.Close()
					if ctx.Err() != nil {
						return interrupted(ctx.Err())
					}
					return err
				}
				if err := save(); err != nil {
					it.Close()
					return err
				}
			}
		}
		it.Close()
	}
	if err := evaluate(r.evalFinal); err != nil {
		if ctx.Err() != nil {
			return interrupted(ctx.Err())
		}
		return err
	}
	if err := checkpoint.SavePTH(filepath.Join(netDir, "model.pth"), models.StateDict(m)); err != nil {
		return err
	}
	st.Done = true
	if err := save(); err != nil {
		return err
	}
	c.logf("%s: done, %d iterations in %s", name, st.Iter, time.Duration(st.TrainSeconds*float64(time.Second)).Round(time.Second))
	return nil
}

// hasTestPoint reports whether st has a test evaluation after iteration it.
func hasTestPoint(st netState, it int) bool {
	for _, p := range st.Points {
		if p.Split == "test" && p.Iteration == it {
			return true
		}
	}
	return false
}

// step trains one minibatch and returns its mean loss and its number of
// wrong predictions.
func step(m *models.ResNet, opt train.Optimizer, b *data.Batch) (float64, int, error) {
	opt.ZeroGrad()
	logits, err := m.ForwardTrain(b.X, false)
	if err != nil {
		return 0, 0, err
	}
	loss, dlogits, err := train.CrossEntropy(logits, b.Labels, 0)
	if err != nil {
		return 0, 0, err
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		return 0, 0, fmt.Errorf("loss is %v", loss)
	}
	wrong := len(b.Labels) - train.CountCorrect(logits, b.Labels)
	if _, err := m.Backward(dlogits); err != nil {
		return 0, 0, err
	}
	opt.Step()
	return loss, wrong, nil
}

// loadNetState restores a network, its optimiser and schedule from a
// checkpoint written by trainNet, and returns its progress.
func loadNetState(path, name string, m *models.ResNet, opt train.Optimizer, sched train.Scheduler) (netState, error) {
	var st netState
	ck, err := train.LoadCheckpoint(path)
	if err != nil {
		return st, err
	}
	if ck.Meta.Arch != name {
		return st, fmt.Errorf("experiments: %s is a checkpoint of %s, not %s", path, ck.Meta.Arch, name)
	}
	if st, err = stateOf(path, ck); err != nil {
		return st, err
	}
	if m == nil {
		return st, nil
	}
	if _, err := models.LoadStateDict(m, ck.Model, true); err != nil {
		return st, fmt.Errorf("experiments: %s: %w", path, err)
	}
	if err := opt.LoadState(ck.Optim); err != nil {
		return st, fmt.Errorf("experiments: %s: %w", path, err)
	}
	if ck.Meta.Sched == nil {
		return st, fmt.Errorf("experiments: %s: no learning-rate schedule state", path)
	}
	if err := sched.LoadState(*ck.Meta.Sched); err != nil {
		return st, fmt.Errorf("experiments: %s: %w", path, err)
	}
	return st, nil
}

// stateOf extracts the progress from a checkpoint's settings.
func stateOf(path string, ck *train.Checkpoint) (netState, error) {
	var st netState
	raw, ok := ck.Meta.Settings["degradation"]
	if !ok {
		return st, fmt.Errorf("experiments: %s is not a checkpoint of a degradation run", path)
	}
	b, err := json.Marshal(raw)
	if err == nil {
		err = json.Unmarshal(b, &st)
	}
	if err != nil {
		return st, fmt.Errorf("experiments: %s: progress record: %w", path, err)
	}
	if st.PerEpoch < 1 || st.Total < 1 || st.Iter < 0 || st.Iter > st.Total {
		return st, fmt.Errorf("experiments: %s: inconsistent progress record (iteration %d of %d, %d per epoch)", path, st.Iter, st.Total, st.PerEpoch)
	}
	return st, nil
}
