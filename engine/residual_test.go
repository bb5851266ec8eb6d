package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
	"github.com/resnetgo/resnet/internal/testnet"
)

// TestResidualOverOut checks the layers that write their output over
// their residual (an identity block's last convolution, workspace.block):
// on every path a 1×1 or 3×3 layer takes, float32, BF16 and Int8, the
// output so written equals, bit for bit, the one written beside a copy of
// the residual; and the 1×1 layers whose GEMM sums K in more than one
// slice are not given their residual so.
func TestResidualOverOut(t *testing.T) {
	defer func() { winoForce = 0 }()
	cases := []struct {
		tc   convCase
		want bool // residualOverOut in float32 with the assembly kernels
		form int  // Winograd's F(form×form), or 0 for none
	}{
		{convCase{64, 64, 3, 1, 1, 1, 2, 24, 22, true, true}, true, 4},    // Winograd F(4×4), edge tiles
		{convCase{64, 64, 3, 1, 1, 1, 1, 13, 14, true, true}, true, 2},    // Winograd F(2×2), edge tiles
		{convCase{24, 24, 3, 1, 1, 1, 1, 7, 7, true, true}, true, 0},      // transposed, on im2col
		{convCase{24, 24, 3, 1, 1, 1, 2, 19, 21, true, false}, true, 0},   // implicit GEMM grid
		{convCase{64, 64, 3, 1, 1, 32, 1, 14, 14, true, true}, true, 0},   // grouped
		{convCase{64, 256, 1, 1, 0, 1, 2, 56, 56, true, true}, true, 0},   // columns' GEMM, K one slice
		{convCase{128, 512, 1, 1, 0, 1, 1, 28, 28, true, true}, true, 0},  // columns' GEMM
		{convCase{40, 38, 1, 1, 0, 1, 1, 9, 37, true, false}, true, 0},    // edges of both kinds, no ReLU
		{convCase{256, 1024, 1, 1, 0, 1, 2, 14, 14, true, true}, true, 0}, // transposed
		{convCase{512, 256, 1, 1, 0, 1, 1, 7, 7, true, true}, true, 0},    // transposed, small map
		{convCase{512, 256, 1, 1, 0, 1, 1, 28, 28, true, true}, false, 0}, // K in two slices
	}
	for _, prec := range []string{"float32", "bf16", "int8"} {
		for _, c := range cases {
			tc := c.tc
			o := Options{BF16: prec == "bf16", Int8: prec == "int8", NoWinograd: c.form == 0}
			t.Run(fmt.Sprint(prec, "/", tc), func(t *testing.T) {
				cv, err := newConv(nnConv(tc), nnBN(tc.outC), o)
				if err != nil {
					t.Fatal(err)
				}
				plane := tc.h * tc.w
				winoForce = c.form
				if f := cv.winoChoice(tc.n, tc.h, tc.w); (f != nil) != (c.form != 0) {
					t.Fatalf("Winograd form %v, want F(%d×%d)", f, c.form, c.form)
				}
				over := cv.residualOverOut(plane)
				if prec == "float32" && kernels.TransposeBiasActNative() && over != c.want {
					t.Errorf("residualOverOut = %v, want %v", over, c.want)
				}
				if !over {
					return
				}
				x := testnet.RandomInput(tc.n, tc.inC, tc.h, tc.w, 1).Data
				res := testnet.RandomInput(tc.n, tc.outC, tc.h, tc.w, 2).Data
				ws := sizedWorkspace(t, tc.n, tc.h, tc.w, kernels.Threads(), func(ws *workspace) error {
					for _, id := range []bufID{bufT1, bufAct0} {
						if _, _, _, err := ws.conv(cv, nil, id, tc.h, tc.w, res, nil, nil, tc.relu); err != nil {
							return err
						}
					}
					return nil
				})
				defer ws.team.close()
				beside, _, _, err := ws.conv(cv, x, bufT1, tc.h, tc.w, res, nil, nil, tc.relu)
				if err != nil {
					t.Fatal(err)
				}
				r := ws.buf(bufAct0, len(res))
				copy(r, res)
				got, _, _, err := ws.conv(cv, x, bufAct0, tc.h, tc.w, r, nil, nil, tc.relu)
				if err != nil {
					t.Fatal(err)
				}
				if &got[0] != &r[0] {
					t.Fatal("the output is not in the residual's buffer")
				}
				for i, v := range beside {
					if math.Float32bits(v) != math.Float32bits(got[i]) {
						t.Fatalf("value %d: %g over the residual, %g beside it", i, got[i], v)
					}
				}
			})
		}
	}
}

// TestStoreT checks that a transposed item stored through the thread's
// buffer with non-temporal stores (storeT with st, ntStoreT's layers)
// equals, bit for bit, the item stored directly: items at every offset in
// a cache line, with a residual that is the output itself or beside it,
// with and without ReLU, NaN included.
func TestStoreT(t *testing.T) {
	for _, plane := range []int{49, 196, 13} {
		for _, cols := range []int{32, 17, 64} {
			for off := range 16 {
				for _, over := range []bool{false, true} {
					relu := off%2 == 0
					tmp := testnet.RandomInput(1, 1, plane, cols, 3).Data
					tmp[off*7%len(tmp)] = float32(math.NaN())
					bias := testnet.RandomInput(1, 1, 1, cols, 4).Data
					res := testnet.RandomInput(1, 1, cols, plane+off, 5).Data
					want := make([]float32, off+cols*plane+5)
					got := make([]float32, len(want))
					for i := range want {
						want[i], got[i] = -7, -7
					}
					rw, rg := res[off:], res[off:]
					if over {
						copy(want[off:], res[off:])
						copy(got[off:], res[off:])
						rw, rg = want[off:], got[off:]
					}
					storeT(want[off:], plane, tmp, cols, rw, bias, relu, nil)
					st := make([]float32, plane*cols+3)
					storeT(got[off:], plane, tmp, cols, rg, bias, relu, st)
					for i := range want {
						if math.Float32bits(want[i]) != math.Float32bits(got[i]) {
							t.Fatalf("plane %d, %d channels, offset %d, residual over the output %v: value %d is %g, want %g", plane, cols, off, over, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
