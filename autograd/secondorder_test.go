package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// secondOrderFns are the functions f(x, W) of the second_* cases of core.json, with c
// (and b) constants.
var secondOrderFns = map[string]func(x, W, c, b *Var) *Var{
	// f = sum(tanh(x @ W) * c)
	"second_tanh": func(x, W, c, _ *Var) *Var {
		return Sum(Mul(Tanh(MatMul(x, W)), c), false) // (3,4)@(4,5) -> (3,5) -> ()
	},
	// f = sum(softmax(x @ W, -1) * c)
	"second_softmax": func(x, W, c, _ *Var) *Var {
		return Sum(Mul(Softmax(MatMul(x, W), -1), c), false)
	},
	// f = sum(logsumexp(gelu(x @ W + b), -1) * c)
	"second_gelu_logsumexp": func(x, W, c, b *Var) *Var {
		h := GELU(Add(MatMul(x, W), b))                    // (3,5)
		return Sum(Mul(LogSumExp(h, false, -1), c), false) // (3,) -> ()
	},
}

// TestSecondOrderGolden computes g = ∂f/∂x with Grad(createGraph=true), then
// p = sum(g²), and compares g, ∂p/∂x and ∂p/∂W with PyTorch's create_graph=True
// results.
func TestSecondOrderGolden(t *testing.T) {
	f := golden.Load(t, coreGolden)
	for name, fn := range secondOrderFns {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			x, W := Param(c.T(t, "x")), Param(c.T(t, "W"))
			cv := Const(c.T(t, "c"))
			var b *Var
			if c.Has("b") {
				b = Const(c.T(t, "b"))
			}
			out := fn(x, W, cv, b)
			golden.Close(t, "f", out.Value(), c.T(t, "f"), 1e-5, 1e-5)

			g := Grad([]*Var{out}, []*Var{x}, nil, true)[0]
			golden.Close(t, "g = ∂f/∂x", g.Value(), c.T(t, "g"), 1e-5, 1e-5)
			require.True(t, g.RequiresGrad(), "Grad with createGraph returns a recorded Var")

			p := Sum(Square(g), false)
			golden.Close(t, "p", p.Value(), c.T(t, "p"), 1e-5, 1e-5)
			d := Grad([]*Var{p}, []*Var{x, W}, nil, false)
			golden.Close(t, "∂p/∂x", d[0].Value(), c.T(t, "dpx"), 1e-5, 1e-4)
			golden.Close(t, "∂p/∂W", d[1].Value(), c.T(t, "dpW"), 1e-5, 1e-4)

			// The same through Backward: only the leaves' Grad fields change.
			p.Backward()
			golden.Close(t, "x.Grad", x.Grad(), c.T(t, "dpx"), 1e-5, 1e-4)
			golden.Close(t, "W.Grad", W.Grad(), c.T(t, "dpW"), 1e-5, 1e-4)
		})
	}
}

// gradOf returns a function of xs whose value is ∂(sum(f(xs)·w))/∂xs[0], for
// GradCheck: its gradient is a row of the Hessian-vector products of f.
//
// GradCheck evaluates the function a second time with NoGrad inputs for the central
// differences, and nothing is recorded below a NoGrad input, so Grad would return
// zeros there; such inputs are rewrapped as fresh parameters to get the value.
func gradOf(f func(xs []*Var) *Var, w *tensor.Tensor) func(xs []*Var) *Var {
	return func(xs []*Var) *Var {
		in := xs
		if !xs[0].RequiresGrad() {
			in = make([]*Var, len(xs))
			for i, x := range xs {
				in[i] = Param(x.Value())
			}
		}
		out := f(in)
		return Grad([]*Var{out}, in[:1], []*tensor.Tensor{w}, true)[0]
	}
}

