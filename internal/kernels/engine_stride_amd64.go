//go:build !purego

package kernels

import "unsafe"

//go:generate go run -C _gen_engine . -set stride -out ../engine_stride_amd64.s -stubs ../engine_stride_stubs_amd64.go -pkg kernels

func everyOtherAVX512Go(dst, src []float32) {
	_ = src[2*len(dst)-2]
	everyOtherAVX512(&dst[0], &src[0], len(dst), 1, 0, 0)
}

// everyOtherRowsAVX512Go expects EveryOtherRows' checks done.
func everyOtherRowsAVX512Go(dst []float32, ldd int, src []float32, lds, rows, n int) {
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+2*n-2]
	everyOtherAVX512(&dst[0], &src[0], n, rows, ldd, lds)
}

// everyOtherAVX2Go copies 8 values a step while more than 8 are left (the
// last step's src[2q+1] would lie past the end), then the rest in Go.
func everyOtherAVX2Go(dst, src []float32) {
	n := len(dst)
	src = src[:2*n-1]
	steps := (n - 1) / 8
	if steps > 0 {
		everyOtherAVX2(&dst[0], &src[0], steps)
	}
	for q := 8 * steps; q < n; q++ {
		dst[q] = src[2*q]
	}
}

// im2colChannelAVX512Go runs the AVX-512 kernel of strides 1 and 2
// (Im2colChannel's checks done), the portable twin for others. Rows of at
// most 8 outputs go to the AVX2 kernel, one masked 8-lane step a row: a
// channel of ResNet's 7×7 layers took 29 ns so against 42 with the
// 16-lane masked step at stride 1, 38 against 48 at stride 2 (this AMD
// EPYC; from 14×14 at stride 2 the AVX-512 kernel is faster, 115 against
// 143).
func im2colChannelAVX512Go(dst, src []float32, wp, kh, kw, s, oh, ow int) {
	if ow <= 8 {
		im2colChannelAVX2Go(dst, src, wp, kh, kw, s, oh, ow)
		return
	}
	im2colWith(im2colS1AVX512, im2colS2AVX512, dst, src, wp, kh, kw, s, oh, ow)
}

// im2colChannelAVX2Go is im2colChannelAVX512Go's AVX2 twin.
func im2colChannelAVX2Go(dst, src []float32, wp, kh, kw, s, oh, ow int) {
	im2colWith(im2colS1AVX2, im2colS2AVX2, dst, src, wp, kh, kw, s, oh, ow)
}

// copyNTAVX512Go and copyNTAVX2Go copy dst's first values up to a 64-byte
// line and the tail past its last whole line with copy, the lines between
// with the kernel (len(src) = len(dst) > 0).
func copyNTAVX512Go(dst, src []float32) { copyNTWith(copyNTAVX512, dst, src) }

func copyNTAVX2Go(dst, src []float32) { copyNTWith(copyNTAVX2, dst, src) }

func copyNTWith(kernel func(dst, src *float32, lines int), dst, src []float32) {
	head := min(int(64-uintptr(unsafe.Pointer(&dst[0]))%64)%64/4, len(dst))
	copy(dst[:head], src)
	lines := (len(dst) - head) / 16
	if lines > 0 {
		kernel(&dst[head], &src[head], lines)
	}
	copy(dst[head+16*lines:], src[head+16*lines:])
}

// copyRowsAVX512Go and copyRowsAVX2Go expect CopyRows' checks done.
func copyRowsAVX512Go(dst []float32, ldd int, src []float32, lds, rows, n int) {
	copyRowsAVX512(&dst[0], &src[0], ldd, lds, rows, n)
}

func copyRowsAVX2Go(dst []float32, ldd int, src []float32, lds, rows, n int) {
	copyRowsAVX2(&dst[0], &src[0], ldd, lds, rows, n)
}

// im2colWith runs s1 or s2, the kernels of strides 1 and 2, or the
// portable twin at other strides.
func im2colWith(s1, s2 func(dst, src *float32, wp, kh, kw, oh, ow int), dst, src []float32, wp, kh, kw, s, oh, ow int) {
	switch s {
	case 1:
		s1(&dst[0], &src[0], wp, kh, kw, oh, ow)
	case 2:
		s2(&dst[0], &src[0], wp, kh, kw, oh, ow)
	default:
		im2colChannelGeneric(dst, src, wp, kh, kw, s, oh, ow)
	}
}

// deinterleaveRowsAVX512Go and deinterleaveRowsAVX2Go expect
// DeinterleaveRows' checks done (odd is even when n is 1). Rows of at
// most 16 values take the AVX2 kernel, whose masked step took 10.1 ns
// for 7 rows of 14 against 12.7 (this AMD EPYC).
func deinterleaveRowsAVX512Go(even, odd []float32, ldd int, src []float32, lds, rows, n int) {
	if n <= 16 {
		deinterleaveAVX2(&even[0], &odd[0], &src[0], n, rows, ldd, lds)
		return
	}
	deinterleaveAVX512(&even[0], &odd[0], &src[0], n, rows, ldd, lds)
}

func deinterleaveRowsAVX2Go(even, odd []float32, ldd int, src []float32, lds, rows, n int) {
	deinterleaveAVX2(&even[0], &odd[0], &src[0], n, rows, ldd, lds)
}

// copyPlanesAVX512Go and copyPlanesAVX2Go expect CopyPlanes' checks done.
func copyPlanesAVX512Go(dst []float32, ldd, dps int, src []float32, lds, sps, rows, n, planes int) {
	copyPlanesAVX512(&dst[0], &src[0], ldd, lds, rows, n, planes, dps, sps)
}

func copyPlanesAVX2Go(dst []float32, ldd, dps int, src []float32, lds, sps, rows, n, planes int) {
	copyPlanesAVX2(&dst[0], &src[0], ldd, lds, rows, n, planes, dps, sps)
}
