//go:build !purego

package kernels

//go:generate go run -C _gen_engine . -out ../engine_epilogue_amd64.s -stubs ../engine_epilogue_stubs_amd64.go -pkg kernels

// epilogueFunc is one of the generated epilogues (engine_epilogue_stubs_amd64.go).
type epilogueFunc func(dst, src, res *float32, n int, b float32, rows, ldd, lds, ldr int)

// epilogueSet holds an ISA's four epilogues: [res][relu].
type epilogueSet [2][2]epilogueFunc

var (
	epiloguesAVX512 = epilogueSet{{engineBiasAVX512, engineBiasReLUAVX512}, {engineBiasResAVX512, engineBiasResReLUAVX512}}
	epiloguesAVX2   = epilogueSet{{engineBiasAVX2, engineBiasReLUAVX2}, {engineBiasResAVX2, engineBiasResReLUAVX2}}
)

// rows runs the epilogue on rows rows (strides in values), checked by
// the caller: BiasActRows, or BiasAct with one row.
func (e *epilogueSet) rows(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	_ = dst[(rows-1)*ldd+n-1]
	_ = src[(rows-1)*lds+n-1]
	var rp *float32
	ri, li := 0, 0
	if res != nil {
		_ = res[(rows-1)*ldr+n-1]
		rp, ri = &res[0], 1
	}
	if relu {
		li = 1
	}
	e[ri][li](&dst[0], &src[0], rp, n, b, rows, 4*ldd, 4*lds, 4*ldr)
}

func biasActAVX512(dst, src, res []float32, b float32, relu bool) {
	epiloguesAVX512.rows(dst, 0, src, 0, res, 0, 1, len(dst), b, relu)
}

func biasActAVX2(dst, src, res []float32, b float32, relu bool) {
	epiloguesAVX2.rows(dst, 0, src, 0, res, 0, 1, len(dst), b, relu)
}

func biasActRowsAVX512(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	epiloguesAVX512.rows(dst, ldd, src, lds, res, ldr, rows, n, b, relu)
}

func biasActRowsAVX2(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, rows, n int, b float32, relu bool) {
	epiloguesAVX2.rows(dst, ldd, src, lds, res, ldr, rows, n, b, relu)
}

// transposeBiasActAVX512Go runs the assembly on each block of 16 columns
// and the portable twin on the rest.
func transposeBiasActAVX512Go(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	transposeBlocks(transposeBiasActAVX512, 16, dst, ldd, src, lds, res, ldr, bias, n, cols, relu)
}

// transposeBiasActAVX2Go: the same with blocks of 8 columns.
func transposeBiasActAVX2Go(dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	transposeBlocks(transposeBiasActAVX2, 8, dst, ldd, src, lds, res, ldr, bias, n, cols, relu)
}

// transposeBlocks runs kern on each block of w columns of src (checked
// here) and the portable twin on the columns left.
func transposeBlocks(kern func(dst *float32, ldd int, src *float32, lds int, res *float32, ldr int, bias *float32, n int, relu int), w int,
	dst []float32, ldd int, src []float32, lds int, res []float32, ldr int, bias []float32, n, cols int, relu bool) {
	r := 0
	if relu {
		r = 1
	}
	o := 0
	for ; o+w <= cols; o += w {
		_ = dst[(o+w-1)*ldd+n-1]
		_ = src[(n-1)*lds+o+w-1]
		_ = bias[o+w-1]
		var rp *float32
		if res != nil {
			_ = res[(o+w-1)*ldr+n-1]
			rp = &res[o*ldr]
		}
		kern(&dst[o*ldd], 4*ldd, &src[o], 4*lds, rp, 4*ldr, &bias[o], n, r)
	}
	if o < cols {
		var rr []float32
		if res != nil {
			rr = res[o*ldr:]
		}
		transposeBiasActGeneric(dst[o*ldd:], ldd, src[o:], lds, rr, ldr, bias[o:], n, cols-o, relu)
	}
}

// packTransposeAVX512Go and packTransposeAVX2Go check the slices and run
// the kernels (strides in values).
func packTransposeAVX512Go(dst []float32, ldd int, src []float32, lds, blocks int) {
	_ = dst[(16*blocks-1)*ldd+15]
	_ = src[15*lds+16*blocks-1]
	transposeBlocksAVX512(&dst[0], 4*ldd, &src[0], 4*lds, blocks)
}

func packTransposeAVX2Go(dst []float32, ldd int, src []float32, lds, blocks int) {
	_ = dst[(8*blocks-1)*ldd+7]
	_ = src[7*lds+8*blocks-1]
	transposeBlocksAVX2(&dst[0], 4*ldd, &src[0], 4*lds, blocks)
}
