// Package kernels holds the inner loops of package tensor: elementwise maps,
// strided binary ops, reductions and matrix multiplication on float32 slices. Every hot
// loop of the library goes through here so that faster implementations (SIMD assembly,
// parallel splits) can replace a reference loop without touching callers.
//
// # Overview
//
// Each assembly kernel has a Go stub whose doc comment is the reference loop, the .s
// file beside it, and a pure-Go twin of the same loop behind
// //go:build !amd64 || purego; Sgemm picks its micro-kernel at run time: AVX-512 where
// the CPU and OS support it, else AVX2/FMA, else Go. Work large enough to split runs on a fixed pool of Threads goroutines
// (SetThreads, ParallelRange); the calling goroutine waits for it.
//
// # Shapes
//
// Arguments are flat row-major slices plus lengths and strides, BLAS style: Sgemm takes
// m, n, k and leading dimensions; the strided ops take the stride of each operand (0
// broadcasts a single value). SgemmOffsetA and SgemmOffsetB take one of the operands as
// a list of row offsets into a buffer instead of a stride, so that a convolution's
// column matrix is read as windows of the padded image (an implicit GEMM) rather than
// written out by im2col.
//
// # Errors
//
// The functions do no shape checking beyond what protects memory: callers in package
// tensor validate shapes first and pass slices of the right length. Sgemm panics, before
// any work starts, when its dimensions and strides do not fit its slices; a slice too
// short for any other kernel panics with Go's index-out-of-range error.
package kernels
