package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

func init() {
	addGradCase("channel_affine", gradCase{f: func(xs []*Var) *Var {
		return ChannelAffine(xs[0], xs[1], xs[2])
	}, shapes: [][]int{{2, 3, 2, 2}, {3}, {3}}})
	addGradCase("channel_affine", gradCase{name: "channel_affine_no_bias_3d", f: func(xs []*Var) *Var {
		return ChannelAffine(xs[0], xs[1], nil)
	}, shapes: [][]int{{2, 4, 3}, {4}}})
	addGradCase("channel_affine", gradCase{name: "channel_affine_grad_of_grad", f: func(xs []*Var) *Var {
		x, w, b := xs[0], xs[1], xs[2]
		u := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 2, 3, 2))
		gs := Grad([]*Var{Sum(Mul(Square(ChannelAffine(x, w, b)), u), false)}, []*Var{x, w, b}, nil, true)
		return Add(Add(Sum(Square(gs[0]), false), Sum(Square(gs[1]), false)), Sum(Square(gs[2]), false))
	}, shapes: [][]int{{2, 3, 2}, {3}, {3}}})
	addGradCase("group_norm_silu", gradCase{f: func(xs []*Var) *Var {
		return GroupNormSiLU(xs[0], xs[1], xs[2], 2, 1e-5)
	}, shapes: [][]int{{2, 4, 3, 2}, {4}, {4}}})
	addGradCase("group_norm_silu", gradCase{name: "group_norm_silu_one_group_3d", f: func(xs []*Var) *Var {
		return GroupNormSiLU(xs[0], xs[1], xs[2], 1, 1e-5)
	}, shapes: [][]int{{3, 2, 5}, {2}, {2}}})
	addGradCase("group_norm_silu", gradCase{name: "group_norm_silu_grad_of_grad", f: func(xs []*Var) *Var {
		x, w, b := xs[0], xs[1], xs[2]
		u := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3, 0.8, -0.2, 0.4, 1.5}, 2, 4, 2))
		gs := Grad([]*Var{Sum(Mul(Square(GroupNormSiLU(x, w, b, 2, 1e-5)), u), false)}, []*Var{x, w, b}, nil, true)
		return Add(Add(Sum(Square(gs[0]), false), Sum(Square(gs[1]), false)), Sum(Square(gs[2]), false))
	}, shapes: [][]int{{2, 4, 2}, {4}, {4}}})
}

// The fused GroupNormSiLU matches the composed ops: the output bit for bit, the
// gradients to rounding, with only some inputs requiring gradients too.
func TestGroupNormSiLUMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	xt, wt, bt := tensor.Randn(rng, 4, 6, 9, 7), tensor.Randn(rng, 6), tensor.Randn(rng, 6)
	g := tensor.Randn(rng, 4, 6, 9, 7)
	for _, req := range [][3]bool{{true, true, true}, {true, false, false}, {false, true, true}} {
		grads := func(f func(x, w, b *Var) *Var) ([]*tensor.Tensor, *tensor.Tensor) {
			x, w, b := NewVar(xt, req[0]), NewVar(wt, req[1]), NewVar(bt, req[2])
			y := f(x, w, b)
			y.BackwardWith(g)
			return []*tensor.Tensor{x.Grad(), w.Grad(), b.Grad()}, y.Value()
		}
		fused, fy := grads(func(x, w, b *Var) *Var { return GroupNormSiLU(x, w, b, 3, 1e-5) })
		ref, ry := grads(func(x, w, b *Var) *Var { return groupNormSiLUComposed(x, w, b, 3, 1e-5) })
		require.Equal(t, ry.Data(), fy.Data())
		for i := range ref {
			if !req[i] {
				require.Nil(t, fused[i], "input %d needs no gradient", i)
				continue
			}
			require.InDeltaSlice(t, ref[i].Data(), fused[i].Data(), 2e-4, "input %d, %v", i, req)
		}
	}
	inf := GroupNormSiLU(NoGrad(xt), Param(wt), Param(bt), 3, 1e-5)
	require.True(t, inf.IsNoGrad())
	require.Equal(t, groupNormSiLUComposed(Const(xt), Const(wt), Const(bt), 3, 1e-5).Value().Data(), inf.Value().Data())
	require.Panics(t, func() { GroupNormSiLU(Param(xt), Param(wt), Param(bt), 4, 1e-5) })
	require.Panics(t, func() { GroupNormSiLU(Param(xt), Param(tensor.New(5)), Param(bt), 3, 1e-5) })
}

// The fused backward gives the same gradients as the composed one (broadcast multiply
// and add).
func TestChannelAffineMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := Param(tensor.Randn(rng, 4, 5, 6, 7))
	w, b := Param(tensor.Randn(rng, 5)), Param(tensor.Randn(rng, 5))
	g := tensor.Randn(rng, 4, 5, 6, 7)
	ChannelAffine(x, w, b).BackwardWith(g)
	fused := []*tensor.Tensor{x.Grad(), w.Grad(), b.Grad()}
	x.ZeroGrad()
	w.ZeroGrad()
	b.ZeroGrad()
	ref := Add(Mul(x, Reshape(w, 1, 5, 1, 1)), Reshape(b, 1, 5, 1, 1))
	require.InDeltaSlice(t, ref.Value().Data(), ChannelAffine(x, w, b).Value().Data(), 1e-5)
	ref.BackwardWith(g)
	for i, want := range []*tensor.Tensor{x.Grad(), w.Grad(), b.Grad()} {
		require.InDeltaSlice(t, want.Data(), fused[i].Data(), 1e-3, "input %d", i)
	}
}

func TestChannelAffinePanics(t *testing.T) {
	x := Param(tensor.New(2, 3, 4))
	require.Panics(t, func() { ChannelAffine(x, Param(tensor.New(4)), nil) })
	require.Panics(t, func() { ChannelAffine(x, Param(tensor.New(3)), Param(tensor.New(2))) })
}
