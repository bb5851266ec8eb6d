package engine

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/internal/testutil"
	"github.com/resnetgo/resnet/models"
	"github.com/resnetgo/resnet/npy"
	"github.com/resnetgo/resnet/tensor"
)

// checkPlan compares a compiled plan with the model's reference forward.
func checkPlan(t *testing.T, m *models.ResNet, x *tensor.Tensor) {
	t.Helper()
	checkPlanOpts(t, m, x, Options{})
}

func checkPlanOpts(t *testing.T, m *models.ResNet, x *tensor.Tensor, o Options) {
	t.Helper()
	ctx := context.Background()
	want, err := m.Forward(ctx, x)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, o)
	if err != nil {
		t.Fatal(err)
	}
	for run := 0; run < 2; run++ { // the second run reuses the buffers
		got, err := p.Forward(ctx, x)
		if err != nil {
			t.Fatal(err)
		}
		if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
			t.Errorf("run %d: %v", run, err)
		}
	}
}

// TestArchitectures compares every architecture with the reference, with
// Winograd on every layer it can take (however few its tiles) and off.
func TestArchitectures(t *testing.T) {
	defer func(v, v4 int) { minWinogradTiles, minWino4Tiles = v, v4 }(minWinogradTiles, minWino4Tiles)
	minWinogradTiles, minWino4Tiles = 1, 1
	for _, c := range models.Configs() {
		big := c.Family == "wsl" && c.WidthPerGroup > 8 || c.Name == "wide_resnet101_2" || c.Name == "resnet152"
		short := map[string]bool{"resnet18": true, "resnext50_32x4d": true, "resnet20": true, "resnet20b": true, "plain20": true}
		if big || testing.Short() && !short[c.Name] {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			m, err := models.New(c.Name, models.Options{Seed: 3, NumClasses: 10})
			if err != nil {
				t.Fatal(err)
			}
			testnet.RandomBN(m, 5)
			size := 32
			if c.InputSize == 32 {
				size = 9 // odd, and below 32: every stage's edge cases
			}
			x := testnet.RandomInput(2, 3, size, size+5, 11)
			checkPlan(t, m, x)
			if short[c.Name] {
				checkPlanOpts(t, m, x, Options{NoWinograd: true})
			}
		})
	}
}

// TestShapes covers batch sizes and input sizes, including the smallest
// ones the networks accept and sizes whose padded planes are 4 KiB apart.
func TestShapes(t *testing.T) {
	for _, tc := range []struct {
		arch    string
		n, h, w int
	}{
		{"resnet18", 1, 1, 1}, {"resnet18", 3, 40, 24}, {"resnet50", 1, 17, 33},
		{"resnext50_32x4d", 3, 29, 29}, {"resnet20", 5, 32, 32}, {"resnet20", 1, 1, 1},
		{"resnet20b", 2, 30, 2}, {"plain20", 3, 7, 16}, {"resnet18", 1, 62, 62},
	} {
		t.Run(fmt.Sprintf("%s/%dx%dx%d", tc.arch, tc.n, tc.h, tc.w), func(t *testing.T) {
			m, err := models.New(tc.arch, models.Options{Seed: 4, NumClasses: 7})
			if err != nil {
				t.Fatal(err)
			}
			testnet.RandomBN(m, 6)
			checkPlan(t, m, testnet.RandomInput(tc.n, 3, tc.h, tc.w, 12))
		})
	}
}

// TestMaxBatch runs a batch larger than MaxBatch in slices.
func TestMaxBatch(t *testing.T) {
	m, err := models.New("resnet20b", models.Options{Seed: 4})
	if err != nil {
		t.Fatal(err)
	}
	testnet.RandomBN(m, 6)
	x := testnet.RandomInput(5, 3, 12, 12, 3)
	want, err := m.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, Options{MaxBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
		t.Error(err)
	}
}

// TestAgainstPyTorch runs the committed PyTorch fixtures of the models
// package (weights, inputs and logits from testdata/gen/models_gen.py),
// with Winograd on every layer it can take, and off.
func TestAgainstPyTorch(t *testing.T) {
	defer func(v, v4 int) { minWinogradTiles, minWino4Tiles = v, v4 }(minWinogradTiles, minWino4Tiles)
	minWinogradTiles, minWino4Tiles = 1, 1
	for _, name := range []string{"resnet20", "resnet20b", "plain20"} {
		t.Run(name, func(t *testing.T) {
			m, err := models.LoadFile(context.Background(), name, "../models/testdata/"+name+".pth", models.Options{})
			if err != nil {
				t.Fatal(err)
			}
			x, err := npy.ReadFile("../models/testdata/" + name + ".input.npy")
			if err != nil {
				t.Fatal(err)
			}
			want, err := npy.ReadFile("../models/testdata/" + name + ".output.npy")
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range []Options{{}, {NoWinograd: true}} {
				p, err := Compile(m, o)
				if err != nil {
					t.Fatal(err)
				}
				got, err := p.Forward(context.Background(), x)
				if err != nil {
					t.Fatal(err)
				}
				if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
					t.Errorf("%+v: %v", o, err)
				}
			}
		})
	}
}

