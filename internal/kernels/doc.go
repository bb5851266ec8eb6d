// Package kernels holds the numeric kernels behind the layers: GEMM,
// convolution, pooling, batch norm and element-wise ops on contiguous
// float32 slices in NCHW layout. Every kernel has a portable Go version;
// faster architecture-specific versions are selected at run time.
// Work is split across goroutines up to the configured thread count.
package kernels
