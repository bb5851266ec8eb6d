package experiments

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resnetgo/resnet/data"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
	"github.com/resnetgo/resnet/train"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// GradFlowConfig sets up RunGradFlow. Zero fields take Full().GradFlow's
// values.
type GradFlowConfig struct {
	Common
	// Nets are the networks to measure, freshly initialised with Seed.
	Nets []string
	// Batches minibatches of Batch training images (not augmented) are
	// averaged over.
	Batches, Batch int
}

type gradFlowSettings struct {
	Data    string `json:"data"`
	Batches int    `json:"batches"`
	Batch   int    `json:"batch"`
	Seed    uint64 `json:"seed"`
	Mode    string `json:"mode"`
}

// LayerGrad is one row of gradflow/gradflow.csv: layer Layer (1 = the
// stem's convolution, then the main path's convolutions in order, the
// network's depth = fc) of Net, the L2 norm of the cross-entropy's
// gradient with respect to its weight, mean and standard deviation over
// the batches, and the L2 norm of the weight itself.
type LayerGrad struct {
	Net        string  `json:"net"`
	Layer      int     `json:"layer"`
	Name       string  `json:"name"`
	GradNorm   float64 `json:"grad_norm"`
	GradStd    float64 `json:"grad_norm_std"`
	WeightNorm float64 `json:"weight_norm"`
}

var gradHeader = []string{"net", "depth", "shortcut", "layer", "name", "grad_norm", "grad_norm_std", "weight_norm"}

// blocksHeader is gradflow/blocks.csv's: the gradient with respect to the
// output of block Block (1 = the first block; Name its state_dict prefix).
var blocksHeader = []string{"net", "depth", "shortcut", "block", "name", "grad_norm", "grad_norm_std"}
var gradTimingHeader = []string{"net", "batches", "images", "seconds"}

type gradFlowState struct {
	Nets map[string]*gradFlowNet `json:"nets"`
}

type gradFlowNet struct {
	Layers []LayerGrad `json:"layers"`
	// Blocks are the norms of the gradient with respect to each block's
	// output (Layer = block number from 1, WeightNorm unused); a state
	// written before they were measured has none, and its networks are
	// measured again.
	Blocks  []LayerGrad `json:"blocks,omitempty"`
	Batches int         `json:"batches"`
	Images  int         `json:"images"`
	Seconds float64     `json:"seconds"`
}

// RunGradFlow measures, for each network at initialisation (batch norm in
// training mode, as in the first step of training), the gradient norm of
// every weighted layer on the main path and of every block's output,
// averaged over c.Batches minibatches of real training images, and writes
// c.Out/gradflow: gradflow.csv and blocks.csv, gradflow.png and
// blocks.png (log scale, drawn from the CSV files), timing.csv and
// results.md. Option-B projection shortcuts are left out: they are
// not on the path whose depth is being compared.
func RunGradFlow(ctx context.Context, d *Data, c GradFlowConfig) error {
	def := Full().GradFlow
	if len(c.Nets) == 0 {
		c.Nets = def.Nets
	}
	if c.Batches == 0 {
		c.Batches = def.Batches
	}
	if c.Batch == 0 {
		c.Batch = def.Batch
	}
	if c.Batches < 1 || c.Batch < 1 {
		return fmt.Errorf("experiments: gradflow: %d batches of %d", c.Batches, c.Batch)
	}
	c.Nets = dedupe(c.Nets)
	for _, n := range c.Nets {
		if _, err := Arch(n); err != nil {
			return err
		}
	}
	set := gradFlowSettings{Data: d.Name, Batches: c.Batches, Batch: c.Batch, Seed: c.Seed, Mode: "initialisation, batch norm in training mode, cross-entropy"}
	dir, err := c.prepare("gradflow", set)
	if err != nil {
		return err
	}
	statePath := filepath.Join(dir, "state.json")
	st := gradFlowState{Nets: map[string]*gradFlowNet{}}
	if exists(statePath) {
		if err := readJSON(statePath, &st); err != nil {
			return err
		}
		if st.Nets == nil {
			st.Nets = map[string]*gradFlowNet{}
		}
	}
	// The same batches for every network.
	l := &data.Loader{Dataset: d.TrainPlain, BatchSize: c.Batch, Shuffle: true, Seed: c.Seed, DropLast: true, Workers: c.Workers}
	var batches []*data.Batch
	measured := func(n string) bool { return st.Nets[n] != nil && st.Nets[n].Blocks != nil }
	need := false
	for _, n := range c.Nets {
		need = need || !measured(n)
	}
	if need {
		it, err := l.Epoch(ctx, 0, 0)
		if err != nil {
			return err
		}
		for len(batches) < c.Batches {
			b, err := it.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				it.Close()
				return err
			}
			batches = append(batches, b)
		}
		it.Close()
		if len(batches) < c.Batches {
			return fmt.Errorf("experiments: gradflow: %d training images give %d batches of %d, not %d", d.TrainPlain.Len(), len(batches), c.Batch, c.Batches)
		}
	}
	for _, n := range c.Nets {
		if measured(n) {
			c.logf("gradflow: %s measured earlier", n)
			continue
		}
		t0 := time.Now()
		layers, blocks, err := measureGradFlow(ctx, n, d, c.Seed, batches)
		if err != nil {
			if ctx.Err() != nil {
				if werr := writeGradFlowOutputs(dir, &st); werr != nil && len(st.Nets) > 0 {
					return werr
				}
				return fmt.Errorf("experiments: gradflow interrupted (finished networks are saved; rerun with --resume): %w", ctx.Err())
			}
			return err
		}
		st.Nets[n] = &gradFlowNet{Layers: layers, Blocks: blocks, Batches: len(batches), Images: len(batches) * c.Batch, Seconds: time.Since(t0).Seconds()}
		if err := writeJSON(statePath, st); err != nil {
			return err
		}
		c.logf("gradflow: %-10s first conv %.3g, last conv %.3g, fc %.3g; first block output %.3g, last %.3g  (%.0fs)", n, layers[0].GradNorm, layers[len(layers)-2].GradNorm, layers[len(layers)-1].GradNorm, blocks[0].GradNorm, blocks[len(blocks)-1].GradNorm, time.Since(t0).Seconds())
	}
	return writeGradFlowOutputs(dir, &st)
}

