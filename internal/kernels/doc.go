// Package kernels holds the numeric kernels behind the layers: GEMM,
// convolution, pooling, batch norm and element-wise ops on contiguous
// float32 slices in NCHW layout. Every kernel has a portable Go version;
// faster architecture-specific versions are selected at run time.
// Work is split across goroutines up to the configured thread count.
//
// The inference engine's kernels (engine_*.go, wino*.go) run on the
// calling goroutine, the engine splitting the work itself; bf16.go and
// int8.go hold its optional bfloat16 (AVX512-BF16) and 8-bit
// (AVX512-VNNI, AVX-VNNI on ymm, or arm64's SDOT) products. The amd64 assembly is
// generated with avo (_gen, _gen_engine; see gemm_amd64.go): AVX-512 and
// AVX2+FMA. On arm64 the SGEMM micro-kernels, the implicit GEMM, the
// Winograd transforms, the epilogues, the max pool and the subsampling
// use NEON (_gen_arm64, a plain Go generator; the other kernels run their
// portable versions there). RESNET_NOASM=1 or the purego build tag forces
// the portable twins.
package kernels
