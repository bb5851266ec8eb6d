package engine

import (
	"context"
	"flag"
	"fmt"
	"math"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/tensor"
)

// TestPointwiseBF16 runs 1×1 layers compiled with Options.BF16 (and, for
// the bottleneck's fused shortcut, a second one summed into the same
// tiles) against float64 sums of the bfloat16-rounded folded weights and
// inputs: the products are exact, so the bound is float32 accumulation,
// (2·⌈K/2⌉ + 4)·2⁻²⁴ × the sum of the terms' magnitudes (as
// kernels.TestSgemmBF16). With the AVX512-BF16 kernels where the CPU has
// them, else the portable ones.
func TestPointwiseBF16(t *testing.T) {
	for _, tc := range pointwiseCases {
		for _, withAcc := range []bool{false, true} {
			if withAcc && tc.stride != 1 {
				continue // the engine sums a shortcut into stride-1 layers only (bufSub holds its input)
			}
			t.Run(fmt.Sprintf("%v/acc=%v", tc, withAcc), func(t *testing.T) { checkLayerBF16(t, tc, withAcc) })
		}
	}
}

// checkLayerBF16 runs tc's layer compiled with Options.BF16 (and, with
// withAcc, a projection shortcut summed into its tiles) against float64
// sums of the bfloat16-rounded folded weights and inputs.
func checkLayerBF16(t *testing.T, tc convCase, withAcc bool) {
	c, bn := nnConv(tc), nnBN(tc.outC)
	cv, err := newConv(c, bn, Options{BF16: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newConv(c, bn, Options{})             // the float32 folding, to round here
	if cv.wb == nil || (cv.w != nil) != cv.winoOK { // Winograd's weights are made from w
		t.Fatalf("BF16 layer compiled with wb=%v w=%v", cv.wb != nil, cv.w != nil)
	}
	oh, ow := cv.outSize(tc.h, tc.w)
	x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 7).Data
	var acc *accum
	var accRef *conv
	var atc convCase
	bias := cv.bias
	if withAcc {
		acc, accRef, atc, bias = withShortcut(t, tc, cv, oh, ow, Options{BF16: true}, func(n, c, h, w int, seed uint64) []float32 {
			return testnet.RandomInput(n, c, h, w, seed).Data
		})
	}
	var res []float32
	if tc.res {
		res = testnet.RandomInput(tc.n, tc.outC, oh, ow, 9).Data
	}
	out := runLayer(t, cv, tc, x, res, bias, acc).Data
	// sum adds layer r's products at output (img, o, oy, ox): its group's
	// input channels and taps, 0 in the padding.
	round := func(v []float32) []float64 {
		r := make([]float64, len(v))
		for i, x := range v {
			r[i] = float64(kernels.BF16Value(x))
		}
		return r
	}
	rounded := map[*conv][2][]float64{ref: {round(ref.w), round(x)}}
	if withAcc {
		rounded[accRef] = [2][]float64{round(accRef.w), round(acc.x)}
	}
	sum := func(r *conv, _ []float32, h, w, img, o, oy, ox int) (s, mag float64) {
		rw, rx := rounded[r][0], rounded[r][1]
		icg := r.inC / r.groups
		g := o / (r.outC / r.groups)
		for ci := 0; ci < icg; ci++ {
			ch := g*icg + ci
			for ki := 0; ki < r.kh; ki++ {
				for kj := 0; kj < r.kw; kj++ {
					y, xx := oy*r.stride+ki-r.pad, ox*r.stride+kj-r.pad
					if y < 0 || y >= h || xx < 0 || xx >= w {
						continue
					}
					v := rw[o*r.lda+(ci*r.kh+ki)*r.kw+kj] * rx[((img*r.inC+ch)*h+y)*w+xx]
					s += v
					mag += math.Abs(v)
				}
			}
		}
		return s, mag
	}
	k := tc.inC / tc.groups * tc.k * tc.k // products summed per output
	if withAcc {
		k += atc.inC
	}
	checkOutputs(t, tc, out, oh, ow, res, bias, func(img, o, oy, ox int) (float64, float64) {
		want, mag := sum(ref, x, tc.h, tc.w, img, o, oy, ox)
		if withAcc {
			s, m := sum(accRef, acc.x, atc.h, atc.w, img, o, oy, ox)
			want, mag = want+s, mag+m
		}
		return want, mag
	}, func(mag float64) float64 { return float64(k+4) * math.Pow(2, -24) * mag })
}

// withShortcut makes the projection shortcut the layer tests sum into a
// 1×1 layer's tiles (the engine's bottleneck conv3): a stride-2 1×1 layer
// of 24 channels compiled with o, on a map twice the output's oh×ow made
// by input (seed 8). It returns the accum, the shortcut's float32 folding,
// its case, and the bias of both layers summed.
func withShortcut(t *testing.T, tc convCase, cv *conv, oh, ow int, o Options, input func(n, c, h, w int, seed uint64) []float32) (*accum, *conv, convCase, []float32) {
	t.Helper()
	atc := convCase{24, tc.outC, 1, 2, 0, 1, tc.n, 2 * oh, 2 * ow, false, false}
	ac, abn := nnConv(atc), nnBN(tc.outC)
	acv, err := newConv(ac, abn, o)
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newConv(ac, abn, Options{})
	ax := input(tc.n, atc.inC, atc.h, atc.w, 8)
	bias := make([]float32, tc.outC)
	for i := range bias {
		bias[i] = cv.bias[i] + acv.bias[i]
	}
	return &accum{c: acv, x: ax, h: atc.h, w: atc.w}, ref, atc, bias
}

// checkOutputs compares out, tc's layer (oh×ow outputs) run with bias,
// res and its ReLU, with sum(img, o, oy, ox) — the products' value and
// the sum of their magnitudes — plus that epilogue in float64, within
// tol of the magnitudes (the bias's and residual's included): every
// output, or one in checkEvery() of them.
func checkOutputs(t *testing.T, tc convCase, out []float32, oh, ow int, res, bias []float32, sum func(img, o, oy, ox int) (float64, float64), tol func(mag float64) float64) {
	t.Helper()
	plane := oh * ow
	every := uint64(checkEvery())
	for img := 0; img < tc.n; img++ {
		for o := 0; o < tc.outC; o++ {
			for p := 0; p < plane; p++ {
				at := (img*tc.outC+o)*plane + p
				if every > 1 && (uint64(at)*0x9E3779B97F4A7C15>>32)%every != 0 {
					continue
				}
				want, mag := sum(img, o, p/ow, p%ow)
				want += float64(bias[o])
				mag += math.Abs(float64(bias[o]))
				if res != nil {
					want += float64(res[at])
					mag += math.Abs(float64(res[at]))
				}
				if tc.relu {
					want = max(want, 0)
				}
				if d, tl := math.Abs(float64(out[at])-want), tol(mag); d > tl {
					t.Fatalf("output (%d, %d, %d) = %v, want %v (±%.3g)", img, o, p, out[at], want, tl)
				}
			}
		}
	}
}

// checkEvery is how many of a layer test's outputs checkOutputs checks
// one of: -engine.check-every, else 8 under the race detector, else 1.
// The float64 sums are serial test code, most of these tests' time under
// the detector (whose subject, the layer's threads, runs in full either
// way) and under emulation (CI's arm64 run passes 8); go test ./... checks
// every output. Which outputs is Fibonacci hashing of their index: about
// one in n of each row, column and channel, not a period a layer's tiling
// could share.
func checkEvery() int {
	if *checkEveryFlag > 0 {
		return *checkEveryFlag
	}
	if raceEnabled {
		return 8
	}
	return 1
}

var checkEveryFlag = flag.Int("engine.check-every", 0, "check one output in `n` in the layer tests (0: all, or 8 under -race)")

// runLayer runs cv alone on x (tc's shape) in a workspace of its own, with
// the epilogue, and returns a copy of its output.
func runLayer(t *testing.T, cv *conv, tc convCase, x, res, bias []float32, acc *accum) *tensor.Tensor {
	t.Helper()
	ws := sizedWorkspace(t, tc.n, tc.h, tc.w, kernels.Threads(), func(ws *workspace) error {
		_, _, _, err := ws.conv(cv, nil, bufT1, tc.h, tc.w, res, bias, acc, tc.relu)
		return err
	})
	defer ws.team.close()
	out, oh, ow, err := ws.conv(cv, x, bufT1, tc.h, tc.w, res, bias, acc, tc.relu)
	if err != nil {
		t.Fatal(err)
	}
	return &tensor.Tensor{Shape: []int{tc.n, cv.outC, oh, ow}, Data: append([]float32(nil), out...)}
}

// TestDirectBF16 is TestPointwiseBF16 for the implicit-GEMM convolutions:
// the stem, stride 2, small maps, groups (one channel each, ResNeXt's
// 4 and 8), odd K.
func TestDirectBF16(t *testing.T) {
	for _, tc := range directCases {
		t.Run(tc.String(), func(t *testing.T) { checkLayerBF16(t, tc, false) })
	}
}

// TestWinogradBF16 runs 3×3 layers with Options.BF16 through both
// Winograd forms against the float32 path with the same operands rounded
// to bfloat16 (its transformed weights and inputs): the same sums in
// another order, so within SPEC §6.
func TestWinogradBF16(t *testing.T) {
	defer func(v int) { minWinogradTiles = v }(minWinogradTiles)
	minWinogradTiles = 1
	defer func() { winoForce, winoRoundV = 0, false }()
	for _, form := range []int{2, 4} {
		winoForce = form
		for _, tc := range []convCase{
			{64, 64, 3, 1, 1, 1, 1, 56, 56, false, true},
			{64, 96, 3, 1, 1, 1, 3, 13, 7, true, true},
			{128, 64, 3, 1, 1, 1, 2, 2, 2, true, false},
			{256, 256, 3, 1, 1, 1, 8, 7, 7, true, true},
			{65, 72, 3, 1, 1, 1, 1, 17, 9, false, true}, // odd InC
		} {
			t.Run(fmt.Sprintf("F%d/%v", form, tc), func(t *testing.T) {
				c, bn := nnConv(tc), nnBN(tc.outC)
				cv, err := newConv(c, bn, Options{BF16: true})
				if err != nil {
					t.Fatal(err)
				}
				ref, _ := newConv(c, bn, Options{})
				f, i := wino2, 0
				if form == 4 {
					f, i = wino4, 1
				}
				u := winogradWeights(nil, f, ref.w, ref.lda, ref.outC, ref.inC)
				for j, v := range u {
					u[j] = kernels.BF16Value(v)
				}
				ref.wino[i].once.Do(func() { ref.wino[i].u = u })
				ref.winoT[i].once.Do(func() { ref.winoT[i].u = winoPanelsT(u, f.alpha*f.alpha, ref.outC, ref.inC) })
				x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 5).Data
				var res []float32
				if tc.res {
					res = testnet.RandomInput(tc.n, tc.outC, tc.h, tc.w, 6).Data
				}
				got := runLayer(t, cv, tc, x, res, nil, nil)
				winoRoundV = true
				want := runLayer(t, ref, tc, x, res, nil, nil)
				winoRoundV = false
				if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
					t.Error(err)
				}
			})
		}
	}
}

