package kernels

import (
	"fmt"
	"math"
	"testing"
)

// strideVariants lists every EveryOther implementation this CPU runs.
func strideVariants() map[string]func(dst, src []float32) {
	v := map[string]func(dst, src []float32){"generic": everyOtherGeneric, "dispatched": everyOther}
	addStrideAsm(v)
	return v
}

// TestEveryOther calls every variant for 1..257 outputs at unaligned
// offsets; src ends at its last value read, dst has NaN guards.
func TestEveryOther(t *testing.T) {
	for name, f := range strideVariants() {
		for n := 1; n <= 257; n++ {
			off := n % 4
			src := make([]float32, off+2*n-1)
			for i := range src {
				src[i] = float32(i)
			}
			src = src[off:]
			buf := make([]float32, n+2)
			for i := range buf {
				buf[i] = float32(math.NaN())
			}
			f(buf[1:n+1], src)
			if buf[0] == buf[0] || buf[n+1] == buf[n+1] {
				t.Fatalf("%s n=%d: wrote outside dst", name, n)
			}
			for q := 0; q < n; q++ {
				if buf[1+q] != src[2*q] {
					t.Fatalf("%s n=%d: dst[%d] = %v, want %v", name, n, q, buf[1+q], src[2*q])
				}
			}
		}
	}
	EveryOther(nil, nil)
}

// BenchmarkEveryOther times each variant on rows of 56 and 7 outputs:
//
//	go test -run X -bench EveryOther ./internal/kernels/
func BenchmarkEveryOther(b *testing.B) {
	for _, n := range []int{56, 7} {
		src, dst := make([]float32, 2*n), make([]float32, n)
		for _, name := range []string{"generic", "avx2", "avx512"} {
			f := strideVariants()[name]
			if f == nil {
				continue
			}
			b.Run(fmt.Sprintf("n=%d/%s", n, name), func(b *testing.B) {
				for b.Loop() {
					f(dst, src)
				}
			})
		}
	}
}

// TestEveryOtherRows calls every rows variant for 1..40 rows of 1..70
// outputs with padded strides; src ends at its last value read, and dst
// is NaN outside the outputs.
func TestEveryOtherRows(t *testing.T) {
	variants := map[string]func([]float32, int, []float32, int, int, int){"generic": everyOtherRowsGeneric, "dispatched": everyOtherRows}
	addStrideRowsAsm(variants)
	for name, f := range variants {
		for rows := 1; rows <= 40; rows += 3 {
			for n := 1; n <= 70; n += 1 + n/8 {
				ldd, lds := n+rows%3, 2*n+rows%5
				src := make([]float32, (rows-1)*lds+2*n-1)
				for i := range src {
					src[i] = float32(i)
				}
				buf := make([]float32, (rows-1)*ldd+n+2)
				for i := range buf {
					buf[i] = float32(math.NaN())
				}
				f(buf[1:], ldd, src, lds, rows, n)
				for j, g := range buf {
					i, q := (j-1)/ldd, (j-1)%ldd
					if j == 0 || i >= rows || q >= n {
						if g == g {
							t.Fatalf("%s rows=%d n=%d: wrote dst[%d] outside the rows", name, rows, n, j-1)
						}
						continue
					}
					if want := src[i*lds+2*q]; g != want {
						t.Fatalf("%s rows=%d n=%d: dst[%d] = %v, want %v", name, rows, n, j-1, g, want)
					}
				}
			}
		}
	}
	EveryOtherRows(nil, 0, nil, 0, 0, 5)
}

// im2colChannelVariants lists every Im2colChannel implementation this CPU runs.
func im2colChannelVariants() map[string]func(dst, src []float32, wp, kh, kw, s, oh, ow int) {
	v := map[string]func(dst, src []float32, wp, kh, kw, s, oh, ow int){"generic": im2colChannelGeneric, "dispatched": im2colChannel}
	addIm2colChannelAsm(v)
	return v
}

