package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

func TestScaledSoftmaxMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, tc := range []struct {
		name   string
		shape  []int
		causal bool
	}{
		{"plain", []int{2, 3, 4, 5}, false},
		{"causal_square", []int{2, 3, 5, 5}, true},
		{"causal_cached", []int{2, 2, 3, 6}, true},   // Tk > Tq: the queries are the last 3 positions
		{"causal_masked_rows", []int{1, 5, 3}, true}, // Tk < Tq: the first rows see nothing
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := tensor.Randn(rng, tc.shape...).MulScalar(3)
			seed := tensor.Randn(rng, tc.shape...)
			xv := Param(x)
			y := ScaledSoftmax(xv, 0.7, tc.causal)
			golden.Close(t, "forward", y.Value(), scaledSoftmaxComposed(xv, 0.7, tc.causal).Value(), 1e-6, 1e-5)
			fused := Grad([]*Var{y}, []*Var{xv}, []*tensor.Tensor{seed}, false)[0]
			composed := Grad([]*Var{scaledSoftmaxComposed(xv, 0.7, tc.causal)}, []*Var{xv}, []*tensor.Tensor{seed}, false)[0]
			golden.Close(t, "backward", fused.Value(), composed.Value(), 1e-6, 1e-5)
			viaGraph := Grad([]*Var{y}, []*Var{xv}, []*tensor.Tensor{seed}, true)[0]
			golden.Close(t, "backward createGraph", viaGraph.Value(), composed.Value(), 1e-6, 1e-5)
		})
	}
}

func init() {
	addGradCase("scaled_softmax", gradCase{f: un(func(a *Var) *Var { return ScaledSoftmax(a, 0.5, false) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("scaled_softmax", gradCase{name: "scaled_softmax_causal", f: un(func(a *Var) *Var { return ScaledSoftmax(a, 0.5, true) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("scaled_softmax", gradCase{name: "scaled_softmax_grad_of_grad", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 4))
		g := Grad([]*Var{Sum(Mul(ScaledSoftmax(a, 0.8, true), w), false)}, []*Var{a}, nil, true)[0]
		return Sum(Square(g), false)
	}), shapes: [][]int{{3, 4}}})
}

func TestLinearMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	x, w, b := Param(tensor.Randn(rng, 5, 3)), Param(tensor.Randn(rng, 4, 3)), Param(tensor.Randn(rng, 4))
	seed := tensor.Randn(rng, 5, 4)
	fused := Linear(x, w, b)
	composed := Add(MatMulT(x, w, false, true), b)
	golden.Close(t, "forward", fused.Value(), composed.Value(), 1e-6, 1e-6)
	gf := Grad([]*Var{fused}, []*Var{x, w, b}, []*tensor.Tensor{seed}, false)
	gc := Grad([]*Var{composed}, []*Var{x, w, b}, []*tensor.Tensor{seed}, false)
	for i := range gf {
		golden.Close(t, "backward", gf[i].Value(), gc[i].Value(), 1e-6, 1e-6)
	}
	golden.Close(t, "no bias", Linear(x, w, nil).Value(), MatMulT(x, w, false, true).Value(), 1e-6, 1e-6)
}

func init() {
	addGradCase("linear", gradCase{f: func(xs []*Var) *Var { return Linear(xs[0], xs[1], xs[2]) }, shapes: [][]int{{3, 4}, {2, 4}, {2}}})
	addGradCase("linear", gradCase{name: "linear_nobias", f: func(xs []*Var) *Var { return Linear(xs[0], xs[1], nil) }, shapes: [][]int{{3, 4}, {2, 4}}})
	addGradCase("linear", gradCase{name: "linear_grad_of_grad", f: func(xs []*Var) *Var {
		g := Grad([]*Var{Sum(Square(Linear(xs[0], xs[1], xs[2])), false)}, []*Var{xs[1]}, nil, true)[0]
		return Sum(Square(g), false)
	}, shapes: [][]int{{3, 4}, {2, 4}, {2}}})
}
