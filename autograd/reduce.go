package autograd

import (
	"slices"

	"github.com/genblocks/genblocks/tensor"
)

var _ = register("sum", "mean", "max", "min", "softmax", "log_softmax", "sum_to", "expand",
	"matmul", "reshape", "permute")

// keepShape returns a's shape with the reduced axes (all when none) set to 1.
func keepShape(a *Var, axes []int) []int {
	ks := a.Shape()
	if len(axes) == 0 {
		for i := range ks {
			ks[i] = 1
		}
		return ks
	}
	for _, ax := range axes {
		if ax < 0 {
			ax += len(ks)
		}
		if ax >= 0 && ax < len(ks) {
			ks[ax] = 1
		}
	}
	return ks
}

// Sum returns the sum over the given axes (all axes when none are given).
func Sum(a *Var, keepDims bool, axes ...int) *Var {
	return record("sum", tensor.Sum(a.value, keepDims, axes...), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Expand(Reshape(g, keepShape(a, axes)...), a.Shape()...)}
	})
}

// Mean returns the mean over the given axes (all axes when none are given).
func Mean(a *Var, keepDims bool, axes ...int) *Var {
	out := tensor.Mean(a.value, keepDims, axes...)
	n := float32(a.value.Numel()) / float32(max(out.Numel(), 1))
	return record("mean", out, []*Var{a}, func(g *Var) []*Var {
		return []*Var{Expand(Reshape(MulScalar(g, 1/n), keepShape(a, axes)...), a.Shape()...)}
	})
}

func maxLike(op string, a *Var, keepDims bool, axes []int, useMin bool) *Var {
	var out *tensor.Tensor
	if useMin {
		out = tensor.Min(a.value, keepDims, axes...)
	} else {
		out = tensor.Max(a.value, keepDims, axes...)
	}
	return record(op, out, []*Var{a}, func(g *Var) []*Var {
		ks := keepShape(a, axes)
		// The gradient is shared equally between tied extremes, as torch.amax does.
		mask := tensor.Eq(a.value, out.Reshape(ks...))
		count := tensor.Sum(mask, true, axes...)
		w := tensor.Div(mask, count)
		return []*Var{Mul(Expand(Reshape(g, ks...), a.Shape()...), Const(w))}
	})
}

// Max returns the maximum over the given axes; the gradient is shared between ties.
func Max(a *Var, keepDims bool, axes ...int) *Var { return maxLike("max", a, keepDims, axes, false) }

// Min returns the minimum over the given axes; the gradient is shared between ties.
func Min(a *Var, keepDims bool, axes ...int) *Var { return maxLike("min", a, keepDims, axes, true) }

// Variance returns the variance over the given axes with the given correction (0: population,
// 1: unbiased).
func Variance(a *Var, correction int, keepDims bool, axes ...int) *Var {
	ks := keepShape(a, axes)
	n := 1
	for i, d := range a.Shape() {
		if ks[i] == 1 {
			n *= d
		}
	}
	if len(axes) == 0 {
		n = a.value.Numel()
	}
	d := Sub(a, Mean(a, true, axes...))
	return MulScalar(Sum(Square(d), keepDims, axes...), 1/float32(max(n-correction, 0)))
}

// Std returns the square root of the variance.
func Std(a *Var, correction int, keepDims bool, axes ...int) *Var {
	return Sqrt(Variance(a, correction, keepDims, axes...))
}

// LogSumExp returns log(Σ exp(a)) over the given axes, computed stably.
func LogSumExp(a *Var, keepDims bool, axes ...int) *Var {
	m := tensor.Max(a.value, true, axes...)
	for i, v := range m.Data() {
		if v != v || v > 3e38 || v < -3e38 {
			m.Data()[i] = 0
		}
	}
	mc := Const(m)
	s := Add(Log(Sum(Exp(Sub(a, mc)), true, axes...)), mc)
	if keepDims {
		return s
	}
	return Reshape(s, tensor.Sum(m, false, axes...).Shape()...)
}

// Softmax returns exp(a)/Σexp(a) along axis.
func Softmax(a *Var, axis int) *Var {
	var out *Var
	out = record("softmax", tensor.Softmax(a.value, axis), []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.SoftmaxGrad(out.value, g.value, axis, false))}
		}
		// out * (g - Σ g*out)
		return []*Var{Mul(out, Sub(g, Sum(Mul(g, out), true, axis)))}
	})
	return out
}

// LogSoftmax returns a - logsumexp(a) along axis.
func LogSoftmax(a *Var, axis int) *Var {
	var out *Var
	out = record("log_softmax", tensor.LogSoftmax(a.value, axis), []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.SoftmaxGrad(out.value, g.value, axis, true))}
		}
		return []*Var{Sub(g, Mul(Exp(out), Sum(g, true, axis)))}
	})
	return out
}

