package experiments

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/resnetgo/resnet/train"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

var timingHeader = []string{"net", "iterations", "train_seconds", "train_cpu_seconds", "train_images", "images_per_s", "eval_seconds", "eval_cpu_seconds", "eval_images"}

// writeDegradationSummary gathers the progress of every network in dir
// into curves.csv, results.csv (finished networks), timing.csv,
// results.md and figure6.png.
func writeDegradationSummary(dir string) (*DegradationResult, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	states := map[string]netState{}
	var names []string
	for _, e := range entries {
		p := filepath.Join(dir, e.Name(), "checkpoint.pth")
		if !e.IsDir() || !exists(p) {
			continue
		}
		ck, err := train.LoadCheckpoint(p)
		if err != nil {
			return nil, err
		}
		st, err := stateOf(p, ck)
		if err != nil {
			return nil, err
		}
		states[e.Name()] = st
		names = append(names, e.Name())
	}
	res := &DegradationResult{Dir: dir}
	if len(names) == 0 {
		return res, nil
	}
	names = netOrder(names)
	var curves, results, timing [][]string
	for _, n := range names {
		st := states[n]
		for _, p := range st.Points {
			curves = append(curves, p.record())
		}
		timing = append(timing, []string{n, strconv.Itoa(st.Iter), fmtFloat(st.TrainSeconds), fmtFloat(st.TrainCPU), strconv.Itoa(st.TrainImages),
			fmtFloat(float64(st.TrainImages) / math.Max(st.TrainSeconds, 1e-9)), fmtFloat(st.EvalSeconds), fmtFloat(st.EvalCPU), strconv.Itoa(st.EvalImages)})
		if !st.Done {
			continue
		}
		c, err := Arch(n)
		if err != nil {
			return nil, err
		}
		r := NetResult{Net: n, Depth: c.Depth(), Shortcut: c.Shortcut.String(), Params: st.Params, Iterations: st.Iter,
			Epochs: float64(st.Iter) / float64(st.PerEpoch), TrainError: lastEpochTrainError(st), TestError: math.NaN()}
		for i := len(st.Points) - 1; i >= 0; i-- {
			if st.Points[i].Split == "test" {
				r.TestError, r.TestImages = st.Points[i].Error, st.Points[i].Images
				break
			}
		}
		res.Nets = append(res.Nets, r)
		results = append(results, []string{n, strconv.Itoa(r.Depth), r.Shortcut, strconv.Itoa(r.Params), strconv.Itoa(r.Iterations),
			fmtFloat(r.Epochs), fmtFloat(r.TrainError), fmtFloat(r.TestError), strconv.Itoa(r.TestImages)})
	}
	curvesPath := filepath.Join(dir, "curves.csv")
	if err := writeCSV(curvesPath, curvesHeader, curves); err != nil {
		return nil, err
	}
	if err := writeCSV(filepath.Join(dir, "results.csv"), resultsHeader, results); err != nil {
		return nil, err
	}
	if err := writeCSV(filepath.Join(dir, "timing.csv"), timingHeader, timing); err != nil {
		return nil, err
	}
	if err := PlotDegradation(curvesPath, filepath.Join(dir, "figure6.png")); err != nil {
		return nil, err
	}
	if err := writeSectionsFile(filepath.Join(dir, "results.md"), filepath.Dir(dir), "degradation"); err != nil {
		return nil, err
	}
	return res, nil
}

// lastEpochTrainError is the image-weighted mean of the training-error
// points that end within the last epoch.
func lastEpochTrainError(st netState) float64 {
	var wrong, n float64
	for _, p := range st.Points {
		if p.Split == "train" && p.Iteration > st.Iter-st.PerEpoch {
			wrong += p.Error * float64(p.Images)
			n += float64(p.Images)
		}
	}
	if n == 0 {
		return math.NaN()
	}
	return wrong / n
}

// PlotDegradation draws the paper's Figure 6 from a curves.csv written by
// RunDegradation: error against iteration, plain networks on the left and
// residual ones on the right, training error dashed and test error bold.
func PlotDegradation(curvesCSV, pngPath string) error {
	t, err := readCSV(curvesCSV, curvesHeader)
	if err != nil {
		return err
	}
	type series struct{ train, test plotter.XYs }
	byNet := map[string]*series{}
	var names []string
	ymax := 0.0
	for i, row := range t.rows {
		it, err := t.int(i, "iteration")
		if err != nil {
			return err
		}
		e, err := t.float(i, "error")
		if err != nil {
			return err
		}
		n := row["net"]
		s := byNet[n]
		if s == nil {
			s = &series{}
			byNet[n] = s
			names = append(names, n)
		}
		pt := plotter.XY{X: float64(it), Y: 100 * e}
		switch row["split"] {
		case "train":
			s.train = append(s.train, pt)
		case "test":
			s.test = append(s.test, pt)
		default:
			return fmt.Errorf("experiments: %s line %d: split %q (want train or test)", curvesCSV, i+2, row["split"])
		}
		ymax = math.Max(ymax, 100*e)
	}
	names = netOrder(names)
	panel := func(plain bool, title string) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = title, "iteration", "error (%)"
		p.Y.Min, p.Y.Max = 0, math.Min(100, math.Max(1, ymax*1.05))
		p.Legend.Top = true
		p.Add(plotter.NewGrid())
		k := 0
		for _, n := range names {
			if isPlain(n) != plain {
				continue
			}
			col := netColor(plain, k)
			k++
			s := byNet[n]
			if len(s.train) > 0 {
				l, err := plotter.NewLine(s.train)
				if err != nil {
					return nil, err
				}
				l.Color, l.Width, l.Dashes = col, vg.Points(1), dashed
				p.Add(l)
				p.Legend.Add(displayName(n)+" train", l)
			}
			if len(s.test) > 0 {
				l, pts, err := plotter.NewLinePoints(s.test)
				if err != nil {
					return nil, err
				}
				l.Color, l.Width = col, vg.Points(2.5)
				pts.Color, pts.Shape, pts.Radius = col, draw.CircleGlyph{}, vg.Points(2)
				p.Add(l, pts)
				p.Legend.Add(displayName(n)+" test", l)
			}
		}
		if k == 0 {
			p.Title.Text += " (none trained)"
		}
		return p, nil
	}
	left, err := panel(true, "plain networks")
	if err != nil {
		return err
	}
	right, err := panel(false, "residual networks")
	if err != nil {
		return err
	}
	// The same x range on both sides, as in the paper.
	xmax := 0.0
	for _, s := range byNet {
		for _, xy := range slices.Concat(s.train, s.test) {
			xmax = math.Max(xmax, xy.X)
		}
	}
	for _, p := range []*plot.Plot{left, right} {
		p.X.Min, p.X.Max = 0, math.Max(1, xmax)
	}
	return savePNG(pngPath, 6*vg.Inch, 4.2*vg.Inch, left, right)
}
