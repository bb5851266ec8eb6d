package engine

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/nn"
	"github.com/resnetgo/resnet/tensor"
)

// convCase is one convolution layer with its batch norm, residual and
// ReLU, run alone through the engine and through nn (the reference).
type convCase struct {
	inC, outC, k, stride, pad, groups int
	n, h, w                           int
	res, relu                         bool
}

func (tc convCase) String() string {
	return fmt.Sprintf("%d→%d_k%d_s%d_p%d_g%d/%dx%dx%d_res%v_relu%v", tc.inC, tc.outC, tc.k, tc.stride, tc.pad, tc.groups, tc.n, tc.h, tc.w, tc.res, tc.relu)
}

// sizedWorkspace returns a workspace for n images of h×w on threads
// threads whose buffers size's dry run (ws.sizing set) sized, allocated,
// with a team the caller closes.
func sizedWorkspace(tb testing.TB, n, h, w, threads int, size func(ws *workspace) error) *workspace {
	tb.Helper()
	ws := &workspace{key: wsKey{n, h, w, threads}, sizing: true, n: n}
	if err := size(ws); err != nil {
		tb.Fatal(err)
	}
	ws.alloc()
	ws.team = newTeam(threads)
	return ws
}

// nnConv returns tc's convolution with random weights.
func nnConv(tc convCase) *nn.Conv2d {
	rng := rand.New(rand.NewPCG(uint64(tc.inC*7+tc.outC), uint64(tc.h*31+tc.w)))
	c := nn.NewConv2d(tc.inC, tc.outC, tc.k, nn.ConvOptions{Stride: tc.stride, Padding: tc.pad, Groups: tc.groups})
	for i := range c.Weight.Value.Data {
		c.Weight.Value.Data[i] = float32(rng.NormFloat64() * 0.3)
	}
	return c
}

// nnBN returns a batch norm with random statistics and affine parameters.
func nnBN(ch int) *nn.BatchNorm2d {
	rng := rand.New(rand.NewPCG(uint64(ch), 3))
	bn := nn.NewBatchNorm2d(ch)
	for i := range bn.Weight.Value.Data {
		bn.Weight.Value.Data[i] = float32(0.5 + rng.Float64())
		bn.Bias.Value.Data[i] = float32(0.2 * rng.NormFloat64())
		bn.RunningMean.Data[i] = float32(0.2 * rng.NormFloat64())
		bn.RunningVar.Data[i] = float32(0.5 + rng.Float64())
	}
	return bn
}

// checkConvLayer compiles tc's layer with o and compares the engine's
// output with nn's Conv2d → BatchNorm2d (→ + residual) (→ ReLU).
func checkConvLayer(t *testing.T, tc convCase, o Options, want convKind, wino bool) {
	t.Helper()
	c, bn := nnConv(tc), nnBN(tc.outC)
	x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, uint64(tc.k))
	ref := bn.Forward(c.Forward(x))
	var res *tensor.Tensor
	if tc.res {
		res = testnet.RandomInput(ref.Shape[0], ref.Shape[1], ref.Shape[2], ref.Shape[3], 99)
		for i, v := range res.Data {
			ref.Data[i] += v
		}
	}
	if tc.relu {
		for i, v := range ref.Data {
			ref.Data[i] = max(v, 0)
		}
	}

	cv, err := newConv(c, bn, o)
	if err != nil {
		t.Fatal(err)
	}
	if cv.kind != want || cv.winoOK != wino {
		t.Fatalf("%v: compiled as kind %d (Winograd %v), want %d (%v)", tc, cv.kind, cv.winoOK, want, wino)
	}
	var r []float32
	if res != nil {
		r = res.Data
	}
	ws := sizedWorkspace(t, tc.n, tc.h, tc.w, kernels.Threads(), func(ws *workspace) error {
		_, _, _, err := ws.conv(cv, nil, bufT1, tc.h, tc.w, r, nil, nil, tc.relu)
		return err
	})
	defer ws.team.close()
	for run := 0; run < 2; run++ { // the second run reuses dirty buffers
		out, oh, ow, err := ws.conv(cv, x.Data, bufT1, tc.h, tc.w, r, nil, nil, tc.relu)
		if err != nil {
			t.Fatal(err)
		}
		got := &tensor.Tensor{Shape: []int{tc.n, tc.outC, oh, ow}, Data: out}
		if err := testutil.Compare(got, ref, testutil.RelTol, testutil.AbsTol); err != nil {
			t.Errorf("%v run %d: %v", tc, run, err)
		}
	}
}

