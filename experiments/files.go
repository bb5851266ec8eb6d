package experiments

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"image/color"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/resnetgo/resnet/internal/atomicfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// writeCSV writes a header and rows atomically.
func writeCSV(path string, header []string, rows [][]string) error {
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	if err := w.Write(header); err != nil {
		return err
	}
	for _, r := range rows {
		if len(r) != len(header) {
			return fmt.Errorf("experiments: %s: a row of %d fields under a header of %d", path, len(r), len(header))
		}
		if err := w.Write(r); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b.Bytes())
}

// csvTable is a CSV file read back: its rows as maps by column name.
type csvTable struct {
	path string
	rows []map[string]string
}

// readCSV reads path, checking that its header is exactly header.
func readCSV(path string, header []string) (*csvTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = len(header)
	recs, err := r.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("experiments: %s: %w", path, err)
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("experiments: %s: empty (no header)", path)
	}
	if !slices.Equal(recs[0], header) {
		return nil, fmt.Errorf("experiments: %s: columns %s, want %s", path, strings.Join(recs[0], ","), strings.Join(header, ","))
	}
	t := &csvTable{path: path}
	for _, rec := range recs[1:] {
		m := make(map[string]string, len(header))
		for i, h := range header {
			m[h] = rec[i]
		}
		t.rows = append(t.rows, m)
	}
	return t, nil
}

// float parses column col of row i (line i+2 of the file).
func (t *csvTable) float(i int, col string) (float64, error) {
	v, err := strconv.ParseFloat(t.rows[i][col], 64)
	if err != nil {
		return 0, fmt.Errorf("experiments: %s line %d: %s %q is not a number", t.path, i+2, col, t.rows[i][col])
	}
	return v, nil
}

// int parses column col of row i.
func (t *csvTable) int(i int, col string) (int, error) {
	v, err := strconv.Atoi(t.rows[i][col])
	if err != nil {
		return 0, fmt.Errorf("experiments: %s line %d: %s %q is not an integer", t.path, i+2, col, t.rows[i][col])
	}
	return v, nil
}

// fmtFloat formats a measurement for CSV: 8 significant digits, which
// a float64 of float32 arithmetic does not need more of.
func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'g', 8, 64) }

// writeJSON writes v as indented JSON atomically.
func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.WriteFile(path, append(b, '\n'))
}

// readJSON reads path into v; a missing file is reported as fs.ErrNotExist.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("experiments: %s: %w", path, err)
	}
	return nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, fs.ErrNotExist)
}

// checkSettings compares the settings a directory was made with against
// this run's: resuming with different ones would mix two experiments.
func checkSettings(path string, want any, resume bool, what string) error {
	if !exists(path) {
		return writeJSON(path, want)
	}
	if !resume {
		return fmt.Errorf("experiments: %s already holds a %s run: pass --resume (Resume) to continue it, or choose another output directory", path, what)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var had, now map[string]any
	if err := json.Unmarshal(b, &had); err != nil {
		return fmt.Errorf("experiments: %s: %w", path, err)
	}
	wb, _ := json.Marshal(want)
	json.Unmarshal(wb, &now)
	var diff []string
	for k, v := range now {
		if fmt.Sprint(had[k]) != fmt.Sprint(v) {
			diff = append(diff, fmt.Sprintf("%s: %v then, %v now", k, had[k], v))
		}
	}
	for k := range had {
		if _, ok := now[k]; !ok {
			diff = append(diff, fmt.Sprintf("%s: %v then, unset now", k, had[k]))
		}
	}
	if len(diff) > 0 {
		slices.Sort(diff)
		return fmt.Errorf("experiments: cannot resume the %s run of %s with other settings (%s)", what, path, strings.Join(diff, "; "))
	}
	return nil
}

// Plot styling shared by the figures.
var (
	colorPlain    = []color.Color{color.RGBA{255, 127, 14, 255}, color.RGBA{214, 39, 40, 255}, color.RGBA{140, 86, 75, 255}, color.RGBA{227, 119, 194, 255}}
	colorResidual = []color.Color{color.RGBA{31, 119, 180, 255}, color.RGBA{44, 160, 44, 255}, color.RGBA{23, 190, 207, 255}, color.RGBA{148, 103, 189, 255}}
	dashed        = []vg.Length{vg.Points(5), vg.Points(3)}
)

// netColor gives the i-th plain or residual network its colour.
func netColor(plain bool, i int) color.Color {
	if plain {
		return colorPlain[i%len(colorPlain)]
	}
	return colorResidual[i%len(colorResidual)]
}

// savePNG renders plots side by side into a PNG, atomically.
func savePNG(path string, w, h vg.Length, plots ...*plot.Plot) error {
	c := vgimg.NewWith(vgimg.UseWH(w*vg.Length(len(plots)), h), vgimg.UseDPI(96))
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 6, PadY: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 4}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	var b bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&b); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, b.Bytes())
}

// meanStd returns the mean and sample standard deviation of v (0 for one value).
func meanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)-1))
}

// pct formats a fraction as a percentage with two decimals.
func pct(v float64) string {
	if math.IsNaN(v) {
		return "—"
	}
	return strconv.FormatFloat(100*v, 'f', 2, 64) + " %"
}
