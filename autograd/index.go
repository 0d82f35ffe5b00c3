package autograd

import (
	"github.com/genblocks/genblocks/tensor"
)

var _ = register("gather", "index_select", "index_add", "scatter_add", "masked_fill")

// Index tensors are plain *tensor.Tensor values holding whole numbers as float32; they
// are not differentiable.

// Gather picks entries of a along axis by index, like torch.gather (see tensor.Gather).
// Its gradient scatter-adds g into zeros, and that op's gradient gathers again. It
// panics as tensor.Gather does.
func Gather(a *Var, axis int, index *tensor.Tensor) *Var {
	return record("gather", tensor.Gather(a.value, axis, index), []*Var{a}, func(g *Var) []*Var {
		return []*Var{ScatterAdd(Const(tensor.New(a.Shape()...)), axis, index, g)}
	})
}

// ScatterAdd returns a copy of a with src's entries added at the positions index holds
// along axis, like torch.scatter_add (see tensor.ScatterAdd). The gradient for a is g;
// the one for src gathers g at index (zero where src is larger than index). It panics
// as tensor.ScatterAdd does.
func ScatterAdd(a *Var, axis int, index *tensor.Tensor, src *Var) *Var {
	out := tensor.ScatterAdd(a.value, axis, index, src.value)
	return record("scatter_add", out, []*Var{a, src}, func(g *Var) []*Var {
		var gs *Var
		if src.requiresGrad {
			gs = Gather(g, axis, index)
			is, ss := index.Shape(), src.Shape()
			pads := make([]int, 2*len(ss))
			grow := false
			for d := range ss {
				pads[2*(len(ss)-1-d)+1] = ss[d] - is[d]
				grow = grow || ss[d] != is[d]
			}
			if grow {
				gs = Pad(gs, pads, tensor.PadConstant, 0)
			}
		}
		return []*Var{g, gs}
	})
}

// IndexSelect picks the slices of a at the positions a 1-D index holds along axis,
// like torch.index_select. Its gradient index-adds g into zeros. It panics as
// tensor.IndexSelect does.
func IndexSelect(a *Var, axis int, index *tensor.Tensor) *Var {
	return record("index_select", tensor.IndexSelect(a.value, axis, index), []*Var{a}, func(g *Var) []*Var {
		return []*Var{IndexAdd(Const(tensor.New(a.Shape()...)), axis, index, g)}
	})
}

// IndexAdd returns a copy of a with the slices of src added at the positions index
// holds along axis, like torch.index_add. The gradient for a is g; the one for src is
// IndexSelect of g. It panics as tensor.IndexAdd does.
func IndexAdd(a *Var, axis int, index *tensor.Tensor, src *Var) *Var {
	out := tensor.IndexAdd(a.value, axis, index, src.value)
	return record("index_add", out, []*Var{a, src}, func(g *Var) []*Var {
		var gs *Var
		if src.requiresGrad {
			gs = IndexSelect(g, axis, index)
		}
		return []*Var{g, gs}
	})
}

// MaskedFill returns a copy of a with value wherever mask (broadcast to a's shape) is
// nonzero, like torch.masked_fill; no gradient flows through the filled entries. It
// panics if mask does not broadcast to a's shape.
func MaskedFill(a *Var, mask *tensor.Tensor, value float32) *Var {
	return record("masked_fill", tensor.MaskedFill(a.value, mask, value), []*Var{a}, func(g *Var) []*Var {
		return []*Var{MaskedFill(g, mask, 0)}
	})
}
