package autograd

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

// The fused backward kernels (used when no gradient of the gradient is wanted) must
// agree with the composed rules (used with createGraph).
func TestFusedBackwardMatchesComposed(t *testing.T) {
	ops := map[string]func(*Var) *Var{
		"tanh": Tanh, "sigmoid": Sigmoid, "exp": Exp, "relu": ReLU, "gelu": GELU,
		"gelu_tanh": GELUTanh, "silu": SiLU,
		"leaky_relu":  func(a *Var) *Var { return LeakyReLU(a, 0.1) },
		"elu":         func(a *Var) *Var { return ELU(a, 0.7) },
		"softplus":    func(a *Var) *Var { return Softplus(a, 1.5) },
		"softmax":     func(a *Var) *Var { return Softmax(a, 1) },
		"log_softmax": func(a *Var) *Var { return LogSoftmax(a, -1) },
	}
	rng := rand.New(rand.NewPCG(11, 12))
	x := tensor.Randn(rng, 4, 5, 3).MulScalar(3)
	seed := tensor.Randn(rng, 4, 5, 3)
	for name, f := range ops {
		t.Run(name, func(t *testing.T) {
			xv := Param(x)
			y := f(xv)
			fused := Grad([]*Var{y}, []*Var{xv}, []*tensor.Tensor{seed}, false)[0]
			composed := Grad([]*Var{y}, []*Var{xv}, []*tensor.Tensor{seed}, true)[0]
			golden.Close(t, name, fused.Value(), composed.Value(), 1e-6, 1e-5)
		})
	}
}

func TestNormalizeMatchesComposed(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	x := tensor.Randn(rng, 3, 4, 5).MulScalar(2)
	seed := tensor.Randn(rng, 3, 4, 5)
	for k := 1; k <= 2; k++ {
		xv := Param(x)
		golden.Close(t, "forward", Normalize(xv, k, 1e-5).Value(), normalizeComposed(xv, k, 1e-5).Value(), 1e-5, 1e-5)
		fused := Grad([]*Var{Normalize(xv, k, 1e-5)}, []*Var{xv}, []*tensor.Tensor{seed}, false)[0]
		composed := Grad([]*Var{normalizeComposed(xv, k, 1e-5)}, []*Var{xv}, []*tensor.Tensor{seed}, false)[0]
		golden.Close(t, "backward", fused.Value(), composed.Value(), 1e-5, 1e-4)
	}
}

func init() {
	addGradCase("normalize", gradCase{f: un(func(a *Var) *Var { return Normalize(a, 1, 1e-5) }), shapes: [][]int{{3, 4}}})
	addGradCase("normalize", gradCase{name: "normalize_2axes", f: un(func(a *Var) *Var { return Normalize(a, 2, 1e-5) }), shapes: [][]int{{2, 3, 4}}})
	// Second order: the gradient of Σ (∂/∂x Σ w·Normalize(x))² goes through the composed path.
	addGradCase("normalize", gradCase{name: "normalize_grad_of_grad", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 4))
		g := Grad([]*Var{Sum(Mul(Normalize(a, 1, 1e-5), w), false)}, []*Var{a}, nil, true)[0]
		return Sum(Square(g), false)
	}), shapes: [][]int{{3, 4}}})
	// The same with an output gradient computed from the output itself (Σ w·y²), which
	// the second-order path must not follow back into the op.
	addGradCase("normalize", gradCase{name: "normalize_grad_of_grad_output_dependent", f: un(func(a *Var) *Var {
		w := Const(tensor.FromSlice([]float32{0.3, -1, 0.5, 2, 1, -0.7, 0.2, 0.9, -0.4, 1.1, 0.6, -1.3}, 3, 4))
		g := Grad([]*Var{Sum(Mul(Square(Normalize(a, 1, 1e-5)), w), false)}, []*Var{a}, nil, true)[0]
		return Sum(Square(g), false)
	}), shapes: [][]int{{3, 4}}})
}
