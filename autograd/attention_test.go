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
	addGradCase("scaled_softmax", gradCase{name: "scaled_softmax_grad_of_grad_output_dependent", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 4))
		g := Grad([]*Var{Sum(Mul(Square(ScaledSoftmax(a, 0.8, false)), w), false)}, []*Var{a}, nil, true)[0]
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

func TestAttentionMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, tc := range []struct {
		name           string
		q, k, v        []int
		causal         bool
		fwdTol, bwdTol float64
	}{
		{"plain", []int{2, 3, 4, 5}, []int{2, 3, 6, 5}, []int{2, 3, 6, 2}, false, 1e-6, 1e-5},
		{"causal_square", []int{2, 2, 5, 3}, []int{2, 2, 5, 3}, []int{2, 2, 5, 3}, true, 1e-6, 1e-5},
		{"causal_cached", []int{3, 3, 4}, []int{3, 6, 4}, []int{3, 6, 4}, true, 1e-6, 1e-5},      // Tk > Tq
		{"causal_masked_rows", []int{1, 5, 2}, []int{1, 3, 2}, []int{1, 3, 2}, true, 1e-6, 1e-5}, // Tk < Tq
		{"gpt_head", []int{2, 2, 128, 32}, []int{2, 2, 128, 32}, []int{2, 2, 128, 32}, true, 1e-5, 1e-4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, k, v := Param(tensor.Randn(rng, tc.q...)), Param(tensor.Randn(rng, tc.k...)), Param(tensor.Randn(rng, tc.v...))
			y := Attention(q, k, v, 0.6, tc.causal)
			want := attentionComposed(q, k, v, 0.6, tc.causal)
			golden.Close(t, "forward", y.Value(), want.Value(), tc.fwdTol, tc.fwdTol)
			seed := tensor.Randn(rng, y.Shape()...)
			fused := Grad([]*Var{y}, []*Var{q, k, v}, []*tensor.Tensor{seed}, false)
			composed := Grad([]*Var{want}, []*Var{q, k, v}, []*tensor.Tensor{seed}, false)
			viaGraph := Grad([]*Var{y}, []*Var{q, k, v}, []*tensor.Tensor{seed}, true)
			for i, name := range []string{"dq", "dk", "dv"} {
				golden.Close(t, name, fused[i].Value(), composed[i].Value(), tc.bwdTol, tc.bwdTol)
				golden.Close(t, name+" createGraph", viaGraph[i].Value(), composed[i].Value(), tc.bwdTol, tc.bwdTol)
			}
		})
	}
}

func TestAttentionBadShapes(t *testing.T) {
	for _, s := range [][3][]int{
		{{2, 3, 4}, {3, 3, 4}, {3, 3, 4}}, // leading axes differ
		{{2, 3, 4}, {2, 3, 5}, {2, 3, 4}}, // key width
		{{2, 3, 4}, {2, 3, 4}, {2, 2, 4}}, // value positions
		{{4}, {4}, {4}},                   // too few axes
	} {
		err := tensor.Catch(func() {
			Attention(Param(tensor.New(s[0]...)), Param(tensor.New(s[1]...)), Param(tensor.New(s[2]...)), 1, false)
		})
		if err == nil {
			t.Errorf("shapes %v: no panic", s)
		}
	}
}

func init() {
	addGradCase("attention", gradCase{f: func(xs []*Var) *Var { return Attention(xs[0], xs[1], xs[2], 0.5, false) }, shapes: [][]int{{2, 3, 2}, {2, 4, 2}, {2, 4, 3}}})
	addGradCase("attention", gradCase{name: "attention_causal", f: func(xs []*Var) *Var { return Attention(xs[0], xs[1], xs[2], 0.5, true) }, shapes: [][]int{{1, 2, 3, 2}, {1, 2, 3, 2}, {1, 2, 3, 2}}})
	addGradCase("attention", gradCase{name: "attention_grad_of_grad", f: func(xs []*Var) *Var {
		g := Grad([]*Var{Sum(Square(Attention(xs[0], xs[1], xs[2], 0.7, true)), false)}, []*Var{xs[0], xs[1]}, nil, true)
		return Add(Sum(Square(g[0]), false), Sum(Square(g[1]), false))
	}, shapes: [][]int{{3, 2}, {3, 2}, {3, 2}}})
}
