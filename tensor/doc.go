// Package tensor provides N-dimensional float32 tensors and the numerical kernels the
// rest of genblocks is built on.
//
// # Overview
//
// A *Tensor is a shape and a contiguous row-major []float32. Constructors build tensors
// (Zeros, Ones, Full, Arange, Linspace, Eye, FromSlice, and Randn, Rand and Bernoulli,
// which draw from an explicit *rand.Rand). Ops are plain functions that return new
// tensors: Add(a, b), MatMul(a, b), Softmax(t, axis). Reshape, Squeeze, Unsqueeze and
// Flatten share storage with their input; every other op copies.
//
// # Shapes
//
// Binary elementwise ops broadcast as NumPy does: shapes are aligned at their last axis
// and an axis of length 1 stretches to match. Reductions take the axes to reduce (none
// means all) and a keepDims flag. MatMul treats the last two axes as matrices and
// broadcasts the leading batch axes; MatMulT multiplies by either operand's transpose
// without copying it. Image ops use NCHW.
//
// # Kernels
//
// Every hot loop goes through tensor/internal/kernels, so faster implementations (SIMD
// assembly, parallel splits) replace reference loops without touching this package.
//
// # Errors
//
// Programmer mistakes — shapes that do not match, an axis out of range, an index out of
// bounds — panic at once with an *Error whose message names the op and the shapes:
//
//	tensor: MatMul: shapes (2,3) and (4,5) do not match
//
// Catch recovers such a panic into an error at a service boundary.
package tensor
