package engine

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
)

// reluInput is randomInput after a ReLU: what every convolution Options.Int8
// quantizes reads in a ResNet.
func reluInput(n, c, h, w int, seed uint64) []float32 {
	x := testnet.RandomInput(n, c, h, w, seed).Data
	for i, v := range x {
		x[i] = max(v, 0)
	}
	return x
}

// TestPointwiseInt8 runs 1×1 layers compiled with Options.Int8 (and, for
// the bottleneck's fused shortcut, a second one summed into the same
// tiles) against a reference computed here from the definition: the
// weights' bytes and scales (checked against the float32 folding), each
// output position's inputs quantized by the largest of them, the byte
// products summed exactly, scaled in float64. What is left is float32's
// rounding of the scaling and the epilogue: at most eight roundings
// (conversion, two products, a second product's three, three sums), each
// within 2⁻²⁴ of the magnitudes summed. With the AVX512-VNNI, AVX-VNNI or SDOT
// kernels where the CPU has them, else the portable ones.
func TestPointwiseInt8(t *testing.T) {
	for _, tc := range pointwiseCases {
		for _, withAcc := range []bool{false, true} {
			if withAcc && tc.stride != 1 {
				continue // the engine sums a shortcut into stride-1 layers only
			}
			t.Run(fmt.Sprintf("%v/acc=%v", tc, withAcc), func(t *testing.T) { checkLayerInt8(t, tc, withAcc, false) })
		}
	}
}

// TestDirectInt8 is TestPointwiseInt8 for the implicit-GEMM convolutions:
// the stem (on signed values, as in a network, and on unsigned ones),
// stride 2, small maps, groups (one channel each, ResNeXt's 4 and 8), K
// not a multiple of 4, and a 3×3 stride-1 layer that Winograd would take
// on a larger batch.
func TestDirectInt8(t *testing.T) {
	for _, tc := range directCases {
		t.Run(tc.String(), func(t *testing.T) { checkLayerInt8(t, tc, false, false) })
	}
	for _, tc := range []convCase{
		{3, 64, 7, 2, 3, 1, 1, 45, 38, false, true},
		{3, 16, 3, 1, 1, 1, 2, 32, 32, false, true}, // the CIFAR nets' stem
		{5, 7, 3, 1, 1, 1, 2, 6, 11, true, false},
	} {
		t.Run(tc.String()+"/signed", func(t *testing.T) { checkLayerInt8(t, tc, false, true) })
	}
}

// q8Layer is a layer's quantized weights as the reference reads them.
type q8Layer struct {
	c    *conv
	qa   [][]int8 // per output channel, K values
	x    []float32
	h, w int
}

// signed reports whether l's input is quantized as signed values.
func (l *q8Layer) signed() bool { return l.c.corr != nil }

func newQ8Layer(t *testing.T, cv, ref *conv, x []float32, h, w int) *q8Layer {
	t.Helper()
	k := cv.inC / cv.groups * cv.kh * cv.kw
	l := &q8Layer{c: cv, qa: make([][]int8, cv.outC), x: x, h: h, w: w}
	for o := range l.qa {
		l.qa[o] = make([]int8, k)
		s := float64(cv.sq[o])
		for p := range l.qa[o] {
			q := int8(math.Float32bits(cv.wq[o*cv.ldq+p/4]) >> (8 * (p % 4)))
			l.qa[o][p] = q
			// The bytes stand for the folded float32 weights.
			if d := math.Abs(float64(q)*s - float64(ref.w[o*ref.lda+p])); d > s/2*(1+1e-5) {
				t.Fatalf("weight (%d, %d) = %v quantized to %d·%v", o, p, ref.w[o*ref.lda+p], q, s)
			}
		}
	}
	return l
}

// sum returns l's scaled integer sum at output (img, o, oy, ox) and its
// magnitude: the position's inputs (its group's channels and taps, 0 in
// the padding) quantized by their largest value.
func (l *q8Layer) sum(img, o, oy, ox int) (float64, float64) {
	r := l.c
	icg := r.inC / r.groups
	g := o / (r.outC / r.groups)
	vals := make([]float32, 0, icg*r.kh*r.kw)
	var mx float32
	for ci := 0; ci < icg; ci++ {
		for ki := 0; ki < r.kh; ki++ {
			for kj := 0; kj < r.kw; kj++ {
				y, xx := oy*r.stride+ki-r.pad, ox*r.stride+kj-r.pad
				var v float32
				if y >= 0 && y < l.h && xx >= 0 && xx < l.w {
					v = l.x[((img*r.inC+g*icg+ci)*l.h+y)*l.w+xx]
				}
				vals = append(vals, v)
				if l.signed() {
					mx = max(mx, float32(math.Abs(float64(v))))
				} else {
					mx = max(mx, v)
				}
			}
		}
	}
	// kernels.PackU8's (or PackU8Offset's) definition, in float32.
	lim := float32(255)
	if l.signed() {
		lim = 127
	}
	var inv float32
	if mx != 0 {
		inv = lim / mx
	}
	var s int64
	for p, v := range vals {
		q := math.RoundToEven(float64(v * inv))
		if !l.signed() {
			q = min(max(q, 0), 255)
		}
		s += int64(l.qa[o][p]) * int64(q)
	}
	val := float64(s) * float64(r.sq[o]) * float64(mx/lim)
	return val, math.Abs(val)
}

