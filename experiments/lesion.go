package experiments

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// LesionConfig sets up RunLesion. Zero fields take Full().Lesion's values.
type LesionConfig struct {
	Common
	// Nets are the trained networks to lesion.
	Nets []string
	// Weights maps a network to its weights file; by default it is
	// Out/degradation/NET/model.pth, as RunDegradation leaves it.
	Weights map[string]string
	// TestSubset is the number of test images each evaluation uses (0:
	// all of them).
	TestSubset int
	// MaxK is the largest number of blocks removed at random, and Draws
	// the number of random sets of blocks per k.
	MaxK, Draws int

	onEval func(net string) // tests: called after every evaluation
}

// lesionSettings is what a resumed lesion run must agree with.
type lesionSettings struct {
	Data       string `json:"data"`
	TestImages int    `json:"test_images"`
	MaxK       int    `json:"max_k"`
	Draws      int    `json:"draws"`
	Seed       uint64 `json:"seed"`
	Removal    string `json:"removal"`
}

// lesionState is the progress of a lesion run, saved after every
// evaluation in lesion/state.json.
type lesionState struct {
	Nets map[string]*lesionNet `json:"nets"`
}

type lesionNet struct {
	Weights string         `json:"weights"`
	SHA256  string         `json:"sha256"`
	Single  []SingleLesion `json:"single"`
	Random  []RandomLesion `json:"random"`
	Seconds float64        `json:"seconds"`
	Images  int            `json:"images"`
}

// SingleLesion is one row of lesion/single.csv: the test error with one
// block removed (Position 0, Block "none": the intact network).
type SingleLesion struct {
	Net          string  `json:"net"`
	Position     int     `json:"position"` // 1-based, in forward order
	Block        string  `json:"block"`
	ChangesShape bool    `json:"changes_shape"`
	Error        float64 `json:"error"`
	Loss         float64 `json:"loss"`
}

// RandomLesion is one row of lesion/random.csv: the test error with K
// blocks, drawn at random among those that keep their input's shape,
// removed together.
type RandomLesion struct {
	Net    string   `json:"net"`
	K      int      `json:"k"`
	Draw   int      `json:"draw"`
	Blocks []string `json:"blocks"`
	Error  float64  `json:"error"`
}

var (
	singleHeader        = []string{"net", "position", "block", "changes_shape", "test_error", "test_loss"}
	randomHeader        = []string{"net", "k", "draw", "blocks", "test_error"}
	randomSummaryHeader = []string{"net", "k", "draws", "mean_error", "std_error", "min_error", "max_error"}
	lesionTimingHeader  = []string{"net", "evaluations", "seconds", "images", "images_per_s"}
)

