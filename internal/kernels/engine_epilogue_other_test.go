//go:build purego || !(amd64 || arm64)

package kernels

func addEpilogueAsm(map[string]func(dst, src, res []float32, b float32, relu bool)) {}

func addEpilogueRowsAsm(map[string]func([]float32, int, []float32, int, []float32, int, int, int, float32, bool)) {
}

func addTransposeAsm(map[string]func([]float32, int, []float32, int, []float32, int, []float32, int, int, bool)) {
}

func packTransposeAsm() []packTransposeVariant { return nil }
