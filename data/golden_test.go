package data

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/imageio"
)

// golden.json and src_40x30.png are written by testdata/gen/data_gen.py.
type golden struct {
	Folders []struct {
		Name    string
		Entries []string
		Classes []string
		Samples [][2]any
		Error   string
	}
	RRC []struct {
		W, H         int
		Scale, Ratio [2]float64
		Draws        [][]any
		Box          [4]int
	}
	Pixels struct {
		ResizedCrop []struct {
			Box    [4]int
			Size   int
			Filter string
			SHA    string
		} `json:"resized_crop"`
		RandomCrop []struct {
			Top, Left int
			SHA       string
		} `json:"random_crop"`
		HFlip      string
		Normalized string
		ToTensor   string `json:"to_tensor"`
	}
	Fashion *struct {
		Train, T10k struct {
			N           int
			ImagesSHA   string `json:"images_sha"`
			LabelsFirst []int  `json:"labels_first"`
			LabelCounts []int  `json:"label_counts"`
		}
		Mean, Std float64
	}
}

func loadGolden(t testing.TB) *golden {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "golden.json"))
	if err != nil {
		t.Fatal(err)
	}
	var g golden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return &g
}

// makeTree builds a tree from data_gen.py's entry list.
func makeTree(t testing.TB, root string, entries []string) {
	t.Helper()
	for _, e := range entries {
		kind, spec, _ := strings.Cut(e, ":")
		switch kind {
		case "f":
			p := filepath.Join(root, spec)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.WriteFile(p, nil, 0o644))
		case "d":
			must(t, os.MkdirAll(filepath.Join(root, spec), 0o755))
		case "l":
			name, target, _ := strings.Cut(spec, ">")
			p := filepath.Join(root, name)
			must(t, os.MkdirAll(filepath.Dir(p), 0o755))
			must(t, os.Symlink(target, p))
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestImageFolderTorchvision(t *testing.T) {
	for _, tc := range loadGolden(t).Folders {
		t.Run(tc.Name, func(t *testing.T) {
			root := t.TempDir()
			makeTree(t, root, tc.Entries)
			f, err := OpenImageFolder(root)
			if tc.Error != "" {
				if err == nil {
					t.Fatalf("no error; torchvision: %s", tc.Error)
				}
				// Same classes named as torchvision names them.
				want, _, _ := strings.Cut(tc.Error, ".")
				want = strings.ReplaceAll(want, "ROOT", root)
				if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(want)) {
					t.Fatalf("error %q\ntorchvision: %q", err, tc.Error)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(f.Classes, tc.Classes) {
				t.Errorf("classes %q, torchvision %q", f.Classes, tc.Classes)
			}
			var got, want []string
			for _, s := range f.Samples {
				rel, _ := filepath.Rel(root, s.Path)
				got = append(got, fmt.Sprintf("%s %d", rel, s.Label))
			}
			for _, s := range tc.Samples {
				want = append(want, fmt.Sprintf("%s %v", s[0], s[1]))
			}
			if !slices.Equal(got, want) {
				t.Errorf("samples\n%s\ntorchvision\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
			}
		})
	}
}

// fixtureDraws replays the draws torch made in one get_params call:
// ["log", lo, hi] (torch.log of the ratio bounds), ["u", v] (a scale draw),
// ["u", v, exp(v)] (a log-ratio draw and torch's float32 exp of it),
// ["i", n, v] (torch.randint(0, n) gave v).
type fixtureDraws struct {
	t      *testing.T
	draws  [][]any
	k      int
	lo, hi float64
}

func (d *fixtureDraws) next(kind string) []any {
	if d.k >= len(d.draws) {
		d.t.Fatalf("more draws than torch made (%d)", len(d.draws))
	}
	r := d.draws[d.k]
	d.k++
	if r[0] != kind {
		d.t.Fatalf("draw %d: kind %s, torch drew %v", d.k-1, kind, r[0])
	}
	return r
}

func (d *fixtureDraws) uniform(lo, hi float32) float32 {
	r := d.next("u")
	v := r[1].(float64)
	if len(r) == 3 {
		if float64(lo) != d.lo || float64(hi) != d.hi {
			d.t.Errorf("log-ratio bounds %v %v, torch %v %v", lo, hi, d.lo, d.hi)
		}
		if got := expf(float32(v)); float64(got) != r[2].(float64) {
			d.t.Errorf("exp(%v) = %v, torch %v", v, got, r[2])
		}
	}
	return float32(v)
}

func (d *fixtureDraws) intn(n int) int {
	r := d.next("i")
	if int(r[1].(float64)) != n {
		d.t.Fatalf("randint bound %d, torch %v", n, r[1])
	}
	return int(r[2].(float64))
}

func TestRandomResizedCropParamsTorchvision(t *testing.T) {
	cases := loadGolden(t).RRC
	if len(cases) < 100 {
		t.Fatalf("%d cases", len(cases))
	}
	for n, tc := range cases {
		fd := &fixtureDraws{t: t, draws: tc.Draws}
		log := fd.next("log")
		fd.lo, fd.hi = log[1].(float64), log[2].(float64)
		c := RandomResizedCrop{Size: 1, Scale: tc.Scale, Ratio: tc.Ratio}
		box := c.params(tc.W, tc.H, fd)
		if got := [4]int{box.X, box.Y, box.W, box.H}; got != tc.Box {
			t.Errorf("case %d (%dx%d scale %v ratio %v): box %v, torchvision %v", n, tc.W, tc.H, tc.Scale, tc.Ratio, got, tc.Box)
		}
		if fd.k != len(tc.Draws) {
			t.Errorf("case %d: used %d of torch's %d draws", n, fd.k, len(tc.Draws))
		}
	}
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func floatSHA(x []float32) string {
	b := make([]byte, 4*len(x))
	for i, v := range x {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
	}
	return sha(b)
}

func TestPixelsTorchvision(t *testing.T) {
	g := loadGolden(t).Pixels
	img, _, err := imageio.DecodeFile(filepath.Join("testdata", "src_40x30.png"), imageio.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := imageio.ToRGB(img)
	for _, tc := range g.ResizedCrop {
		f, err := imageio.ParseFilter(tc.Filter)
		if err != nil {
			t.Fatal(err)
		}
		b := tc.Box
		got := Crop(src, b[0], b[1], b[2], b[3]).Resize(tc.Size, tc.Size, f)
		if sha(got.Pix) != tc.SHA {
			t.Errorf("resized_crop %v → %d %s differs from torchvision", b, tc.Size, tc.Filter)
		}
	}
	for _, tc := range g.RandomCrop {
		got := Crop(src, tc.Left-4, tc.Top-4, 32, 32)
		if sha(got.Pix) != tc.SHA {
			t.Errorf("random crop at (%d, %d) differs from torchvision's pad(4) + crop", tc.Top, tc.Left)
		}
	}
	if sha(FlipHorizontal(src).Pix) != g.HFlip {
		t.Error("hflip differs from torchvision")
	}
	m := Crop(src, 5, 3, 17, 20).Resize(24, 24, imageio.Bilinear)
	x := make([]float32, 3*24*24)
	Transform{Mean: imageio.ImageNetMean, Std: imageio.ImageNetStd}.normalize(x, m, 3)
	if floatSHA(x) != g.Normalized {
		t.Error("ToTensor + Normalize differs from torchvision")
	}
	Transform{}.normalize(x, m, 3)
	if floatSHA(x) != g.ToTensor {
		t.Error("ToTensor differs from torchvision")
	}
}

func TestFashionMNISTDebian(t *testing.T) {
	g := loadGolden(t).Fashion
	dir, err := FashionMNISTDir()
	if err != nil || g == nil {
		t.Skipf("no Fashion-MNIST here or in the fixture: %v", err)
	}
	if testing.Short() {
		// Inflating the images takes seconds under -race: labels only.
		x, err := ReadIDXFile(filepath.Join(dir, "t10k-labels-idx1-ubyte.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if len(x.Data) != g.T10k.N || int(x.Data[0]) != g.T10k.LabelsFirst[0] {
			t.Fatalf("t10k labels %v", x.Dims)
		}
		return
	}
	for _, split := range []string{"train", "t10k"} {
		want := g.Train
		if split == "t10k" {
			want = g.T10k
		}
		m, err := LoadMNIST(dir, split)
		if err != nil {
			t.Fatal(err)
		}
		if m.N != want.N || m.Rows != 28 || m.Cols != 28 {
			t.Fatalf("%s: %d images of %dx%d", split, m.N, m.Cols, m.Rows)
		}
		if sha(m.Images) != want.ImagesSHA {
			t.Errorf("%s: images differ from numpy's", split)
		}
		counts := make([]int, 10)
		for _, l := range m.Labels {
			counts[l]++
		}
		if !slices.Equal(counts, want.LabelCounts) {
			t.Errorf("%s: label counts %v, want %v", split, counts, want.LabelCounts)
		}
		first := make([]int, 20)
		for i := range first {
			first[i] = int(m.Labels[i])
		}
		if !slices.Equal(first, want.LabelsFirst) {
			t.Errorf("%s: first labels %v, want %v", split, first, want.LabelsFirst)
		}
	}
	if math.Abs(g.Mean-FashionMNISTMean) > 1e-4 || math.Abs(g.Std-FashionMNISTStd) > 1e-4 {
		t.Errorf("constants %v %v, data %v %v", FashionMNISTMean, FashionMNISTStd, g.Mean, g.Std)
	}
}
