package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// NormalizeLast normalises t over its last k axes to mean 0 and variance 1 (the
// population variance plus eps), as layer and group normalisation do before their
// affine maps. It returns the result and the reciprocal standard deviation of each
// normalised group, shaped like t with the last k axes removed. It panics unless
// 1 ≤ k ≤ t.Dim().
func NormalizeLast(t *Tensor, k int, eps float32) (y, rstd *Tensor) {
	if k < 1 || k > len(t.shape) {
		Panicf("NormalizeLast", "%d axes for shape %s", k, ShapeString(t.shape))
	}
	n := 1
	for _, d := range t.shape[len(t.shape)-k:] {
		n *= d
	}
	y = New(t.shape...)
	rstd = New(t.shape[:len(t.shape)-k]...)
	if n > 0 {
		parallel(len(rstd.data), max(1, grainExp/n), func(lo, hi int) {
			kernels.NormalizeRows(y.data[lo*n:hi*n], rstd.data[lo:hi], t.data[lo*n:hi*n], n, eps)
		})
	}
	return y, rstd
}

// NormalizeLastGrad returns the gradient of NormalizeLast with respect to its input,
// given its outputs y and rstd and the gradient g of y.
func NormalizeLastGrad(y, rstd, g *Tensor) *Tensor {
	if !SameShape(y, g) {
		Panicf("NormalizeLastGrad", "shapes %s and %s differ", ShapeString(y.shape), ShapeString(g.shape))
	}
	dx := New(y.shape...)
	if rows := rstd.Numel(); rows > 0 {
		n := len(y.data) / rows
		parallel(rows, max(1, grainExp/max(n, 1)), func(lo, hi int) {
			kernels.NormalizeRowsGrad(dx.data[lo*n:hi*n], y.data[lo*n:hi*n], rstd.data[lo:hi], g.data[lo*n:hi*n], n)
		})
	}
	return dx
}
