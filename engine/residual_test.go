package engine

import (
	"fmt"
	"math"
	"testing"

	"github.com/resnetgo/resnet/internal/kernels"
)

// TestResidualOverOut checks the 1×1 layers that write their output over
// their residual (an identity bottleneck's conv3, workspace.block): on
// every path pointwise takes for them, float32, BF16 and Int8, the output
// so written equals, bit for bit, the one written beside a copy of the
// residual; and the layers whose GEMM sums K in more than one slice are
// not given their residual so.
func TestResidualOverOut(t *testing.T) {
	cases := []struct {
		tc   convCase
		want bool // residualOverOut in float32 with the assembly kernels
	}{
		{convCase{64, 256, 1, 1, 0, 1, 2, 56, 56, true, true}, true},   // columns' GEMM, K one slice
		{convCase{128, 512, 1, 1, 0, 1, 1, 28, 28, true, true}, true},  // columns' GEMM
		{convCase{40, 38, 1, 1, 0, 1, 1, 9, 37, true, false}, true},    // edges of both kinds, no ReLU
		{convCase{256, 1024, 1, 1, 0, 1, 2, 14, 14, true, true}, true}, // transposed
		{convCase{512, 256, 1, 1, 0, 1, 1, 7, 7, true, true}, true},    // transposed, small map
		{convCase{512, 256, 1, 1, 0, 1, 1, 28, 28, true, true}, false}, // K in two slices
	}
	for _, prec := range []string{"float32", "bf16", "int8"} {
		o := Options{BF16: prec == "bf16", Int8: prec == "int8"}
		for _, c := range cases {
			tc := c.tc
			t.Run(fmt.Sprint(prec, "/", tc), func(t *testing.T) {
				cv, err := newConv(nnConv(tc), nnBN(tc.outC), o)
				if err != nil {
					t.Fatal(err)
				}
				plane := tc.h * tc.w
				over := cv.residualOverOut(plane)
				if prec == "float32" && kernels.TransposeBiasActNative() && over != c.want {
					t.Errorf("residualOverOut = %v, want %v", over, c.want)
				}
				if !over {
					return
				}
				x := randomInput(tc.n, tc.inC, tc.h, tc.w, 1).Data
				res := randomInput(tc.n, tc.outC, tc.h, tc.w, 2).Data
				ws := &workspace{key: wsKey{tc.n, tc.h, tc.w, kernels.Threads()}, sizing: true, n: tc.n}
				for _, id := range []bufID{bufT1, bufAct0} {
					if _, _, _, err := ws.conv(cv, nil, id, tc.h, tc.w, res, nil, nil, tc.relu); err != nil {
						t.Fatal(err)
					}
				}
				ws.alloc()
				ws.team = newTeam(ws.key.threads)
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
