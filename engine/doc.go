// Package engine is the fast CPU inference path for the ResNet family: it
// compiles a models.ResNet once into a Plan (batch norm folded into the
// convolution weights, bias / residual add / ReLU fused into the epilogue
// of each convolution, weights laid out for the GEMM kernels) and runs it
// with preallocated, reused activation buffers.
//
// Every convolution is one of three kinds, chosen at Compile time:
//
//   - pointwise: a 1×1 convolution is a GEMM on the activation itself
//     (weights (OutC, InC) times the (InC, H·W) image); a stride-s one
//     subsamples the input first.
//   - shifted: a k×k convolution with one group and enough input channels
//     is a sum over its k·k taps of GEMMs on shifted views of a zero-padded
//     copy of the input. With stride 1 the padded image is read at offset
//     ki·Wp+kj with row length Wp (the two extra columns of each output row
//     are computed and dropped); with stride s the padded image is split
//     into s² phase planes first, so every tap is again a unit-stride view.
//     No im2col matrix is built.
//   - direct: the rest (the 7×7 stem on 3 channels, grouped ResNeXt
//     convolutions, CIFAR's 16-channel layers) are one implicit GEMM per
//     group on the same padded, phase-split input (kernels.ConvGemm): row
//     (channel, ki, kj) of the im2col matrix is read in place from the
//     tap's offset by AVX-512 micro-kernels of up to 12 output channels
//     by 128 columns, so a group of 4 channels still fills the registers.
//     No im2col matrix is built (without AVX-512, blocks of it are).
//
// Each layer is split into (image, row block, column block) tiles that the
// threads take from a shared counter; a thread runs the GEMM for its tile
// (kernels.SgemmSerial) and then the epilogue on that tile while it is
// still in cache, so there is no separate batch-norm, add or ReLU pass.
// Layout is NCHW throughout, so there is no conversion at the edges.
package engine
