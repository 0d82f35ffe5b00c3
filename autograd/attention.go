package autograd

import "github.com/genblocks/genblocks/tensor"

var _ = register("scaled_softmax")

// ScaledSoftmax returns the attention weights softmax(scale·a) along the last axis of
// scores a (…,Tq,Tk), with, when causal, the entries (i,j) for j > i+Tk-Tq masked out
// (weight 0), in one fused pass forward and backward (see tensor.ScaledSoftmax). It
// equals Softmax(MaskedFill(MulScalar(a, scale), causal mask, -1e30), -1); when a
// gradient of the gradient is wanted its backward is computed with differentiable ops.
// It panics if a has fewer than 2 axes.
func ScaledSoftmax(a *Var, scale float32, causal bool) *Var {
	y := tensor.ScaledSoftmax(a.value, scale, causal)
	return record("scaled_softmax", y, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.ScaledSoftmaxGrad(y, g.value, scale, causal))}
		}
		return []*Var{scaledSoftmaxBackwardComposed(scaledSoftmaxComposed(a, scale, causal), g, scale, causal)}
	})
}

// scaledSoftmaxBackwardComposed is the gradient of the scores given the weights y and
// their gradient g, scale·y·(g − Σ g·y), 0 where causal masks the scores out, with
// differentiable ops.
func scaledSoftmaxBackwardComposed(y, g *Var, scale float32, causal bool) *Var {
	d := MulScalar(Mul(y, Sub(g, Sum(Mul(g, y), true, y.Dim()-1))), scale)
	if causal {
		tq, tk := y.Size(-2), y.Size(-1)
		d = MaskedFill(d, tensor.Triu(tensor.Ones(tq, tk), tk-tq+1), 0)
	}
	return d
}

// scaledSoftmaxComposed is ScaledSoftmax written with differentiable ops.
func scaledSoftmaxComposed(a *Var, scale float32, causal bool) *Var {
	s := MulScalar(a, scale)
	if causal {
		tq, tk := a.Size(-2), a.Size(-1)
		s = MaskedFill(s, tensor.Triu(tensor.Ones(tq, tk), tk-tq+1), -1e30)
	}
	return Softmax(s, -1)
}

var _ = register("attention")

// Attention returns ScaledSoftmax(q·kᵀ, scale, causal)·v for q (…,Tq,D), k (…,Tk,D) and
// v (…,Tk,Dv) with the same leading axes, as (…,Tq,Dv), fused: forward and backward
// work one (batch, head) pair at a time without a (…,Tq,Tk) tensor (see
// tensor.ScaledDotProductAttention), recomputing the weights in the backward pass. A
// gradient of the gradient is computed with differentiable ops. It panics if the shapes do not
// fit.
func Attention(q, k, v *Var, scale float32, causal bool) *Var {
	out := tensor.ScaledDotProductAttention(q.value, k.value, v.value, scale, causal)
	return record("attention", out, []*Var{q, k, v}, func(g *Var) []*Var {
		if g.noGrad {
			dq, dk, dv := tensor.ScaledDotProductAttentionGrad(q.value, k.value, v.value, g.value, scale, causal)
			return []*Var{NoGrad(dq), NoGrad(dk), NoGrad(dv)}
		}
		// Composed, so the gradients stay differentiable in q, k, v and g.
		p := ScaledSoftmax(MatMulT(q, k, false, true), scale, causal) // (…,Tq,Tk)
		ds := scaledSoftmaxBackwardComposed(p, MatMulT(g, v, false, true), scale, causal)
		return []*Var{MatMul(ds, k), MatMulT(ds, q, true, false), MatMulT(p, g, true, false)}
	})
}

// attentionComposed is Attention written with differentiable ops.
func attentionComposed(q, k, v *Var, scale float32, causal bool) *Var {
	return MatMul(ScaledSoftmax(MatMulT(q, k, false, true), scale, causal), v) // (…,Tq,Tk)·(…,Tk,Dv) -> (…,Tq,Dv)
}
