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
