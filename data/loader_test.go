package data

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resnetgo/resnet/imageio"
)

// writeFolder writes classes×perClass images of w×h (PNG, or JPEG if
// jpg) under root and returns root.
func writeFolder(t testing.TB, root string, classes, perClass, w, h int, jpg bool) string {
	t.Helper()
	for c := range classes {
		dir := filepath.Join(root, fmt.Sprintf("class%02d", c))
		must(t, os.MkdirAll(dir, 0o755))
		for i := range perClass {
			m := image.NewNRGBA(image.Rect(0, 0, w+i%3, h+i%5))
			r := rand.New(rand.NewPCG(uint64(c), uint64(i)))
			for k := range m.Pix {
				m.Pix[k] = uint8(r.IntN(256))
				if k%4 == 3 {
					m.Pix[k] = 255
				}
			}
			name := filepath.Join(dir, fmt.Sprintf("img%03d", i))
			var err error
			if jpg {
				f, _ := os.Create(name + ".jpg")
				err = jpeg.Encode(f, m, &jpeg.Options{Quality: 90})
				f.Close()
			} else {
				f, _ := os.Create(name + ".png")
				err = png.Encode(f, m)
				f.Close()
			}
			must(t, err)
		}
	}
	return root
}

func collect(t *testing.T, l *Loader, epoch, start int) []*Batch {
	t.Helper()
	it, err := l.Epoch(context.Background(), epoch, start)
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
}

func sameBatches(a, b []*Batch) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Index != b[i].Index || !slices.Equal(a[i].Labels, b[i].Labels) || !slices.Equal(a[i].Indices, b[i].Indices) ||
			!slices.Equal(a[i].X.Shape, b[i].X.Shape) || !slices.Equal(a[i].X.Data, b[i].X.Data) {
			return false
		}
	}
	return true
}

func TestLoaderImageFolder(t *testing.T) {
	root := writeFolder(t, t.TempDir(), 3, 7, 20, 16, false)
	f, err := OpenImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	f.Transform = TrainTransform(12)
	l := &Loader{Dataset: f, BatchSize: 4, Shuffle: true, Seed: 42, Workers: 1}
	one := collect(t, l, 3, 0)
	l.Workers = 5
	five := collect(t, l, 3, 0)
	if !sameBatches(one, five) {
		t.Fatal("1 worker and 5 workers give different batches")
	}
	if len(one) != 6 || one[5].X.Shape[0] != 1 || !slices.Equal(one[0].X.Shape, []int{4, 3, 12, 12}) {
		t.Fatalf("%d batches, last %v", len(one), one[5].X.Shape)
	}
	// Every sample once, labels right.
	var seen []int
	for _, b := range one {
		for j, i := range b.Indices {
			seen = append(seen, i)
			if b.Labels[j] != f.Samples[i].Label {
				t.Fatalf("sample %d label %d, want %d", i, b.Labels[j], f.Samples[i].Label)
			}
		}
	}
	slices.Sort(seen)
	for i, v := range seen {
		if v != i {
			t.Fatalf("epoch visits %v", seen)
		}
	}
	// Resume from batch 2: the same batches as the tail of the epoch.
	if !sameBatches(collect(t, l, 3, 2), one[2:]) {
		t.Fatal("resumed epoch differs")
	}
	// Another epoch, another order and other crops.
	if other := collect(t, l, 4, 0); slices.Equal(other[0].Indices, one[0].Indices) && slices.Equal(other[0].X.Data, one[0].X.Data) {
		t.Fatal("epochs 3 and 4 are the same")
	}
	l.DropLast = true
	if n := len(collect(t, l, 3, 0)); n != 5 || l.NumBatches() != 5 {
		t.Fatalf("drop_last: %d batches", n)
	}
	l.Shuffle = false
	b := collect(t, l, 0, 0)
	if !slices.Equal(b[0].Indices, []int{0, 1, 2, 3}) {
		t.Fatalf("unshuffled first batch %v", b[0].Indices)
	}
}

func TestLoaderEvalMatchesImageio(t *testing.T) {
	root := writeFolder(t, t.TempDir(), 2, 3, 40, 30, true)
	f, err := OpenImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	ev := imageio.Transform{Resize: 20, Crop: 16, Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd, Filter: imageio.Bilinear}
	f.Transform = EvalTransform(ev)
	// The same steps without the fast path (two steps: Eval + a no-op flip).
	g := *f
	g.Transform.Steps = append(slices.Clone(f.Transform.Steps), RandomHorizontalFlip{P: 0})
	for i, s := range f.Samples {
		img, _, err := imageio.DecodeFile(s.Path, imageio.Options{})
		if err != nil {
			t.Fatal(err)
		}
		want, err := ev.Apply(img)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]float32, 3*16*16)
		slow := make([]float32, 3*16*16)
		if _, err := f.Get(i, rand.New(rand.NewPCG(1, 1)), got); err != nil {
			t.Fatal(err)
		}
		if _, err := g.Get(i, rand.New(rand.NewPCG(1, 1)), slow); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want.Data) || !slices.Equal(slow, want.Data) {
			t.Fatalf("sample %d differs from imageio's eval transform", i)
		}
	}
}

