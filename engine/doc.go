// Package engine is the fast CPU inference path for the ResNet family: it
// compiles a models.ResNet once into a Plan (batch norm folded into the
// convolution weights, bias / residual add / ReLU fused into the epilogue
// of each convolution, weights laid out for the GEMM kernels) and runs it
// with preallocated, reused activation buffers.
//
// Every convolution is one of two kinds, chosen at Compile time:
//
//   - pointwise: a 1×1 convolution is a GEMM on the activation itself
//     (weights (OutC, InC) times the (InC, H·W) image); a stride-s one
//     subsamples the input first. On small maps (7×7) it is computed
//     transposed, the positions as the product's rows (pointwiseT).
//   - direct: any other (the 7×7 stem, the 3×3 layers, grouped ResNeXt
//     ones) is one implicit GEMM per group on a zero-padded copy of the
//     input, split into s² phase planes when the stride s is > 1
//     (kernels.ConvGemm): row (channel, ki, kj) of the im2col matrix is
//     read in place at the tap's offset, computing each output row over a
//     padded row's width (the extra columns are dropped), by AVX-512
//     micro-kernels of up to 12 output channels by 128 columns (AVX2: 6
//     by 32), so that a ResNeXt group of 4 channels still fills the
//     registers. No im2col matrix is built (without AVX2, blocks of it
//     are), except on small maps of one group (7×7, and the stride-2
//     outputs of fewer than 256 positions), which are computed
//     transposed on one (pointwiseT, directT). Grouped layers at small
//     maps compute each group transposed on its padded input, the output
//     positions as rows (kernels.ConvGemmT, groupedT), with AVX-512.
//     When the images do not split evenly among the threads (batch 1),
//     one-group layers (and the stem) pad the rows each tile reads into
//     the thread's own buffer instead (directBands, padBand): a padding
//     pass would write lines the other core read in the layer before.
//
// 3×3 stride-1 convolutions of ≥ 64 channels run Winograd F(4×4, 3×3)
// or F(2×2, 3×3) instead (winograd.go) when the batch has enough tiles,
// unless Options.NoWinograd; their transforms read zero-padded copies of
// the input's channels that each thread makes for itself. At batch 1
// F(4×4)'s products are computed transposed (winoTransposed), the
// chunk's tiles as rows, so that no right edge of a few columns is left.
//
// Each layer is split into (image, row block, column block) tiles that the
// threads of the workspace's team (team.go: workers kept between passes
// that spin between loops) take, each its own contiguous share first,
// then what is left of the others'. A pointwise tile's
// epilogue runs on the GEMM micro-kernel's registers before the store
// (kernels.SgemmSerialEpilogue); a direct tile's on the thread's buffer
// as it is copied out; so there is no separate batch-norm, add or ReLU
// pass. ResNet's max pool runs on the stem's tiles too (convPool): each
// holds whole rows of the stem's output and pools them, so that output
// is never stored, adds the bias and ReLU to the pooled values only, and
// writes them with non-temporal stores (kernels.CopyNT), as do the small
// maps' layers that write over their residual (storeT), whose lines the
// other core has read. Pointwise weights whose rows would be a multiple of 2 KiB apart
// get a padded row stride in the compiled copy (rows in one L1 set evict
// each other). Layout is NCHW throughout, so there is no conversion at
// the edges.
//
// Options.BF16 (off by default) runs every convolution's products on
// bfloat16 values with AVX512-BF16 or arm64's BFDOT
// (kernels.SgemmSerialBF16): each tile rounds its share of the input into
// pairs in the thread's buffer, the weights are rounded once, and the
// sums, transforms and epilogues stay float32. About 1.3–1.6× as fast, but not within float32 tolerance.
//
// Options.Int8 (off by default) runs the 1×1 and implicit-GEMM
// convolutions on bytes with AVX512-VNNI, AVX-VNNI or arm64's SDOT (kernels.GemmU8S8): weights as
// signed bytes with a scale per output channel, made once; each tile
// quantizes its columns of the input (post-ReLU, so unsigned; the stem's
// offset by 128) with a scale per column into the thread's buffer
// (kernels.PackU8); the byte products are summed exactly in int32
// and scaled back to float32 before the epilogue. Winograd's layers stay
// float32 (bfloat16 with BF16 too). Less precise than BF16.
package engine
