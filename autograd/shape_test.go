package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// idx builds an index tensor from ints.
func idx(shape []int, vals ...int) *tensor.Tensor {
	d := make([]float32, len(vals))
	for i, v := range vals {
		d[i] = float32(v)
	}
	return tensor.FromSlice(d, shape...)
}

// secondOrder turns f into the function x ↦ ∂/∂x Σ w·f(x)² with the gradient recorded,
// so that GradCheck differentiates through f's backward rule and that rule's own
// backward. GradCheck's numeric pass hands in inputs that record nothing; those are
// re-wrapped as parameters so the inner gradient can still be taken.
func secondOrder(f func(x *Var) *Var) func(xs []*Var) *Var {
	return func(xs []*Var) *Var {
		x := xs[0]
		if !x.RequiresGrad() {
			x = Param(x.Value())
		}
		y := f(x)
		w := tensor.Rand(rand.New(rand.NewPCG(5, 6)), -1, 1, y.Shape()...)
		l := Sum(Mul(Square(y), Const(w)), false)
		return Grad([]*Var{l}, []*Var{x}, nil, true)[0]
	}
}

func init() {
	addGradCase("narrow", gradCase{f: un(func(a *Var) *Var { return Narrow(a, 1, 1, 2) }), shapes: [][]int{{2, 4, 3}}})
	addGradCase("narrow", gradCase{name: "narrow_negative_start", f: un(func(a *Var) *Var { return Narrow(a, -1, -3, 2) }), shapes: [][]int{{2, 4}}})
	addGradCase("narrow", gradCase{name: "narrow_second_order", f: secondOrder(func(a *Var) *Var { return Narrow(a, 0, 1, 2) }), shapes: [][]int{{4, 3}}})

	addGradCase("slice", gradCase{f: un(func(a *Var) *Var { return Slice(a, 1, 1, 7, 2) }), shapes: [][]int{{2, 8, 3}}})
	addGradCase("slice", gradCase{name: "slice_last_axis_step3", f: un(func(a *Var) *Var { return Slice(a, -1, -7, 100, 3) }), shapes: [][]int{{2, 8}}})
	addGradCase("slice", gradCase{name: "slice_step1", f: un(func(a *Var) *Var { return Slice(a, 0, 1, -1, 1) }), shapes: [][]int{{4, 3}}})
	addGradCase("slice", gradCase{name: "slice_second_order", f: secondOrder(func(a *Var) *Var { return Slice(a, 1, 0, 5, 2) }), shapes: [][]int{{2, 5}}})

	addGradCase("concat", gradCase{f: func(x []*Var) *Var { return Concat(1, x...) }, shapes: [][]int{{2, 1, 3}, {2, 3, 3}, {2, 2, 3}}})
	addGradCase("concat", gradCase{name: "stack", f: func(x []*Var) *Var { return Stack(-1, x...) }, shapes: [][]int{{2, 3}, {2, 3}}})
	addGradCase("concat", gradCase{name: "split", f: un(func(a *Var) *Var {
		p := Split(a, 1, 1, 2, 1)
		return Concat(1, Mul(p[0], p[2]), p[1])
	}), shapes: [][]int{{2, 4, 3}}})
	addGradCase("concat", gradCase{name: "chunk", f: un(func(a *Var) *Var {
		p := Chunk(a, 3, -1)
		return Concat(-1, p[2], Square(p[0]), p[1])
	}), shapes: [][]int{{3, 5}}})
	addGradCase("concat", gradCase{name: "concat_second_order", f: secondOrder(func(a *Var) *Var {
		return Concat(0, a, Square(a))
	}), shapes: [][]int{{2, 3}}})

	addGradCase("flip", gradCase{f: un(func(a *Var) *Var { return Flip(a, 0, 2) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("flip", gradCase{name: "flip_second_order", f: secondOrder(func(a *Var) *Var { return Flip(a, -1) }), shapes: [][]int{{2, 3}}})

	addGradCase("pad", gradCase{name: "pad_constant", f: un(func(a *Var) *Var {
		return Pad(a, []int{1, 2, 0, 1}, tensor.PadConstant, 0.5)
	}), shapes: [][]int{{2, 3, 4}}})
	addGradCase("pad", gradCase{name: "pad_constant_crop", f: un(func(a *Var) *Var {
		return Pad(a, []int{-1, 2}, tensor.PadConstant, 0)
	}), shapes: [][]int{{2, 4}}})
	addGradCase("pad", gradCase{name: "pad_reflect_2d", f: un(func(a *Var) *Var {
		return Pad(a, []int{2, 3}, tensor.PadReflect, 0)
	}), shapes: [][]int{{3, 5}}})
	addGradCase("pad", gradCase{name: "pad_reflect_4d", f: un(func(a *Var) *Var {
		return Pad(a, []int{1, 2, 3, 1}, tensor.PadReflect, 0)
	}), shapes: [][]int{{1, 2, 4, 5}}})
	addGradCase("pad", gradCase{name: "pad_replicate", f: un(func(a *Var) *Var {
		return Pad(a, []int{2, 1, 1, 3}, tensor.PadReplicate, 0)
	}), shapes: [][]int{{2, 3, 4}}})
	addGradCase("pad", gradCase{name: "pad_reflect_second_order", f: secondOrder(func(a *Var) *Var {
		return Pad(a, []int{2, 1, 1, 2}, tensor.PadReflect, 0)
	}), shapes: [][]int{{2, 3, 4}}})
	addGradCase("pad_grad", gradCase{name: "pad_grad_reflect", f: un(func(a *Var) *Var {
		return PadGrad(a, []int{1, 2, 2, 1}, tensor.PadReflect)
	}), shapes: [][]int{{2, 6, 7}}})
	addGradCase("pad_grad", gradCase{name: "pad_grad_constant", f: un(func(a *Var) *Var {
		return PadGrad(a, []int{1, 2}, tensor.PadConstant)
	}), shapes: [][]int{{2, 6}}})
	addGradCase("pad_grad", gradCase{name: "pad_grad_replicate_second_order", f: secondOrder(func(a *Var) *Var {
		return PadGrad(a, []int{2, 1}, tensor.PadReplicate)
	}), shapes: [][]int{{2, 6}}})

	addGradCase("tril", gradCase{f: un(func(a *Var) *Var { return Tril(a, 1) }), shapes: [][]int{{2, 4, 5}}})
	addGradCase("triu", gradCase{f: un(func(a *Var) *Var { return Triu(a, -1) }), shapes: [][]int{{2, 4, 5}}})
	addGradCase("tril", gradCase{name: "tril_second_order", f: secondOrder(func(a *Var) *Var { return Tril(a, 0) }), shapes: [][]int{{3, 3}}})

	gi := idx([]int{2, 3, 4}, 0, 4, 4, 1, 2, 2, 3, 0, 1, 1, 1, 4, 3, 0, 2, 2, 4, 4, 0, 1, 0, 3, 3, 2)
	addGradCase("gather", gradCase{f: un(func(a *Var) *Var { return Gather(a, 1, gi) }), shapes: [][]int{{3, 5, 4}}})
	addGradCase("gather", gradCase{name: "gather_last_axis", f: un(func(a *Var) *Var {
		return Gather(a, -1, idx([]int{2, 3}, 2, 2, 0, 1, 3, 1))
	}), shapes: [][]int{{3, 4}}})
	addGradCase("gather", gradCase{name: "gather_second_order", f: secondOrder(func(a *Var) *Var {
		return Gather(a, 0, idx([]int{3, 2}, 1, 0, 1, 1, 0, 1))
	}), shapes: [][]int{{2, 3}}})

	addGradCase("scatter_add", gradCase{f: bin(func(a, s *Var) *Var {
		return ScatterAdd(a, 1, idx([]int{3, 3}, 0, 4, 0, 2, 2, 1, 3, 0, 4), s)
	}), shapes: [][]int{{3, 5}, {3, 4}}})
	addGradCase("scatter_add", gradCase{name: "scatter_add_axis0", f: bin(func(a, s *Var) *Var {
		return ScatterAdd(a, 0, idx([]int{2, 3}, 1, 0, 1, 1, 1, 0), s)
	}), shapes: [][]int{{2, 3}, {2, 3}}})
	addGradCase("scatter_add", gradCase{name: "scatter_add_second_order", f: secondOrder(func(s *Var) *Var {
		return ScatterAdd(Const(tensor.Ones(2, 4)), 1, idx([]int{2, 3}, 3, 0, 3, 1, 1, 2), s)
	}), shapes: [][]int{{2, 3}}})

	si := idx([]int{4}, 3, 0, 3, 1)
	addGradCase("index_select", gradCase{f: un(func(a *Var) *Var { return IndexSelect(a, 0, si) }), shapes: [][]int{{4, 3}}})
	addGradCase("index_select", gradCase{name: "index_select_middle", f: un(func(a *Var) *Var { return IndexSelect(a, 1, si) }), shapes: [][]int{{2, 5, 3}}})
	addGradCase("index_select", gradCase{name: "index_select_second_order", f: secondOrder(func(a *Var) *Var {
		return IndexSelect(a, -1, si)
	}), shapes: [][]int{{2, 4}}})
	addGradCase("index_add", gradCase{f: bin(func(a, s *Var) *Var {
		return IndexAdd(a, 1, idx([]int{3}, 1, 3, 1), s)
	}), shapes: [][]int{{2, 4, 3}, {2, 3, 3}}})

	addGradCase("masked_fill", gradCase{f: un(func(a *Var) *Var {
		return MaskedFill(a, tensor.FromSlice([]float32{1, 0, 0, 1}, 1, 4), 7)
	}), shapes: [][]int{{3, 4}}})
	addGradCase("masked_fill", gradCase{name: "masked_fill_second_order", f: secondOrder(func(a *Var) *Var {
		return MaskedFill(a, tensor.FromSlice([]float32{0, 1, 1}, 3, 1), -1)
	}), shapes: [][]int{{3, 2}}})
}

// The backward rules build graphs of the ops they invert, as the second-order checks
// above rely on.
func TestShapeBackwardOps(t *testing.T) {
	x := Param(tensor.Randn(rand.New(rand.NewPCG(1, 2)), 2, 5))
	cases := []struct {
		name string
		f    func(*Var) *Var
		want string
	}{
		{"narrow", func(a *Var) *Var { return Narrow(a, 1, 1, 2) }, "pad"},
		{"slice_step", func(a *Var) *Var { return Slice(a, 1, 0, 5, 2) }, "index_add"},
		{"pad", func(a *Var) *Var { return Pad(a, []int{1, 1}, tensor.PadReflect, 0) }, "pad_grad"},
		{"gather", func(a *Var) *Var { return Gather(a, 1, idx([]int{2, 1}, 0, 4)) }, "scatter_add"},
		{"index_select", func(a *Var) *Var { return IndexSelect(a, 1, idx([]int{1}, 2)) }, "index_add"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			y := c.f(x)
			// A parameter weight makes the incoming gradient recorded, so the rule's
			// result is too.
			w := Param(tensor.Ones(y.Shape()...))
			g := Grad([]*Var{Sum(Mul(y, w), false)}, []*Var{x}, nil, true)[0]
			require.Equal(t, c.want, g.Op())
		})
	}
}

func TestShapeOpPanicsNameOp(t *testing.T) {
	x := Param(tensor.New(2, 3))
	cases := []struct {
		name string
		f    func()
		want []string
	}{
		{"split", func() { Split(x, 1, 1, 1) }, []string{"Split", "(2,3)"}},
		{"stack", func() { Stack(0, x, Param(tensor.New(3, 2))) }, []string{"Stack", "(2,3)", "(3,2)"}},
		{"chunk", func() { Chunk(x, 0, 1) }, []string{"Chunk"}},
		{"narrow_axis", func() { Narrow(x, 2, 0, 1) }, []string{"Narrow", "(2,3)"}},
		{"gather", func() { Gather(x, 1, idx([]int{2, 1}, 0, 3)) }, []string{"Gather", "index 3", "(2,3)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tensor.Catch(c.f)
			require.Error(t, err)
			for _, w := range c.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}
