package engine

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/resnetgo/resnet/internal/cputime"
	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
	"github.com/resnetgo/resnet/models"
)

// TestLayerProfile prints the CPU time of every convolution of a network
// at 224×224, run alone (a layer at a time, reps times), with its rate in
// GFLOP per CPU second, and the totals per kind: where a forward pass
// spends its time, on a busy machine too. Set ENGINE_PROFILE to the
// architecture (and ENGINE_PROFILE_BATCH, default 1; ENGINE_PROFILE_PRECISION
// bf16, int8 or int8+bf16 for Options.BF16 and Int8):
//
//	ENGINE_PROFILE=resnet50 go test -run LayerProfile -v ./engine/
func TestLayerProfile(t *testing.T) {
	arch := os.Getenv("ENGINE_PROFILE")
	if arch == "" {
		t.Skip("ENGINE_PROFILE not set")
	}
	p, batch := profilePlan(t, arch)
	type layer struct {
		c    *conv
		h, w int
	}
	var layers []layer
	h, w := 224, 224
	layers = append(layers, layer{p.stem, h, w})
	h, w = p.stem.outSize(h, w)
	if p.pool != nil {
		h, w = p.pool.OutSize(h, w)
	}
	for _, b := range p.blocks {
		h1, w1 := b.conv1.outSize(h, w)
		layers = append(layers, layer{b.conv1, h, w}, layer{b.conv2, h1, w1})
		h2, w2 := b.conv2.outSize(h1, w1)
		if b.conv3 != nil {
			layers = append(layers, layer{b.conv3, h2, w2})
		}
		if b.down != nil {
			layers = append(layers, layer{b.down, h, w})
		}
		h, w = h2, w2
	}
	const reps = 10
	kinds := map[string][3]float64{}
	var total, totalWall float64
	for i, l := range layers {
		c := l.c
		ws := sizedWorkspace(t, batch, l.h, l.w, kernels.Threads(), func(ws *workspace) error {
			_, _, _, err := ws.conv(c, nil, bufT1, l.h, l.w, nil, nil, nil, true)
			return err
		})
		x := testnet.RandomInput(batch, c.inC, l.h, l.w, 1).Data
		ws.conv(c, x, bufT1, l.h, l.w, nil, nil, nil, true)
		cpu0, wall0 := cputime.Process(), time.Now()
		for range reps {
			ws.conv(c, x, bufT1, l.h, l.w, nil, nil, nil, true)
		}
		ms := (cputime.Process() - cpu0).Seconds() * 1e3 / reps / float64(batch)
		wallMS := time.Since(wall0).Seconds() * 1e3 / reps / float64(batch)
		ws.team.close()
		oh, ow := c.outSize(l.h, l.w)
		flops := 2 * float64(c.outC*oh*ow*c.inC/c.groups*c.kh*c.kw)
		kind := layerKind(c, batch, oh, ow)
		k := kinds[kind]
		kinds[kind] = [3]float64{k[0] + ms, k[1] + flops, k[2] + wallMS}
		total += ms
		totalWall += wallMS
		t.Logf("%3d %-16s %4d→%-4d g%-2d %3dx%-3d %7.3f cpu-ms %6.1f GFLOP/cpu-s %7.3f ms", i, kind, c.inC, c.outC, c.groups, l.h, l.w, ms, flops/ms/1e6, wallMS)
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Fprintf(&sb, "\n  %-16s %7.2f cpu-ms (%4.1f%%) %6.1f GFLOP/cpu-s %7.2f ms (%4.1f%%)", k, kinds[k][0], 100*kinds[k][0]/total, kinds[k][1]/kinds[k][0]/1e6, kinds[k][2], 100*kinds[k][2]/totalWall)
	}
	t.Logf("%s batch %d, %d threads: convolutions %.2f cpu-ms, %.2f ms per image%s", arch, batch, kernels.Threads(), total, totalWall, sb.String())
}