// TestSecondOrderGradCheck checks gradients of gradients by central differences of
// the first gradient, for ops whose backward rules are themselves nonlinear.
func TestSecondOrderGradCheck(t *testing.T) {
	cases := []struct {
		name   string
		f      func(xs []*Var) *Var
		shapes [][]int
		pos    bool // inputs in [0.5, 2)
	}{
		{"tanh", un(Tanh), [][]int{{3, 4}}, false},
		{"sigmoid", un(Sigmoid), [][]int{{3, 4}}, false},
		{"gelu", un(GELU), [][]int{{3, 4}}, false},
		{"gelu_tanh", un(GELUTanh), [][]int{{3, 4}}, false},
		{"silu", un(SiLU), [][]int{{3, 4}}, false},
		{"softplus", un(func(a *Var) *Var { return Softplus(a, 2) }), [][]int{{3, 4}}, false},
		{"erf", un(Erf), [][]int{{3, 4}}, false},
		{"sin", un(Sin), [][]int{{3, 4}}, false},
		{"log", un(Log), [][]int{{3, 4}}, true},
		{"rsqrt", un(Rsqrt), [][]int{{3, 4}}, true},
		{"sqrt", un(Sqrt), [][]int{{3, 4}}, true},
		{"div", bin(Div), [][]int{{2, 3}, {3}}, true},
		{"pow", bin(Pow), [][]int{{2, 3}, {3}}, true},
		{"softmax", un(func(a *Var) *Var { return Softmax(a, -1) }), [][]int{{3, 4}}, false},
		{"log_softmax", un(func(a *Var) *Var { return LogSoftmax(a, 0) }), [][]int{{3, 4}}, false},
		{"logsumexp", un(func(a *Var) *Var { return LogSumExp(a, true, 1) }), [][]int{{3, 4}}, false},
		{"variance", un(func(a *Var) *Var { return Variance(a, 1, false, -1) }), [][]int{{3, 4}}, false},
		{"matmul_tanh", bin(func(a, b *Var) *Var { return Tanh(MatMulT(a, b, false, true)) }), [][]int{{2, 3, 4}, {5, 4}}, false},
		{"mul_square", bin(func(a, b *Var) *Var { return Square(Mul(a, b)) }), [][]int{{2, 3, 4}, {3, 1}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, uint64(len(tc.name))))
			var in []*tensor.Tensor
			for _, s := range tc.shapes {
				if tc.pos {
					in = append(in, tensor.Rand(rng, 0.5, 2, s...))
				} else {
					in = append(in, tensor.Randn(rng, s...))
				}
			}
			// The seed of the first gradient: the shape of f's output.
			probe := tc.f(func() []*Var {
				xs := make([]*Var, len(in))
				for i, x := range in {
					xs[i] = NoGrad(x)
				}
				return xs
			}())
			w := tensor.Rand(rng, -1, 1, probe.Shape()...)
			require.NoError(t, GradCheck(gradOf(tc.f, w), in, GradCheckConfig{}))
		})
	}
}

// TestSecondDerivativeScalar checks d²/dx² of x³ and of sin at a few points exactly.
func TestSecondDerivativeScalar(t *testing.T) {
	x := Param(tensor.FromSlice([]float32{-1.5, 0.5, 2}, 3))
	y := Sum(Mul(Square(x), x), false) // Σ x³
	g := Grad([]*Var{y}, []*Var{x}, nil, true)[0]
	require.InDeltaSlice(t, []float64{6.75, 0.75, 12}, g.Value().ToFloat64(), 1e-5) // 3x²
	h := Grad([]*Var{Sum(g, false)}, []*Var{x}, nil, false)[0]
	require.InDeltaSlice(t, []float64{-9, 3, 12}, h.Value().ToFloat64(), 1e-5) // 6x

	// The third derivative of Σ sin x is -cos x.
	s := Sum(Sin(x), false)
	g1 := Grad([]*Var{s}, []*Var{x}, nil, true)[0]
	g2 := Grad([]*Var{Sum(g1, false)}, []*Var{x}, nil, true)[0]
	g3 := Grad([]*Var{Sum(g2, false)}, []*Var{x}, nil, false)[0]
	want := tensor.Neg(tensor.Cos(x.Value()))
	require.InDeltaSlice(t, want.ToFloat64(), g3.Value().ToFloat64(), 1e-6)
}
