package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestSgemmEpilogue checks the fused epilogue of every micro-kernel this
// CPU runs against the product then BiasAct row by row, which it must
// equal bit for bit (the same operations in the same order): edges of
// both tile sizes, K over several slices (the epilogue only on the last),
// beta 0 and 1, with and without a residual and ReLU, NaN in the product
// and in the residual, strides wider than the tile.
func TestSgemmEpilogue(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	shapes := []struct{ m, n, k int }{
		{1, 1, 1}, {12, 32, 64}, {13, 33, 5}, {25, 70, 400}, {64, 49, 900}, {7, 100, 3}, {40, 31, 129},
		{5, 16, 7}, {12, 48, 64}, {25, 80, 400}, // a right edge of half a tile, read in place
	}
	for _, kern := range gemmKernels() {
		for _, sh := range shapes {
			for _, beta := range []float32{0, 1} {
				for _, withRes := range []bool{false, true} {
					for _, relu := range []bool{false, true} {
						name := fmt.Sprintf("%s/%dx%dx%d/beta%g/res%v/relu%v", kern.name, sh.m, sh.n, sh.k, beta, withRes, relu)
						m, n, k := sh.m, sh.n, sh.k
						lda, ldb, ldc, ldr := k+1, n+3, n+5, n+2
						a := matrix(rng, m, k, lda, 0)
						b := matrix(rng, k, n, ldb, 0)
						if m*k > 3 {
							a[lda+1] = float32(math.NaN()) // row 1 of C is NaN where B's row 1 is used
						}
						bias := make([]float32, m)
						for i := range bias {
							bias[i] = rng.Float32() - 0.5
						}
						var res []float32
						if withRes {
							res = matrix(rng, m, n, ldr, 0)
							res[0] = float32(math.NaN())
						}
						c0 := matrix(rng, m, n, ldc, 0)
						want := append([]float32(nil), c0...)
						sgemmBlock(kern, false, false, 0, m, 0, n, k, 1, a, lda, b, ldb, beta, want, ldc)
						(&tileEpilogue{bias: bias, res: res, ldr: ldr, relu: relu}).apply(want, ldc, m, n)
						got := append([]float32(nil), c0...)
						sgemmBlockEp(kern, false, false, 0, m, 0, n, k, 1, a, lda, b, ldb, beta, got, ldc, &Epilogue{Bias: bias, Res: res, LDR: ldr, ReLU: relu})
						for i := range got {
							g, w := got[i], want[i]
							if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
								t.Fatalf("%s: C[%d, %d] = %v, want %v", name, i/ldc, i%ldc, g, w)
							}
						}
					}
				}
			}
		}
	}
}

// TestSgemmEpilogueOverResidual checks every micro-kernel this CPU runs
// with its residual in C itself (Epilogue): the same values, bit for bit,
// as with the residual beside C, at K up to the one slice ResidualOverC
// allows, over edges of both tile sizes, NaN in the residual; and that
// more K than that, or beta 1, is refused.
func TestSgemmEpilogueOverResidual(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, kern := range gemmKernels() {
		for _, sh := range []struct{ m, n, k int }{{1, 1, 1}, {13, 33, 5}, {25, 70, kern.kc}, {40, 31, 129}, {12, 64, 64}, {13, 16, 5}, {25, 48, 64}, {12, 49, 64}, {7, 35, 20}} {
			for _, relu := range []bool{false, true} {
				m, n, k := sh.m, sh.n, sh.k
				lda, ldb, ldc := k+1, n+3, n+5
				a := matrix(rng, m, k, lda, 0)
				b := matrix(rng, k, n, ldb, 0)
				bias := make([]float32, m)
				for i := range bias {
					bias[i] = rng.Float32() - 0.5
				}
				res := matrix(rng, m, n, ldc, 0)
				res[0] = float32(math.NaN())
				want := make([]float32, len(res))
				sgemmBlockEp(kern, false, false, 0, m, 0, n, k, 1, a, lda, b, ldb, 0, want, ldc, &Epilogue{Bias: bias, Res: res, LDR: ldc, ReLU: relu})
				got := append([]float32(nil), res...)
				sgemmBlockEp(kern, false, false, 0, m, 0, n, k, 1, a, lda, b, ldb, 0, got, ldc, &Epilogue{Bias: bias, Res: got, LDR: ldc, ReLU: relu})
				for i := 0; i < m; i++ {
					for j := 0; j < n; j++ {
						if g, w := got[i*ldc+j], want[i*ldc+j]; math.Float32bits(g) != math.Float32bits(w) {
							t.Fatalf("%s %dx%dx%d relu %v: C[%d, %d] = %v over the residual, %v beside it", kern.name, m, n, k, relu, i, j, g, w)
						}
					}
				}
			}
		}
	}
	if !ResidualOverC(1, false) || ResidualOverC(0, false) || ResidualOverC(gemmKernel.kc+1, false) || ResidualOverC(bf16Kernel.kc+1, true) {
		t.Error("ResidualOverC: wrong bounds")
	}
	a, b := make([]float32, 2*(gemmKernel.kc+1)), make([]float32, 2*(gemmKernel.kc+1))
	for _, tc := range []struct {
		k    int
		beta float32
	}{{gemmKernel.kc + 1, 0}, {3, 1}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("k=%d beta %g with the residual in C: no panic", tc.k, tc.beta)
				}
			}()
			c := make([]float32, 4)
			SgemmSerialEpilogue(2, 2, tc.k, a, tc.k, b, 2, tc.beta, c, 2, Epilogue{Bias: make([]float32, 2), Res: c, LDR: 2})
		}()
	}
}

// TestSgemmSerialEpilogueErrors: short bias or residual panic with a
// message, before any kernel reads past them.
func TestSgemmSerialEpilogueErrors(t *testing.T) {
	a, b, c := make([]float32, 6), make([]float32, 6), make([]float32, 4)
	for _, ep := range []Epilogue{{Bias: make([]float32, 1)}, {Bias: make([]float32, 2), Res: make([]float32, 3), LDR: 2}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%+v: no panic", ep)
				}
			}()
			SgemmSerialEpilogue(2, 2, 3, a, 3, b, 2, 0, c, 2, ep)
		}()
	}
	SgemmSerialEpilogue(2, 2, 0, a, 3, b, 2, 0, c, 2, Epilogue{Bias: []float32{1, -1}, ReLU: true})
	if c[0] != 1 || c[1] != 1 || c[2] != 0 || c[3] != 0 {
		t.Errorf("k = 0: C = %v, want [1 1 0 0]", c)
	}
}
