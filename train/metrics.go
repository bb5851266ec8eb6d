package train

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"github.com/resnetgo/resnet/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// WriteMetrics writes the per-epoch history as CSV and as JSON (an array
// of EpochStats), each atomically.
func WriteMetrics(csvPath, jsonPath string, h []EpochStats) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Write([]string{"epoch", "lr", "train_loss", "train_acc", "val_loss", "val_acc", "images", "seconds", "images_per_s", "skipped"})
	f := func(v float64) string {
		if math.IsNaN(v) {
			return ""
		}
		return strconv.FormatFloat(v, 'g', 8, 64)
	}
	for _, s := range h {
		w.Write([]string{strconv.Itoa(s.Epoch), f(s.LR), f(s.TrainLoss), f(s.TrainAcc), f(s.ValLoss), f(s.ValAcc),
			strconv.Itoa(s.Images), f(s.Seconds), f(s.ImagesPerSec), strconv.Itoa(s.Skipped)})
	}
	w.Flush()
	if err := atomicfile.WriteFile(csvPath, b.Bytes()); err != nil {
		return err
	}
	js, err := json.MarshalIndent(h, "", " ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(jsonPath, append(js, '\n'))
}

// PlotCurves draws loss and error (1 − accuracy) against epoch, training
// and validation, side by side, into a PNG.
func PlotCurves(path, title string, h []EpochStats) error {
	if len(h) == 0 {
		return fmt.Errorf("train: no epochs to plot")
	}
	mk := func(name string, get func(EpochStats) float64) (plotter.XYs, bool) {
		var xy plotter.XYs
		for _, s := range h {
			if v := get(s); !math.IsNaN(v) {
				xy = append(xy, plotter.XY{X: float64(s.Epoch), Y: v})
			}
		}
		return xy, len(xy) > 0
	}
	panel := func(t, y string, tr, va func(EpochStats) float64) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text, p.X.Label.Text, p.Y.Label.Text = t, "epoch", y
		p.Legend.Top = true
		for i, c := range []struct {
			name string
			get  func(EpochStats) float64
			col  color.Color
		}{{"train", tr, color.RGBA{31, 119, 180, 255}}, {"validation", va, color.RGBA{214, 39, 40, 255}}} {
			xy, ok := mk(c.name, c.get)
			if !ok {
				continue
			}
			l, pts, err := plotter.NewLinePoints(xy)
			if err != nil {
				return nil, err
			}
			l.Color, pts.Color = c.col, c.col
			pts.Shape = draw.CircleGlyph{}
			l.Dashes = [][]vg.Length{nil, {vg.Points(4), vg.Points(2)}}[i]
			p.Add(l, pts)
			p.Legend.Add(c.name, l)
		}
		return p, nil
	}
	loss, err := panel(title+": loss", "cross-entropy", func(s EpochStats) float64 { return s.TrainLoss }, func(s EpochStats) float64 { return s.ValLoss })
	if err != nil {
		return err
	}
	errp, err := panel(title+": error", "error (1 − accuracy)", func(s EpochStats) float64 { return 1 - s.TrainAcc }, func(s EpochStats) float64 { return 1 - s.ValAcc })
	if err != nil {
		return err
	}
	img := vgimgCanvas(loss, errp)
	return atomicfile.WriteFile(path, img)
}