// TestPlanBF16 compiles whole networks with Options.BF16 and checks the
// logits against the float32 plan's. There is no tight bound here (how
// rounding errors grow through 50 layers depends on the weights), so this
// is a sanity check, that wiring mistakes would fail: relative L2 error
// of the logits under L·2⁻⁸ for L rounded layers (each rounding is within
// 2⁻⁹ relative, two per layer, added to first order), and the same top-1.
// TestPointwiseBF16 is the exact check of each layer. A plan compiled
// InPlace (its pairs packed over the model's weights, its small maps
// computed as columns rather than transposed) must give the same logits
// bit for bit.
func TestPlanBF16(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50", "resnet20", "resnet20b", "plain20", "resnext50_32x4d"} {
		if testing.Short() && (arch == "resnet50" || arch == "resnext50_32x4d") {
			continue
		}
		checkPlanMode(t, arch, Options{BF16: true}, func(c *conv) bool { return c.wb != nil },
			func(layers int) float64 { return float64(layers) / 256 })
	}
}

// checkPlanMode compiles arch (seed 3) in float32 and with opts, and
// checks the logits on two random inputs (96×96, and 28×28 for the
// ImageNet nets): relative L2 error within bound(L) for the L convolutions
// the mode covers (those for which covered is true; at least one), the
// same top-1, and the same logits bit for bit from a plan compiled InPlace
// with opts.
func checkPlanMode(t *testing.T, arch string, opts Options, covered func(*conv) bool, bound func(layers int) float64) {
	t.Helper()
	m, err := models.New(arch, models.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	p32, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pm, err := Compile(m, opts)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Int8 && (pm.stem.wq == nil || pm.stem.corr == nil) {
		t.Fatalf("%s: the stem not compiled for Int8 with a signed input", arch)
	}
	layers := 0
	for _, b := range pm.blocks {
		for _, c := range []*conv{b.conv1, b.conv2, b.conv3, b.down} {
			if c != nil && covered(c) {
				layers++
			}
		}
	}
	if layers == 0 {
		t.Fatalf("%s %+v: no layer compiled for the mode", arch, opts)
	}
	// 96×96, and for the ImageNet nets 28×28 too: a 14×14 stem, which
	// BF16 computes transposed and pools apart from its tiles.
	sizes := []int{96, 28}
	if c, _ := models.Lookup(arch); c.InputSize < 64 {
		sizes = []int{c.InputSize} // the CIFAR nets: 32×32
	}
	// InPlace packs over the model's own weights: the same operands, so
	// the same logits.
	m2, err := models.New(arch, models.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	inOpts := opts
	inOpts.InPlace = true
	pIn, err := Compile(m2, inOpts)
	if err != nil {
		t.Fatal(err)
	}
	for _, size := range sizes {
		x := testnet.RandomInput(2, m.Config.InChannels, size, size, 4)
		want, err := p32.Forward(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pm.Forward(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		var d2, n2 float64
		for i, v := range want.Data {
			d := float64(got.Data[i] - v)
			d2 += d * d
			n2 += float64(v) * float64(v)
		}
		rel, b := math.Sqrt(d2/n2), bound(layers)
		t.Logf("%s %+v %d×%d: %d layers, relative logit error %.2g (bound %.2g)", arch, opts, size, size, layers, rel, b)
		if rel > b {
			t.Errorf("%s %+v %d×%d: relative logit error %.3g > %.3g", arch, opts, size, size, rel, b)
		}
		in, err := pIn.Forward(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range got.Data {
			if in.Data[i] != v {
				t.Fatalf("%s %d×%d: logit %d is %v compiled InPlace, %v not", arch, size, size, i, in.Data[i], v)
			}
		}
		classes := want.Shape[1]
		for img := 0; img < 2; img++ {
			if a, b := argmax(want.Data[img*classes:(img+1)*classes]), argmax(got.Data[img*classes:(img+1)*classes]); a != b {
				t.Errorf("%s %+v %d×%d image %d: top-1 %d, %d in float32", arch, opts, size, size, img, b, a)
			}
		}
	}
}

func argmax(v []float32) int {
	best := 0
	for i, x := range v {
		if x > v[best] {
			best = i
		}
	}
	return best
}

// pointwiseCases are the 1×1 layers the precision modes' layer tests run:
// ResNet's shapes, K past one slice of the float32 kernels' blocking, K
// odd (so not a multiple of 4 either) with stride 2, one position.
var pointwiseCases = []convCase{
	{64, 256, 1, 1, 0, 1, 1, 14, 14, true, true},
	{512, 2048, 1, 1, 0, 1, 1, 7, 7, true, true},
	{2048, 512, 1, 1, 0, 1, 1, 7, 7, false, true},
	{96, 37, 1, 1, 0, 1, 3, 5, 5, true, false},
	{41, 100, 1, 2, 0, 1, 2, 13, 13, false, true},
	{33, 70, 1, 1, 0, 1, 1, 1, 1, true, true},
	{256, 64, 1, 1, 0, 1, 1, 40, 40, false, true},
}

// directCases are the implicit-GEMM layers the precision modes' layer
// tests run: the stem, stride 2, small maps (with BF16 computed
// transposed on their im2col matrix; with Int8 split by output channels,
// their columns packed once for all tiles: at a batch, with an odd K), a
// 16×16 map split by channels (packed once with BF16 too), groups (one
// channel each, ResNeXt's 4 and 8), odd K.
var directCases = []convCase{
	{3, 64, 7, 2, 3, 1, 1, 45, 38, false, true},
	{3, 64, 7, 2, 3, 1, 2, 27, 21, false, true}, // a stem of 14×11 (BF16: transposed, K odd)
	{128, 128, 3, 2, 1, 1, 1, 28, 28, false, true},
	{256, 256, 3, 2, 1, 1, 1, 32, 32, true, true},
	{512, 512, 3, 1, 1, 1, 1, 7, 7, true, true},
	{512, 256, 3, 1, 1, 1, 2, 7, 6, false, true},
	{129, 128, 3, 1, 1, 1, 1, 7, 6, true, true},
	{128, 128, 3, 1, 1, 32, 2, 14, 14, false, true},
	{256, 256, 3, 2, 1, 32, 1, 16, 16, true, true},
	{16, 16, 3, 1, 1, 16, 1, 9, 9, false, false},
	{5, 7, 3, 1, 1, 1, 2, 6, 11, true, false},
}