// profilePlan compiles arch with random weights for the profiles, as
// their variables ask: ENGINE_PROFILE_BATCH (default 1, also the plan's
// MaxBatch), ENGINE_PROFILE_PRECISION (bf16, int8 or int8+bf16) and
// ENGINE_PROFILE_WINOGRAD=0 (Options.NoWinograd).
func profilePlan(t *testing.T, arch string) (p *Plan, batch int) {
	batch = 1
	if b := os.Getenv("ENGINE_PROFILE_BATCH"); b != "" {
		fmt.Sscan(b, &batch)
	}
	m, err := models.New(arch, models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	prec := os.Getenv("ENGINE_PROFILE_PRECISION")
	p, err = Compile(m, Options{MaxBatch: batch, NoWinograd: os.Getenv("ENGINE_PROFILE_WINOGRAD") == "0",
		BF16: strings.Contains(prec, "bf16"), Int8: strings.Contains(prec, "int8")})
	if err != nil {
		t.Fatal(err)
	}
	return p, batch
}

// TestNetworkProfile prints Plan.Profile's time of every convolution
// inside whole forward passes at 224×224 (medians over
// ENGINE_PROFILE_PASSES passes, default 40) and the totals per kind.
// Unlike TestLayerProfile's layers, run alone on an input they read again
// and again, each starts with the caches the pass leaves it: an input just
// written, half by the other thread, and weights not read since the last
// pass. This is the profile to set beside ONNX Runtime's per-node one
// (engine/README.md, "Against ONNX Runtime, layer by layer"). Set
// ENGINE_PROFILE_NET to the architecture (ENGINE_PROFILE_BATCH,
// ENGINE_PROFILE_PRECISION and ENGINE_PROFILE_WINOGRAD as for
// TestLayerProfile):
//
//	ENGINE_PROFILE_NET=resnet50 go test -run NetworkProfile -v ./engine/
func TestNetworkProfile(t *testing.T) {
	arch := os.Getenv("ENGINE_PROFILE_NET")
	if arch == "" {
		t.Skip("ENGINE_PROFILE_NET not set")
	}
	p, batch := profilePlan(t, arch)
	passes := 40
	if b := os.Getenv("ENGINE_PROFILE_PASSES"); b != "" {
		fmt.Sscan(b, &passes)
	}
	pr, err := p.Profile(context.Background(), testnet.RandomInput(batch, 3, 224, 224, 1), passes)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]float64{}
	var total float64
	for j, l := range pr.Layers {
		ms := l.Time.Seconds() * 1e3
		kinds[l.Kind] += ms
		total += ms
		t.Logf("%3d %-28s %-16s %4d→%-4d g%-2d %3dx%-3d %7.3f ms", j, l.Name, l.Kind, l.InC, l.OutC, l.Groups, l.H, l.W, ms)
	}
	var sb strings.Builder
	for _, k := range slices.Sorted(maps.Keys(kinds)) {
		fmt.Fprintf(&sb, "\n  %-16s %7.2f ms (%4.1f%%)", k, kinds[k], 100*kinds[k]/total)
	}
	t.Logf("%s batch %d, %d threads, in the network: convolutions %.2f ms of a %.2f ms pass per image (medians of %d passes)%s",
		arch, batch, kernels.Threads(), total, pr.Pass.Seconds()*1e3, passes, sb.String())
}

// layerBench builds one convolution layer (random weights, batch norm
// folded) and a workspace for it, for the layer benchmarks.
func layerBench(b *testing.B, tc convCase, o Options) (run func()) {
	c := nnConv(tc)
	bn := nnBN(tc.outC)
	cv, err := newConv(c, bn, o)
	if err != nil {
		b.Fatal(err)
	}
	var res []float32 // tc.res: a residual the size of the output
	if tc.res {
		oh, ow := cv.outSize(tc.h, tc.w)
		res = testnet.RandomInput(tc.n, tc.outC, oh, ow, 2).Data
	}
	ws := sizedWorkspace(b, tc.n, tc.h, tc.w, kernels.Threads(), func(ws *workspace) error {
		_, _, _, err := ws.conv(cv, nil, bufT1, tc.h, tc.w, res, nil, nil, tc.relu)
		return err
	})
	b.Cleanup(ws.team.close)
	x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 1).Data
	return func() { ws.conv(cv, x, bufT1, tc.h, tc.w, res, nil, nil, tc.relu) }
}

