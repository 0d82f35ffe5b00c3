package autograd

import (
	"slices"

	"github.com/genblocks/genblocks/tensor"
)

var _ = register("narrow", "slice", "concat", "flip", "pad", "pad_grad", "tril", "triu")

// normAxis resolves a possibly negative axis of a and panics with op's name if it is
// out of range.
func normAxis(op string, a *Var, axis int) int {
	nd := a.Dim()
	ax := axis
	if ax < 0 {
		ax += nd
	}
	if ax < 0 || ax >= nd {
		tensor.Panicf(op, "axis %d out of range for shape %s", axis, tensor.ShapeString(a.Shape()))
	}
	return ax
}

// axisPads returns Pad's pad list that adds before and after entries on axis ax of a
// rank-nd tensor and leaves the other axes alone.
func axisPads(nd, ax, before, after int) []int {
	pads := make([]int, 2*(nd-ax))
	pads[2*(nd-1-ax)] = before
	pads[2*(nd-1-ax)+1] = after
	return pads
}

// Narrow returns length entries of a along axis starting at start (negative counts
// from the end), like torch.narrow. Its gradient pads g with zeros back to a's shape.
// It panics if the range does not fit the axis.
func Narrow(a *Var, axis, start, length int) *Var {
	out := tensor.Narrow(a.value, axis, start, length)
	ax := normAxis("Narrow", a, axis)
	n := a.Size(ax)
	if start < 0 {
		start += n
	}
	return record("narrow", out, []*Var{a}, func(g *Var) []*Var {
		return []*Var{Pad(g, axisPads(a.Dim(), ax, start, n-start-length), tensor.PadConstant, 0)}
	})
}

// Slice returns a[…, start:end:step, …] along axis with Python's slice rules (see
// tensor.SliceRange). Its gradient places g at the sliced positions of zeros. It panics
// if step < 1 or axis is out of range.
func Slice(a *Var, axis, start, end, step int) *Var {
	out := tensor.Slice(a.value, axis, start, end, step)
	ax := normAxis("Slice", a, axis)
	n := a.Size(ax)
	first, count := tensor.SliceRange(n, start, end, step)
	return record("slice", out, []*Var{a}, func(g *Var) []*Var {
		if step == 1 {
			return []*Var{Pad(g, axisPads(a.Dim(), ax, first, n-first-count), tensor.PadConstant, 0)}
		}
		idx := tensor.Arange(float32(first), float32(first+count*step), float32(step))
		return []*Var{IndexAdd(Const(tensor.New(a.Shape()...)), ax, idx, g)}
	})
}

// Concat joins vars along axis, like torch.cat. Each input's gradient is its stretch
// of g. It panics if vs is empty or the shapes do not fit.
func Concat(axis int, vs ...*Var) *Var {
	vals := make([]*tensor.Tensor, len(vs))
	for i, v := range vs {
		vals[i] = v.value
	}
	out := tensor.Concat(axis, vals...)
	ax := normAxis("Concat", vs[0], axis)
	vs = slices.Clone(vs) // the graph keeps the inputs; the caller may reuse its slice
	return record("concat", out, vs, func(g *Var) []*Var {
		gs := make([]*Var, len(vs))
		off := 0
		for i, v := range vs {
			n := v.Size(ax)
			if v.requiresGrad {
				gs[i] = Narrow(g, ax, off, n)
			}
			off += n
		}
		return gs
	})
}

// Stack joins vars of one shape along a new axis inserted at axis, like torch.stack.
// It panics if vs is empty or the shapes differ.
func Stack(axis int, vs ...*Var) *Var {
	if len(vs) == 0 {
		tensor.Panicf("Stack", "no tensors")
	}
	nd := vs[0].Dim() + 1
	ax := axis
	if ax < 0 {
		ax += nd
	}
	for _, v := range vs {
		if !tensor.SameShape(v.value, vs[0].value) || ax < 0 || ax >= nd {
			shapes := ""
			for i, w := range vs {
				if i > 0 {
					shapes += " and "
				}
				shapes += tensor.ShapeString(w.Shape())
			}
			tensor.Panicf("Stack", "axis %d for shapes %s", axis, shapes)
		}
	}
	us := make([]*Var, len(vs))
	for i, v := range vs {
		us[i] = Unsqueeze(v, ax)
	}
	return Concat(ax, us...)
}

// Split cuts a along axis into pieces of the given sizes, which must add up to the
// axis length, like torch.split with a list of sizes. It panics if they do not.
func Split(a *Var, axis int, sizes ...int) []*Var {
	ax := normAxis("Split", a, axis)
	sum := 0
	for _, s := range sizes {
		if s < 0 {
			sum = -1
			break
		}
		sum += s
	}
	if sum != a.Size(ax) {
		tensor.Panicf("Split", "sizes %v do not add up to axis %d of shape %s", sizes, axis, tensor.ShapeString(a.Shape()))
	}
	return splitSizes(a, ax, sizes)
}

func splitSizes(a *Var, ax int, sizes []int) []*Var {
	out := make([]*Var, len(sizes))
	off := 0
	for i, s := range sizes {
		out[i] = Narrow(a, ax, off, s)
		off += s
	}
	return out
}

// Chunk cuts a along axis into n pieces as torch.chunk does (see tensor.ChunkSizes).
// It panics if n < 1 or axis is out of range.
func Chunk(a *Var, n, axis int) []*Var {
	ax := normAxis("Chunk", a, axis)
	return splitSizes(a, ax, tensor.ChunkSizes(a.Size(ax), n))
}

// Flip reverses a along each of axes, like torch.flip. It panics if an axis is out of
// range or repeated.
func Flip(a *Var, axes ...int) *Var {
	return record("flip", tensor.Flip(a.value, axes...), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Flip(g, axes...)}
	})
}

// Pad adds a border to a, like torch.nn.functional.pad (see tensor.Pad for the order of
// pads and the modes). Its gradient is PadGrad. It panics as tensor.Pad does.
func Pad(a *Var, pads []int, mode tensor.PadMode, value float32) *Var {
	return record("pad", tensor.Pad(a.value, pads, mode, value), []*Var{a}, func(g *Var) []*Var {
		return []*Var{PadGrad(g, pads, mode)}
	})
}

// PadGrad is the adjoint of Pad(·, pads, mode, ·) applied to g: constant borders are
// dropped, reflected and replicated ones are added back onto the entries they copy
// (see tensor.PadGrad). Its own gradient is Pad, so gradients of gradients work. It
// panics as tensor.PadGrad does.
func PadGrad(g *Var, pads []int, mode tensor.PadMode) *Var {
	return record("pad_grad", tensor.PadGrad(g.value, pads, mode), []*Var{g}, func(gg *Var) []*Var {
		return []*Var{Pad(gg, pads, mode, 0)}
	})
}

// Tril zeroes the entries of a's last two axes above the k-th diagonal, like
// torch.tril. It panics if a has fewer than two axes.
func Tril(a *Var, k int) *Var {
	return record("tril", tensor.Tril(a.value, k), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Tril(g, k)}
	})
}

// Triu zeroes the entries of a's last two axes below the k-th diagonal, like
// torch.triu. It panics if a has fewer than two axes.
func Triu(a *Var, k int) *Var {
	return record("triu", tensor.Triu(a.value, k), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Triu(g, k)}
	})
}