func TestLoaderSkipsCorrupt(t *testing.T) {
	root := writeFolder(t, t.TempDir(), 2, 5, 20, 16, false)
	bad := filepath.Join(root, "class01", "img002.png")
	must(t, os.WriteFile(bad, []byte("\x89PNG\r\n\x1a\nnot really"), 0o644))
	ppm := filepath.Join(root, "class00", "x.ppm") // listed, as torchvision lists it; not decodable here
	must(t, os.WriteFile(ppm, []byte("P6\n1 1\n255\n\x00\x00\x00"), 0o644))
	f, err := OpenImageFolder(root)
	if err != nil {
		t.Fatal(err)
	}
	f.Transform = TrainTransform(8)
	l := &Loader{Dataset: f, BatchSize: 4, Shuffle: true, Seed: 1, Workers: 3}
	bs := collect(t, l, 0, 0)
	n := 0
	for _, b := range bs {
		n += len(b.Labels)
		if b.X.Shape[0] != len(b.Labels) || len(b.X.Data) != len(b.Labels)*3*8*8 {
			t.Fatalf("batch %d: shape %v, %d labels", b.Index, b.X.Shape, len(b.Labels))
		}
	}
	if n != 9 || l.NumSkipped() != 2 {
		t.Fatalf("%d samples delivered, %d skipped", n, l.NumSkipped())
	}
	var names []string
	for _, s := range l.Skipped() {
		names = append(names, s.Name)
		if s.Err == nil || !strings.Contains(s.Error(), s.Name) {
			t.Errorf("skip %+v", s)
		}
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{ppm, bad}) && !slices.Equal(names, []string{bad, ppm}) {
		t.Fatalf("skipped %v", names)
	}
	// All of a batch failing: the batch is left out, the epoch goes on.
	for _, s := range f.Samples {
		if s.Label == 1 {
			must(t, os.Remove(s.Path))
		}
	}
	l.Shuffle, l.BatchSize = false, 5
	bs = collect(t, l, 1, 0)
	if len(bs) != 1 || bs[0].Index != 0 || l.NumSkipped() != 2+6 { // x.ppm and the 5 removed
		t.Fatalf("%d batches, %d skipped", len(bs), l.NumSkipped())
	}
	if !errors.Is(l.Skipped()[3].Err, os.ErrNotExist) {
		t.Errorf("missing file: %v", l.Skipped()[3].Err)
	}
}

// slow is a dataset whose samples take a while, to test cancellation.
type slow struct{ n int }

func (s slow) Len() int               { return s.n }
func (s slow) Shape() (int, int, int) { return 1, 2, 2 }
func (s slow) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	time.Sleep(2 * time.Millisecond)
	for k := range dst {
		dst[k] = float32(i)
	}
	return i % 3, nil
}

func TestLoaderCancel(t *testing.T) {
	before := runtime.NumGoroutine()
	ctx, cancel := context.WithCancel(context.Background())
	l := &Loader{Dataset: slow{1000}, BatchSize: 8, Workers: 4}
	it, err := l.Epoch(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	if _, err := it.Next(); !errors.Is(err, context.Canceled) {
		t.Fatalf("after cancel: %v", err)
	}
	it.Close()
	// Closing early without cancelling.
	it, _ = l.Epoch(context.Background(), 0, 0)
	b, err := it.Next()
	if err != nil || b.X.Data[8] != 2 {
		t.Fatalf("%v %v", b, err)
	}
	it.Close()
	it.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines left running (%d before)", n, before)
	}
}

func TestLoaderErrors(t *testing.T) {
	root := writeFolder(t, t.TempDir(), 1, 1, 4, 4, false)
	f, _ := OpenImageFolder(root)
	l := &Loader{Dataset: f}
	if _, err := l.Epoch(context.Background(), 0, 0); err == nil || !strings.Contains(err.Error(), "no fixed shape") {
		t.Errorf("no transform: %v", err)
	}
	f.Transform = TrainTransform(4)
	if _, err := l.Epoch(context.Background(), 0, 2); err == nil {
		t.Error("start past the end")
	}
	if _, err := OpenImageFolder(filepath.Join(root, "nope")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing root: %v", err)
	}
}

