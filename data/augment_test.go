package data

import (
	"bytes"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/resnetgo/resnet/imageio"
)

func noise(w, h int, seed uint64) *imageio.RGB {
	m := imageio.NewRGB(w, h)
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range m.Pix {
		m.Pix[i] = uint8(r.IntN(256))
	}
	return m
}

// Properties of the boxes drawn with our generator: inside the image;
// either within the scale and ratio bounds (up to the rounding of w and h)
// or the central fallback.
func TestRandomResizedCropBoxes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	sizes := [][2]int{{500, 375}, {224, 224}, {32, 32}, {1, 1}, {3, 400}, {400, 3}, {1000, 7}, {7, 5}}
	for _, sz := range sizes {
		for _, c := range []RandomResizedCrop{
			NewRandomResizedCrop(224),
			{Size: 32, Scale: [2]float64{0.5, 1}, Ratio: [2]float64{0.5, 2}},
			{Size: 8, Scale: [2]float64{1, 1}, Ratio: [2]float64{1, 1}},
		} {
			w, h := sz[0], sz[1]
			fallback := 0
			for range 2000 {
				b := c.Params(w, h, rng)
				if b.W <= 0 || b.H <= 0 || b.X < 0 || b.Y < 0 || b.X+b.W > w || b.Y+b.H > h {
					t.Fatalf("%dx%d %+v: box %+v outside", w, h, c, b)
				}
				// The unrounded w and h are within half a pixel of the box's.
				A := float64(w * h)
				bw, bh := float64(b.W), float64(b.H)
				inBounds := (bw+0.5)*(bh+0.5) >= c.Scale[0]*A*(1-1e-6) && (bw-0.5)*(bh-0.5) <= c.Scale[1]*A*(1+1e-6) &&
					(bw+0.5)/max(bh-0.5, 1e-9) >= c.Ratio[0]*(1-1e-6) && (bw-0.5)/(bh+0.5) <= c.Ratio[1]*(1+1e-6)
				central := b.X == (w-b.W)/2 && b.Y == (h-b.H)/2 && (b.W == w || b.H == h)
				if !inBounds && !central {
					t.Fatalf("%dx%d %+v: box %+v", w, h, c, b)
				}
				if !inBounds {
					fallback++
				}
			}
			if c.Scale[0] < 1 && w*h >= 1000 && w >= h/2 && h >= w/2 && fallback > 10 {
				t.Errorf("%dx%d: %d fallbacks in 2000", w, h, fallback)
			}
		}
	}
}

func TestAugmentDeterministic(t *testing.T) {
	src := noise(60, 45, 3)
	tr := TrainTransform(24)
	a := tr.Augment(src, rand.New(rand.NewPCG(5, 6)))
	b := tr.Augment(src, rand.New(rand.NewPCG(5, 6)))
	if a.W != 24 || a.H != 24 || !bytes.Equal(a.Pix, b.Pix) {
		t.Fatal("same seed, different output")
	}
	c := tr.Augment(src, rand.New(rand.NewPCG(5, 7)))
	if bytes.Equal(a.Pix, c.Pix) {
		t.Fatal("different seeds, same output")
	}
	if !bytes.Equal(src.Pix, noise(60, 45, 3).Pix) {
		t.Fatal("input modified")
	}
}

func TestRandomHorizontalFlip(t *testing.T) {
	src := noise(5, 3, 1)
	flipped := FlipHorizontal(src)
	if !bytes.Equal(FlipHorizontal(flipped).Pix, src.Pix) {
		t.Fatal("flip twice is not the identity")
	}
	if !bytes.Equal(flipped.Pix[0:3], src.Pix[12:15]) {
		t.Fatal("first pixel is not the last one")
	}
	rng := rand.New(rand.NewPCG(1, 1))
	n := 0
	for range 4000 {
		if out := (RandomHorizontalFlip{P: 0.5}).Apply(src, rng); !bytes.Equal(out.Pix, src.Pix) {
			n++
		}
	}
	if n < 1800 || n > 2200 {
		t.Errorf("flipped %d of 4000", n)
	}
	for _, p := range []float64{0, 1} {
		out := RandomHorizontalFlip{P: p}.Apply(src, rng)
		if bytes.Equal(out.Pix, src.Pix) != (p == 0) {
			t.Errorf("P=%v", p)
		}
	}
}