// TestIm2colChannel compares every variant with the definition on kernel sizes,
// strides and output widths around the 16-lane steps; src ends at the
// last value read and dst has NaN guards on both sides.
func TestIm2colChannel(t *testing.T) {
	for name, f := range im2colChannelVariants() {
		for _, k := range [][2]int{{1, 1}, {3, 3}, {7, 7}, {1, 3}} {
			for s := 1; s <= 3; s++ {
				for _, ow := range []int{1, 7, 15, 16, 17, 31, 32, 33, 56} {
					oh := 1 + ow%5
					kh, kw := k[0], k[1]
					wp := (ow-1)*s + kw + ow%3
					need := ((oh-1)*s+kh-1)*wp + (ow-1)*s + kw
					src := make([]float32, need)
					for i := range src {
						src[i] = float32(i + 1)
					}
					n := kh * kw * oh * ow
					buf := make([]float32, n+2)
					for i := range buf {
						buf[i] = float32(math.NaN())
					}
					Im2colChannel(buf[1:n+1], src, wp, kh, kw, s, oh, ow) // the checks
					for i := range buf {
						buf[i] = float32(math.NaN())
					}
					f(buf[1:n+1], src, wp, kh, kw, s, oh, ow)
					if buf[0] == buf[0] || buf[n+1] == buf[n+1] {
						t.Fatalf("%s %v s=%d ow=%d: wrote outside dst", name, k, s, ow)
					}
					for ki := 0; ki < kh; ki++ {
						for kj := 0; kj < kw; kj++ {
							for oy := 0; oy < oh; oy++ {
								for ox := 0; ox < ow; ox++ {
									got := buf[1+((ki*kw+kj)*oh+oy)*ow+ox]
									if want := src[(oy*s+ki)*wp+ox*s+kj]; got != want {
										t.Fatalf("%s %v s=%d oh=%d ow=%d: tap (%d,%d) at (%d,%d) = %v, want %v", name, k, s, oh, ow, ki, kj, oy, ox, got, want)
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

// TestIm2colChannelChecks: a src or dst too short is refused with a panic naming
// the sizes, before any kernel reads or writes.
func TestIm2colChannelChecks(t *testing.T) {
	for _, c := range []struct{ dst, src int }{{9 * 49, 80}, {9*49 - 1, 81}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("dst %d src %d: no panic", c.dst, c.src)
				}
			}()
			Im2colChannel(make([]float32, c.dst), make([]float32, c.src), 9, 3, 3, 1, 7, 7)
		}()
	}
	Im2colChannel(make([]float32, 9*49), make([]float32, 81), 9, 3, 3, 1, 7, 7)
}

// BenchmarkIm2colChannel times each variant on a channel of ResNet's 7×7 3×3
// layers, of its stride-2 one from 14×14 and of the one from 28×28:
//
//	go test -run X -bench Im2colChannel ./internal/kernels/
func BenchmarkIm2colChannel(b *testing.B) {
	for _, c := range []struct{ s, hp, o int }{{1, 9, 7}, {2, 16, 7}, {2, 30, 14}} {
		src, dst := make([]float32, c.hp*c.hp), make([]float32, 9*c.o*c.o)
		for name, f := range im2colChannelVariants() {
			b.Run(fmt.Sprintf("s=%d/%dx%d/%s", c.s, c.o, c.o, name), func(b *testing.B) {
				for b.Loop() {
					f(dst, src, c.hp, 3, 3, c.s, c.o, c.o)
				}
			})
		}
	}
}

// copyRowsVariants lists every CopyRows implementation this CPU runs.
func copyRowsVariants() map[string]func([]float32, int, []float32, int, int, int) {
	v := map[string]func([]float32, int, []float32, int, int, int){"generic": copyRowsGeneric, "dispatched": copyRows}
	addCopyRowsAsm(v)
	return v
}

// TestCopyRows runs every variant on widths around the vector steps, with
// NaN guards around each destination row and src ending at its last value
// read.
func TestCopyRows(t *testing.T) {
	for name, f := range copyRowsVariants() {
		for _, n := range []int{1, 7, 8, 9, 14, 15, 16, 17, 33, 56} {
			rows, ldd, lds := 1+n%4, n+3, n+n%5
			src := make([]float32, (rows-1)*lds+n)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, (rows-1)*ldd+n+2)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			CopyRows(dst[1:], ldd, src, lds, rows, n) // the checks
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			f(dst[1:], ldd, src, lds, rows, n)
			for i, v := range dst {
				r, q := (i-1)/ldd, (i-1)%ldd
				if i >= 1 && r < rows && q < n {
					if want := src[r*lds+q]; v != want {
						t.Fatalf("%s n=%d: row %d value %d = %v, want %v", name, n, r, q, v, want)
					}
				} else if v == v {
					t.Fatalf("%s n=%d: wrote dst[%d] outside the rows", name, n, i-1)
				}
			}
		}
	}
}

// TestCopyNT runs every CopyNT variant on lengths across the 64-byte
// lines at each of the 16 offsets of dst within a line (the head before
// the first whole line, the lines, the tail: the offsets cover every
// place in a line whatever buf's own alignment), with NaN guards around
// dst and src ending at its last value read, after StoreFence.
func TestCopyNT(t *testing.T) {
	variants := map[string]func(dst, src []float32){"generic": copyNTGeneric, "dispatched": copyNT}
	addCopyNTAsm(variants)
	buf := make([]float32, 256+32)
	for name, f := range variants {
		for off := 0; off < 16; off++ {
			for _, n := range []int{1, 2, 15, 16, 17, 31, 32, 33, 47, 48, 64, 100, 224, 255} {
				src := make([]float32, n)
				for i := range src {
					src[i] = float32(i + 1)
				}
				for i := range buf {
					buf[i] = float32(math.NaN())
				}
				dst := buf[off+1 : off+1+n]
				if name == "dispatched" {
					CopyNT(dst, src) // the checks
				} else {
					f(dst, src)
				}
				StoreFence()
				for i, v := range buf {
					switch {
					case i > off && i <= off+n:
						if want := src[i-off-1]; v != want {
							t.Fatalf("%s off=%d n=%d: dst[%d] = %v, want %v", name, off, n, i-off-1, v, want)
						}
					case v == v:
						t.Fatalf("%s off=%d n=%d: wrote buf[%d] outside dst", name, off, n, i)
					}
				}
			}
		}
	}
	defer func() {
		if recover() == nil {
			t.Error("CopyNT with a short src did not panic")
		}
	}()
	CopyNT(make([]float32, 3), make([]float32, 2))
}

// BenchmarkCopyRows times each variant on a 14×14 and a 56×56 plane:
//
//	go test -run X -bench CopyRows ./internal/kernels/
func BenchmarkCopyRows(b *testing.B) {
	for _, n := range []int{14, 56} {
		src, dst := make([]float32, n*n), make([]float32, (n+2)*(n+2))
		for name, f := range copyRowsVariants() {
			b.Run(fmt.Sprintf("%dx%d/%s", n, n, name), func(b *testing.B) {
				for b.Loop() {
					f(dst[n+3:], n+2, src, n, n, n)
				}
			})
		}
	}
}

// TestDeinterleaveRows runs every variant (through DeinterleaveRows'
// checks) on 1..6 rows of 1..70 values, across the vector steps and their
// masked ends, with padded strides; src ends at its last value read, and
// both outputs are NaN outside what must be written.
func TestDeinterleaveRows(t *testing.T) {
	variants := map[string]func([]float32, []float32, int, []float32, int, int, int){"generic": deinterleaveRowsGeneric, "dispatched": deinterleaveRows}
	addDeinterleaveAsm(variants)
	for name, f := range variants {
		for n := 1; n <= 70; n++ {
			rows := 1 + n%6
			ne, no := (n+1)/2, n/2
			ldd, lds := ne+n%3, n+n%5
			src := make([]float32, (rows-1)*lds+n)
			for i := range src {
				src[i] = float32(i + 1)
			}
			nan := func(k int) []float32 {
				b := make([]float32, k)
				for i := range b {
					b[i] = float32(math.NaN())
				}
				return b
			}
			even, odd := nan((rows-1)*ldd+ne+2), nan((rows-1)*ldd+no+2)
			orig := deinterleaveRows
			deinterleaveRows = f
			DeinterleaveRows(even[1:], odd[1:], ldd, src, lds, rows, n)
			deinterleaveRows = orig
			for _, out := range []struct {
				d      []float32
				k, off int
			}{{even, ne, 0}, {odd, no, 1}} {
				for i, v := range out.d {
					r, q := (i-1)/ldd, (i-1)%ldd
					if i >= 1 && r < rows && q < out.k {
						if want := src[r*lds+2*q+out.off]; v != want {
							t.Fatalf("%s n=%d rows=%d: row %d value %d of phase %d = %v, want %v", name, n, rows, r, q, out.off, v, want)
						}
					} else if v == v {
						t.Fatalf("%s n=%d rows=%d: phase %d: wrote [%d] outside the rows", name, n, rows, out.off, i-1)
					}
				}
			}
		}
	}
	DeinterleaveRows(nil, nil, 0, nil, 0, 0, 5)
	for _, bad := range []func(){
		func() { DeinterleaveRows(make([]float32, 3), make([]float32, 3), 3, make([]float32, 7), 7, 1, 8) },  // even too short
		func() { DeinterleaveRows(make([]float32, 4), make([]float32, 4), 4, make([]float32, 7), 8, 1, 8) },  // src too short
		func() { DeinterleaveRows(make([]float32, 9), make([]float32, 3), 4, make([]float32, 16), 8, 2, 8) }, // odd too short
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("DeinterleaveRows with too short a slice did not panic")
				}
			}()
			bad()
		}()
	}
}

// BenchmarkDeinterleaveRows times each variant on the rows of a 56×56
// and a 14×14 plane of one row phase, against EveryOtherRows twice:
//
//	go test -run X -bench Deinterleave ./internal/kernels/
func BenchmarkDeinterleaveRows(b *testing.B) {
	variants := map[string]func([]float32, []float32, int, []float32, int, int, int){"generic": deinterleaveRowsGeneric}
	addDeinterleaveAsm(variants)
	for _, w := range []int{56, 14} {
		src := make([]float32, w*w)
		even, odd := make([]float32, w*w/2), make([]float32, w*w/2)
		for name, f := range variants {
			b.Run(fmt.Sprintf("%s/%d", name, w), func(b *testing.B) {
				for range b.N {
					f(even, odd, w/2+1, src, 2*w, w/2, w)
				}
			})
		}
		b.Run(fmt.Sprintf("everyOtherRows-twice/%d", w), func(b *testing.B) {
			for range b.N {
				EveryOtherRows(even, w/2+1, src, 2*w, w/2, w/2)
				EveryOtherRows(odd, w/2+1, src[1:], 2*w, w/2, w/2)
			}
		})
	}
}

// TestCopyPlanes runs every variant (through CopyPlanes' checks) on 1–4
// planes of 1–4 rows of widths around the vector steps, with padded
// strides, NaN guards around each destination row, and src ending at its
// last value read.
func TestCopyPlanes(t *testing.T) {
	variants := map[string]func([]float32, int, int, []float32, int, int, int, int, int){"generic": copyPlanesGeneric, "dispatched": copyPlanes}
	addCopyPlanesAsm(variants)
	for name, f := range variants {
		for _, n := range []int{1, 7, 8, 9, 14, 15, 16, 17, 33, 56} {
			planes, rows := 1+n%4, 1+n%3
			ldd, lds := n+2, n+n%5
			dps, sps := rows*ldd+3, rows*lds+n%2
			src := make([]float32, (planes-1)*sps+(rows-1)*lds+n)
			for i := range src {
				src[i] = float32(i + 1)
			}
			dst := make([]float32, (planes-1)*dps+(rows-1)*ldd+n+2)
			for i := range dst {
				dst[i] = float32(math.NaN())
			}
			orig := copyPlanes
			copyPlanes = f
			CopyPlanes(dst[1:], ldd, dps, src, lds, sps, rows, n, planes)
			copyPlanes = orig
			for i, v := range dst {
				j := i - 1
				p, r, q := j/dps, j%dps/ldd, j%dps%ldd
				if i >= 1 && p < planes && r < rows && q < n {
					if want := src[p*sps+r*lds+q]; v != want {
						t.Fatalf("%s n=%d: plane %d row %d value %d = %v, want %v", name, n, p, r, q, v, want)
					}
				} else if v == v {
					t.Fatalf("%s n=%d: wrote dst[%d] outside the planes", name, n, j)
				}
			}
		}
	}
	CopyPlanes(nil, 0, 0, nil, 0, 0, 0, 4, 2)
	defer func() {
		if recover() == nil {
			t.Error("CopyPlanes with too short a destination did not panic")
		}
	}()
	CopyPlanes(make([]float32, 10), 4, 6, make([]float32, 16), 4, 8, 2, 4, 2)
}
