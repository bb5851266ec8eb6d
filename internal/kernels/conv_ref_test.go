package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"
)

// convRef is a direct float64 convolution and its gradients, the
// definition written as loops: y, dx, dw and, for each element, the sum
// of the absolute values of its terms (the scale of float32 rounding).
type convRef struct {
	y, dx, dw          []float64
	yAbs, dxAbs, dwAbs []float64
}

func naiveConv(p *ConvParams, n, h, w int, x, wt, dy []float32) convRef {
	oh, ow := p.OutSize(h, w)
	cinG, coutG := p.InC/p.Groups, p.OutC/p.Groups
	r := convRef{
		y: make([]float64, n*p.OutC*oh*ow), yAbs: make([]float64, n*p.OutC*oh*ow),
		dx: make([]float64, len(x)), dxAbs: make([]float64, len(x)),
		dw: make([]float64, len(wt)), dwAbs: make([]float64, len(wt)),
	}
	for b := 0; b < n; b++ {
		for co := 0; co < p.OutC; co++ {
			g := co / coutG
			for oy := 0; oy < oh; oy++ {
				for ox := 0; ox < ow; ox++ {
					yi := ((b*p.OutC+co)*oh+oy)*ow + ox
					for c := 0; c < cinG; c++ {
						ci := g*cinG + c
						for i := 0; i < p.KH; i++ {
							for j := 0; j < p.KW; j++ {
								iy := oy*p.StrideH - p.PadH + i*p.DilH
								ix := ox*p.StrideW - p.PadW + j*p.DilW
								if iy < 0 || iy >= h || ix < 0 || ix >= w {
									continue
								}
								xi := ((b*p.InC+ci)*h+iy)*w + ix
								wi := ((co*cinG+c)*p.KH+i)*p.KW + j
								xv, wv, gv := float64(x[xi]), float64(wt[wi]), float64(dy[yi])
								r.y[yi] += xv * wv
								r.yAbs[yi] += math.Abs(xv * wv)
								r.dx[xi] += gv * wv
								r.dxAbs[xi] += math.Abs(gv * wv)
								r.dw[wi] += gv * xv
								r.dwAbs[wi] += math.Abs(gv * xv)
							}
						}
					}
				}
			}
		}
	}
	return r
}

// checkNear compares float32 results with the float64 definition: each
// element within 1e-5 of its terms' absolute sum (float32 accumulation of
// a few thousand terms is good to about 1e-6 of it) plus 1e-6.
func checkNear(t *testing.T, what string, got []float32, want, abs []float64) {
	t.Helper()
	for i := range got {
		if d := math.Abs(float64(got[i]) - want[i]); !(d <= 1e-5*abs[i]+1e-6) {
			t.Fatalf("%s[%d] = %.8g, want %.8g (|terms| %.3g)", what, i, got[i], want[i], abs[i])
		}
	}
}

// TestConv2dAgainstDefinition runs Conv2d and Conv2dBackward on batches
// that take the image-per-thread and the split-image paths (batch sizes
// 1, 3, 4, 8 under 1, 2 and 3 threads) against the direct float64
// convolution, over strides, padding, dilation, groups and the 1×1 and
// transposed-convolution input-gradient paths. The forward result must
// also be bit-identical whatever the thread count.
func TestConv2dAgainstDefinition(t *testing.T) {
	cases := []ConvParams{
		{InC: 3, OutC: 4, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{InC: 5, OutC: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 2, DilH: 1, DilW: 1, Groups: 1},
		{InC: 4, OutC: 6, KH: 3, KW: 2, StrideH: 2, StrideW: 3, PadH: 1, PadW: 0, DilH: 2, DilW: 1, Groups: 2},
		{InC: 6, OutC: 3, KH: 1, KW: 1, StrideH: 1, StrideW: 1, DilH: 1, DilW: 1, Groups: 3},
		{InC: 5, OutC: 7, KH: 1, KW: 1, StrideH: 2, StrideW: 2, DilH: 1, DilW: 1, Groups: 1},
		{InC: 16, OutC: 16, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{InC: 16, OutC: 32, KH: 3, KW: 3, StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{InC: 8, OutC: 8, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 1, PadW: 1, DilH: 1, DilW: 1, Groups: 4},
		{InC: 3, OutC: 2, KH: 7, KW: 7, StrideH: 2, StrideW: 2, PadH: 3, PadW: 3, DilH: 1, DilW: 1, Groups: 1},
		{InC: 2, OutC: 3, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 4, PadW: 4, DilH: 1, DilW: 1, Groups: 1},
		// Output as wide as the input (im2col's flat shifted copies).
		{InC: 3, OutC: 2, KH: 5, KW: 5, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 1, DilW: 1, Groups: 1},
		{InC: 2, OutC: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 2, PadW: 2, DilH: 2, DilW: 2, Groups: 1},
		{InC: 3, OutC: 3, KH: 3, KW: 3, StrideH: 1, StrideW: 1, PadH: 0, PadW: 1, DilH: 1, DilW: 1, Groups: 1},
		{InC: 2, OutC: 2, KH: 3, KW: 9, StrideH: 1, StrideW: 1, PadH: 3, PadW: 4, DilH: 1, DilW: 1, Groups: 1},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	rng := rand.New(rand.NewPCG(11, 3))
	randn := func(n int) []float32 {
		s := make([]float32, n)
		for i := range s {
			s[i] = float32(rng.NormFloat64())
		}
		return s
	}
	for ci, p := range cases {
		for _, n := range []int{1, 3, 4, 8} {
			h, w := 9, 8
			oh, ow := p.OutSize(h, w)
			x := randn(n * p.InC * h * w)
			wt := randn(p.OutC * p.InC / p.Groups * p.KH * p.KW)
			bias := randn(p.OutC)
			dy := randn(n * p.OutC * oh * ow)
			ref := naiveConv(&p, n, h, w, x, wt, dy)
			var first []float32
			for _, threads := range []int{1, 2, 3} {
				runtime.GOMAXPROCS(threads)
				name := fmt.Sprintf("case %d n=%d threads=%d", ci, n, threads)
				y := make([]float32, len(dy))
				Conv2d(&p, n, h, w, x, wt, bias, y)
				if first == nil {
					first = y
				} else {
					for i := range y {
						if math.Float32bits(y[i]) != math.Float32bits(first[i]) {
							t.Fatalf("%s: y[%d] = %g, with 1 thread %g", name, i, y[i], first[i])
						}
					}
				}
				want := make([]float64, len(ref.y))
				for i := range want {
					want[i] = ref.y[i] + float64(bias[(i/(oh*ow))%p.OutC])
				}
				checkNear(t, name+" y", y, want, ref.yAbs)
				dx := make([]float32, len(x))
				for i := range dx {
					dx[i] = float32(math.NaN()) // must be overwritten
				}
				dw := randn(len(wt)) // accumulated into
				dw0 := append([]float32(nil), dw...)
				db := make([]float32, p.OutC)
				Conv2dBackward(&p, n, h, w, x, wt, dy, dx, dw, db)
				checkNear(t, name+" dx", dx, ref.dx, ref.dxAbs)
				wantDW := make([]float64, len(dw))
				absDW := make([]float64, len(dw))
				for i := range dw {
					wantDW[i] = ref.dw[i] + float64(dw0[i])
					absDW[i] = ref.dwAbs[i] + math.Abs(float64(dw0[i]))
				}
				checkNear(t, name+" dw", dw, wantDW, absDW)
			}
		}
	}
}
