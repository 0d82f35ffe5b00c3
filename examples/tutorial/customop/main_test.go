package main

import (
	"io"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

func TestGradientChecksPass(t *testing.T) {
	for seed := range uint64(5) {
		require.NoError(t, checkGradients(rand.New(rand.NewPCG(seed, 0))), "seed %d", seed)
	}
}

// forgotSlope has the classic bug: the gradient for x ignores the slope on the
// negative side.
type forgotSlope struct{ preluOp }

func (forgotSlope) Backward(g *autograd.Var, in []*autograd.Var, _ *autograd.Var) []*autograd.Var {
	x, a := in[0], in[1]
	neg := autograd.Minimum(x, autograd.Const(tensor.Scalar(0)))
	return []*autograd.Var{g, autograd.SumTo(autograd.Mul(g, neg), a.Shape()...)}
}

// tensorMath computes the right gradients with tensor ops and wraps them in Const:
// correct to first order, but the result is cut off from the graph.
type tensorMath struct{ preluOp }

func (tensorMath) Backward(g *autograd.Var, in []*autograd.Var, _ *autograd.Var) []*autograd.Var {
	x, a := in[0].Value(), in[1].Value()
	pos := tensor.Step(x)
	gx := tensor.Where(pos, g.Value(), tensor.Mul(g.Value(), a))
	ga := tensor.Mul(g.Value(), tensor.Minimum(x, tensor.Scalar(0))).SumTo(a.Shape()...)
	return []*autograd.Var{autograd.Const(gx), autograd.Const(ga)}
}

// penaltyOf is checkGradients' gradient penalty for any PReLU implementation.
func penaltyOf(f autograd.Function, w *tensor.Tensor) func(xs []*autograd.Var) *autograd.Var {
	return func(xs []*autograd.Var) *autograd.Var {
		s := autograd.Sum(autograd.Mul(autograd.Const(w), autograd.Apply(f, xs[0], xs[1])), false)
		gx := autograd.Grad([]*autograd.Var{s}, xs[:1], nil, true)[0]
		return autograd.Sum(autograd.Square(gx), false)
	}
}

// The checks can fail: a wrong rule fails the first-order check, and a rule written
// with tensor math passes it but fails the second-order one.
func TestGradientChecksCatchBugs(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 0))
	x, a, w := tensor.Randn(rng, 4, 3), tensor.Randn(rng, 3), tensor.Randn(rng, 4, 3)
	inputs := []*tensor.Tensor{x, a}
	apply := func(f autograd.Function) func(xs []*autograd.Var) *autograd.Var {
		return func(xs []*autograd.Var) *autograd.Var { return autograd.Apply(f, xs[0], xs[1]) }
	}
	cfg := autograd.GradCheckConfig{}
	require.Error(t, autograd.GradCheck(apply(forgotSlope{}), inputs, cfg))
	require.NoError(t, autograd.GradCheck(apply(tensorMath{}), inputs, cfg))
	require.Error(t, autograd.GradCheck(penaltyOf(tensorMath{}, w), inputs, cfg))
	require.NoError(t, autograd.GradCheck(penaltyOf(preluOp{}, w), inputs, cfg))
}

func TestLayerMatchesComposedOps(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 0))
	vs := nn.NewVarStore(rng)
	p := NewPReLU(vs.Root().Push("act"), 3)
	require.Equal(t, []string{"act.weight"}, vs.Names())
	x := autograd.Param(tensor.Randn(rng, 5, 3))
	y := p.Forward(x)
	require.Equal(t, "prelu", y.Op())
	// max(x,0) + a·min(x,0) from built-in ops.
	zero := autograd.Const(tensor.Scalar(0))
	want := autograd.Add(autograd.ReLU(x), autograd.Mul(autograd.Minimum(x, zero), p.Weight))
	require.InDeltaSlice(t, want.Value().Data(), y.Value().Data(), 1e-6)
}

func TestShapeMistakePanics(t *testing.T) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(3, 0)))
	p := NewPReLU(vs.Root(), 4)
	err := tensor.Catch(func() { p.Forward(autograd.Const(tensor.New(2, 3))) })
	require.EqualError(t, err, "tensor: prelu: shapes (2,3) and (4): want x (…,F) and slopes (F)")
}

// A short seeded run: the network with PReLU layers learns sin(3x).
func TestTrainingReducesError(t *testing.T) {
	before, after := train(rand.New(rand.NewPCG(1, 0)), 300, io.Discard)
	require.Less(t, after, before/20, "test MSE %.4f -> %.4f", before, after)
}