// measureGradFlow returns the per-layer gradient norms of a fresh network
// and the norms of the gradient with respect to each block's output.
func measureGradFlow(ctx context.Context, name string, d *Data, seed uint64, batches []*data.Batch) (layers, blocks []LayerGrad, err error) {
	m, err := newNet(name, d, seed)
	if err != nil {
		return nil, nil, err
	}
	type layer struct {
		name string
		p    *nn.Parameter
	}
	ls := []layer{{"conv1.weight", m.Conv1.Weight}}
	refs := m.BlockRefs()
	for _, r := range refs {
		b, _ := m.Block(r)
		ls = append(ls, layer{r.String() + ".conv1.weight", b.Conv1.Weight}, layer{r.String() + ".conv2.weight", b.Conv2.Weight})
		if b.Conv3 != nil {
			ls = append(ls, layer{r.String() + ".conv3.weight", b.Conv3.Weight})
		}
	}
	ls = append(ls, layer{"fc.weight", m.FC.Weight})
	norms := make([][]float64, len(ls))
	blockNorms := make([][]float64, len(refs))
	index := map[models.BlockRef]int{}
	for i, r := range refs {
		index[r] = i
	}
	m.SetTraining(true)
	defer m.SetTraining(false)
	for _, b := range batches {
		if err := ctx.Err(); err != nil {
			return nil, nil, err
		}
		m.ZeroGrad()
		logits, err := m.ForwardTrain(b.X, false)
		if err != nil {
			return nil, nil, err
		}
		_, dl, err := train.CrossEntropy(logits, b.Labels, 0)
		if err != nil {
			return nil, nil, err
		}
		observe := func(r models.BlockRef, dOut *tensor.Tensor) {
			i := index[r]
			blockNorms[i] = append(blockNorms[i], l2(dOut.Data))
		}
		if _, err := m.BackwardObserve(dl, observe); err != nil {
			return nil, nil, err
		}
		for i, l := range ls {
			if l.p.Grad == nil {
				return nil, nil, fmt.Errorf("experiments: gradflow: %s %s got no gradient", name, l.name)
			}
			norms[i] = append(norms[i], l2(l.p.Grad.Data))
		}
	}
	layers = make([]LayerGrad, len(ls))
	for i, l := range ls {
		mean, std := meanStd(norms[i])
		layers[i] = LayerGrad{Net: name, Layer: i + 1, Name: l.name, GradNorm: mean, GradStd: std, WeightNorm: l2(l.p.Value.Data)}
	}
	blocks = make([]LayerGrad, len(refs))
	for i, r := range refs {
		if len(blockNorms[i]) != len(batches) {
			return nil, nil, fmt.Errorf("experiments: gradflow: %s block %s: %d output gradients for %d batches", name, r, len(blockNorms[i]), len(batches))
		}
		mean, std := meanStd(blockNorms[i])
		blocks[i] = LayerGrad{Net: name, Layer: i + 1, Name: r.String(), GradNorm: mean, GradStd: std}
	}
	return layers, blocks, nil
}

func l2(x []float32) float64 {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s)
}

