package tensor

import (
	"math"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// BCEWithLogits returns the elementwise binary cross-entropy of logits x against
// targets t, max(x,0) - x·t + log(1+e^-|x|), computed stably in one pass. It panics if
// the shapes differ.
func BCEWithLogits(x, t *Tensor) *Tensor {
	if !SameShape(x, t) {
		Panicf("BCEWithLogits", "shapes %s and %s differ", ShapeString(x.shape), ShapeString(t.shape))
	}
	out := New(x.shape...)
	parallel(len(out.data), grainExp, func(lo, hi int) {
		xs, ts, ys := x.data[lo:hi], t.data[lo:hi], out.data[lo:hi]
		for i, v := range xs {
			a := v
			if a < 0 {
				a = -a
			}
			ys[i] = max(v, 0) - v*ts[i] + float32(math.Log1p(float64(kernels.Expf(-a))))
		}
	})
	return out
}

// BCEWithLogitsGrad returns g·(σ(x) - t), the gradient of BCEWithLogits with respect to
// the logits x given the output gradient g. It panics if the shapes differ.
func BCEWithLogitsGrad(x, t, g *Tensor) *Tensor {
	if !SameShape(x, t) || !SameShape(x, g) {
		Panicf("BCEWithLogitsGrad", "shapes %s, %s and %s differ", ShapeString(x.shape), ShapeString(t.shape), ShapeString(g.shape))
	}
	out := New(x.shape...)
	parallel(len(out.data), grainExp, func(lo, hi int) {
		xs, ts, gs, ys := x.data[lo:hi], t.data[lo:hi], g.data[lo:hi], out.data[lo:hi]
		for i, v := range xs {
			ys[i] = gs[i] * (1/(1+kernels.Expf(-v)) - ts[i])
		}
	})
	return out
}