// TestDirectConv covers the direct (implicit GEMM) convolutions on random
// and edge shapes: one channel per group, odd sizes, stride 2, the stem,
// sizes smaller than the kernel's reach, batches, ResNet's 3×3 layers.
func TestDirectConv(t *testing.T) {
	cases := []convCase{
		{3, 64, 7, 2, 3, 1, 1, 37, 29, false, true},     // the stem
		{3, 64, 7, 2, 3, 1, 2, 1, 1, false, true},       // a 1×1 image
		{128, 128, 3, 1, 1, 32, 2, 14, 14, false, true}, // resnext50_32x4d
		{128, 128, 3, 2, 1, 32, 1, 15, 9, false, true},
		{256, 256, 3, 1, 1, 32, 1, 7, 7, true, true}, // 8 a group
		{64, 64, 3, 1, 1, 64, 3, 5, 6, true, false},  // one channel a group
		{64, 64, 3, 2, 1, 64, 1, 9, 4, false, true},
		{16, 16, 3, 1, 1, 1, 2, 9, 14, true, true}, // CIFAR
		{16, 32, 3, 2, 1, 1, 1, 9, 9, false, true},
		{96, 96, 3, 1, 1, 2, 1, 5, 33, false, false}, // 48 a group
		{12, 36, 5, 1, 2, 3, 1, 11, 8, false, true},
		{8, 8, 1, 1, 0, 4, 1, 6, 6, true, true},        // grouped 1×1
		{6, 10, 3, 3, 0, 2, 2, 10, 11, false, false},   // stride 3, no padding
		{512, 512, 3, 1, 1, 1, 1, 7, 7, true, true},    // split by output channels
		{256, 256, 3, 2, 1, 1, 1, 28, 28, false, true}, // by rows and columns
		{100, 98, 3, 2, 1, 1, 2, 13, 11, false, true},
		// one group in bands of output rows (directBands): ResNet-50's
		// 56→28 layer (bands of 4 and 5 rows), stride 1 with a batch (odd:
		// bands are for images that do not split evenly among threads) and
		// a residual, stride 3, and a band of one row (more channels than
		// bandFloats holds two phase rows of)
		{128, 128, 3, 2, 1, 1, 1, 56, 56, false, true},
		{64, 48, 3, 1, 1, 1, 3, 31, 17, true, true},
		{60, 20, 3, 3, 1, 1, 1, 40, 23, false, false},
		{1200, 8, 3, 2, 1, 1, 1, 20, 20, true, false},
		// groups of a multiple of 16 channels, computed transposed with
		// AVX-512 (groupedT): resnext101_32x8d's 14×14 and stride-2 14×14
		// layers, 16 a group at 28×28 (rows of two tiles) with a residual
		// and a batch, 48 a group (panels shared by two groups) on 33
		// columns, and 16 a group at stride 2 with 8 groups
		{1024, 1024, 3, 1, 1, 32, 1, 14, 14, false, true},
		{2048, 2048, 3, 2, 1, 32, 1, 14, 14, false, true},
		{512, 512, 3, 1, 1, 32, 2, 28, 28, true, true},
		{384, 384, 3, 1, 1, 8, 1, 5, 33, false, false},
		{128, 128, 3, 2, 1, 8, 1, 9, 4, false, true},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 12 {
		g := 1 + rng.IntN(8)
		cg, og := 1+rng.IntN(13), 1+rng.IntN(13)
		k := 1 + 2*rng.IntN(3)
		s := 1 + rng.IntN(2)
		cases = append(cases, convCase{g * cg, g * og, k, s, rng.IntN(k/2 + 1), g, 1 + rng.IntN(2), k + rng.IntN(20), k + rng.IntN(20), rng.IntN(2) == 0, rng.IntN(2) == 0})
	}
	for _, tc := range cases {
		if tc.k == 1 && tc.groups == 1 && tc.pad == 0 {
			continue
		}
		for _, o := range []Options{{NoWinograd: true}, {NoWinograd: true, InPlace: true}} {
			t.Run(fmt.Sprintf("inplace=%v/%v", o.InPlace, tc), func(t *testing.T) { checkConvLayer(t, tc, o, direct, false) })
		}
	}
}

// TestWinogradLayers covers the Winograd convolutions, F(2×2) and F(4×4),
// on random and edge shapes: odd and even sizes (partial tiles), 1×1 and 2×2 images, tile
// rows longer than 16 tiles, batches whose chunks span images, residuals.
func TestWinogradLayers(t *testing.T) {
	defer func(v int) { minWinogradTiles = v }(minWinogradTiles)
	minWinogradTiles = 1
	cases := []convCase{
		{64, 64, 3, 1, 1, 1, 1, 56, 56, false, true},
		{64, 64, 3, 1, 1, 1, 3, 13, 7, true, true},
		{64, 96, 3, 1, 1, 1, 2, 1, 1, true, false},
		{128, 64, 3, 1, 1, 1, 1, 2, 2, false, true},
		{64, 64, 3, 1, 1, 1, 2, 35, 40, true, true},
		{256, 256, 3, 1, 1, 1, 8, 7, 7, true, true},
		{80, 72, 3, 1, 1, 1, 1, 67, 3, false, false},
		{512, 96, 3, 1, 1, 1, 2, 5, 6, true, true}, // padded weight rows (gemmLDA)
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 6 {
		cases = append(cases, convCase{64 + rng.IntN(100), 64 + rng.IntN(100), 3, 1, 1, 1, 1 + rng.IntN(3), 1 + rng.IntN(40), 1 + rng.IntN(40), rng.IntN(2) == 0, rng.IntN(2) == 0})
	}
	defer func() { winoForce = 0 }()
	for _, form := range []int{2, 4} {
		winoForce = form
		for _, tc := range cases {
			t.Run(fmt.Sprintf("F%d/%v", form, tc), func(t *testing.T) { checkConvLayer(t, tc, Options{}, direct, true) })
		}
	}
}

// TestPointwiseLayers covers the 1×1 convolutions: large maps (the GEMM
// on the activation, its right edges), small ones (pointwiseT: 7×7, 5×5,
// 1×1), stride 2, output channels that are not a multiple of 8 or 32,
// residuals and batches, compiled with and without InPlace.
func TestPointwiseLayers(t *testing.T) {
	cases := []convCase{
		{64, 256, 1, 1, 0, 1, 1, 14, 14, true, true},
		{512, 2048, 1, 1, 0, 1, 1, 7, 7, true, true},
		{2048, 512, 1, 1, 0, 1, 2, 7, 7, false, true},
		{96, 37, 1, 1, 0, 1, 3, 5, 5, true, false},
		{40, 100, 1, 2, 0, 1, 2, 13, 13, false, true},
		{33, 70, 1, 1, 0, 1, 1, 1, 1, true, true},
		{16, 24, 1, 1, 0, 1, 2, 8, 8, false, true},
		{128, 512, 1, 2, 0, 1, 1, 28, 28, true, true},
		{300, 70, 1, 1, 0, 1, 4, 7, 7, true, true},      // panel-major items, the last panel partial
		{256, 1024, 1, 1, 0, 1, 3, 14, 14, true, false}, // ResNet-50's conv3 at 14×14, a batch
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 6 {
		hw := 1 + rng.IntN(16)
		cases = append(cases, convCase{1 + rng.IntN(300), 1 + rng.IntN(300), 1, 1 + rng.IntN(2), 0, 1, 1 + rng.IntN(3), hw, hw + rng.IntN(3), rng.IntN(2) == 0, rng.IntN(2) == 0})
	}
	for _, o := range []Options{{}, {InPlace: true}} { // InPlace: the small maps gather W (SgemmSerialATBT)
		for _, tc := range cases {
			t.Run(fmt.Sprintf("inplace=%v/%v", o.InPlace, tc), func(t *testing.T) { checkConvLayer(t, tc, o, pointwise, false) })
		}
	}
}

// TestDirectTiling checks that directTiling covers every layer shape of
// the ResNets with tiles that fit and are enough for the threads where
// the layer allows it.
func TestDirectTiling(t *testing.T) {
	for _, tc := range []struct{ gn, ocg, pairs, threads int }{
		{812, 128, 1, 2}, {210, 256, 1, 2}, {56, 512, 1, 2}, {63, 512, 1, 2}, {12880, 64, 1, 2},
		{63, 512, 8, 2}, {63, 512, 1, 16}, {5, 7, 1, 4}, {1, 1, 1, 1}, {3136, 4, 3, 2},
	} {
		for _, packsB := range []bool{false, true} {
			nb, mb := directTiling(tc.gn, tc.ocg, tc.pairs, tc.threads, packsB)
			if nb < 1 || nb > tc.gn || mb < 1 || mb > tc.ocg || nb > 768 {
				t.Errorf("%+v: tiles of %d columns × %d rows", tc, nb, mb)
				continue
			}
			tiles := tc.pairs * ((tc.gn + nb - 1) / nb) * ((tc.ocg + mb - 1) / mb)
			if tiles < 4*tc.threads && (nb >= 96 || tc.ocg/mb < 2 && tc.ocg >= 96) {
				t.Errorf("%+v: %d tiles (%d columns × %d rows) for %d threads, and room to split", tc, tiles, nb, mb, tc.threads)
			}
		}
	}
}

// TestWinoTiling checks how a Winograd layer's work is split: the parts
// of the output channels cover them in order without gaps, each at most
// maxPart and, but for the last, a whole number of 12-row blocks, their
// sizes differing by at most one block; a single chunk of tiles on more
// than one thread makes one part per thread (never more parts than
// blocks); chunks hold a multiple of 32 tiles, 64 to 128.
func TestWinoTiling(t *testing.T) {
	for oc := 1; oc <= 300; oc++ {
		for parts := 1; parts <= 8 && parts <= (oc+11)/12; parts++ {
			next, lo, hi := 0, oc, 0
			for j := range parts {
				o0, o1, maxPart := winoPart(oc, parts, j, 12)
				if o0 != next || o1 < o0 || o1-o0 > maxPart || j < parts-1 && (o1-o0)%12 != 0 {
					t.Fatalf("oc=%d parts=%d: part %d is [%d, %d) (max %d) after %d", oc, parts, j, o0, o1, maxPart, next)
				}
				if j < parts-1 || oc%12 == 0 {
					lo, hi = min(lo, o1-o0), max(hi, o1-o0)
				}
				next = o1
			}
			if next != oc || hi-lo > 12 {
				t.Fatalf("oc=%d parts=%d: parts end at %d, sizes %d…%d", oc, parts, next, lo, hi)
			}
		}
	}
	for _, tc := range []struct{ alpha2, ic, oc, tiles, threads, parts int }{
		{16, 256, 256, 49, 2, 2}, // ResNet-50's 14×14 F(2×2) at batch 1: one chunk, a part per thread
		{36, 128, 128, 49, 2, 2}, // its 28×28 F(4×4)
		{16, 256, 256, 49, 1, 4}, // one thread: parts double while items are few
		{36, 64, 64, 196, 2, 1},  // 56×56: four chunks, 64 channels
		{16, 512, 512, 16, 8, 8}, // more threads than usual
		{16, 24, 12, 16, 4, 1},   // one block of channels
	} {
		nt, parts := winogradTiling(tc.alpha2, tc.ic, tc.oc, tc.tiles, tc.threads)
		if parts != tc.parts || nt%32 != 0 || nt < 64 && nt < (tc.tiles+31)/32*32 || nt > 128 {
			t.Errorf("winogradTiling(%+v) = %d tiles a chunk, %d parts", tc, nt, parts)
		}
	}
}

// TestConvPool compares the stem fused with the max pool (convPool) with
// the convolution followed by the pool, bit for bit: the same products
// and epilogue, and max is exact. The shapes give one tile or many,
// shared pool rows, odd output sizes (the last tile ends on an odd row)
// and batches; thread counts change the tiling; a NaN in the input
// reaches the pooled output the same way. The BF16 and Int8 products go
// through the same tiles and epilogue.
func TestConvPool(t *testing.T) {
	cases := []convCase{
		{3, 64, 7, 2, 3, 1, 1, 224, 224, false, true}, // ResNet's stem
		{3, 64, 7, 2, 3, 1, 2, 225, 97, false, true},  // odd output rows
		{3, 64, 7, 2, 3, 1, 1, 37, 29, false, true},
		{3, 64, 7, 2, 3, 1, 3, 1, 1, false, true}, // a 1×1 image
		{3, 64, 7, 2, 3, 1, 1, 9, 200, false, true},
		{5, 20, 3, 1, 1, 1, 2, 61, 40, false, true},
	}
	opts := map[string]Options{"float32": {}, "bf16": {BF16: true}, "int8": {Int8: true}}
	for _, tc := range cases {
		for _, threads := range []int{1, 2, 3} {
			for _, nan := range []bool{false, true} {
				for oname, o := range opts {
					if nan && oname != "float32" {
						continue // quantizing a NaN is not defined
					}
					name := fmt.Sprintf("%v/threads%d/nan%v/%s", tc, threads, nan, oname)
					c, bn := nnConv(tc), nnBN(tc.outC)
					cv, err := newConv(c, bn, o)
					if err != nil {
						t.Fatal(err)
					}
					cv.signedInput()
					x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 5)
					if nan {
						x.Data[len(x.Data)/2] = float32(math.NaN())
					}
					oh, ow := cv.outSize(tc.h, tc.w)
					ph, pw := resnetPool.OutSize(oh, ow)
					ws := sizedWorkspace(t, tc.n, tc.h, tc.w, threads, func(ws *workspace) error {
						if _, _, _, err := ws.convPool(cv, nil, bufT1, tc.h, tc.w); err != nil {
							return err
						}
						ws.conv(cv, nil, bufT2, tc.h, tc.w, nil, nil, nil, true)
						ws.buf(bufAct0, tc.n*tc.outC*ph*pw)
						return nil
					})
					for run := 0; run < 2; run++ { // the second run reuses dirty buffers
						got, gh, gw, err := ws.convPool(cv, x.Data, bufT1, tc.h, tc.w)
						if err != nil || gh != ph || gw != pw {
							t.Fatalf("%s: %dx%d, %v; want %dx%d", name, gh, gw, err, ph, pw)
						}
						full, _, _, _ := ws.conv(cv, x.Data, bufT2, tc.h, tc.w, nil, nil, nil, true)
						want := ws.buf(bufAct0, tc.n*tc.outC*ph*pw)
						maxPool(ws.team, &resnetPool, tc.n*tc.outC, oh, ow, full, want)
						nans := 0
						for i, v := range want {
							if g := got[i]; math.Float32bits(g) != math.Float32bits(v) && !(g != g && v != v) {
								t.Fatalf("%s run %d: value %d (channel %d, row %d) = %v, want %v", name, run, i, i/(ph*pw)%tc.outC, i/pw%ph, g, v)
							}
							if v != v {
								nans++
							}
						}
						if nan != (nans > 0) {
							t.Fatalf("%s: %d NaN in the pooled output", name, nans)
						}
					}
					ws.team.close()
				}
			}
		}
	}
}

// TestFillPhases2 checks fillPhase against its definition at strides 1–3
// and fillPhases2 against fillPhase for each of the two planes it writes,
// on odd and even sizes, paddings 0–3 and bands of rows starting at every
// row (top; the planes start NaN, so every value must be written).
func TestFillPhases2(t *testing.T) {
	nan := float32(math.NaN())
	for _, pad := range []int{0, 1, 2, 3} {
		for h := 1; h <= 9; h++ {
			for _, w := range []int{1, 2, 5, 14, 15, 33, 56} {
				x := make([]float32, h*w)
				for i := range x {
					x[i] = float32(i + 1)
				}
				for s := 1; s <= 3; s++ {
					wq, hq, _ := padGeom(&conv{stride: s, pad: pad}, h, w)
					for top := 0; top < hq; top++ {
						rows := hq - top
						if top > 0 {
							rows = min(rows, 3)
						}
						for a := range s {
							for b := range s {
								got := make([]float32, rows*wq)
								for i := range got {
									got[i] = nan
								}
								fillPhase(x, h, w, pad, s, a, b, top, rows, wq, got)
								for r := range rows {
									for q := range wq {
										y, xc := (top+r)*s+a-pad, q*s+b-pad
										want := float32(0)
										if y >= 0 && y < h && xc >= 0 && xc < w {
											want = x[y*w+xc]
										}
										if v := got[r*wq+q]; v != want {
											t.Fatalf("fillPhase pad=%d %dx%d s=%d phase (%d, %d) top %d: [%d, %d] = %v, want %v", pad, h, w, s, a, b, top, r, q, v, want)
										}
									}
								}
							}
						}
						if s != 2 {
							continue
						}
						for a := range 2 {
							got := [2][]float32{make([]float32, rows*wq), make([]float32, rows*wq)}
							for _, g := range got {
								for i := range g {
									g[i] = nan
								}
							}
							fillPhases2(x, h, w, pad, a, top, rows, wq, got[0], got[1])
							for b := range 2 {
								want := make([]float32, rows*wq)
								fillPhase(x, h, w, pad, 2, a, b, top, rows, wq, want)
								for i := range want {
									if got[b][i] != want[i] {
										t.Fatalf("pad=%d %dx%d phase (%d, %d) top %d: [%d] = %v, want %v", pad, h, w, a, b, top, i, got[b][i], want[i])
									}
								}
							}
						}
					}
				}
			}
		}
	}
}

// TestDirectBands checks that the one-group direct convolutions computed
// in bands of output rows (directBands: images that do not split evenly
// among the threads) give the same values, bit for bit, as the padding
// pass and its tiles (one thread), which compute each value with the same
// products in the same order: stride 2 and 1, a residual, batches of 1–3
// on 2 and 3 threads, more channels than a band holds two phase rows of,
// the stem.
func TestDirectBands(t *testing.T) {
	for _, tc := range []convCase{
		{64, 128, 3, 2, 1, 1, 1, 56, 56, false, true},
		{48, 40, 3, 1, 1, 1, 3, 23, 19, true, true},
		{1200, 8, 3, 2, 1, 1, 2, 20, 20, true, false},
		{30, 20, 5, 3, 2, 1, 1, 31, 26, false, true},
		{3, 64, 7, 2, 3, 1, 1, 45, 37, false, true}, // the stem (TestConvPool: with its pool, the same)
	} {
		c, bn := nnConv(tc), nnBN(tc.outC)
		cv, err := newConv(c, bn, Options{NoWinograd: true})
		if err != nil {
			t.Fatal(err)
		}
		x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 7).Data
		oh, ow := cv.outSize(tc.h, tc.w)
		var res []float32
		if tc.res {
			res = testnet.RandomInput(tc.n, tc.outC, oh, ow, 8).Data
		}
		run := func(threads int) []float32 {
			ws := sizedWorkspace(t, tc.n, tc.h, tc.w, threads, func(ws *workspace) error {
				_, _, _, err := ws.conv(cv, nil, bufT1, tc.h, tc.w, res, nil, nil, tc.relu)
				return err
			})
			defer ws.team.close()
			out, _, _, err := ws.conv(cv, x, bufT1, tc.h, tc.w, res, nil, nil, tc.relu)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Clone(out[:tc.n*tc.outC*oh*ow])
		}
		want := run(1)
		for _, threads := range []int{2, 3} {
			if tc.n%threads == 0 {
				continue // the pass, not bands
			}
			got := run(threads)
			for i, v := range want {
				if math.Float32bits(got[i]) != math.Float32bits(v) {
					t.Fatalf("%v on %d threads: value %d = %v, want %v (one thread)", tc, threads, i, got[i], v)
				}
			}
		}
	}
}