// SumTo sums a down to shape, the reverse of broadcasting shape to a's shape.
func SumTo(a *Var, shape ...int) *Var {
	return record("sum_to", a.value.SumTo(shape...), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Expand(g, a.Shape()...)}
	})
}

// Expand broadcasts a to shape (a -1 keeps an axis).
func Expand(a *Var, shape ...int) *Var {
	return record("expand", a.value.Expand(shape...), []*Var{a}, func(g *Var) []*Var {
		return []*Var{sumTo(g, a.Shape())}
	})
}

// MatMul returns the (batched, broadcasting) matrix product of a and b.
func MatMul(a, b *Var) *Var { return MatMulT(a, b, false, false) }

// MatMulT is MatMul with either operand's last two axes transposed, without copying.
func MatMulT(a, b *Var, transA, transB bool) *Var {
	return record("matmul", tensor.MatMulT(a.value, b.value, transA, transB), []*Var{a, b}, func(g *Var) []*Var {
		var ga, gb *Var
		if a.requiresGrad {
			if transA {
				ga = MatMulT(b, g, transB, true)
			} else {
				ga = MatMulT(g, b, false, !transB)
			}
			ga = sumTo(ga, a.Shape())
		}
		if b.requiresGrad {
			if transB {
				gb = MatMulT(g, a, true, transA)
			} else {
				gb = MatMulT(a, g, !transA, false)
			}
			gb = sumTo(gb, b.Shape())
		}
		return []*Var{ga, gb}
	})
}

// Reshape returns a with a new shape (one axis may be -1).
func Reshape(a *Var, shape ...int) *Var {
	return record("reshape", a.value.Reshape(shape...), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Reshape(g, a.Shape()...)}
	})
}

// Flatten merges axes start..end into one.
func Flatten(a *Var, start, end int) *Var { return Reshape(a, a.value.Flatten(start, end).Shape()...) }

// Squeeze removes length-1 axes (the given ones, or all).
func Squeeze(a *Var, axes ...int) *Var { return Reshape(a, a.value.Squeeze(axes...).Shape()...) }

// Unsqueeze inserts a length-1 axis at ax.
func Unsqueeze(a *Var, ax int) *Var { return Reshape(a, a.value.Unsqueeze(ax).Shape()...) }

// Permute reorders a's axes: axis i of the result is axis perm[i] of a.
func Permute(a *Var, perm ...int) *Var {
	out := tensor.Permute(a.value, perm...)
	return record("permute", out, []*Var{a}, func(g *Var) []*Var {
		inv := make([]int, len(perm))
		for i, p := range perm {
			if p < 0 {
				p += len(perm)
			}
			inv[p] = i
		}
		return []*Var{Permute(g, inv...)}
	})
}

// Transpose swaps axes a0 and a1.
func Transpose(a *Var, a0, a1 int) *Var {
	nd := a.Dim()
	p := make([]int, nd)
	for i := range p {
		p[i] = i
	}
	if a0 < 0 {
		a0 += nd
	}
	if a1 < 0 {
		a1 += nd
	}
	if a0 < 0 || a0 >= nd || a1 < 0 || a1 >= nd {
		tensor.Panicf("Transpose", "axes %d and %d for shape %s", a0, a1, tensor.ShapeString(a.Shape()))
	}
	p[a0], p[a1] = p[a1], p[a0]
	return Permute(a, p...)
}

var _ = slices.Clone[[]int]

var _ = register("linear")

// Linear returns x·wᵀ + b for x (M,in), w (out,in) and b (out) or nil, as one op: the
// bias is added in place instead of through a broadcast copy. Its gradients are
// MatMulT's and Sum's, so it is differentiable any number of times. It panics if the
// shapes do not fit.
func Linear(x, w, b *Var) *Var {
	inputs := []*Var{x, w}
	var bt *tensor.Tensor
	if b != nil {
		inputs = append(inputs, b)
		bt = b.value
	}
	return record("linear", tensor.Linear(x.value, w.value, bt), inputs, func(g *Var) []*Var {
		grads := make([]*Var, len(inputs))
		if x.requiresGrad {
			grads[0] = MatMulT(g, w, false, false) // (M,out)·(out,in) -> (M,in)
		}
		if w.requiresGrad {
			grads[1] = MatMulT(g, x, true, false) // (M,out)ᵀ·(M,in) -> (out,in)
		}
		if b != nil && b.requiresGrad {
			grads[2] = Sum(g, false, 0) // (M,out) -> (out)
		}
		return grads
	})
}
