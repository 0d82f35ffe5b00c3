package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// BCEWithLogits returns the elementwise binary cross-entropy of logits x against
// targets t, max(x,0) - x·t + log(1+e^-|x|), computed stably in one pass. It panics if
// the shapes differ.
func BCEWithLogits(x, t *Tensor) *Tensor {
	if !SameShape(x, t) {
		Panicf("BCEWithLogits", "shapes %s and %s differ", ShapeString(x.shape), ShapeString(t.shape))
	}
	out := empty(x.shape...)
	parallel(len(out.data), grainExp, func(lo, hi int) {
		kernels.BCEWithLogits(out.data[lo:hi], x.data[lo:hi], t.data[lo:hi])
	})
	return out
}

// BCEWithLogitsGrad returns g·(σ(x) - t), the gradient of BCEWithLogits with respect to
// the logits x given the output gradient g. It panics if the shapes differ.
func BCEWithLogitsGrad(x, t, g *Tensor) *Tensor {
	if !SameShape(x, t) || !SameShape(x, g) {
		Panicf("BCEWithLogitsGrad", "shapes %s, %s and %s differ", ShapeString(x.shape), ShapeString(t.shape), ShapeString(g.shape))
	}
	out := empty(x.shape...)
	parallel(len(out.data), grainExp, func(lo, hi int) {
		kernels.BCEWithLogitsGrad(out.data[lo:hi], x.data[lo:hi], t.data[lo:hi], g.data[lo:hi])
	})
	return out
}
