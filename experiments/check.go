package experiments

import (
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Check verifies the outputs of the experiments found in dir (those with
// a config.json): every CSV file has its columns and numbers where numbers
// belong, errors lie in [0, 1], gradient norms are finite, every PNG
// decodes, every JSON file parses, and the summaries agree with the
// curves. It reports every problem at once. Experiments listed in require
// must be present.
func Check(dir string, require ...string) error {
	var problems []string
	bad := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	present := map[string]bool{}
	for _, sub := range []string{"degradation", "lesion", "gradflow"} {
		present[sub] = exists(filepath.Join(dir, sub, "config.json"))
	}
	for _, r := range require {
		if _, ok := present[r]; !ok {
			return fmt.Errorf("experiments: Check: no experiment %q (degradation, lesion or gradflow)", r)
		}
		if !present[r] {
			bad("%s: not run (no %s/config.json)", r, r)
		}
	}
	jsonOK := func(p string) {
		b, err := os.ReadFile(p)
		if err != nil {
			bad("%v", err)
			return
		}
		var v any
		if err := json.Unmarshal(b, &v); err != nil {
			bad("%s: %v", p, err)
		}
	}
	pngOK := func(p string) {
		f, err := os.Open(p)
		if err != nil {
			bad("%v", err)
			return
		}
		defer f.Close()
		img, err := png.Decode(f)
		if err != nil {
			bad("%s: %v", p, err)
			return
		}
		if b := img.Bounds(); b.Dx() < 100 || b.Dy() < 100 {
			bad("%s: only %dx%d pixels", p, b.Dx(), b.Dy())
		}
	}
	fileOK := func(p string) {
		if st, err := os.Stat(p); err != nil {
			bad("%v", err)
		} else if st.Size() == 0 {
			bad("%s: empty", p)
		}
	}
	// table reads a CSV and checks the numeric columns; fractions must be
	// in [0, 1] and positives > 0.
	table := func(p string, header []string, numeric, fractions, positive []string) *csvTable {
		t, err := readCSV(p, header)
		if err != nil {
			bad("%v", err)
			return nil
		}
		if len(t.rows) == 0 {
			bad("%s: no rows", p)
		}
		for i := range t.rows {
			for _, c := range numeric {
				v, err := t.float(i, c)
				switch {
				case err != nil:
					bad("%v", err)
				case math.IsNaN(v) || math.IsInf(v, 0):
					bad("%s line %d: %s is %v", p, i+2, c, v)
				case slices.Contains(fractions, c) && (v < 0 || v > 1):
					bad("%s line %d: %s %v outside [0, 1]", p, i+2, c, v)
				case slices.Contains(positive, c) && !(v > 0):
					bad("%s line %d: %s %v is not positive", p, i+2, c, v)
				}
			}
		}
		return t
	}
	if present["degradation"] {
		d := filepath.Join(dir, "degradation")
		jsonOK(filepath.Join(d, "config.json"))
		curves := table(filepath.Join(d, "curves.csv"), curvesHeader, []string{"iteration", "epoch", "error", "loss", "lr", "images"}, []string{"error"}, []string{"lr", "images"})
		results := table(filepath.Join(d, "results.csv"), resultsHeader, []string{"depth", "params", "iterations", "epochs", "train_error", "test_error", "test_images"}, []string{"train_error", "test_error"}, []string{"depth", "params", "iterations", "test_images"})
		table(filepath.Join(d, "timing.csv"), timingHeader, []string{"iterations", "train_seconds", "train_cpu_seconds", "train_images", "images_per_s", "eval_seconds", "eval_cpu_seconds", "eval_images"}, nil, nil)
		pngOK(filepath.Join(d, "figure6.png"))
		fileOK(filepath.Join(d, "results.md"))
		if curves != nil && results != nil {
			// Each finished network's final test error is its last test point.
			last := map[string]string{}
			for _, r := range curves.rows {
				if r["split"] != "train" && r["split"] != "test" {
					bad("%s: split %q", curves.path, r["split"])
				}
				if r["split"] == "test" {
					last[r["net"]] = r["error"]
				}
			}
			for _, r := range results.rows {
				if last[r["net"]] != r["test_error"] {
					bad("%s: %s test error %s, but its last test point in curves.csv is %q", results.path, r["net"], r["test_error"], last[r["net"]])
				}
			}
		}
	}
	if present["lesion"] {
		d := filepath.Join(dir, "lesion")
		jsonOK(filepath.Join(d, "config.json"))
		table(filepath.Join(d, "single.csv"), singleHeader, []string{"position", "test_error", "test_loss"}, []string{"test_error"}, nil)
		table(filepath.Join(d, "random.csv"), randomHeader, []string{"k", "draw", "test_error"}, []string{"test_error"}, nil)
		table(filepath.Join(d, "random_summary.csv"), randomSummaryHeader, []string{"k", "draws", "mean_error", "std_error", "min_error", "max_error"}, []string{"mean_error", "min_error", "max_error"}, []string{"k", "draws"})
		table(filepath.Join(d, "timing.csv"), lesionTimingHeader, []string{"evaluations", "seconds", "images", "images_per_s"}, nil, nil)
		pngOK(filepath.Join(d, "lesion.png"))
		fileOK(filepath.Join(d, "results.md"))
	}
	if present["gradflow"] {
		d := filepath.Join(dir, "gradflow")
		jsonOK(filepath.Join(d, "config.json"))
		table(filepath.Join(d, "gradflow.csv"), gradHeader, []string{"depth", "layer", "grad_norm", "grad_norm_std", "weight_norm"}, nil, []string{"depth", "layer", "grad_norm", "weight_norm"})
		table(filepath.Join(d, "timing.csv"), gradTimingHeader, []string{"batches", "images", "seconds"}, nil, nil)
		pngOK(filepath.Join(d, "gradflow.png"))
		if exists(filepath.Join(d, "blocks.csv")) { // runs before it was measured have none
			table(filepath.Join(d, "blocks.csv"), blocksHeader, []string{"depth", "block", "grad_norm", "grad_norm_std"}, nil, []string{"depth", "block", "grad_norm"})
			pngOK(filepath.Join(d, "blocks.png"))
		}
		fileOK(filepath.Join(d, "results.md"))
	}
	if !present["degradation"] && !present["lesion"] && !present["gradflow"] && len(require) == 0 {
		bad("no experiment outputs (degradation/, lesion/ or gradflow/ with a config.json)")
	}
	if len(problems) > 0 {
		return errors.New("experiments: " + dir + ":\n  " + strings.Join(problems, "\n  "))
	}
	return nil
}
