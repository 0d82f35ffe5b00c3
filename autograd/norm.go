package autograd

import "github.com/genblocks/genblocks/tensor"

var _ = register("normalize")

// Normalize normalises a over its last k axes to mean 0 and variance 1 (the population
// variance plus eps): the core of layer and group normalisation. Its backward is one
// fused kernel pass; when a gradient of the gradient is wanted it is computed with
// differentiable ops instead.
func Normalize(a *Var, k int, eps float32) *Var {
	y, rstd := tensor.NormalizeLast(a.value, k, eps)
	return record("normalize", y, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.NormalizeLastGrad(y, rstd, g.value))}
		}
		return []*Var{normalizeBackwardComposed(a, g, lastAxes(a, k), eps)}
	})
}

// normalizeComposed is Normalize written with differentiable ops.
func normalizeComposed(a *Var, k int, eps float32) *Var {
	y, _ := normalizeOver(a, lastAxes(a, k), eps)
	return y
}

// lastAxes returns the last k axes of a.
func lastAxes(a *Var, k int) []int {
	axes := make([]int, k)
	for i := range axes {
		axes[i] = a.Dim() - k + i
	}
	return axes
}

// normalizeOver normalises a over axes with differentiable ops and returns the
// normalised values and the reciprocal standard deviation (kept dims).
func normalizeOver(a *Var, axes []int, eps float32) (y, rstd *Var) {
	d := Sub(a, Mean(a, true, axes...))
	rstd = Rsqrt(AddScalar(Mean(Square(d), true, axes...), eps))
	return Mul(d, rstd), rstd
}

// normalizeBackwardComposed is the gradient of normalising a over axes given the
// output gradient g, rstd·(g − mean(g) − y·mean(g·y)), written with differentiable
// ops so that it can itself be differentiated in a and in g. (Differentiating
// Σ g·f(a) instead would also follow g's own dependence on a, which is wrong when g
// was computed from the output, and recurses.)
func normalizeBackwardComposed(a, g *Var, axes []int, eps float32) *Var {
	y, rstd := normalizeOver(a, axes, eps)
	return Mul(rstd, Sub(Sub(g, Mean(g, true, axes...)), Mul(y, Mean(Mul(g, y), true, axes...))))
}

var _ = register("normalize_channels")

// NormalizeChannels normalises each channel of a (N,C,…) over its batch and spatial
// values to mean 0 and variance 1 (the population variance plus eps), the core of batch
// normalisation, and also returns the per-channel mean and population variance (C) as
// plain tensors (for running statistics). Its backward is one fused kernel pass; when a
// gradient of the gradient is wanted it is computed with differentiable ops. It panics if a has fewer than 2 axes.
func NormalizeChannels(a *Var, eps float32) (y *Var, mean, variance *tensor.Tensor) {
	yt, mean, variance := tensor.NormalizeChannels(a.value, eps)
	y = record("normalize_channels", yt, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.NormalizeChannelsGrad(yt, variance, g.value, eps))}
		}
		return []*Var{normalizeBackwardComposed(a, g, channelAxes(a), eps)}
	})
	return y, mean, variance
}

// normalizeChannelsComposed is NormalizeChannels written with differentiable ops.
func normalizeChannelsComposed(a *Var, eps float32) *Var {
	y, _ := normalizeOver(a, channelAxes(a), eps)
	return y
}

// channelAxes returns every axis of a (N,C,…) but the channel axis 1.
func channelAxes(a *Var) []int {
	axes := []int{0}
	for i := 2; i < a.Dim(); i++ {
		axes = append(axes, i)
	}
	return axes
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
		bshape := channelShape(x.Dim(), c)
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

// channelShape returns (1,c,1,…) with dims axes: a per-channel vector shaped to
// broadcast against (N,C,…).
func channelShape(dims, c int) []int {
	s := make([]int, dims)
	for i := range s {
		s[i] = 1
	}
	s[1] = c
	return s
}

// wrapGrad wraps a fused backward's result as a NoGrad Var, or nil for none.
func wrapGrad(t *tensor.Tensor) *Var {
	if t == nil {
		return nil
	}
	return NoGrad(t)
}

var _ = register("group_norm_silu")

// GroupNormSiLU returns SiLU(GroupNorm(x)) for x (N,C,…): each of the groups sets of
// C/groups channels of a sample normalised to mean 0 and variance 1 (population
// variance plus eps), scaled by w[c] and shifted by b[c] (w and b of shape (C)), then
// SiLU, the pre-activation of a diffusion residual block. Forward and, when no
// gradient of the gradient is wanted, backward are each one pass per (sample, group)
// that keeps only the normalised values, instead of three ops with their
// intermediates; otherwise the gradients are computed with differentiable ops.
// The output equals Normalize, ChannelAffine and SiLU in turn bit for bit. It panics
// unless groups divides C and w and b have shape (C).
func GroupNormSiLU(x, w, b *Var, groups int, eps float32) *Var {
	inputs := []*Var{x, w, b}
	if !needsGraph(inputs) {
		return record("group_norm_silu", tensor.GroupNormInference(x.value, groups, w.value, b.value, eps, true), inputs, nil)
	}
	out, y, rstd := tensor.GroupNormSiLU(x.value, groups, w.value, b.value, eps)
	v := record("group_norm_silu", out, inputs, func(g *Var) []*Var {
		if g.noGrad {
			dx, dw, db := tensor.GroupNormSiLUGrad(y, rstd, w.value, b.value, g.value, x.requiresGrad, w.requiresGrad, b.requiresGrad)
			return []*Var{wrapGrad(dx), wrapGrad(dw), wrapGrad(db)}
		}
		return groupNormSiLUBackwardComposed(x, w, b, g, groups, eps)
	})
	v.node.saved = []*tensor.Tensor{y, rstd} // the normalised values: as big as x
	return v
}

// groupNormSiLUBackwardComposed returns the gradients of GroupNormSiLU for x, w and b
// given the output gradient g, written with differentiable ops.
func groupNormSiLUBackwardComposed(x, w, b, g *Var, groups int, eps float32) []*Var {
	s := x.Shape()
	xg := Reshape(x, s[0], groups, -1)
	yg, _ := normalizeOver(xg, []int{2}, eps)
	y := Reshape(yg, s...)
	z := ChannelAffine(y, w, b)
	sig := Sigmoid(z)
	// SiLU'(z) = σ(z)·(1 + z·(1 − σ(z))).
	dz := Mul(g, Mul(sig, AddScalar(Mul(z, AddScalar(Neg(sig), 1)), 1)))
	c := s[1]
	bshape := channelShape(len(s), c)
	dy := Mul(dz, Reshape(w, bshape...))
	dx := Reshape(normalizeBackwardComposed(xg, Reshape(dy, s[0], groups, -1), []int{2}, eps), s...)
	return []*Var{dx, Reshape(SumTo(Mul(dz, y), bshape...), c), Reshape(SumTo(dz, bshape...), c)}
}

// groupNormSiLUComposed is GroupNormSiLU written with differentiable ops.
func groupNormSiLUComposed(x, w, b *Var, groups int, eps float32) *Var {
	s := x.Shape()
	y := Reshape(Normalize(Reshape(x, s[0], groups, -1), 1, eps), s...)
	return SiLU(ChannelAffine(y, w, b))
}

// needsGraph reports whether record will keep a node for an op on inputs: none is
// NoGrad and one requires a gradient. Ops check it to skip saving what only their
// backward uses.
func needsGraph(inputs []*Var) bool {
	req := false
	for _, in := range inputs {
		if in.noGrad {
			return false
		}
		req = req || in.requiresGrad
	}
	return req
}
