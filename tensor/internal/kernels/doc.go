// Package kernels holds the inner loops of package tensor: elementwise maps,
// strided binary ops, reductions and matrix multiplication on float32 slices. Every hot
// loop of the library goes through here so that faster implementations (SIMD assembly,
// parallel splits) can replace a reference loop without touching callers.
//
// The functions do no shape checking: callers pass slices of the right length.
package kernels
