package classify

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"testing"

	"github.com/resnetgo/resnet/checkpoint"
	"github.com/resnetgo/resnet/imageio"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// twin returns the engine classifier and the reference one for the same
// random network (built twice: New spends the engine's copy).
func twin(t *testing.T, arch string, mo models.Options, o Options) (eng, ref *Classifier) {
	t.Helper()
	build := func() *models.ResNet {
		m, err := models.New(arch, mo)
		if err != nil {
			t.Fatal(err)
		}
		testnet.RandomBN(m, mo.Seed+1)
		return m
	}
	eng, err := New(build(), o)
	if err != nil {
		t.Fatal(err)
	}
	o.Reference = true
	if ref, err = New(build(), o); err != nil {
		t.Fatal(err)
	}
	return eng, ref
}

// sameTop5 checks that two rows of logits rank their top 5 alike, unless
// neighbours in the ranking are within tol of each other.
func sameTop5(got, want []float32, tol float64) error {
	g, w := TopK(Softmax(got), 5), TopK(Softmax(want), 5)
	for i := range w {
		if g[i] != w[i] && float64(abs32(want[g[i]]-want[w[i]])) > tol {
			return fmt.Errorf("top-5 %v, reference %v", g, w)
		}
	}
	return nil
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

// checkTwin runs x through both classifiers and compares logits and
// features within SPEC §6.
func checkTwin(t *testing.T, eng, ref *Classifier, x *tensor.Tensor) {
	t.Helper()
	ctx := context.Background()
	wantY, wantF, err := ref.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	gotY, gotF, err := eng.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.Compare(gotY, wantY, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Errorf("logits: %v", err)
	}
	if err := testutil.Compare(gotF, wantF, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Errorf("features: %v", err)
	}
	k := wantY.Shape[1]
	tol := testutil.RelTol*testutil.MaxAbs(wantY.Data) + testutil.AbsTol
	for i := 0; i < wantY.Shape[0]; i++ {
		if err := sameTop5(gotY.Data[i*k:(i+1)*k], wantY.Data[i*k:(i+1)*k], tol); err != nil {
			t.Errorf("image %d: %v", i, err)
		}
	}
}

// TestEngineMatchesReference: the engine classifier's logits and features
// equal the reference path's within SPEC §6, for batch sizes that are and
// are not multiples of MaxBatch or powers of two (the slicing path).
func TestEngineMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		arch      string
		inC, h, w int
		batches   []int
		short     bool
	}{
		{arch: "resnet20", inC: 3, h: 32, w: 32, batches: []int{1, 3, 11}, short: true},
		{arch: "resnet20b", inC: 3, h: 32, w: 32, batches: []int{2, 7}, short: true},
		{arch: "resnet20", inC: 1, h: 28, w: 28, batches: []int{1, 5}, short: true}, // the embedded model's shape
		{arch: "plain20", inC: 1, h: 28, w: 28, batches: []int{3}, short: true},
		{arch: "resnet18", inC: 3, h: 64, w: 64, batches: []int{1, 5}, short: true},
		{arch: "resnet50", inC: 3, h: 64, w: 48, batches: []int{3}},
		{arch: "resnext50_32x4d", inC: 3, h: 64, w: 64, batches: []int{2}},
		{arch: "resnet18", inC: 3, h: 224, w: 224, batches: []int{1}},
	} {
		if testing.Short() && !tc.short {
			continue
		}
		t.Run(fmt.Sprintf("%s/%dx%dx%d", tc.arch, tc.inC, tc.h, tc.w), func(t *testing.T) {
			eng, ref := twin(t, tc.arch, models.Options{Seed: 3, NumClasses: 10, InChannels: tc.inC}, Options{MaxBatch: 4})
			if eng.plan == nil || ref.plan != nil {
				t.Fatal("the engine classifier has no plan, or the reference one has")
			}
			for i, n := range tc.batches {
				checkTwin(t, eng, ref, testnet.RandomInput(n, tc.inC, tc.h, tc.w, uint64(10+i)))
			}
		})
	}
}