// BenchmarkConvLayer measures single layers of the ResNets at 224×224
// (batch 1) in GFLOP per CPU second:
//
//	go test -run X -bench ConvLayer ./engine/
func BenchmarkConvLayer(b *testing.B) {
	for _, l := range []struct {
		name string
		tc   convCase
		o    Options
	}{
		{"stem", convCase{3, 64, 7, 2, 3, 1, 1, 224, 224, false, true}, Options{NoWinograd: true}},
		{"grouped4-56", convCase{128, 128, 3, 1, 1, 32, 1, 56, 56, false, true}, Options{NoWinograd: true}},
		{"grouped4-56-s2", convCase{256, 256, 3, 2, 1, 32, 1, 56, 56, false, true}, Options{NoWinograd: true}},
		{"grouped16-14", convCase{512, 512, 3, 1, 1, 32, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"grouped32-14", convCase{1024, 1024, 3, 1, 1, 32, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"grouped64-7", convCase{2048, 2048, 3, 1, 1, 32, 1, 7, 7, false, true}, Options{NoWinograd: true}},
		{"grouped32-28-s2", convCase{1024, 1024, 3, 2, 1, 32, 1, 28, 28, false, true}, Options{NoWinograd: true}},
		{"grouped64-14-s2", convCase{2048, 2048, 3, 2, 1, 32, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"3x3-64-56", convCase{64, 64, 3, 1, 1, 1, 1, 56, 56, false, true}, Options{NoWinograd: true}},
		{"3x3-64-56-wino", convCase{64, 64, 3, 1, 1, 1, 1, 56, 56, false, true}, Options{}},
		{"3x3-256-14", convCase{256, 256, 3, 1, 1, 1, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"3x3-256-14-wino", convCase{256, 256, 3, 1, 1, 1, 1, 14, 14, false, true}, Options{}},
		{"3x3-256-14-b8", convCase{256, 256, 3, 1, 1, 1, 8, 14, 14, false, true}, Options{NoWinograd: true}},
		{"3x3-256-14-b8-wino", convCase{256, 256, 3, 1, 1, 1, 8, 14, 14, false, true}, Options{}},
		{"3x3-128-28", convCase{128, 128, 3, 1, 1, 1, 1, 28, 28, false, true}, Options{NoWinograd: true}},
		{"3x3-128-28-wino", convCase{128, 128, 3, 1, 1, 1, 1, 28, 28, false, true}, Options{}},
		{"3x3-512-7", convCase{512, 512, 3, 1, 1, 1, 1, 7, 7, false, true}, Options{NoWinograd: true}},
		{"3x3-512-7-wino", convCase{512, 512, 3, 1, 1, 1, 1, 7, 7, false, true}, Options{}},
		{"3x3-512-7-b8", convCase{512, 512, 3, 1, 1, 1, 8, 7, 7, false, true}, Options{NoWinograd: true}},
		{"3x3-512-7-b8-wino", convCase{512, 512, 3, 1, 1, 1, 8, 7, 7, false, true}, Options{}},
		{"3x3-128-56-s2", convCase{128, 128, 3, 2, 1, 1, 1, 56, 56, false, true}, Options{NoWinograd: true}},
		{"3x3-64-128-56-s2", convCase{64, 128, 3, 2, 1, 1, 1, 56, 56, false, true}, Options{NoWinograd: true}},
		{"3x3-256-28-s2", convCase{256, 256, 3, 2, 1, 1, 1, 28, 28, false, true}, Options{NoWinograd: true}},
		{"3x3-512-14-s2", convCase{512, 512, 3, 2, 1, 1, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"1x1-64-64-56", convCase{64, 64, 1, 1, 0, 1, 1, 56, 56, false, true}, Options{}},
		{"1x1-64-256-56", convCase{64, 256, 1, 1, 0, 1, 1, 56, 56, false, true}, Options{}},
		{"1x1-64-256-56-res", convCase{64, 256, 1, 1, 0, 1, 1, 56, 56, true, true}, Options{}},
		{"1x1-256-64-56", convCase{256, 64, 1, 1, 0, 1, 1, 56, 56, false, true}, Options{}},
		{"1x1-512-128-28", convCase{512, 128, 1, 1, 0, 1, 1, 28, 28, false, true}, Options{}},
		{"1x1-1024-256-14", convCase{1024, 256, 1, 1, 0, 1, 1, 14, 14, false, true}, Options{}},
		{"1x1-256-1024-14", convCase{256, 1024, 1, 1, 0, 1, 1, 14, 14, false, true}, Options{}},
		{"1x1-256-1024-14-res", convCase{256, 1024, 1, 1, 0, 1, 1, 14, 14, true, true}, Options{}},
		{"1x1-2048-512-7", convCase{2048, 512, 1, 1, 0, 1, 1, 7, 7, false, true}, Options{}},
		{"1x1-512-2048-7", convCase{512, 2048, 1, 1, 0, 1, 1, 7, 7, false, true}, Options{}},
		{"1x1-1024-256-14-b8", convCase{1024, 256, 1, 1, 0, 1, 8, 14, 14, false, true}, Options{}},
		{"1x1-1024-1024-14", convCase{1024, 1024, 1, 1, 0, 1, 1, 14, 14, false, true}, Options{}},
		{"1x1-1024-1024-14-res", convCase{1024, 1024, 1, 1, 0, 1, 1, 14, 14, true, true}, Options{}},
		{"1x1-2048-2048-7", convCase{2048, 2048, 1, 1, 0, 1, 1, 7, 7, false, true}, Options{}},
		{"1x1-2048-2048-7-res", convCase{2048, 2048, 1, 1, 0, 1, 1, 7, 7, true, true}, Options{}},
		{"1x1-2048-2048-7-b8", convCase{2048, 2048, 1, 1, 0, 1, 8, 7, 7, false, true}, Options{}},
		{"1x1-1024-1024-14-b8", convCase{1024, 1024, 1, 1, 0, 1, 8, 14, 14, false, true}, Options{}},
		{"1x1-256-1024-14-b8", convCase{256, 1024, 1, 1, 0, 1, 8, 14, 14, false, true}, Options{}},
		{"1x1-256-1024-14-b8-res", convCase{256, 1024, 1, 1, 0, 1, 8, 14, 14, true, true}, Options{}},
		{"1x1-128-512-28-b8-res", convCase{128, 512, 1, 1, 0, 1, 8, 28, 28, true, true}, Options{}},
		{"1x1-128-512-28-b8", convCase{128, 512, 1, 1, 0, 1, 8, 28, 28, false, true}, Options{}},
		{"1x1-512-128-28-b8", convCase{512, 128, 1, 1, 0, 1, 8, 28, 28, false, true}, Options{}},
		// resnext101_32x48d_wsl's layer 3 and 4 (weights of 25 to 170 MB a layer)
		{"1x1-1024-6144-14", convCase{1024, 6144, 1, 1, 0, 1, 1, 14, 14, false, true}, Options{}},
		{"1x1-6144-1024-14-res", convCase{6144, 1024, 1, 1, 0, 1, 1, 14, 14, true, true}, Options{}},
		{"1x1-2048-12288-7", convCase{2048, 12288, 1, 1, 0, 1, 1, 7, 7, false, true}, Options{}},
		{"1x1-12288-2048-7-res", convCase{12288, 2048, 1, 1, 0, 1, 1, 7, 7, true, true}, Options{}},
		{"grouped192-14", convCase{6144, 6144, 3, 1, 1, 32, 1, 14, 14, false, true}, Options{NoWinograd: true}},
		{"grouped384-7", convCase{12288, 12288, 3, 1, 1, 32, 1, 7, 7, false, true}, Options{NoWinograd: true}},
	} {
		b.Run(l.name, func(b *testing.B) {
			if !l.o.NoWinograd {
				defer func(v int) { minWinogradTiles = v }(minWinogradTiles)
				minWinogradTiles = 1
			}
			run := layerBench(b, l.tc, l.o)
			run()
			tc := l.tc
			oh := (tc.h+2*tc.pad-tc.k)/tc.stride + 1
			ow := (tc.w+2*tc.pad-tc.k)/tc.stride + 1
			flops := 2 * float64(tc.n*tc.outC*oh*ow*tc.inC/tc.groups*tc.k*tc.k)
			cpu0 := cputime.Process()
			b.ResetTimer()
			for range b.N {
				run()
			}
			cpu := (cputime.Process() - cpu0).Seconds()
			b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/op")
			b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
		})
	}
}

// TestProfile checks Plan.Profile on networks with every kind of
// shortcut: every convolution once, in the order a pass runs them, named
// as PyTorch's modules (a bottleneck's projection with its conv3), with a
// time, and together (one pass: the medians of one value each) no longer
// than the pass; a batch past MaxBatch (two chunks a pass) times each
// layer over both; bad arguments are errors.
func TestProfile(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		arch, first, down string
		convs, batch      int
	}{
		{"resnet20", "layer1.0.conv1", "", 19, 1},                            // option A shortcuts: no projection
		{"resnet20b", "layer1.0.conv1", "layer2.0.downsample.0", 21, 3},      // basic blocks with projections, 2 chunks
		{"resnet50", "layer1.0.conv1", "layer1.0.conv3+downsample.0", 49, 1}, // 4 projections with their conv3
	} {
		t.Run(tc.arch, func(t *testing.T) {
			m, err := models.New(tc.arch, models.Options{Seed: 1})
			if err != nil {
				t.Fatal(err)
			}
			p, err := Compile(m, Options{MaxBatch: 2})
			if err != nil {
				t.Fatal(err)
			}
			size := 32
			if tc.arch == "resnet50" {
				size = 64
			}
			pr, err := p.Profile(ctx, testnet.RandomInput(tc.batch, 3, size, size, 1), 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(pr.Layers) != tc.convs {
				t.Fatalf("%d layers, want %d", len(pr.Layers), tc.convs)
			}
			if pr.Layers[0].Name != "conv1" || pr.Layers[1].Name != tc.first {
				t.Errorf("first layers %q, %q", pr.Layers[0].Name, pr.Layers[1].Name)
			}
			var sum time.Duration
			seen, down := map[string]bool{}, false
			for _, l := range pr.Layers {
				if seen[l.Name] || l.Time <= 0 || l.Kind == "" || l.InC < 1 || l.OutC < 1 || l.H < 1 {
					t.Errorf("layer %+v", l)
				}
				seen[l.Name] = true
				down = down || l.Name == tc.down
				sum += l.Time
			}
			if tc.down != "" && !down {
				t.Errorf("no layer %s", tc.down)
			}
			if sum > pr.Pass {
				t.Errorf("layers %v, more than the pass %v", sum, pr.Pass)
			}
		})
	}
	m, _ := models.New("resnet20", models.Options{Seed: 1})
	p, _ := Compile(m, Options{})
	if _, err := p.Profile(ctx, testnet.RandomInput(1, 3, 32, 32, 1), 0); err == nil {
		t.Error("0 passes: no error")
	}
	if _, err := p.Profile(ctx, testnet.RandomInput(1, 1, 32, 32, 1), 1); err == nil {
		t.Error("1 channel: no error")
	}
}

// BenchmarkStemPool measures ResNet's stem with its max pool fused
// (convPool) at 224×224, batch 1 and 8, in GFLOP per CPU second of the
// convolution's multiply-adds:
//
//	go test -run X -bench StemPool ./engine/
func BenchmarkStemPool(b *testing.B) {
	for _, n := range []int{1, 8} {
		b.Run(fmt.Sprintf("batch%d", n), func(b *testing.B) {
			tc := convCase{3, 64, 7, 2, 3, 1, n, 224, 224, false, true}
			cv, err := newConv(nnConv(tc), nnBN(tc.outC), Options{})
			if err != nil {
				b.Fatal(err)
			}
			ws := sizedWorkspace(b, n, tc.h, tc.w, kernels.Threads(), func(ws *workspace) error {
				_, _, _, err := ws.convPool(cv, nil, bufAct0, tc.h, tc.w)
				return err
			})
			b.Cleanup(ws.team.close)
			x := testnet.RandomInput(n, tc.inC, tc.h, tc.w, 1).Data
			ws.convPool(cv, x, bufAct0, tc.h, tc.w)
			flops := 2 * float64(n*tc.outC*112*112*tc.inC*tc.k*tc.k)
			cpu0 := cputime.Process()
			b.ResetTimer()
			for range b.N {
				ws.convPool(cv, x, bufAct0, tc.h, tc.w)
			}
			cpu := (cputime.Process() - cpu0).Seconds()
			b.ReportMetric(cpu*1e3/float64(b.N), "cpu-ms/op")
			b.ReportMetric(flops*float64(b.N)/cpu/1e9, "GFLOP/cpu-s")
		})
	}
}