// checkLayerInt8 runs tc's layer compiled with Options.Int8 (with withAcc,
// a projection shortcut summed into its tiles; with signed, on a signed
// input, as the stem) against q8Layer's sums.
func checkLayerInt8(t *testing.T, tc convCase, withAcc, signed bool) {
	c, bn := nnConv(tc), nnBN(tc.outC)
	cv, err := newConv(c, bn, Options{Int8: true})
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := newConv(c, bn, Options{})
	if cv.wq == nil || (cv.w != nil) != cv.winoOK || cv.wb != nil {
		t.Fatalf("Int8 layer compiled with wq=%v w=%v wb=%v", cv.wq != nil, cv.w != nil, cv.wb != nil)
	}
	oh, ow := cv.outSize(tc.h, tc.w)
	x := reluInput(tc.n, tc.inC, tc.h, tc.w, 7)
	if signed {
		cv.signedInput()
		x = testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 7).Data
	}
	layers := []*q8Layer{newQ8Layer(t, cv, ref, x, tc.h, tc.w)}
	var acc *accum
	bias := cv.bias
	if withAcc {
		var aref *conv
		acc, aref, _, bias = withShortcut(t, tc, cv, oh, ow, Options{Int8: true}, reluInput)
		layers = append(layers, newQ8Layer(t, acc.c, aref, acc.x, acc.h, acc.w))
	}
	var res []float32
	if tc.res {
		res = testnet.RandomInput(tc.n, tc.outC, oh, ow, 9).Data
	}
	out := runLayer(t, cv, tc, x, res, bias, acc).Data
	checkOutputs(t, tc, out, oh, ow, res, bias, func(img, o, oy, ox int) (want, mag float64) {
		for _, l := range layers {
			s, m := l.sum(img, o, oy, ox)
			want, mag = want+s, mag+m
		}
		return want, mag
	}, func(mag float64) float64 { return 8 * math.Pow(2, -24) * mag })
}

// TestPlanInt8 compiles whole networks with Options.Int8 and checks the
// logits against the float32 plan's. As TestPlanBF16, a sanity check for
// wiring mistakes (a wrong scale, row or offset puts errors of the size of
// the signal into every layer after it), with TestPointwiseInt8 the exact
// check of each layer: each quantized operand is within half a step of
// its row's or column's largest value (2⁻⁸ and 2⁻⁹ of it), about 2⁻⁸·4 of
// a typical value (the largest of a row of Gaussian weights or
// activations is 3–4 standard deviations), and the layers' errors are
// independent, so they add in quadrature: the bound is √L·2⁻⁸·4 for L
// quantized layers. And the same top-1; a plan compiled InPlace (its
// quads packed over the model's weights) gives the same logits bit for
// bit.
func TestPlanInt8(t *testing.T) {
	for _, arch := range []string{"resnet18", "resnet50", "resnet20", "resnet20b", "plain20", "resnext50_32x4d"} {
		if testing.Short() && (arch == "resnet50" || arch == "resnext50_32x4d") {
			continue
		}
		for _, bf16 := range []bool{false, true} {
			checkPlanMode(t, arch, Options{Int8: true, BF16: bf16}, func(c *conv) bool { return c.wq != nil },
				func(layers int) float64 { return math.Sqrt(float64(layers)) * 4 / 256 })
		}
	}
}

// TestInt8TooDeep: Compile refuses Int8 for a convolution whose int32
// sums could overflow, rather than computing wrong values.
func TestInt8TooDeep(t *testing.T) {
	k := 4*kernels.MaxU8Quads + 4
	c, bn := nnConv(convCase{k, 2, 1, 1, 0, 1, 1, 1, 1, false, false}), nnBN(2)
	if _, err := newConv(c, bn, Options{Int8: true}); err == nil || !strings.Contains(err.Error(), "too deep") {
		t.Fatalf("newConv with K=%d: %v", k, err)
	}
	if _, err := newConv(c, bn, Options{}); err != nil {
		t.Fatal(err)
	}
}