// TestEngineOneImageEqualsBatch: an image's logits do not depend on the
// batch it runs in, however the batch is sliced.
func TestEngineOneImageEqualsBatch(t *testing.T) {
	eng, _ := twin(t, "resnet20", models.Options{Seed: 5, NumClasses: 6}, Options{MaxBatch: 4})
	ctx := context.Background()
	x := testnet.RandomInput(7, 3, 32, 32, 3)
	all, err := eng.Logits(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	per := x.Len() / 7
	for i := 0; i < 7; i++ {
		xi, _ := tensor.FromData(x.Data[i*per:(i+1)*per], 1, 3, 32, 32)
		yi, err := eng.Logits(ctx, xi)
		if err != nil {
			t.Fatal(err)
		}
		if d := testutil.MaxDiff(yi.Data, all.Data[i*6:(i+1)*6]); d > 1e-5 {
			t.Errorf("image %d: alone and in the batch differ by %g", i, d)
		}
	}
}

// TestEngineConcurrent: many goroutines classify at once (run with -race).
func TestEngineConcurrent(t *testing.T) {
	eng, ref := twin(t, "resnet20", models.Options{Seed: 6, NumClasses: 4}, Options{})
	for _, c := range []*Classifier{eng, ref} {
		c.Transform = imageio.Transform{Resize: 32, Crop: 32, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	}
	img := image.NewRGBA(image.Rect(0, 0, 40, 32))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	want, err := ref.Classify(context.Background(), img, 4)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				var got []Prediction
				var err error
				if g%2 == 0 {
					got, err = eng.Classify(context.Background(), img, 4)
				} else {
					var b [][]Prediction
					b, err = eng.ClassifyImages(context.Background(), []image.Image{img, img, img}, 4)
					if err == nil {
						got = b[2]
					}
				}
				if err == nil && got[0].Index != want[0].Index {
					err = fmt.Errorf("top-1 %d, reference %d", got[0].Index, want[0].Index)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestEngineCancelledWhileWaiting: a caller waiting for the plan gives up
// when its context ends.
func TestEngineCancelledWhileWaiting(t *testing.T) {
	eng, _ := twin(t, "resnet20", models.Options{Seed: 1}, Options{})
	eng.sem <- struct{}{} // another forward pass is running
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := eng.Logits(ctx, testnet.RandomInput(1, 3, 32, 32, 1)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	<-eng.sem
	if _, err := eng.Logits(context.Background(), testnet.RandomInput(1, 3, 32, 32, 1)); err != nil {
		t.Fatal(err)
	}
}

// TestEngineSpentModel: a constructor's classifier keeps only the plan;
// its Model still describes the network, refuses to be run on the
// reference path, and a wrong input shape is an error, not a panic.
func TestEngineSpentModel(t *testing.T) {
	m, err := models.New("resnet20b", models.Options{Seed: 2, NumClasses: 5})
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Model.Conv1 != nil || c.Model.Config.NumClasses != 5 || c.Model.Config.Name != "resnet20b" {
		t.Fatalf("Model after compiling: conv1 %v, config %+v", c.Model.Conv1, c.Model.Config)
	}
	if err := c.SetLabels([]string{"a", "b", "c", "d", "e"}); err != nil {
		t.Fatal(err)
	}
	c.Options.Reference = true
	if _, err := c.Logits(context.Background(), testnet.RandomInput(1, 3, 32, 32, 1)); err == nil {
		t.Fatal("the reference path ran a spent model")
	}
	c.Options.Reference = false
	for _, x := range []*tensor.Tensor{tensor.New(1, 1, 32, 32), tensor.New(3, 32, 32), tensor.New(5, 3, 32, 32)} {
		_, err := c.Logits(context.Background(), x)
		if ok := x.Dims() == 4 && x.Shape[1] == 3; ok != (err == nil) {
			t.Errorf("input %v: err = %v", x.Shape, err)
		}
	}
}

// TestFromStateDictLeavesWeights: FromStateDict compiles a copy; the
// state dict it was given is not changed.
func TestFromStateDictLeavesWeights(t *testing.T) {
	m, err := models.New("resnet20b", models.Options{Seed: 4, NumClasses: 3})
	if err != nil {
		t.Fatal(err)
	}
	testnet.RandomBN(m, 9)
	sd := models.StateDict(m)
	before := map[string][]float32{}
	for _, k := range sd.Keys {
		before[k] = append([]float32(nil), sd.Tensors[k].F32...)
	}
	c, err := FromStateDict("resnet20b", sd)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range sd.Keys {
		if d := testutil.MaxDiff(before[k], sd.Tensors[k].F32); d != 0 {
			t.Errorf("%s changed by %g", k, d)
		}
	}
	ref := &Classifier{Model: m, Options: Options{Reference: true}}
	x := testnet.RandomInput(2, 3, 32, 32, 4)
	checkTwin(t, c, ref, x)
	// A literal classifier compiles a copy on first use and leaves Model runnable.
	lit := &Classifier{Model: m}
	checkTwin(t, lit, ref, x)
	if lit.plan == nil || lit.Model != m {
		t.Fatal("literal classifier: no plan, or Model replaced")
	}
	checkTwin(t, ref, &Classifier{Model: m, Options: Options{Reference: true}}, x)
}

// TestLoadFileEngineAndReference: LoadFile with and without the engine
// agree, and the engine's classifier is compiled when LoadFile returns.
func TestLoadFileEngineAndReference(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 8, NumClasses: 4, InChannels: 1})
	if err != nil {
		t.Fatal(err)
	}
	testnet.RandomBN(m, 2)
	sd := models.StateDict(m)
	sd.Metadata = map[string]string{"transform": `{"Resize":28,"Crop":28,"Mean":[0.5,0,0],"Std":[0.25,0,0],"Filter":"bilinear","Grayscale":true}`}
	path := t.TempDir() + "/gray.safetensors"
	if err := checkpoint.SaveSafetensors(path, sd); err != nil {
		t.Fatal(err)
	}
	eng, err := LoadFile(context.Background(), "resnet20", path)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := LoadFile(context.Background(), "resnet20", path, Options{Reference: true})
	if err != nil {
		t.Fatal(err)
	}
	if eng.plan == nil || !eng.hollow || ref.plan != nil || ref.Model.Conv1 == nil {
		t.Fatal("LoadFile did not compile, or compiled the reference classifier")
	}
	img := image.NewGray(image.Rect(0, 0, 30, 28))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 13)
	}
	img.Set(3, 3, color.Gray{255})
	x, err := eng.Preprocess(img)
	if err != nil {
		t.Fatal(err)
	}
	if x.Shape[0] != 1 || x.Shape[1] != 28 || x.Shape[2] != 28 {
		t.Fatalf("preprocessed to %v", x.Shape)
	}
	x, _ = x.Reshape(1, 1, 28, 28)
	checkTwin(t, eng, ref, x)
}

// TestWarm: after Warm, a batch of any size the engine runs in slices of
// (3 = 2 + 1 with MaxBatch 4) finds its buffers built and allocates only
// its results, where the same batch on a classifier not warmed allocates
// those buffers; the results are the same bit for bit. Warm does nothing
// on the reference path. (Under the race detector only the results are
// compared: it empties sync.Pools at random.)
func TestWarm(t *testing.T) {
	mo := models.Options{Seed: 5, NumClasses: 6}
	o := Options{MaxBatch: 4}
	cold, ref := twin(t, "resnet20", mo, o)
	warm, _ := twin(t, "resnet20", mo, o)
	for _, c := range []*Classifier{cold, warm, ref} {
		c.Transform.Resize, c.Transform.Crop = 32, 32
	}
	ctx := context.Background()
	if err := warm.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	if err := ref.Warm(ctx); err != nil {
		t.Fatal(err)
	}
	x := testnet.RandomInput(3, 3, 32, 32, 4)
	allocs := func(c *Classifier) (*tensor.Tensor, uint64) {
		defer debug.SetGCPercent(debug.SetGCPercent(-1))
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		y, err := c.Logits(ctx, x)
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatal(err)
		}
		return y, after.TotalAlloc - before.TotalAlloc
	}
	yc, bc := allocs(cold)
	yw, bw := allocs(warm)
	t.Logf("first batch of 3: %d bytes allocated cold, %d warmed", bc, bw)
	if bw*8 > bc && !raceEnabled {
		t.Errorf("the warmed classifier allocated %d bytes for its first batch, the cold one %d: want less than an eighth", bw, bc)
	}
	for i := range yc.Data {
		if math.Float32bits(yc.Data[i]) != math.Float32bits(yw.Data[i]) {
			t.Fatalf("logit %d: %g warmed, %g cold", i, yw.Data[i], yc.Data[i])
		}
	}
}

