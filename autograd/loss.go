package autograd

import "github.com/genblocks/genblocks/tensor"

var _ = register("bce_with_logits")

// BCEWithLogits returns the elementwise binary cross-entropy of logits x against
// targets t (same shape), max(x,0) - x·t + log(1+e^-|x|), as one op: one pass forward
// and, for x, one pass backward (σ(x) - t). When a gradient of the gradient is wanted
// it is computed with differentiable ops. It panics if the shapes differ.
func BCEWithLogits(x, t *Var) *Var {
	y := tensor.BCEWithLogits(x.value, t.value)
	return record("bce_with_logits", y, []*Var{x, t}, func(g *Var) []*Var {
		if g.noGrad {
			var gx, gt *Var
			if x.requiresGrad {
				gx = NoGrad(tensor.BCEWithLogitsGrad(x.value, t.value, g.value))
			}
			if t.requiresGrad {
				gt = NoGrad(tensor.Mul(g.value, tensor.Neg(x.value)))
			}
			return []*Var{gx, gt}
		}
		// Composed, so the gradients stay differentiable in x, t and g.
		return []*Var{Mul(g, Sub(Sigmoid(x), t)), Neg(Mul(g, x))}
	})
}

// bceWithLogitsComposed is BCEWithLogits written with differentiable ops.
func bceWithLogitsComposed(x, t *Var) *Var {
	sp := Log(AddScalar(Exp(Neg(Abs(x))), 1))
	return Add(Sub(ReLU(x), Mul(x, t)), sp)
}
