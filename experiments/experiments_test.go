package experiments

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/models"
)

// tiny is a synthetic problem small enough that a whole experiment on
// 8-layer networks takes well under a second.
func tiny(t testing.TB) *Data {
	d, err := Synthetic(96, 48, 8, 1, 4, 7)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func tinyDegradation(out string) DegradationConfig {
	return DegradationConfig{
		Common: Common{Out: out, Seed: 3, Workers: 2},
		Nets:   []string{"plain8", "resnet8"},
		Iters:  12, Batch: 16, LR: 0.1, Momentum: 0.9, WeightDecay: 1e-4,
		EvalSubset: 24, LogEvery: 2, EvalEvery: 4,
	}
}

func readFile(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestArch(t *testing.T) {
	for name, depth := range map[string]int{"resnet20": 20, "plain56": 56, "resnet110b": 110, "resnet8": 8, "plain14": 14, "resnet26b": 26} {
		c, err := Arch(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if c.Depth() != depth || c.Name != name || c.Family != "cifar" {
			t.Errorf("%s: depth %d name %s family %s", name, c.Depth(), c.Name, c.Family)
		}
	}
	for _, name := range []string{"resnet18", "resnet21", "plain20b", "plain2", "vgg16", ""} {
		if _, err := Arch(name); err == nil {
			t.Errorf("%q: no error", name)
		}
	}
	got := netOrder([]string{"resnet56", "plain56", "resnet20", "plain20"})
	if strings.Join(got, ",") != "plain20,plain56,resnet20,resnet56" {
		t.Errorf("netOrder: %v", got)
	}
}

func TestSubsetsNest(t *testing.T) {
	small, large := subsetIndices(1000, 10, 5), subsetIndices(1000, 100, 5)
	for _, i := range small {
		found := false
		for _, j := range large {
			found = found || i == j
		}
		if !found {
			t.Fatalf("index %d of the 10-subset is not in the 100-subset", i)
		}
	}
}

// The same seed gives the same CSV files; an interrupted run resumed
// gives the same files and weights as an uninterrupted one; a finished
// network is not trained again.
func TestDegradationDeterministicResumable(t *testing.T) {
	if testing.Short() {
		t.Skip("several runs; without -short only (the Example is the short end-to-end run)")
	}
	ctx := context.Background()
	d := tiny(t)
	root := t.TempDir()
	dirA, dirB, dirC := filepath.Join(root, "a"), filepath.Join(root, "b"), filepath.Join(root, "c")
	res, err := RunDegradation(ctx, d, tinyDegradation(dirA))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nets) != 2 || res.Nets[0].Net != "plain8" || res.Nets[1].Iterations != 12 {
		t.Fatalf("results %+v", res.Nets)
	}
	if _, err := RunDegradation(ctx, d, tinyDegradation(dirC)); err != nil {
		t.Fatal(err)
	}
	// Interrupt plain8 after 4 iterations (in the evaluation that
	// follows them), resume, interrupt resnet8 after 5 (between two
	// evaluations), resume again.
	var log bytes.Buffer
	for i, stop := range []struct {
		net  string
		iter int
	}{{"plain8", 4}, {"resnet8", 5}} {
		cctx, cancel := context.WithCancel(ctx)
		cb := tinyDegradation(dirB)
		cb.Resume = i > 0
		cb.onStep = func(net string, iter int) {
			if net == stop.net && iter == stop.iter {
				cancel()
			}
		}
		if _, err := RunDegradation(cctx, d, cb); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "--resume") {
			t.Fatalf("interrupted run %d: %v", i, err)
		}
		cancel()
		if exists(filepath.Join(dirB, "degradation", stop.net, "model.pth")) {
			t.Fatal("an interrupted network left final weights")
		}
	}
	cb := tinyDegradation(dirB)
	cb.Resume = true
	cb.Progress = &log
	if _, err := RunDegradation(ctx, d, cb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(log.String(), "plain8: finished earlier") || !strings.Contains(log.String(), "resnet8: resuming at iteration 5") {
		t.Errorf("resume log:\n%s", log.String())
	}
	for _, f := range []string{"curves.csv", "results.csv", "resnet8/model.pth", "plain8/model.pth", "config.json"} {
		a := readFile(t, filepath.Join(dirA, "degradation", f))
		if !bytes.Equal(a, readFile(t, filepath.Join(dirC, "degradation", f))) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
		if !bytes.Equal(a, readFile(t, filepath.Join(dirB, "degradation", f))) {
			t.Errorf("%s differs between an uninterrupted run and an interrupted, resumed one", f)
		}
	}
	// Without Resume an existing run is an error, not overwritten.
	if _, err := RunDegradation(ctx, d, tinyDegradation(dirA)); err == nil || !strings.Contains(err.Error(), "--resume") {
		t.Errorf("rerun without resume: %v", err)
	}
	// Resuming with other settings is refused and names the difference.
	other := tinyDegradation(dirA)
	other.Resume, other.Iters = true, 20
	if _, err := RunDegradation(ctx, d, other); err == nil || !strings.Contains(err.Error(), "iterations") {
		t.Errorf("resume with other settings: %v", err)
	}
	// Another seed gives other numbers.
	s := tinyDegradation(filepath.Join(root, "s"))
	s.Seed = 4
	if _, err := RunDegradation(ctx, d, s); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(readFile(t, filepath.Join(dirA, "degradation", "curves.csv")), readFile(t, filepath.Join(root, "s", "degradation", "curves.csv"))) {
		t.Error("seeds 3 and 4 gave the same curves")
	}
}

func TestDegradationCSV(t *testing.T) {
	dir := t.TempDir()
	c := tinyDegradation(dir)
	c.TestSubset = 40
	if _, err := RunDegradation(context.Background(), tiny(t), c); err != nil {
		t.Fatal(err)
	}
	tb, err := readCSV(filepath.Join(dir, "degradation", "curves.csv"), curvesHeader)
	if err != nil {
		t.Fatal(err)
	}
	// Per network: 6 training points (every 2 of 12 iterations), test
	// points after iterations 4 and 8 on 24 images and after 12 on 40.
	var train, test int
	for i, r := range tb.rows {
		if r["net"] != "resnet8" {
			continue
		}
		it, _ := tb.int(i, "iteration")
		n, _ := tb.int(i, "images")
		lr, _ := tb.float(i, "lr")
		switch r["split"] {
		case "train":
			train++
			if n != 32 {
				t.Errorf("training point at %d averages %d images, want 32", it, n)
			}
			// The rate is divided by 10 after iterations 6 and 9.
			want := map[bool]float64{true: 0.1, false: 0.01}[it <= 6]
			if it > 9 {
				want = 0.001
			}
			if diff := lr - want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("iteration %d: lr %g, want %g", it, lr, want)
			}
		case "test":
			test++
			if want := map[int]int{4: 24, 8: 24, 12: 40}[it]; n != want {
				t.Errorf("test point at %d on %d images, want %d", it, n, want)
			}
		}
	}
	if train != 6 || test != 3 {
		t.Errorf("%d training and %d test points, want 6 and 3", train, test)
	}
	if err := Check(dir, "degradation"); err != nil {
		t.Error(err)
	}
	if err := Check(dir, "lesion"); err == nil {
		t.Error("Check did not notice that lesion was not run")
	}
}

// A residual block whose branch outputs zero contributes nothing: removing
// it leaves the test error exactly as it was. Lesion resumes exactly.
func TestLesionKnownEffect(t *testing.T) {
	if testing.Short() {
		t.Skip("several runs; without -short only (the Example is the short end-to-end run)")
	}
	ctx := context.Background()
	d := tiny(t)
	root := t.TempDir()
	deg := tinyDegradation(root)
	deg.Nets = []string{"plain14", "resnet14"}
	if _, err := RunDegradation(ctx, d, deg); err != nil {
		t.Fatal(err)
	}
	// Zero the residual branch of layer1.1 of the trained resnet14.
	m, err := loadTrained(ctx, "resnet14", filepath.Join(root, "degradation", "resnet14", "model.pth"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := m.Block(models.BlockRef{Stage: 0, Index: 1})
	clear(b.BN2.Weight.Value.Data)
	clear(b.BN2.Bias.Value.Data)
	zeroed := filepath.Join(root, "zeroed.pth")
	if err := checkpoint.SavePTH(zeroed, models.StateDict(m)); err != nil {
		t.Fatal(err)
	}
	lc := LesionConfig{Common: Common{Out: root, Seed: 5}, Nets: []string{"plain14", "resnet14"}, Weights: map[string]string{"resnet14": zeroed}, MaxK: 3, Draws: 2}
	if err := RunLesion(ctx, d, lc); err != nil {
		t.Fatal(err)
	}
	by, names, err := readSingle(root)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(names, ",") != "plain14,resnet14" || len(by["resnet14"]) != 7 {
		t.Fatalf("single lesions: %v, %d rows for resnet14", names, len(by["resnet14"]))
	}
	r := by["resnet14"]
	if r[0].Block != "none" || r[2].Block != "layer1.1" || r[2].Error != r[0].Error {
		t.Errorf("removing a zero branch: %+v, intact %+v", r[2], r[0])
	}
	if !r[3].ChangesShape || r[1].ChangesShape {
		t.Errorf("layer2.0 should change the shape, layer1.0 not: %+v %+v", r[3], r[1])
	}
	rnd, _, maxK, err := readRandom(root)
	if err != nil {
		t.Fatal(err)
	}
	if maxK != 3 || rnd["plain14"][3].n != 2 {
		t.Errorf("random lesions: max k %d, %d draws at k=3", maxK, rnd["plain14"][3].n)
	}
	// The same blocks for both networks: random.csv lists them.
	tb, _ := readCSV(filepath.Join(root, "lesion", "random.csv"), randomHeader)
	half := len(tb.rows) / 2
	for i := 0; i < half; i++ {
		if tb.rows[i]["blocks"] != tb.rows[half+i]["blocks"] {
			t.Errorf("draw %d: %s for plain14, %s for resnet14", i, tb.rows[i]["blocks"], tb.rows[half+i]["blocks"])
		}
		if strings.Contains(tb.rows[i]["blocks"], "layer2.0") || strings.Contains(tb.rows[i]["blocks"], "layer3.0") {
			t.Errorf("random draw %q includes a shape-changing block", tb.rows[i]["blocks"])
		}
	}
	// Interrupted after 4 evaluations and resumed: the same files.
	other := filepath.Join(root, "other")
	if err := os.MkdirAll(filepath.Join(other, "degradation"), 0o755); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	n := 0
	lc2 := lc
	lc2.Out = other
	lc2.Weights = map[string]string{"resnet14": zeroed, "plain14": filepath.Join(root, "degradation", "plain14", "model.pth")}
	lc2.onEval = func(string) {
		if n++; n == 4 {
			cancel()
		}
	}
	if err := RunLesion(cctx, d, lc2); !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted lesion: %v", err)
	}
	lc2.onEval, lc2.Resume = nil, true
	if err := RunLesion(ctx, d, lc2); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"single.csv", "random.csv", "random_summary.csv"} {
		if !bytes.Equal(readFile(t, filepath.Join(root, "lesion", f)), readFile(t, filepath.Join(other, "lesion", f))) {
			t.Errorf("lesion/%s differs after an interruption", f)
		}
	}
	// Missing weights are reported before anything runs.
	if err := RunLesion(ctx, d, LesionConfig{Common: Common{Out: t.TempDir()}, Nets: []string{"resnet56"}}); err == nil || !strings.Contains(err.Error(), "no weights") {
		t.Errorf("missing weights: %v", err)
	}
}

func TestGradFlow(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	c := GradFlowConfig{Common: Common{Out: dir, Seed: 2}, Nets: []string{"plain8", "resnet8", "plain14", "resnet14b"}, Batches: 2, Batch: 8}
	if err := RunGradFlow(ctx, tiny(t), c); err != nil {
		t.Fatal(err)
	}
	by, names, err := readGradFlow(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		rows := by[n]
		if len(rows) != depthOf(n) {
			t.Errorf("%s: %d layers, want %d", n, len(rows), depthOf(n))
		}
		for i, r := range rows {
			if r.Layer != i+1 || !(r.GradNorm > 0) {
				t.Errorf("%s row %d: %+v", n, i, r)
			}
		}
		if rows[len(rows)-1].Name != "fc.weight" || rows[0].Name != "conv1.weight" {
			t.Errorf("%s: first %s, last %s", n, rows[0].Name, rows[len(rows)-1].Name)
		}
	}
	bt, err := readCSV(filepath.Join(dir, "gradflow", "blocks.csv"), blocksHeader)
	if err != nil {
		t.Fatal(err)
	}
	blocks := map[string]int{}
	for i, row := range bt.rows {
		g, err := bt.float(i, "grad_norm")
		if err != nil || !(g > 0) {
			t.Errorf("blocks.csv row %d: %v (%v)", i, row, err)
		}
		blocks[row["net"]]++
	}
	for _, n := range names {
		if want := (depthOf(n) - 2) / 2; blocks[n] != want {
			t.Errorf("blocks.csv: %s has %d blocks, want %d", n, blocks[n], want)
		}
	}
	before := readFile(t, filepath.Join(dir, "gradflow", "gradflow.csv"))
	c.Resume = true
	var log bytes.Buffer
	c.Progress = &log
	if err := RunGradFlow(ctx, tiny(t), c); err != nil {
		t.Fatal(err)
	}
	if strings.Count(log.String(), "measured earlier") != 4 || !bytes.Equal(before, readFile(t, filepath.Join(dir, "gradflow", "gradflow.csv"))) {
		t.Errorf("resume measured again or changed the CSV:\n%s", log.String())
	}
	if err := Check(dir, "gradflow"); err != nil {
		t.Error(err)
	}
}

// The whole pipeline on synthetic data: three experiments, Check, the
// report, a document's generated regions and the check that catches a
// stale one.
func TestEndToEndSynthetic(t *testing.T) {
	if testing.Short() {
		t.Skip("several runs; without -short only (the Example is the short end-to-end run)")
	}
	ctx := context.Background()
	d := tiny(t)
	dir := t.TempDir()
	deg := tinyDegradation(dir)
	deg.Nets = []string{"plain8", "plain14", "resnet8", "resnet14"}
	if _, err := RunDegradation(ctx, d, deg); err != nil {
		t.Fatal(err)
	}
	if err := RunLesion(ctx, d, LesionConfig{Common: Common{Out: dir, Seed: 1}, Nets: []string{"plain14", "resnet14"}, MaxK: 2, Draws: 2}); err != nil {
		t.Fatal(err)
	}
	if err := RunGradFlow(ctx, d, GradFlowConfig{Common: Common{Out: dir, Seed: 1}, Nets: []string{"plain8", "resnet8"}, Batches: 1, Batch: 8}); err != nil {
		t.Fatal(err)
	}
	if err := Check(dir, "degradation", "lesion", "gradflow"); err != nil {
		t.Fatal(err)
	}
	if err := WriteReport(dir); err != nil {
		t.Fatal(err)
	}
	rep := string(readFile(t, filepath.Join(dir, "REPORT.md")))
	for _, want := range []string{"| plain-14 |", "ResNet-14 − ResNet-8", "| layer2.0 (changes shape) |", "| 2 |", "Estimated time", "figure6.png", "first block's output", "blocks.png"} {
		if !strings.Contains(rep, want) {
			t.Errorf("REPORT.md lacks %q", want)
		}
	}
	for _, p := range []string{"degradation/figure6.png", "lesion/lesion.png", "gradflow/gradflow.png", "gradflow/blocks.png"} {
		f, err := os.Open(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 400 {
			t.Errorf("%s: %v", p, err)
		}
	}
	doc := filepath.Join(t.TempDir(), "README.md")
	text := "# Results\n\n<!-- generated:degradation-results -->\nold\n<!-- /generated:degradation-results -->\n\nprose\n\n<!-- generated:lesion-random -->\n<!-- /generated:lesion-random -->\n"
	if err := os.WriteFile(doc, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed, err := UpdateDoc(doc, dir, true); err != nil || !changed {
		t.Fatalf("check of a stale document: changed %v, %v", changed, err)
	}
	if changed, err := UpdateDoc(doc, dir, false); err != nil || !changed {
		t.Fatalf("update: changed %v, %v", changed, err)
	}
	if changed, err := UpdateDoc(doc, dir, true); err != nil || changed {
		t.Fatalf("check after update: changed %v, %v", changed, err)
	}
	got := string(readFile(t, doc))
	table, _ := Section(dir, "degradation-results")
	if !strings.Contains(got, table) || !strings.Contains(got, "prose") || strings.Contains(got, "old") {
		t.Errorf("updated document:\n%s", got)
	}
	// A region can name its own run directory, relative to the document.
	doc2 := filepath.Join(filepath.Dir(dir), "doc2.md")
	os.WriteFile(doc2, []byte("<!-- generated:gradflow-summary from "+filepath.Base(dir)+" -->\n<!-- /generated:gradflow-summary -->\n"), 0o644)
	if changed, err := UpdateDoc(doc2, t.TempDir(), false); err != nil || !changed {
		t.Fatalf("region from a named directory: changed %v, %v", changed, err)
	}
	if got := string(readFile(t, doc2)); !strings.Contains(got, "| plain-8 |") || !strings.Contains(got, "from "+filepath.Base(dir)+" -->") {
		t.Errorf("region from a named directory:\n%s", got)
	}
	// A number edited by hand is caught.
	os.WriteFile(doc, []byte(strings.Replace(got, "| plain-8 |", "| plain-8 (edited) |", 1)), 0o644)
	if changed, _ := UpdateDoc(doc, dir, true); !changed {
		t.Error("a hand-edited table passed the check")
	}
	for _, bad := range []string{"<!-- generated:nonsense -->\n<!-- /generated:nonsense -->\n", "no markers\n", "<!-- generated:estimate -->\n<!-- /generated:lesion-run -->\n"} {
		os.WriteFile(doc, []byte(bad), 0o644)
		if _, err := UpdateDoc(doc, dir, true); err == nil {
			t.Errorf("no error for document %q", bad)
		}
	}
	// Check notices a damaged file.
	curves := filepath.Join(dir, "degradation", "curves.csv")
	good := readFile(t, curves)
	os.WriteFile(curves, bytes.Replace(good, []byte("net,iteration"), []byte("net,iter"), 1), 0o644)
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("renamed column: %v", err)
	}
	os.WriteFile(curves, good, 0o644)
	os.WriteFile(filepath.Join(dir, "lesion", "lesion.png"), []byte("not a png"), 0o644)
	if err := Check(dir); err == nil || !strings.Contains(err.Error(), "lesion.png") {
		t.Errorf("broken PNG: %v", err)
	}
}

func TestPlotErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "c.csv")
	png := filepath.Join(dir, "f.png")
	for name, body := range map[string]string{
		"header":    "net,iteration\nplain20,1\n",
		"number":    strings.Join(curvesHeader, ",") + "\nplain20,x,1,train,0.5,1,0.1,128\n",
		"split":     strings.Join(curvesHeader, ",") + "\nplain20,1,1,validation,0.5,1,0.1,128\n",
		"fields":    strings.Join(curvesHeader, ",") + "\nplain20,1\n",
		"empty":     "",
		"no header": "plain20,1,1,train,0.5,1,0.1,128\n",
	} {
		os.WriteFile(p, []byte(body), 0o644)
		if err := PlotDegradation(p, png); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := PlotDegradation(filepath.Join(dir, "missing.csv"), png); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	os.WriteFile(p, []byte(strings.Join(curvesHeader, ",")+"\nplain20,10,1,train,0.5,1,0.1,128\nresnet20,10,1,test,0.25,1,0.1,100\n"), 0o644)
	if err := PlotDegradation(p, png); err != nil {
		t.Fatal(err)
	}
}

func TestConfigErrors(t *testing.T) {
	ctx := context.Background()
	d := tiny(t)
	for name, c := range map[string]DegradationConfig{
		"no out":       {Nets: []string{"resnet8"}, Iters: 1, Batch: 8},
		"no length":    {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet8"}, Batch: 8},
		"bad net":      {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet9"}, Iters: 1, Batch: 8},
		"big batch":    {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet8"}, Iters: 1, Batch: 1000},
		"negative":     {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet8"}, Iters: -1, Batch: 8},
		"negative lr":  {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet8"}, Iters: 1, Batch: 8, LR: -1},
		"imagenet net": {Common: Common{Out: t.TempDir()}, Nets: []string{"resnet50"}, Iters: 1, Batch: 8},
	} {
		if _, err := RunDegradation(ctx, d, c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
	if err := RunGradFlow(ctx, d, GradFlowConfig{Common: Common{Out: t.TempDir()}, Nets: []string{"resnet8"}, Batches: 100, Batch: 8}); err == nil {
		t.Error("gradflow: no error for more batches than the data has")
	}
	if _, err := Synthetic(0, 1, 8, 1, 2, 1); err == nil {
		t.Error("Synthetic with no training images: no error")
	}
}

// CIFAR-10's reader feeds the experiments: a tiny generated copy, three
// channels.
func TestCIFAR10Data(t *testing.T) {
	dir := t.TempDir()
	rec := func(n int) []byte {
		var b []byte
		for i := 0; i < n; i++ {
			b = append(b, byte(i%10))
			for k := 0; k < 3072; k++ {
				b = append(b, byte(i*k))
			}
		}
		return b
	}
	for i := 1; i <= 5; i++ {
		os.WriteFile(filepath.Join(dir, "data_batch_"+string(rune('0'+i))+".bin"), rec(4), 0o644)
	}
	os.WriteFile(filepath.Join(dir, "test_batch.bin"), rec(6), 0o644)
	d, err := CIFAR10(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.Channels != 3 || d.Train.Len() != 20 || d.Test.Len() != 6 {
		t.Fatalf("CIFAR-10: %d channels, %d/%d images", d.Channels, d.Train.Len(), d.Test.Len())
	}
	if c, h, w := d.Train.Shape(); c != 3 || h != 32 || w != 32 {
		t.Fatalf("training samples (%d, %d, %d)", c, h, w)
	}
	out := t.TempDir()
	if err := RunGradFlow(context.Background(), d, GradFlowConfig{Common: Common{Out: out}, Nets: []string{"resnet8"}, Batches: 1, Batch: 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := CIFAR10(t.TempDir()); err == nil {
		t.Error("an empty folder opened as CIFAR-10")
	}
}

// Fashion-MNIST, when installed: two iterations through the real data
// path (augmentation, normalisation, one channel).
func TestFashionMNIST(t *testing.T) {
	if testing.Short() {
		t.Skip("reads all 70,000 images; without -short only")
	}
	d, err := FashionMNIST()
	if err != nil {
		t.Skipf("Fashion-MNIST not installed (apt-get install dataset-fashion-mnist): %v", err)
	}
	if d.Train.Len() != 60000 || d.Test.Len() != 10000 || d.Channels != 1 {
		t.Fatalf("Fashion-MNIST: %d/%d images, %d channels", d.Train.Len(), d.Test.Len(), d.Channels)
	}
	c := DegradationConfig{Common: Common{Out: t.TempDir(), Seed: 1}, Nets: []string{"resnet8"}, Iters: 2, Batch: 16,
		TrainSubset: 64, EvalSubset: 32, TestSubset: 32, LogEvery: 1, EvalEvery: 1}
	res, err := RunDegradation(context.Background(), d, c)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Nets) != 1 || res.Nets[0].TestImages != 32 {
		t.Errorf("results %+v", res.Nets)
	}
}

// TestOutputsWellFormed checks, independently of Check, a run made by the
// command line (CI: RESNET_EXPERIMENTS_DIR=DIR after resnet experiment
// all --quick --out DIR): the CSV columns, the PNG files, the JSON files.
func TestOutputsWellFormed(t *testing.T) {
	dir := os.Getenv("RESNET_EXPERIMENTS_DIR")
	if dir == "" {
		t.Skip("RESNET_EXPERIMENTS_DIR not set (CI sets it after running the --quick preset)")
	}
	want := map[string]string{
		"degradation/curves.csv":        "net,iteration,epoch,split,error,loss,lr,images",
		"degradation/results.csv":       "net,depth,shortcut,params,iterations,epochs,train_error,test_error,test_images",
		"degradation/timing.csv":        "net,iterations,train_seconds,train_cpu_seconds,train_images,images_per_s,eval_seconds,eval_cpu_seconds,eval_images",
		"lesion/single.csv":             "net,position,block,changes_shape,test_error,test_loss",
		"lesion/random.csv":             "net,k,draw,blocks,test_error",
		"lesion/random_summary.csv":     "net,k,draws,mean_error,std_error,min_error,max_error",
		"gradflow/gradflow.csv":         "net,depth,shortcut,layer,name,grad_norm,grad_norm_std,weight_norm",
		"gradflow/blocks.csv":           "net,depth,shortcut,block,name,grad_norm,grad_norm_std",
		"degradation/results.md":        "",
		"lesion/results.md":             "",
		"gradflow/results.md":           "",
		"REPORT.md":                     "",
		"degradation/config.json":       "{",
		"lesion/config.json":            "{",
		"gradflow/config.json":          "{",
		"degradation/plain56/model.pth": "",
	}
	for f, header := range want {
		b := readFile(t, filepath.Join(dir, f))
		first, rest, _ := strings.Cut(string(b), "\n")
		switch {
		case strings.HasSuffix(f, ".csv"):
			if first != header || strings.Count(rest, "\n") < 1 {
				t.Errorf("%s: header %q and %d rows", f, first, strings.Count(rest, "\n"))
			}
		case strings.HasSuffix(f, ".json"):
			if !strings.HasPrefix(first, header) || !json.Valid(b) {
				t.Errorf("%s is not a JSON object", f)
			}
		default:
			if len(b) == 0 {
				t.Errorf("%s is empty", f)
			}
		}
	}
	for _, p := range []string{"degradation/figure6.png", "lesion/lesion.png", "gradflow/gradflow.png", "gradflow/blocks.png"} {
		f, err := os.Open(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			t.Errorf("%s: %v", p, err)
		} else if b := img.Bounds(); b.Dx() < 500 || b.Dy() < 300 {
			t.Errorf("%s: %dx%d", p, b.Dx(), b.Dy())
		}
	}
	if err := Check(dir, "degradation", "lesion", "gradflow"); err != nil {
		t.Error(err)
	}
}