func TestRandomCrop(t *testing.T) {
	src := noise(32, 32, 9)
	rng := rand.New(rand.NewPCG(1, 1))
	seen := map[[2]int]bool{}
	for range 1000 {
		out := RandomCrop{Size: 32, Padding: 4}.Apply(src, rng)
		// Find the offset: the source pixel (0,0) is at (4-j, 4-i) or off.
		found := false
		for dy := -4; dy <= 4 && !found; dy++ {
			for dx := -4; dx <= 4 && !found; dx++ {
				if bytes.Equal(out.Pix, Crop(src, dx, dy, 32, 32).Pix) {
					seen[[2]int{dx, dy}] = true
					found = true
				}
			}
		}
		if !found {
			t.Fatal("output is not a shifted crop of the padded image")
		}
	}
	if len(seen) != 81 {
		t.Errorf("%d of 81 offsets seen", len(seen))
	}
	// No padding, same size: the image itself, no draws.
	r1, r2 := rand.New(rand.NewPCG(3, 3)), rand.New(rand.NewPCG(3, 3))
	if out := (RandomCrop{Size: 32}).Apply(src, r1); !bytes.Equal(out.Pix, src.Pix) || r1.Uint64() != r2.Uint64() {
		t.Error("RandomCrop(32) of a 32x32 image")
	}
}

func TestCropPad(t *testing.T) {
	src := noise(4, 3, 2)
	p := Pad{N: 2}.Apply(src, nil)
	if p.W != 8 || p.H != 7 {
		t.Fatal(p.W, p.H)
	}
	if !bytes.Equal(Crop(p, 2, 2, 4, 3).Pix, src.Pix) {
		t.Error("crop of the pad is not the source")
	}
	for i := range 3 * 8 * 2 {
		if p.Pix[i] != 0 {
			t.Fatal("padding not zero")
		}
	}
	if out := Crop(src, 10, 10, 2, 2); !bytes.Equal(out.Pix, make([]byte, 12)) {
		t.Error("crop outside is not black")
	}
}

func TestTransformOutSize(t *testing.T) {
	for _, tc := range []struct {
		t    Transform
		w, h int
		ww   int
		wh   int
	}{
		{TrainTransform(224), -1, -1, 224, 224},
		{EvalTransform(imageio.ImageNetEval()), -1, -1, 224, 224},
		{Transform{Steps: []Step{Eval{Resize: 256}}}, -1, -1, -1, -1},
		{Transform{Steps: []Step{Eval{Resize: 32}}}, 64, 48, 42, 32},
		{Transform{Steps: []Step{Pad{2}}}, 28, 28, 32, 32},
		{Transform{Steps: []Step{Pad{2}}}, -1, -1, -1, -1},
		{Transform{Steps: []Step{Resize{W: 32, H: 16}}}, -1, -1, 32, 16},
		{CIFARTrainTransform(32, [3]float32{}, [3]float32{}), 32, 32, 32, 32},
		{Transform{}, 28, 28, 28, 28},
	} {
		if w, h := tc.t.OutSize(tc.w, tc.h); w != tc.ww || h != tc.wh {
			t.Errorf("%+v on %dx%d: %dx%d, want %dx%d", tc.t, tc.w, tc.h, w, h, tc.ww, tc.wh)
		}
	}
}

func TestExpf(t *testing.T) {
	// Within 1 ulp of the correctly rounded value everywhere we use it.
	r := rand.New(rand.NewPCG(1, 1))
	for range 100000 {
		x := float32(r.Float64()*4 - 2)
		got, want := expf(x), float32(math.Exp(float64(x)))
		if d := math.Float32bits(got) - math.Float32bits(want); d+1 > 2 {
			t.Fatalf("expf(%v) = %v, exp %v", x, got, want)
		}
	}
}
