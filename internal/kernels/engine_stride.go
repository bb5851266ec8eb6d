package kernels

import "fmt"

// EveryOther sets dst[q] = src[2q] for every q < len(dst): a row of a
// stride-2 phase plane or subsampled image. src holds at least 2·len(dst)−1
// values.
func EveryOther(dst, src []float32) {
	n := len(dst)
	if n == 0 {
		return
	}
	if len(src) < 2*n-1 {
		panic(fmt.Sprintf("kernels: EveryOther: %d values from %d", n, len(src)))
	}
	everyOther(dst, src[:2*n-1])
}

// EveryOtherRows is EveryOther on rows rows at once: dst[i·ldd + q] =
// src[i·lds + 2q] for q < n (the rows of a stride-2 phase plane from
// every other row of an image, lds = 2w, in one call).
func EveryOtherRows(dst []float32, ldd int, src []float32, lds, rows, n int) {
	if n <= 0 || rows <= 0 {
		return
	}
	if ldd < n || lds < 0 || len(dst) < (rows-1)*ldd+n || len(src) < (rows-1)*lds+2*n-1 {
		panic(fmt.Sprintf("kernels: EveryOtherRows: %d rows of %d values, dst %d (ldd %d), src %d (lds %d)", rows, n, len(dst), ldd, len(src), lds))
	}
	everyOtherRows(dst, ldd, src, lds, rows, n)
}

// everyOtherRows is the variant EveryOtherRows uses.
var everyOtherRows = everyOtherRowsGeneric

// everyOtherRowsGeneric runs everyOther (this CPU's) row by row.
func everyOtherRowsGeneric(dst []float32, ldd int, src []float32, lds, rows, n int) {
	for i := 0; i < rows; i++ {
		everyOther(dst[i*ldd:i*ldd+n], src[i*lds:i*lds+2*n-1])
	}
}

// everyOther is the variant EveryOther uses (engine_dispatch_amd64.go may
// pick an assembly one at init).
var everyOther = everyOtherGeneric

// everyOtherGeneric is the portable twin of the assembly.
func everyOtherGeneric(dst, src []float32) {
	src = src[:2*len(dst)-1]
	for q := range dst {
		dst[q] = src[2*q]
	}
}

// CopyPlanes is CopyRows on planes planes at once: plane p's rows from
// src[p·sps:] to dst[p·dps:] (a group's channels into their zero-padded
// planes, a call a group rather than a channel).
func CopyPlanes(dst []float32, ldd, dps int, src []float32, lds, sps, rows, n, planes int) {
	if rows <= 0 || n <= 0 || planes <= 0 {
		return
	}
	if ldd < n || lds < 0 || dps < 0 || sps < 0 || len(dst) < (planes-1)*dps+(rows-1)*ldd+n || len(src) < (planes-1)*sps+(rows-1)*lds+n {
		panic(fmt.Sprintf("kernels: CopyPlanes: %d planes (%d, %d apart) of %d rows of %d values, dst %d (ldd %d), src %d (lds %d)", planes, dps, sps, rows, n, len(dst), ldd, len(src), lds))
	}
	copyPlanes(dst, ldd, dps, src, lds, sps, rows, n, planes)
}

// copyPlanes is the variant CopyPlanes uses.
var copyPlanes = copyPlanesGeneric

// copyPlanesGeneric is the portable twin of the assembly.
func copyPlanesGeneric(dst []float32, ldd, dps int, src []float32, lds, sps, rows, n, planes int) {
	for p := 0; p < planes; p++ {
		copyRowsGeneric(dst[p*dps:], ldd, src[p*sps:], lds, rows, n)
	}
}

// DeinterleaveRows splits each of rows rows of n values of src (rows lds
// apart) into its even-indexed values, (n+1)/2 of them at even[i·ldd:],
// and its odd-indexed ones, n/2 at odd[i·ldd:]: the two column phases of
// a stride-2 layer's input rows in one pass over them (EveryOtherRows
// twice reads each row twice). odd may be empty when n is 1.
func DeinterleaveRows(even, odd []float32, ldd int, src []float32, lds, rows, n int) {
	if n <= 0 || rows <= 0 {
		return
	}
	ne, no := (n+1)/2, n/2
	if ldd < ne || lds < 0 || len(even) < (rows-1)*ldd+ne || no > 0 && len(odd) < (rows-1)*ldd+no || len(src) < (rows-1)*lds+n {
		panic(fmt.Sprintf("kernels: DeinterleaveRows: %d rows of %d values, even %d, odd %d (ldd %d), src %d (lds %d)", rows, n, len(even), len(odd), ldd, len(src), lds))
	}
	if no == 0 {
		odd = even // never written
	}
	deinterleaveRows(even, odd, ldd, src, lds, rows, n)
}

// deinterleaveRows is the variant DeinterleaveRows uses.
var deinterleaveRows = deinterleaveRowsGeneric