// RunLesion removes blocks from trained networks at test time (see
// models.ResNet.ForwardLesioned) and writes into c.Out/lesion:
// single.csv (each block removed alone), random.csv (k random blocks,
// k = 1..MaxK, Draws sets each; the same sets for every network of the
// same shape), random_summary.csv, lesion.png (drawn from the two CSV
// files), timing.csv and results.md. A residual block loses its residual
// branch and keeps its shortcut; a plain block becomes the identity, or,
// for the two blocks that change the shape, option A's parameter-free
// subsample-and-pad. Random draws use only the blocks that keep the
// shape, so that they mean the same thing in both kinds of network.
func RunLesion(ctx context.Context, d *Data, c LesionConfig) error {
	def := Full().Lesion
	if len(c.Nets) == 0 {
		c.Nets = def.Nets
	}
	if c.MaxK == 0 {
		c.MaxK = def.MaxK
	}
	if c.Draws == 0 {
		c.Draws = def.Draws
	}
	if c.MaxK < 0 || c.Draws < 0 || c.TestSubset < 0 {
		return fmt.Errorf("experiments: lesion: sizes must not be negative")
	}
	testN := d.Test.Len()
	if c.TestSubset > 0 {
		testN = min(testN, c.TestSubset)
	}
	// Open every network before writing anything: a missing file is the
	// likeliest mistake.
	c.Nets = dedupe(c.Nets)
	nets := map[string]*models.ResNet{}
	files := map[string]string{}
	for _, n := range c.Nets {
		if _, err := Arch(n); err != nil {
			return err
		}
		p := c.Weights[n]
		if p == "" {
			p = filepath.Join(c.Out, "degradation", n, "model.pth")
		}
		if !exists(p) {
			return fmt.Errorf("experiments: lesion: no weights for %s at %s (run the degradation experiment with this output directory first, or name the file)", n, p)
		}
		m, err := loadTrained(ctx, n, p)
		if err != nil {
			return err
		}
		if m.Config.InChannels != d.Channels || m.Config.NumClasses != d.Classes {
			return fmt.Errorf("experiments: lesion: %s takes %d channels and gives %d classes; the data has %d and %d", p, m.Config.InChannels, m.Config.NumClasses, d.Channels, d.Classes)
		}
		nets[n], files[n] = m, p
	}
	depths := map[int]bool{}
	for _, m := range nets {
		depths[len(m.BlockRefs())] = true
	}
	if len(depths) > 1 {
		c.logf("lesion: the networks differ in depth; networks of the same depth share their random sets of blocks")
	}
	set := lesionSettings{Data: d.Name, TestImages: testN, MaxK: c.MaxK, Draws: c.Draws, Seed: c.Seed,
		Removal: "residual: ReLU(shortcut); plain: identity, or subsample+zero-pad where the shape changes; random draws among shape-keeping blocks"}
	dir, err := c.prepare("lesion", set)
	if err != nil {
		return err
	}
	statePath := filepath.Join(dir, "state.json")
	st := lesionState{Nets: map[string]*lesionNet{}}
	if exists(statePath) {
		if err := readJSON(statePath, &st); err != nil {
			return err
		}
		if st.Nets == nil {
			st.Nets = map[string]*lesionNet{}
		}
	}
	ev, err := loadEvalSet(ctx, subset(d.Test, testN, c.Seed+1), 256, c.Workers)
	if err != nil {
		return err
	}
	c.logf("lesion: %d test images per evaluation, k = 1..%d with %d draws each", ev.n, c.MaxK, c.Draws)
	var runErr error
	for _, n := range c.Nets {
		if runErr = lesionNetRun(ctx, &c, n, nets[n], files[n], ev, &st, statePath); runErr != nil {
			break
		}
	}
	if err := writeLesionOutputs(dir, &st); err != nil && runErr == nil {
		runErr = err
	}
	if runErr != nil && ctx.Err() != nil {
		return fmt.Errorf("experiments: lesion interrupted (the evaluations so far are saved; rerun with --resume): %w", ctx.Err())
	}
	if runErr == nil {
		c.logf("lesion: wrote %s", dir)
	}
	return runErr
}