func TestErrors(t *testing.T) {
	m, err := models.New("resnet18", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := p.Forward(ctx, tensor.New(1, 1, 32, 32)); err == nil {
		t.Error("wrong channel count: no error")
	}
	if _, err := p.Forward(ctx, tensor.New(2, 3, 32)); err == nil {
		t.Error("3-d input: no error")
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := p.Forward(cctx, tensor.New(1, 3, 32, 32)); err == nil {
		t.Error("cancelled context: no error")
	}
}

// TestMaxPool compares the separable max pool with kernels.MaxPool2d,
// NaNs included.
func TestMaxPool(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, pp := range []kernels.PoolParams{{KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1}, {KH: 2, KW: 3, StrideH: 1, StrideW: 2}} {
		for _, hw := range [][2]int{{1, 1}, {2, 5}, {7, 8}, {112, 112}, {3, 600}} {
			h, w := hw[0], hw[1]
			oh, ow := pp.OutSize(h, w)
			if oh <= 0 || ow <= 0 {
				continue
			}
			x := make([]float32, 3*h*w)
			for i := range x {
				x[i] = float32(rng.NormFloat64())
			}
			x[len(x)/2] = float32(math.NaN())
			want, got := make([]float32, 3*oh*ow), make([]float32, 3*oh*ow)
			kernels.MaxPool2d(&pp, 3, h, w, x, want)
			maxPool(nil, &pp, 3, h, w, x, got)
			for i := range want {
				if got[i] != want[i] && !(got[i] != got[i] && want[i] != want[i]) {
					t.Fatalf("%+v %dx%d: out[%d] = %v, want %v", pp, h, w, i, got[i], want[i])
				}
			}
		}
	}
}

// TestManyShapes runs more input shapes than the plan keeps buffers for.
func TestManyShapes(t *testing.T) {
	m, err := models.New("resnet20", models.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for s := 4; s < 4+2*maxShapes; s++ {
		if _, err := p.Forward(context.Background(), testnet.RandomInput(1, 3, s, s, 1)); err != nil {
			t.Fatal(err)
		}
	}
	if len(p.free) > maxShapes {
		t.Errorf("%d shapes kept, want ≤ %d", len(p.free), maxShapes)
	}
}

// TestConcurrent runs one plan from several goroutines at once.
func TestConcurrent(t *testing.T) {
	m, err := models.New("resnet20b", models.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	testnet.RandomBN(m, 3)
	x := testnet.RandomInput(2, 3, 16, 16, 4)
	want, err := m.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Compile(m, Options{})
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan error, 4)
	for i := 0; i < 4; i++ {
		go func() {
			got, err := p.Forward(context.Background(), x)
			if err == nil {
				err = testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol)
			}
			errs <- err
		}()
	}
	for i := 0; i < 4; i++ {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

// TestWinograd runs each Winograd form on every eligible layer, whatever
// its size, on odd and even output sizes, with and without residuals.
func TestWinograd(t *testing.T) {
	defer func() { winoForce = 0 }()
	for _, form := range []int{2, 4} {
		winoForce = form
		for _, tc := range []struct {
			arch    string
			n, h, w int
		}{
			{"resnet18", 2, 32, 37}, {"resnet18", 1, 45, 45}, {"resnet18", 1, 1, 1}, {"resnet50", 2, 40, 33}, {"wide_resnet50_2", 1, 32, 32},
		} {
			if testing.Short() && tc.arch == "wide_resnet50_2" {
				continue
			}
			t.Run(fmt.Sprintf("F%d/%s/%dx%dx%d", form, tc.arch, tc.n, tc.h, tc.w), func(t *testing.T) {
				m, err := models.New(tc.arch, models.Options{Seed: 8, NumClasses: 5})
				if err != nil {
					t.Fatal(err)
				}
				testnet.RandomBN(m, 9)
				checkPlanOpts(t, m, testnet.RandomInput(tc.n, 3, tc.h, tc.w, 13), Options{})
			})
		}
	}
}

// winogradWeightsRef is winogradWeights one (output, input) channel pair
// at a time, as the engine built them until session 23, the products
// rounded before they are added likewise.
func winogradWeightsRef(f *winoForm, w []float32, wlda, oc, ic int) []float32 {
	a := f.alpha
	lda := gemmLDA(ic)
	u := make([]float32, a*a*oc*lda)
	for o := 0; o < oc; o++ {
		for ch := 0; ch < ic; ch++ {
			var g [3][3]float64
			for t := 0; t < 9; t++ {
				g[t/3][t%3] = float64(w[o*wlda+ch*9+t])
			}
			var gg [6][3]float64
			for r := 0; r < a; r++ {
				for k := 0; k < 3; k++ {
					gg[r][k] = float64(f.g[r][0]*g[0][k]) + float64(f.g[r][1]*g[1][k]) + float64(f.g[r][2]*g[2][k])
				}
			}
			for r := 0; r < a; r++ {
				for q := 0; q < a; q++ {
					v := float64(gg[r][0]*f.g[q][0]) + float64(gg[r][1]*f.g[q][1]) + float64(gg[r][2]*f.g[q][2])
					u[(r*a+q)*oc*lda+o*lda+ch] = float32(v)
				}
			}
		}
	}
	return u
}

// TestWinogradWeights checks the transformed weights, built a share of
// the output channels a thread, bit for bit against the same sums one
// channel pair at a time, for both forms, on one thread and on teams
// of two and three, with weight rows padded past InC·9 and channel
// counts that do not split evenly. (The layers' results are checked
// against the direct convolution by TestWinograd.)
func TestWinogradWeights(t *testing.T) {
	for _, f := range []*winoForm{wino2, wino4} {
		for _, sh := range [][3]int{{1, 1, 9}, {5, 3, 27}, {64, 64, 576}, {67, 45, 420}, {130, 7, 70}} {
			oc, ic, wlda := sh[0], sh[1], sh[2]
			w := testnet.RandomInput(1, 1, oc, wlda, uint64(oc+ic)).Data
			want := winogradWeightsRef(f, w, wlda, oc, ic)
			for _, threads := range []int{1, 2, 3} {
				tm := newTeam(threads)
				got := winogradWeights(tm, f, w, wlda, oc, ic)
				tm.close()
				if len(got) != len(want) {
					t.Fatalf("F(%d×%d) %v, %d threads: %d values, want %d", f.m, f.m, sh, threads, len(got), len(want))
				}
				for i := range want {
					if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
						t.Fatalf("F(%d×%d) %v, %d threads: value %d is %g, want %g", f.m, f.m, sh, threads, i, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestSteadyStateMemory checks the memory plan: once a shape has its
// workspace, a forward pass allocates only the returned tensors and a few
// kilobytes of bookkeeping (the pass's thread team, the closures of its
// parallel loops) — never its activations. The bound is an eighth of the
// workspace: a plan that allocated its activations would exceed it
// several times over (TestSteadyStateMemory fails with Features not
// releasing its workspace). Float32 plans and Int8+BF16 ones alike.
//
// The collector is off while the passes are counted: the portable
// kernels take their GEMM scratch blocks (256×256 floats) from
// sync.Pools, which two collections empty, and three such blocks made
// again in three passes are more than an eighth of a 64×64 workspace.
// What the plan itself allocates does not depend on when the collector
// runs. (A CI run failed so, with purego, and the test then found 64 KiB
// a pass that was the plan's: im2col's padded channel on the heap.)
func TestSteadyStateMemory(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector empties sync.Pools at random")
	}
	m, err := models.New("resnet18", models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range []Options{{}, {Int8: true, BF16: true}} {
		p, err := Compile(m, o)
		if err != nil {
			t.Fatal(err)
		}
		for _, side := range []int{64, 128} {
			x := testnet.RandomInput(2, 3, side, side, 1)
			if _, err := p.Forward(context.Background(), x); err != nil {
				t.Fatal(err)
			}
			ws, err := p.workspace(2, side, side)
			if err != nil {
				t.Fatal(err)
			}
			p.release(ws)
			wsBytes := 4 * ws.colSize * len(ws.cols)
			for _, n := range ws.size {
				wsBytes += 4 * n
			}
			var before, after runtime.MemStats
			gcPercent := debug.SetGCPercent(-1)
			runtime.ReadMemStats(&before)
			const passes = 3
			for range passes {
				if _, err := p.Forward(context.Background(), x); err != nil {
					debug.SetGCPercent(gcPercent)
					t.Fatal(err)
				}
			}
			runtime.ReadMemStats(&after)
			debug.SetGCPercent(gcPercent)
			perPass := (after.TotalAlloc - before.TotalAlloc) / passes
			t.Logf("%+v %d×%d: %d bytes allocated per pass, workspace %d bytes", o, side, side, perPass, wsBytes)
			if perPass > uint64(wsBytes/8) {
				t.Errorf("%d×%d: a steady-state forward pass allocated %d bytes, more than an eighth of its %d-byte workspace", side, side, perPass, wsBytes)
			}
		}
	}
}

// TestPlanInPlace compiles each network with and without InPlace and
// compares the logits bit for bit. At the architecture's input size
// (224×224) the in-place plan holds the small maps' weights as the panels
// the other plan keeps a copy of (panelInPlace): the last stage's 7×7
// maps, the 14×14 ones, the stride-2 3×3 layers into them and ResNeXt's
// grouped layers there are computed on them. At 96×96 (3×3 maps) layers
// that 224×224 computes untransposed are small maps too, and gather the
// weights as stored into the same panels (kernels.SgemmSerialATBT), the
// same sums in the same order; at 448×448 layers laid out as panels
// compute untransposed, on a copy of their rows (conv.rows). Without the
// assembly gather (kernels.PackTransposeNative) the in-place plan computes
// such layers untransposed, and the two agree within SPEC §6.
//
// With Options.BF16 the same holds for the bfloat16 pairs (their panels,
// transposedBF16).
func TestPlanInPlace(t *testing.T) {
	for _, tc := range []struct {
		arch string
		n, h int
		bf16 bool
	}{
		{"resnet18", 2, 224, false}, {"resnet50", 1, 224, false}, {"resnext50_32x4d", 1, 224, false},
		{"resnet18", 1, 96, false}, {"resnet18", 1, 448, false}, {"resnet20", 3, 32, false},
		{"resnet18", 1, 224, true}, {"resnet50", 2, 224, true}, {"resnet18", 1, 448, true},
	} {
		if testing.Short() && (tc.arch == "resnet50" || tc.arch == "resnext50_32x4d") {
			continue
		}
		name := fmt.Sprintf("%s/%dx%d", tc.arch, tc.n, tc.h)
		if tc.bf16 {
			name += "/bf16"
		}
		t.Run(name, func(t *testing.T) { checkInPlace(t, tc.arch, tc.n, tc.h, tc.bf16) })
	}
}

// checkInPlace is one case of TestPlanInPlace: arch on n×3×h×h inputs.
func checkInPlace(t *testing.T, arch string, n, h int, bf16 bool) {
	m1, err := models.New(arch, models.Options{Seed: 8})
	if err != nil {
		t.Fatal(err)
	}
	m2, _ := models.New(arch, models.Options{Seed: 8})
	p1, err := Compile(m1, Options{BF16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	p2, err := Compile(m2, Options{InPlace: true, BF16: bf16})
	if err != nil {
		t.Fatal(err)
	}
	x := testnet.RandomInput(n, 3, h, h, 13)
	want, err := p1.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p2.Forward(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if !kernels.PackTransposeNative() && h == 96 && !bf16 {
		// The in-place plan computes the small maps that 224×224
		// has not laid out as panels untransposed.
		if err := testutil.Compare(got, want, testutil.RelTol, testutil.AbsTol); err != nil {
			t.Errorf("%s %d×%d in place: %v", arch, h, h, err)
		}
		return
	}
	for i, v := range want.Data {
		if math.Float32bits(got.Data[i]) != math.Float32bits(v) {
			t.Fatalf("%s %d×%d: logit %d is %v in place, %v with the copy", arch, h, h, i, got.Data[i], v)
		}
	}
	// A pass at the architecture's size keeps no second copy of any
	// layer's weights; the last stage's are laid out as panels.
	panels, rows := 0, 0
	for _, c := range p2.convs() {
		if c.wPanels || c.wbPanels {
			panels++
		}
		if c.wRows.u != nil || c.wT.u != nil || c.wbRows.u != nil || c.wbT.u != nil {
			rows++
		}
	}
	if panels == 0 && m2.Config.InputSize == 224 { // resnet20's maps are 32×32 to 8×8
		t.Errorf("%s: no layer laid out as panels in place", arch)
	}
	if m2.Config.InputSize == h && rows > 0 {
		t.Errorf("%s %d×%d (BF16 %v): %d layers copied their weights", arch, h, h, bf16, rows)
	}
	if h == 448 && rows == 0 {
		t.Errorf("%s %d×%d: no layer computed its panels untransposed", arch, h, h)
	}
}