// deinterleaveRowsGeneric is the portable twin of the assembly.
func deinterleaveRowsGeneric(even, odd []float32, ldd int, src []float32, lds, rows, n int) {
	for i := 0; i < rows; i++ {
		row := src[i*lds : i*lds+n]
		e, o := even[i*ldd:], odd[i*ldd:]
		for q := 0; 2*q < n; q++ {
			e[q] = row[2*q]
		}
		for q := 0; 2*q+1 < n; q++ {
			o[q] = row[2*q+1]
		}
	}
}

// Im2colChannel writes the kh·kw rows of one channel's im2col matrix: row
// t = (ki, kj), at dst[t·oh·ow:], holds src[(oy·s + ki)·wp + ox·s + kj]
// at oy·ow + ox, for the oh×ow outputs of a kh×kw convolution at stride
// s whose input channel src is already zero-padded (rows wp apart).
func Im2colChannel(dst, src []float32, wp, kh, kw, s, oh, ow int) {
	if kh <= 0 || kw <= 0 || oh <= 0 || ow <= 0 {
		return
	}
	if s <= 0 || wp < (ow-1)*s+kw || len(dst) < kh*kw*oh*ow || len(src) < ((oh-1)*s+kh-1)*wp+(ow-1)*s+kw {
		panic(fmt.Sprintf("kernels: Im2colChannel: %d×%d taps at stride %d for %d×%d outputs, dst %d, src %d (wp %d)", kh, kw, s, oh, ow, len(dst), len(src), wp))
	}
	im2colChannel(dst, src, wp, kh, kw, s, oh, ow)
}

// im2colChannel is the variant Im2colChannel uses.
var im2colChannel = im2colChannelGeneric

// im2colChannelGeneric is the portable twin of the assembly (at stride 2
// with this CPU's everyOther, which has its own twin).
func im2colChannelGeneric(dst, src []float32, wp, kh, kw, s, oh, ow int) {
	plane := oh * ow
	for t := 0; t < kh*kw; t++ {
		ki, kj := t/kw, t%kw
		row := dst[t*plane : (t+1)*plane]
		for oy := 0; oy < oh; oy++ {
			d := row[oy*ow : (oy+1)*ow]
			sr := src[(oy*s+ki)*wp+kj:]
			switch s {
			case 1:
				copy(d, sr[:ow])
				continue
			case 2:
				everyOther(d, sr[:2*ow-1]) // this CPU's (NEON on arm64)
				continue
			}
			sr = sr[:(ow-1)*s+1]
			for q := range d {
				d[q] = sr[q*s]
			}
		}
	}
}

// CopyRows copies rows rows of n values from src (rows lds apart) to dst
// (rows ldd apart): an image's rows into a zero-padded plane, a call a
// plane rather than a copy a row.
func CopyRows(dst []float32, ldd int, src []float32, lds, rows, n int) {
	if rows <= 0 || n <= 0 {
		return
	}
	if ldd < n || lds < 0 || len(dst) < (rows-1)*ldd+n || len(src) < (rows-1)*lds+n {
		panic(fmt.Sprintf("kernels: CopyRows: %d rows of %d values, dst %d (ldd %d), src %d (lds %d)", rows, n, len(dst), ldd, len(src), lds))
	}
	copyRows(dst, ldd, src, lds, rows, n)
}

// copyRows is the variant CopyRows uses.
var copyRows = copyRowsGeneric

// copyRowsGeneric is the portable twin of the assembly.
func copyRowsGeneric(dst []float32, ldd int, src []float32, lds, rows, n int) {
	for r := 0; r < rows; r++ {
		copy(dst[r*ldd:r*ldd+n], src[r*lds:r*lds+n])
	}
}

// CopyNT copies src into dst (len(dst) values; src holds at least as
// many), writing dst's whole 64-byte lines with non-temporal stores where
// the CPU has them (AVX-512 or AVX2; elsewhere, and with RESNET_NOASM, it
// is copy): the lines go to memory without being read first, and without
// first taking them from other cores that hold them. On the 2-vCPU VM
// this was measured on, writing 400 KB whose lines the other core had
// read cost about 10 ns a line with ordinary stores and 1.8 ns with these
// (1.5 ns either way for lines the writer held alone), and reading the
// result back cost no more. The stores are weakly ordered: call
// StoreFence before another thread may read dst.
func CopyNT(dst, src []float32) {
	if len(src) < len(dst) {
		panic(fmt.Sprintf("kernels: CopyNT: %d values into %d", len(src), len(dst)))
	}
	if len(dst) == 0 {
		return
	}
	copyNT(dst, src[:len(dst)])
}

// StoreFence makes the CopyNT stores this thread made before it visible
// before any store it makes after it (SFENCE where CopyNT has
// non-temporal stores): a thread fences once after its CopyNT calls and
// before it tells others that dst is ready.
func StoreFence() { storeFence() }

// CopyNTNative reports whether CopyNT has non-temporal stores on this
// CPU (rather than being copy).
func CopyNTNative() bool { return copyNTNative }

// copyNT and storeFence are the variants CopyNT and StoreFence use;
// copyNTNative is set with assembly ones.
var (
	copyNT       = copyNTGeneric
	storeFence   = func() {}
	copyNTNative = false
)

// copyNTGeneric is the portable twin: an ordinary copy.
func copyNTGeneric(dst, src []float32) { copy(dst, src) }
