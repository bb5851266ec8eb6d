package engine

import "github.com/resnetgo/resnet/internal/kernels"

// Winograd F(2×2, 3×3) for 3×3 stride-1 convolutions (Lavin & Gray 2015):
// each 2×2 output tile is Aᵀ[Σ_c (G g Gᵀ) ⊙ (Bᵀ d B)]A for the 4×4 input
// patch d. The sum over channels is 16 GEMMs, one per position ξ of the
// 4×4 tile, of depth InC: 16 multiply-adds per tile and channel pair
// instead of 36. The transforms are scalar Go so far and cost more than
// that saves, so Options.Winograd turns it on; vectorised (AVX-512, 16
// tiles a register) transforms are what it needs to pay.

// minWinogradC is the fewest input and output channels for which the
// transforms cost less than the multiply-adds they save.
const minWinogradC = 64

// minWinogradTiles is the fewest 2×2 tiles per image worth it: GEMMs with
// fewer columns than the micro-kernel's 32 waste most of it (tests lower it).
var minWinogradTiles = 64

// winogradWeights returns U = G g Gᵀ for every (o, c), laid out as 16
// matrices (OutC, InC), from weights in tap layout (9, OutC, InC).
func winogradWeights(w []float32, oc, ic int) []float32 {
	u := make([]float32, 16*oc*ic)
	n := oc * ic
	for j := 0; j < n; j++ {
		var g [3][3]float64
		for t := 0; t < 9; t++ {
			g[t/3][t%3] = float64(w[t*n+j])
		}
		// G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]; rows first (Gg), then columns.
		var gg [4][3]float64
		for k := 0; k < 3; k++ {
			gg[0][k] = g[0][k]
			gg[1][k] = (g[0][k] + g[1][k] + g[2][k]) / 2
			gg[2][k] = (g[0][k] - g[1][k] + g[2][k]) / 2
			gg[3][k] = g[2][k]
		}
		for r := 0; r < 4; r++ {
			row := [4]float64{
				gg[r][0],
				(gg[r][0] + gg[r][1] + gg[r][2]) / 2,
				(gg[r][0] - gg[r][1] + gg[r][2]) / 2,
				gg[r][2],
			}
			for q := 0; q < 4; q++ {
				u[(r*4+q)*n+j] = float32(row[q])
			}
		}
	}
	return u
}

// winogradTiling returns the tiles per GEMM (columns) for ic input and oc
// output channels: the transformed chunk stays near L2 size.
func winogradTiling(ic, oc, tiles int) int {
	return min(tiles, max(32, 12288/max(ic, oc)/8*8))
}

// winograd runs c on the padded input pad (one phase, channel stride cs,
// rows of wq) of ws.n images into out, with the epilogue.
func (ws *workspace) winograd(c *conv, pad []float32, wq, cs, oh, ow int, out, res, bias []float32, relu bool) {
	n, m, ic := ws.n, c.outC, c.inC
	th, tw := (oh+1)/2, (ow+1)/2
	tiles := th * tw
	nt := winogradTiling(ic, m, tiles)
	if ws.sizing {
		ws.colSize = max(ws.colSize, 16*(ic+m)*nt)
		return
	}
	chunks := (tiles + nt - 1) / nt
	plane := oh * ow
	ws.parallel(n*chunks, func(worker, it int) {
		img, t0 := it/chunks, it%chunks*nt
		t1 := min(t0+nt, tiles)
		k := t1 - t0
		buf := ws.cols[worker]
		v := buf[:16*ic*k]
		mm := buf[16*ic*k : 16*(ic+m)*k]
		src := pad[img*ic*cs : (img+1)*ic*cs]
		for ch := 0; ch < ic; ch++ {
			xc := src[ch*cs : (ch+1)*cs]
			for t := t0; t < t1; t++ {
				ty, tx := t/tw, t%tw
				base := 2*ty*wq + 2*tx
				var d [4][4]float32
				for r := 0; r < 4; r++ {
					row := xc[base+r*wq : base+r*wq+4]
					d[r] = [4]float32{row[0], row[1], row[2], row[3]}
				}
				// Bᵀ d B with Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1].
				var e [4][4]float32
				for q := 0; q < 4; q++ {
					e[0][q] = d[0][q] - d[2][q]
					e[1][q] = d[1][q] + d[2][q]
					e[2][q] = d[2][q] - d[1][q]
					e[3][q] = d[1][q] - d[3][q]
				}
				j := ch*k + t - t0
				for r := 0; r < 4; r++ {
					s := (r * 4 * ic) * k
					v[s+j] = e[r][0] - e[r][2]
					v[s+ic*k+j] = e[r][1] + e[r][2]
					v[s+2*ic*k+j] = e[r][2] - e[r][1]
					v[s+3*ic*k+j] = e[r][1] - e[r][3]
				}
			}
		}
		for xi := 0; xi < 16; xi++ {
			kernels.SgemmSerial(m, k, ic, 1, c.wino[xi*m*ic:], ic, v[xi*ic*k:], k, 0, mm[xi*m*k:], k)
		}
		o := out[img*m*plane : (img+1)*m*plane]
		var rimg []float32
		if res != nil {
			rimg = res[img*m*plane : (img+1)*m*plane]
		}
		for oc := 0; oc < m; oc++ {
			b := bias[oc]
			for t := t0; t < t1; t++ {
				j := oc*k + t - t0
				var a [16]float32
				for xi := range a {
					a[xi] = mm[xi*m*k+j]
				}
				// Aᵀ a A with Aᵀ = [1 1 1 0; 0 1 −1 −1].
				var p [2][4]float32
				for q := 0; q < 4; q++ {
					p[0][q] = a[q] + a[4+q] + a[8+q]
					p[1][q] = a[4+q] - a[8+q] - a[12+q]
				}
				ty, tx := t/tw, t%tw
				for r := 0; r < 2; r++ {
					y := 2*ty + r
					if y >= oh {
						break
					}
					y0 := p[r][0] + p[r][1] + p[r][2] + b
					y1 := p[r][1] - p[r][2] - p[r][3] + b
					at := oc*plane + y*ow + 2*tx
					if rimg != nil {
						y0 += rimg[at]
						if 2*tx+1 < ow {
							y1 += rimg[at+1]
						}
					}
					if relu {
						y0, y1 = max(y0, 0), max(y1, 0)
					}
					o[at] = y0
					if 2*tx+1 < ow {
						o[at+1] = y1
					}
				}
			}
		}
	})
}