// loadTrained builds the named network and loads its weights strictly;
// the class count and input channels come from the weights.
func loadTrained(ctx context.Context, name, path string) (*models.ResNet, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	cfg, err := Arch(name)
	if err != nil {
		return nil, err
	}
	sd, err := checkpoint.Load(path)
	if err != nil {
		return nil, err
	}
	o := models.Options{NoInit: true}
	if fc, ok := sd.Tensors["fc.weight"]; ok && len(fc.Shape) == 2 {
		o.NumClasses = fc.Shape[0]
	}
	if w, ok := sd.Tensors["conv1.weight"]; ok && len(w.Shape) == 4 {
		o.InChannels = w.Shape[1]
	}
	m, err := models.Build(cfg, o)
	if err != nil {
		return nil, err
	}
	if _, err := models.LoadStateDict(m, sd, true); err != nil {
		return nil, fmt.Errorf("experiments: %s does not hold %s weights: %w", path, name, err)
	}
	return m, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// randomBlocks draws k of the candidate positions for (seed, k, draw).
func randomBlocks(cand []int, k, draw int, seed uint64) []int {
	r := rand.New(rand.NewPCG(seed, uint64(k)<<32|uint64(draw)))
	perm := r.Perm(len(cand))[:k]
	out := make([]int, k)
	for i, p := range perm {
		out[i] = cand[p]
	}
	slices.Sort(out)
	return out
}

func lesionNetRun(ctx context.Context, c *LesionConfig, name string, m *models.ResNet, file string, ev *evalSet, st *lesionState, statePath string) error {
	sum, err := fileSHA256(file)
	if err != nil {
		return err
	}
	ns := st.Nets[name]
	if ns != nil && ns.SHA256 != sum {
		return fmt.Errorf("experiments: lesion: %s has changed since the lesion run began (sha256 %s, was %s): use another output directory", file, sum[:12], ns.SHA256[:12])
	}
	if ns == nil {
		ns = &lesionNet{Weights: file, SHA256: sum}
		st.Nets[name] = ns
	}
	refs := m.BlockRefs()
	var cand []int // 1-based positions of blocks that keep the shape
	for i, r := range refs {
		b, _ := m.Block(r)
		if !b.ChangesShape() {
			cand = append(cand, i+1)
		}
	}
	eval := func(removed []int) (float64, float64, error) {
		var rs []models.BlockRef
		for _, p := range removed {
			rs = append(rs, refs[p-1])
		}
		t0 := time.Now()
		e, l, err := ev.errorRate(ctx, func(ctx context.Context, x *tensor.Tensor) (*tensor.Tensor, error) {
			return m.ForwardLesioned(ctx, x, rs)
		})
		ns.Seconds += time.Since(t0).Seconds()
		ns.Images += ev.n
		return e, l, err
	}
	save := func() error { return writeJSON(statePath, st) }
	for pos := len(ns.Single); pos <= len(refs); pos++ {
		var removed []int
		row := SingleLesion{Net: name, Position: pos, Block: "none"}
		if pos > 0 {
			removed = []int{pos}
			b, _ := m.Block(refs[pos-1])
			row.Block, row.ChangesShape = refs[pos-1].String(), b.ChangesShape()
		}
		var err error
		if row.Error, row.Loss, err = eval(removed); err != nil {
			return err
		}
		ns.Single = append(ns.Single, row)
		if err := save(); err != nil {
			return err
		}
		if c.onEval != nil {
			c.onEval(name)
		}
		c.logf("%-10s without %-9s test error %6.2f%%", name, row.Block, 100*row.Error)
	}
	maxK := min(c.MaxK, len(cand))
	for i := len(ns.Random); i < maxK*c.Draws; i++ {
		k, draw := i/c.Draws+1, i%c.Draws
		pos := randomBlocks(cand, k, draw, c.Seed)
		row := RandomLesion{Net: name, K: k, Draw: draw}
		for _, p := range pos {
			row.Blocks = append(row.Blocks, refs[p-1].String())
		}
		var err error
		if row.Error, _, err = eval(pos); err != nil {
			return err
		}
		ns.Random = append(ns.Random, row)
		if err := save(); err != nil {
			return err
		}
		if c.onEval != nil {
			c.onEval(name)
		}
		c.logf("%-10s without %2d random blocks (draw %d): test error %6.2f%%", name, k, draw+1, 100*row.Error)
	}
	return nil
}

// writeLesionOutputs writes the CSV files, the plot and results.md from
// the state.
func writeLesionOutputs(dir string, st *lesionState) error {
	var names []string
	for n := range st.Nets {
		names = append(names, n)
	}
	names = netOrder(names)
	var single, random, summary, timing [][]string
	for _, n := range names {
		ns := st.Nets[n]
		for _, r := range ns.Single {
			single = append(single, []string{n, strconv.Itoa(r.Position), r.Block, strconv.FormatBool(r.ChangesShape), fmtFloat(r.Error), fmtFloat(r.Loss)})
		}
		byK := map[int][]float64{}
		var ks []int
		for _, r := range ns.Random {
			random = append(random, []string{n, strconv.Itoa(r.K), strconv.Itoa(r.Draw), strings.Join(r.Blocks, " "), fmtFloat(r.Error)})
			if _, ok := byK[r.K]; !ok {
				ks = append(ks, r.K)
			}
			byK[r.K] = append(byK[r.K], r.Error)
		}
		for _, k := range ks {
			v := byK[k]
			mean, std := meanStd(v)
			summary = append(summary, []string{n, strconv.Itoa(k), strconv.Itoa(len(v)), fmtFloat(mean), fmtFloat(std), fmtFloat(slices.Min(v)), fmtFloat(slices.Max(v))})
		}
		evals := len(ns.Single) + len(ns.Random)
		timing = append(timing, []string{n, strconv.Itoa(evals), fmtFloat(ns.Seconds), strconv.Itoa(ns.Images), fmtFloat(float64(ns.Images) / math.Max(ns.Seconds, 1e-9))})
	}
	singlePath, randomPath := filepath.Join(dir, "single.csv"), filepath.Join(dir, "random.csv")
	for _, f := range []struct {
		path   string
		header []string
		rows   [][]string
	}{
		{singlePath, singleHeader, single}, {randomPath, randomHeader, random},
		{filepath.Join(dir, "random_summary.csv"), randomSummaryHeader, summary},
		{filepath.Join(dir, "timing.csv"), lesionTimingHeader, timing},
	} {
		if err := writeCSV(f.path, f.header, f.rows); err != nil {
			return err
		}
	}
	if err := PlotLesion(singlePath, randomPath, filepath.Join(dir, "lesion.png")); err != nil {
		return err
	}
	return writeSectionsFile(filepath.Join(dir, "results.md"), filepath.Dir(dir), "lesion")
}

// PlotLesion draws lesion.png from single.csv and random.csv: on the left
// the test error with each block removed (triangles mark the blocks that
// change the shape; dashed lines the intact networks), on the right the
// mean test error with k random blocks removed, bars from the lowest to
// the highest draw.
func PlotLesion(singleCSV, randomCSV, pngPath string) error {
	s, err := readCSV(singleCSV, singleHeader)
	if err != nil {
		return err
	}
	r, err := readCSV(randomCSV, randomHeader)
	if err != nil {
		return err
	}
	type netSeries struct {
		blocks, reshape plotter.XYs
		base            float64
		k               map[int][]float64
	}
	series := map[string]*netSeries{}
	var names []string
	get := func(n string) *netSeries {
		if series[n] == nil {
			series[n] = &netSeries{base: math.NaN(), k: map[int][]float64{}}
			names = append(names, n)
		}
		return series[n]
	}
	ymax := 0.0
	for i, row := range s.rows {
		pos, err := s.int(i, "position")
		if err != nil {
			return err
		}
		e, err := s.float(i, "test_error")
		if err != nil {
			return err
		}
		ns := get(row["net"])
		ymax = math.Max(ymax, 100*e)
		switch {
		case pos == 0:
			ns.base = 100 * e
		case row["changes_shape"] == "true":
			ns.reshape = append(ns.reshape, plotter.XY{X: float64(pos), Y: 100 * e})
			fallthrough
		default:
			ns.blocks = append(ns.blocks, plotter.XY{X: float64(pos), Y: 100 * e})
		}
	}
	for i, row := range r.rows {
		k, err := r.int(i, "k")
		if err != nil {
			return err
		}
		e, err := r.float(i, "test_error")
		if err != nil {
			return err
		}
		ns := get(row["net"])
		ns.k[k] = append(ns.k[k], 100*e)
		ymax = math.Max(ymax, 100*e)
	}
	names = netOrder(names)
	left, right := plot.New(), plot.New()
	left.Title.Text, left.X.Label.Text, left.Y.Label.Text = "one block removed (dashed: intact network; triangles: shape-changing blocks)", "block removed (1 = first, in forward order)", "test error (%)"
	right.Title.Text, right.X.Label.Text, right.Y.Label.Text = "k random blocks removed (mean; bars: min to max)", "k (blocks removed)", "test error (%)"
	for _, p := range []*plot.Plot{left, right} {
		// Room above the curves for the legend: a collapsed network
		// sits near chance.
		p.Y.Min, p.Y.Max = 0, math.Max(1, ymax*1.3)
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
	}
	np, nr := 0, 0
	for _, n := range names {
		ns := series[n]
		plain := isPlain(n)
		var col = netColor(plain, nr)
		if plain {
			col = netColor(plain, np)
			np++
		} else {
			nr++
		}
		if len(ns.blocks) > 0 {
			l, pts, err := plotter.NewLinePoints(ns.blocks)
			if err != nil {
				return err
			}
			l.Color, l.Width, pts.Color, pts.Shape, pts.Radius = col, vg.Points(1.5), col, draw.CircleGlyph{}, vg.Points(2)
			left.Add(l, pts)
			left.Legend.Add(displayName(n), l)
			if len(ns.reshape) > 0 {
				tri, err := plotter.NewScatter(ns.reshape)
				if err != nil {
					return err
				}
				tri.Color, tri.Shape, tri.Radius = col, draw.TriangleGlyph{}, vg.Points(5)
				left.Add(tri)
			}
			if !math.IsNaN(ns.base) {
				b, err := plotter.NewLine(plotter.XYs{{X: 0.5, Y: ns.base}, {X: float64(len(ns.blocks)) + 0.5, Y: ns.base}})
				if err != nil {
					return err
				}
				b.Color, b.Dashes = col, dashed
				left.Add(b)
			}
		}
		if len(ns.k) > 0 {
			var ks []int
			for k := range ns.k {
				ks = append(ks, k)
			}
			slices.Sort(ks)
			var mean plotter.XYs
			var bars plotter.YErrors
			if !math.IsNaN(ns.base) {
				mean, bars = append(mean, plotter.XY{X: 0, Y: ns.base}), append(bars, struct{ Low, High float64 }{0, 0})
			}
			for _, k := range ks {
				v := ns.k[k]
				m, _ := meanStd(v)
				mean = append(mean, plotter.XY{X: float64(k), Y: m})
				bars = append(bars, struct{ Low, High float64 }{m - slices.Min(v), slices.Max(v) - m})
			}
			l, pts, err := plotter.NewLinePoints(mean)
			if err != nil {
				return err
			}
			l.Color, l.Width, pts.Color, pts.Shape, pts.Radius = col, vg.Points(1.5), col, draw.CircleGlyph{}, vg.Points(2)
			eb, err := plotter.NewYErrorBars(struct {
				plotter.XYer
				plotter.YErrorer
			}{mean, bars})
			if err != nil {
				return err
			}
			eb.Color = col
			right.Add(l, pts, eb)
			right.Legend.Add(displayName(n), l)
		}
	}
	return savePNG(pngPath, 6*vg.Inch, 4.2*vg.Inch, left, right)
}
