//go:build !(amd64 || arm64) || purego

package kernels

// int8Asm and int8AVX2 are false: the int8 kernels are the portable
// twins.
const int8Asm, int8AVX2 = false, false

func int8NeedsRowSums() bool { return false }

func int8KernelName() string { return "generic" }

func int8Runs() bool { return false }

func int8TileAsm(kq, rows, width, cols int, a []float32, lda int, b, c []float32, ldc int, sa, sb, bias, res []float32, corr []int32, ldr, flags int) {
	panic("kernels: no int8 assembly on this platform")
}

func packU8PanelAsm(dst, sb, src []float32, offs []int32, k, cols, width, room int, offset bool) {
	panic("kernels: no int8 assembly on this platform")
}

func s8RowSums(out []int32, a []float32, lda, m, kq int, corr []int32) {
	panic("kernels: no int8 assembly on this platform")
}
