package autograd

import "github.com/genblocks/genblocks/tensor"

var _ = register("normalize")

// Normalize normalises a over its last k axes to mean 0 and variance 1 (the population
// variance plus eps): the core of layer and group normalisation. Its backward is one
// fused kernel pass; when a gradient of the gradient is wanted it is differentiated
// through the equivalent composed ops instead.
func Normalize(a *Var, k int, eps float32) *Var {
	y, rstd := tensor.NormalizeLast(a.value, k, eps)
	return record("normalize", y, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.NormalizeLastGrad(y, rstd, g.value))}
		}
		// d/da Σ g·f(a), recorded, so the result stays differentiable in a and in g.
		return Grad([]*Var{Sum(Mul(normalizeComposed(a, k, eps), g), false)}, []*Var{a}, nil, true)
	})
}

// normalizeComposed is Normalize written with differentiable ops.
func normalizeComposed(a *Var, k int, eps float32) *Var {
	axes := make([]int, k)
	for i := range axes {
		axes[i] = a.Dim() - k + i
	}
	d := Sub(a, Mean(a, true, axes...))
	v := Mean(Square(d), true, axes...)
	return Mul(d, Rsqrt(AddScalar(v, eps)))
}

var _ = register("normalize_channels")

// NormalizeChannels normalises each channel of a (N,C,…) over its batch and spatial
// values to mean 0 and variance 1 (the population variance plus eps), the core of batch
// normalisation, and also returns the per-channel mean and population variance (C) as
// plain tensors (for running statistics). Its backward is one fused kernel pass; when a
// gradient of the gradient is wanted it is differentiated through the equivalent
// composed ops. It panics if a has fewer than 2 axes.
func NormalizeChannels(a *Var, eps float32) (y *Var, mean, variance *tensor.Tensor) {
	yt, mean, variance := tensor.NormalizeChannels(a.value, eps)
	y = record("normalize_channels", yt, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.NormalizeChannelsGrad(yt, variance, g.value, eps))}
		}
		return Grad([]*Var{Sum(Mul(normalizeChannelsComposed(a, eps), g), false)}, []*Var{a}, nil, true)
	})
	return y, mean, variance
}

// normalizeChannelsComposed is NormalizeChannels written with differentiable ops.
func normalizeChannelsComposed(a *Var, eps float32) *Var {
	axes := []int{0}
	for i := 2; i < a.Dim(); i++ {
		axes = append(axes, i)
	}
	d := Sub(a, Mean(a, true, axes...))
	v := Mean(Square(d), true, axes...)
	return Mul(d, Rsqrt(AddScalar(v, eps)))
}

var _ = register("channel_affine")

// ChannelAffine returns x·w[c] + b[c] for every value of channel c of x (N,C,…), with
// w and b of shape (C): the learned affine map of batch and group normalisation. b may
// be nil. It is one pass forward and, when no gradient of the gradient is wanted, one
// fused pass backward (instead of a broadcast multiply and add and their reductions).
// It panics unless w and b have shape (C).
func ChannelAffine(x, w, b *Var) *Var {
	var bt *tensor.Tensor
	inputs := []*Var{x, w}
	if b != nil {
		bt = b.value
		inputs = append(inputs, b)
	}
	return record("channel_affine", tensor.ChannelAffine(x.value, w.value, bt), inputs, func(g *Var) []*Var {
		if g.noGrad {
			dx, dw, db := tensor.ChannelAffineGrad(x.value, w.value, g.value, x.requiresGrad, w.requiresGrad, b != nil && b.requiresGrad)
			out := []*Var{wrapGrad(dx), wrapGrad(dw)}
			if b != nil {
				out = append(out, wrapGrad(db))
			}
			return out
		}
		// Composed, so the gradients stay differentiable.
		c := w.Size(0)
		bshape := make([]int, x.Dim())
		for i := range bshape {
			bshape[i] = 1
		}
		bshape[1] = c
		out := []*Var{
			Mul(g, Reshape(w, bshape...)),
			Reshape(SumTo(Mul(g, x), bshape...), c),
		}
		if b != nil {
			out = append(out, Reshape(SumTo(g, bshape...), c))
		}
		return out
	})
}

// wrapGrad wraps a fused backward's result as a NoGrad Var, or nil for none.
func wrapGrad(t *tensor.Tensor) *Var {
	if t == nil {
		return nil
	}
	return NoGrad(t)
}
