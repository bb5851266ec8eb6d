//go:build race

package classify

// raceEnabled: the race detector makes sync.Pool drop items at random (the
// kernels' GEMM scratch comes from one), so allocation counts mean nothing
// under it.
const raceEnabled = true