func writeGradFlowOutputs(dir string, st *gradFlowState) error {
	var names []string
	for n := range st.Nets {
		names = append(names, n)
	}
	names = netOrder(names)
	var rows, blockRows, timing [][]string
	for _, n := range names {
		c, err := Arch(n)
		if err != nil {
			return err
		}
		g := st.Nets[n]
		for _, l := range g.Layers {
			rows = append(rows, []string{n, strconv.Itoa(c.Depth()), c.Shortcut.String(), strconv.Itoa(l.Layer), l.Name, fmtFloat(l.GradNorm), fmtFloat(l.GradStd), fmtFloat(l.WeightNorm)})
		}
		for _, l := range g.Blocks {
			blockRows = append(blockRows, []string{n, strconv.Itoa(c.Depth()), c.Shortcut.String(), strconv.Itoa(l.Layer), l.Name, fmtFloat(l.GradNorm), fmtFloat(l.GradStd)})
		}
		timing = append(timing, []string{n, strconv.Itoa(g.Batches), strconv.Itoa(g.Images), fmtFloat(g.Seconds)})
	}
	csvPath := filepath.Join(dir, "gradflow.csv")
	if err := writeCSV(csvPath, gradHeader, rows); err != nil {
		return err
	}
	if err := writeCSV(filepath.Join(dir, "timing.csv"), gradTimingHeader, timing); err != nil {
		return err
	}
	if err := PlotGradFlow(csvPath, filepath.Join(dir, "gradflow.png")); err != nil {
		return err
	}
	blocksPath := filepath.Join(dir, "blocks.csv")
	if err := writeCSV(blocksPath, blocksHeader, blockRows); err != nil {
		return err
	}
	if err := PlotBlockGrads(blocksPath, filepath.Join(dir, "blocks.png")); err != nil {
		return err
	}
	return writeSectionsFile(filepath.Join(dir, "results.md"), filepath.Dir(dir), "gradflow")
}

// PlotGradFlow draws gradflow.png from gradflow.csv: one panel per depth,
// gradient norm (log scale) against layer, plain and residual networks.
func PlotGradFlow(csvPath, pngPath string) error {
	return plotGrads(csvPath, gradHeader, "layer", "layer (1 = first conv, last = fc)", "gradient L2 norm", pngPath)
}

// PlotBlockGrads draws blocks.png from blocks.csv: one panel per depth,
// the norm of the gradient with respect to each block's output (log
// scale) against the block's position.
func PlotBlockGrads(csvPath, pngPath string) error {
	return plotGrads(csvPath, blocksHeader, "block", "block (1 = first, after the stem)", "‖∂L/∂ block output‖", pngPath)
}

// plotGrads draws one panel per depth of the grad_norm column of a
// gradient CSV file against its column xcol.
func plotGrads(csvPath string, header []string, xcol, xlabel, ylabel, pngPath string) error {
	t, err := readCSV(csvPath, header)
	if err != nil {
		return err
	}
	byNet := map[string]plotter.XYs{}
	depthOfNet := map[string]int{}
	var names []string
	lo, hi := math.Inf(1), math.Inf(-1)
	for i, row := range t.rows {
		layer, err := t.int(i, xcol)
		if err != nil {
			return err
		}
		depth, err := t.int(i, "depth")
		if err != nil {
			return err
		}
		g, err := t.float(i, "grad_norm")
		if err != nil {
			return err
		}
		n := row["net"]
		if _, ok := byNet[n]; !ok {
			names = append(names, n)
		}
		depthOfNet[n] = depth
		if g > 0 && !math.IsInf(g, 0) {
			byNet[n] = append(byNet[n], plotter.XY{X: float64(layer), Y: g})
			lo, hi = math.Min(lo, g), math.Max(hi, g)
		}
	}
	if len(names) == 0 {
		return fmt.Errorf("experiments: %s: no layers to plot", csvPath)
	}
	names = netOrder(names)
	var depths []int
	for _, n := range names {
		if !slices.Contains(depths, depthOfNet[n]) {
			depths = append(depths, depthOfNet[n])
		}
	}
	slices.Sort(depths)
	var plots []*plot.Plot
	for _, depth := range depths {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("depth %d, at initialisation (log scale)", depth)
		p.X.Label.Text, p.Y.Label.Text = xlabel, ylabel
		p.Y.Scale, p.Y.Tick.Marker = plot.LogScale{}, plot.LogTicks{Prec: -1}
		if lo <= hi {
			p.Y.Min, p.Y.Max = lo/1.5, hi*1.5
		}
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		np, nr := 0, 0
		for _, n := range names {
			if depthOfNet[n] != depth || len(byNet[n]) == 0 {
				continue
			}
			plain := isPlain(n)
			col := netColor(plain, nr)
			if plain {
				col = netColor(plain, np)
				np++
			} else {
				nr++
			}
			l, err := plotter.NewLine(byNet[n])
			if err != nil {
				return err
			}
			l.Color, l.Width = col, vg.Points(1.5)
			if plain {
				l.Dashes = dashed
			}
			p.Add(l)
			p.Legend.Add(displayName(n), l)
		}
		plots = append(plots, p)
	}
	return savePNG(pngPath, 5*vg.Inch, 4*vg.Inch, plots...)
}

// gradSummary is a network's row of the report's gradient-flow table.
type gradSummary struct {
	net                 string
	first, middle, last float64 // convolutions: the first, the median one, the last
	fc                  float64
}

func summariseGrads(rows []LayerGrad) gradSummary {
	s := gradSummary{net: rows[0].Net}
	var convs []float64
	for _, r := range rows {
		if strings.HasPrefix(r.Name, "fc.") {
			s.fc = r.GradNorm
			continue
		}
		convs = append(convs, r.GradNorm)
	}
	if len(convs) > 0 {
		s.first, s.last = convs[0], convs[len(convs)-1]
		s.middle = convs[len(convs)/2]
	}
	return s
}