func TestMNISTDataset(t *testing.T) {
	dir := t.TempDir()
	writeMNIST(t, dir, "train", 10, 28, 28)
	m, err := LoadMNIST(dir, "train")
	if err != nil {
		t.Fatal(err)
	}
	x := make([]float32, 28*28)
	if l, err := m.Get(3, nil, x); err != nil || l != 3 || x[1] != float32(m.Images[3*784+1])/255 {
		t.Fatalf("plain: %v %v %v", l, err, x[1])
	}
	m.Channels = 3
	m.Transform = Transform{Steps: []Step{Pad{2}}, Mean: [3]float32{FashionMNISTMean}, Std: [3]float32{FashionMNISTStd}}
	if c, h, w := m.Shape(); c != 3 || h != 32 || w != 32 {
		t.Fatal(c, h, w)
	}
	x = make([]float32, 3*32*32)
	if _, err := m.Get(3, nil, x); err != nil {
		t.Fatal(err)
	}
	want := (float32(m.Images[3*784])/255 - float32(FashionMNISTMean)) / float32(FashionMNISTStd)
	zero := (0 - float32(FashionMNISTMean)) / float32(FashionMNISTStd)
	for c := range 3 {
		if x[c*1024] != zero || x[c*1024+2*32+2] != want {
			t.Fatalf("channel %d: %v %v, want %v %v", c, x[c*1024], x[c*1024+66], zero, want)
		}
	}
	m.Channels = 1
	m.Transform = CIFARTrainTransform(28, [3]float32{0.5}, [3]float32{0.5})
	l := &Loader{Dataset: m, BatchSize: 4, Shuffle: true, Seed: 7}
	bs := collect(t, l, 0, 0)
	if len(bs) != 3 || !slices.Equal(bs[0].X.Shape, []int{4, 1, 28, 28}) {
		t.Fatalf("%d batches %v", len(bs), bs[0].X.Shape)
	}
}

func TestSplit(t *testing.T) {
	tr, va := Split(100, 0.2, 5)
	tr2, va2 := Split(100, 0.2, 5)
	if len(va) != 20 || len(tr) != 80 || !slices.Equal(tr, tr2) || !slices.Equal(va, va2) {
		t.Fatal("split not reproducible or wrong sizes")
	}
	all := slices.Concat(tr, va)
	slices.Sort(all)
	for i, v := range all {
		if v != i {
			t.Fatal("split does not partition")
		}
	}
	if _, va3 := Split(100, 0.2, 6); slices.Equal(va, va3) {
		t.Error("seed ignored")
	}
	if tr, va := Split(0, 0.5, 1); len(tr)+len(va) != 0 {
		t.Error("empty")
	}
	trs, vas := SplitDataset(slow{10}, 0.3, 1)
	if trs.Len() != 7 || vas.Len() != 3 {
		t.Fatal(trs.Len(), vas.Len())
	}
	x := make([]float32, 4)
	if l, _ := vas.Get(0, nil, x); l != vas.Indices[0]%3 || vas.Name(0) != fmt.Sprintf("#%d", vas.Indices[0]) {
		t.Error("subset")
	}
}

func TestLoaderBatches(t *testing.T) {
	l := &Loader{Dataset: slow{10}, BatchSize: 3, Shuffle: true, Seed: 2}
	var got []*Batch
	for b, err := range l.Batches(context.Background(), 1, 0) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	if !sameBatches(got, collect(t, l, 1, 0)) || len(got) != 4 {
		t.Fatal("Batches differs from Epoch + Next")
	}
	for b, err := range l.Batches(context.Background(), 1, 0) {
		if err != nil || b.Index != 0 {
			t.Fatal(b, err)
		}
		break
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	n := 0
	for _, err := range l.Batches(ctx, 1, 0) {
		n++
		if !errors.Is(err, context.Canceled) {
			t.Fatal(err)
		}
	}
	if n != 1 {
		t.Fatalf("%d yields after cancellation", n)
	}
}

// fast is slow without the sleep.
type fast struct{ n int }

func (s fast) Len() int               { return s.n }
func (s fast) Shape() (int, int, int) { return 1, 1, 2 }
func (s fast) Get(i int, rng *rand.Rand, dst []float32) (int, error) {
	dst[0], dst[1] = float32(i), float32(rng.IntN(1000))
	if i%17 == 5 {
		return 0, errors.New("bad sample")
	}
	return i, nil
}

func TestLoaderShapes(t *testing.T) {
	var ref []*Batch
	for _, workers := range []int{1, 2, 8} {
		for _, prefetch := range []int{1, 2, 5} {
			l := &Loader{Dataset: fast{103}, BatchSize: 7, Shuffle: true, Seed: 9, Workers: workers, Prefetch: prefetch}
			got := collect(t, l, 2, 0)
			if ref == nil {
				ref = got
			} else if !sameBatches(got, ref) {
				t.Fatalf("workers %d prefetch %d: different batches", workers, prefetch)
			}
			n := 0
			for _, b := range got {
				n += len(b.Labels)
				for j, i := range b.Indices {
					if b.Labels[j] != i || b.X.Data[2*j] != float32(i) {
						t.Fatalf("batch %d slot %d: index %d label %d data %v", b.Index, j, i, b.Labels[j], b.X.Data[2*j])
					}
				}
			}
			if n+l.NumSkipped() != 103 || l.NumSkipped() != 6 {
				t.Fatalf("%d delivered, %d skipped", n, l.NumSkipped())
			}
		}
	}
}
