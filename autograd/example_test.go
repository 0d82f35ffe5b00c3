package autograd_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// show prints a tensor's values rounded to 4 significant digits.
func show(name string, t *tensor.Tensor) {
	fmt.Printf("%s [", name)
	for i, v := range t.Data() {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Printf("%.4g", v)
	}
	fmt.Println("]")
}

// Backward differentiates a scalar with respect to every parameter it depends on; the
// gradients land in the parameters' Grad.
func ExampleVar_Backward() {
	// loss = Σ (w·x + b)²  with x a constant input.
	x := autograd.Const(tensor.FromSlice([]float32{1, 2, 3}, 3))
	w := autograd.Param(tensor.FromSlice([]float32{0.5, -1, 2}, 3))
	b := autograd.Param(tensor.Scalar(1))
	y := autograd.Add(autograd.Mul(w, x), b) // (3) + () -> (3)
	loss := autograd.Sum(autograd.Square(y), false)
	loss.Backward()

	fmt.Printf("loss %.4g\n", loss.Item())
	show("dloss/dw", w.Grad()) // 2·y·x
	show("dloss/db", b.Grad()) // Σ 2·y
	fmt.Println("x has no gradient:", x.Grad() == nil)
	// Output:
	// loss 52.25
	// dloss/dw [3 -4 42]
	// dloss/db [15]
	// x has no gradient: true
}

// Grad with createGraph records the gradient itself, so it can be differentiated
// again: here the first and second derivatives of x³ − 2x.
func ExampleGrad() {
	x := autograd.Param(tensor.FromSlice([]float32{-1, 0, 2}, 3))
	y := autograd.Sub(autograd.PowScalar(x, 3), autograd.MulScalar(x, 2))
	f := autograd.Sum(y, false)

	dx := autograd.Grad([]*autograd.Var{f}, []*autograd.Var{x}, nil, true)[0] // 3x² − 2
	d2x := autograd.Grad([]*autograd.Var{autograd.Sum(dx, false)}, []*autograd.Var{x}, nil, false)[0]
	show("dy/dx", dx.Value())
	show("d²y/dx²", d2x.Value()) // 6x
	fmt.Println("x.Grad untouched:", x.Grad() == nil)
	// Output:
	// dy/dx [1 -2 10]
	// d²y/dx² [-6 0 12]
	// x.Grad untouched: true
}

// NoGrad marks an inference input: nothing computed from it is recorded, even with
// parameters involved, so no tape is kept and a shared model can serve many
// goroutines.
func ExampleNoGrad() {
	rng := rand.New(rand.NewPCG(1, 1))
	w := autograd.Param(tensor.Randn(rng, 3, 2))
	x := autograd.NoGrad(tensor.FromSlice([]float32{1, 0, -1}, 1, 3))
	y := autograd.Tanh(autograd.MatMul(x, w)) // (1,3)·(3,2) -> (1,2)

	fmt.Println("recorded:", y.RequiresGrad(), "op:", y.Op() != "", "leaf:", y.IsLeaf())
	show("y", y.Value())
	// Output:
	// recorded: false op: false leaf: true
	// y [0.7626 0.8971]
}

// softsign is a user-defined op, softsign(x) = x / (1 + |x|), with a hand-written
// backward rule g / (1 + |x|)² built from autograd ops.
type softsign struct{}

func (softsign) Name() string { return "softsign" }

func (softsign) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	return tensor.Div(in[0], tensor.Abs(in[0]).AddScalar(1))
}

func (softsign) Backward(g *autograd.Var, in []*autograd.Var, _ *autograd.Var) []*autograd.Var {
	d := autograd.AddScalar(autograd.Abs(in[0]), 1)
	return []*autograd.Var{autograd.Div(g, autograd.Square(d))}
}

// Apply records a user-defined Function on the graph; GradCheck compares its backward
// rule with central differences.
func ExampleApply() {
	x := autograd.Param(tensor.FromSlice([]float32{-2, 0.5, 3}, 3))
	y := autograd.Apply(softsign{}, x)
	autograd.Sum(y, false).Backward()
	fmt.Println("op:", y.Op())
	show("y", y.Value())
	show("dy/dx", x.Grad())

	rng := rand.New(rand.NewPCG(2, 2))
	err := autograd.GradCheck(func(xs []*autograd.Var) *autograd.Var {
		return autograd.Apply(softsign{}, xs[0])
	}, []*tensor.Tensor{tensor.Randn(rng, 3, 4)}, autograd.GradCheckConfig{})
	fmt.Println("GradCheck:", err)
	// Output:
	// op: softsign
	// y [-0.6667 0.3333 0.75]
	// dy/dx [0.1111 0.4444 0.0625]
	// GradCheck: <nil>
}