// TestHostileTransform: a checkpoint whose stored transform would crop
// 100000×100000 (40 GB of floats an image) is refused when it is loaded,
// with an error naming the file and the transform, rather than ending the
// process at the first image; likewise a .transform.json beside it, and
// the metadata of a state dict in memory (FromStateDict).
func TestHostileTransform(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 8, NumClasses: 4})
	if err != nil {
		t.Fatal(err)
	}
	const hostile = `{"Resize":0,"Crop":100000,"Mean":[0.5,0.5,0.5],"Std":[0.25,0.25,0.25]}`
	dir := t.TempDir()
	sd := models.StateDict(m)
	sd.Metadata = map[string]string{"transform": hostile}
	meta := dir + "/meta.safetensors"
	if err := checkpoint.SaveSafetensors(meta, sd); err != nil {
		t.Fatal(err)
	}
	sd.Metadata = nil
	side := dir + "/side.safetensors"
	if err := checkpoint.SaveSafetensors(side, sd); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(side+".transform.json", []byte(hostile), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{meta, side} {
		_, err := LoadFile(context.Background(), "resnet20", path)
		if !errors.Is(err, imageio.ErrTooLarge) || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "transform") {
			t.Errorf("%s: %v, want ErrTooLarge naming the file and its transform", path, err)
		}
	}
	sd.Metadata = map[string]string{"transform": hostile}
	if _, err := FromStateDict("resnet20", sd); !errors.Is(err, imageio.ErrTooLarge) || !strings.Contains(err.Error(), "metadata transform") {
		t.Errorf("FromStateDict: %v, want ErrTooLarge naming the metadata transform", err)
	}
}

// TestReadLabelsBounded: a labels path that is a device is read no
// further than maxSideFile and refused.
func TestReadLabelsBounded(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no /dev/zero")
	}
	if _, err := ReadLabels("/dev/zero"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Fatalf("ReadLabels(/dev/zero): %v", err)
	}
}
