package engine

import (
	"context"
	"fmt"
	"math"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/models"
)

// TestPointwiseBF16 runs 1×1 layers compiled with Options.BF16 (and, for
// the bottleneck's fused shortcut, a second one summed into the same
// tiles) against float64 sums of the bfloat16-rounded folded weights and
// inputs: the products are exact, so the bound is float32 accumulation,
// (2·⌈K/2⌉ + 4)·2⁻²⁴ × the sum of the terms' magnitudes (as
// kernels.TestSgemmBF16). With the AVX512-BF16 kernels where the CPU has
// them, else the portable ones.
func TestPointwiseBF16(t *testing.T) {
	cases := []convCase{
		{64, 256, 1, 1, 0, 1, 1, 14, 14, true, true},
		{512, 2048, 1, 1, 0, 1, 1, 7, 7, true, true},
		{2048, 512, 1, 1, 0, 1, 2, 7, 7, false, true},
		{96, 37, 1, 1, 0, 1, 3, 5, 5, true, false},
		{41, 100, 1, 2, 0, 1, 2, 13, 13, false, true}, // odd K, stride 2
		{33, 70, 1, 1, 0, 1, 1, 1, 1, true, true},
		{256, 64, 1, 1, 0, 1, 1, 56, 56, false, true},
	}
	for _, tc := range cases {
		for _, withAcc := range []bool{false, true} {
			if withAcc && tc.stride != 1 {
				continue // the engine sums a shortcut into stride-1 layers only (bufSub holds its input)
			}
			t.Run(fmt.Sprintf("%v/acc=%v", tc, withAcc), func(t *testing.T) { checkPointwiseBF16(t, tc, withAcc) })
		}
	}
}

func checkPointwiseBF16(t *testing.T, tc convCase, withAcc bool) {
	c, bn := nnConv(tc), nnBN(tc.outC)
	cv, err := newConv(c, bn, Options{BF16: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newConv(c, bn, Options{}) // the float32 folding, to round here
	if cv.wb == nil || cv.w != nil {
		t.Fatalf("BF16 pointwise layer compiled with wb=%v w=%v", cv.wb != nil, cv.w != nil)
	}
	oh, ow := cv.outSize(tc.h, tc.w)
	x := randomInput(tc.n, tc.inC, tc.h, tc.w, 7).Data
	var acc *accum
	var accRef *conv
	var ax []float32
	bias := cv.bias
	// The shortcut: a stride-2 1×1 layer of 24 channels on a map twice the size.
	atc := convCase{24, tc.outC, 1, 2, 0, 1, tc.n, 2 * oh, 2 * ow, false, false}
	if withAcc {
		ac, abn := nnConv(atc), nnBN(tc.outC)
		acv, err := newConv(ac, abn, Options{BF16: true})
		if err != nil {
			t.Fatal(err)
		}
		accRef, _ = newConv(ac, abn, Options{})
		ax = randomInput(tc.n, atc.inC, atc.h, atc.w, 8).Data
		acc = &accum{c: acv, x: ax, h: atc.h, w: atc.w}
		bias = make([]float32, tc.outC)
		for i := range bias {
			bias[i] = cv.bias[i] + acv.bias[i]
		}
	}
	var res []float32
	if tc.res {
		res = randomInput(tc.n, tc.outC, oh, ow, 9).Data
	}
	ws := &workspace{key: wsKey{tc.n, tc.h, tc.w, kernels.Threads()}, sizing: true, n: tc.n}
	if _, _, _, err := ws.conv(cv, nil, bufT1, tc.h, tc.w, res, bias, acc, tc.relu); err != nil {
		t.Fatal(err)
	}
	ws.alloc()
	ws.team = newTeam(ws.key.threads)
	defer ws.team.close()
	out, _, _, err := ws.conv(cv, x, bufT1, tc.h, tc.w, res, bias, acc, tc.relu)
	if err != nil {
		t.Fatal(err)
	}
	plane := oh * ow
	// sum adds layer r's product at output (img, o, oy, ox), its input
	// subsampled by r's stride.
	sum := func(r *conv, x []float32, h, w, img, o, oy, ox int) (s, mag float64) {
		for ch := 0; ch < r.inC; ch++ {
			v := float64(kernels.BF16Value(r.w[o*r.lda+ch])) * float64(kernels.BF16Value(x[((img*r.inC+ch)*h+oy*r.stride)*w+ox*r.stride]))
			s += v
			mag += math.Abs(v)
		}
		return s, mag
	}
	for img := 0; img < tc.n; img++ {
		for o := 0; o < tc.outC; o++ {
			for p := 0; p < plane; p++ {
				oy, ox := p/ow, p%ow
				want, mag := sum(ref, x, tc.h, tc.w, img, o, oy, ox)
				k := tc.inC
				if withAcc {
					s, m := sum(accRef, ax, atc.h, atc.w, img, o, oy, ox)
					want, mag, k = want+s, mag+m, k+atc.inC
				}
				want += float64(bias[o])
				mag += math.Abs(float64(bias[o]))
				at := (img*tc.outC+o)*plane + p
				if res != nil {
					want += float64(res[at])
					mag += math.Abs(float64(res[at]))
				}
				if tc.relu {
					want = max(want, 0)
				}
				tol := float64(k+4) * math.Pow(2, -24) * mag
				if d := math.Abs(float64(out[at]) - want); d > tol {
					t.Fatalf("output (%d, %d, %d) = %v, want %v (±%.3g)", img, o, p, out[at], want, tol)
				}
			}
		}
	}
}

// TestPlanBF16 compiles whole networks with Options.BF16 and checks the
// logits against the float32 plan's. There is no tight bound here (how
// rounding errors grow through 50 layers depends on the weights), so this
// is a sanity check, that wiring mistakes would fail: relative L2 error
// of the logits under L·2⁻⁸ for L rounded layers (each rounding is within
// 2⁻⁹ relative, two per layer, added to first order), and the same top-1.
// TestPointwiseBF16 is the exact check of each layer.
func TestPlanBF16(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50"} {
		if testing.Short() && arch != "resnet18" {
			continue
		}
		m, err := models.New(arch, models.Options{Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		p32, err := Compile(m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		p16, err := Compile(m, Options{BF16: true})
		if err != nil {
			t.Fatal(err)
		}
		layers := 0
		for _, b := range p16.blocks {
			for _, c := range []*conv{b.conv1, b.conv2, b.conv3, b.down} {
				if c != nil && c.wb != nil {
					layers++
				}
			}
		}
		x := randomInput(2, 3, 96, 96, 4)
		want, err := p32.Forward(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		got, err := p16.Forward(context.Background(), x)
		if err != nil {
			t.Fatal(err)
		}
		var d2, n2 float64
		for i, v := range want.Data {
			d := float64(got.Data[i] - v)
			d2 += d * d
			n2 += float64(v) * float64(v)
		}
		rel, bound := math.Sqrt(d2/n2), float64(layers)/256
		t.Logf("%s: %d bf16 layers, relative logit error %.2g (bound %.2g)", arch, layers, rel, bound)
		if layers == 0 && arch == "resnet50" {
			t.Errorf("%s: no layer compiled for bf16", arch)
		}
		if rel > bound {
			t.Errorf("%s: relative logit error %.3g > %.3g", arch, rel, bound)
		}
		classes := want.Shape[1]
		for img := 0; img < 2; img++ {
			if a, b := argmax(want.Data[img*classes:(img+1)*classes]), argmax(got.Data[img*classes:(img+1)*classes]); a != b {
				t.Errorf("%s image %d: top-1 %d with bf16, %d with float32", arch, img, b, a)
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
