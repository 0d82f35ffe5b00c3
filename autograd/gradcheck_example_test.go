package autograd_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// badSquare is x² with a wrong backward rule (g·x instead of 2·g·x).
type badSquare struct{}

func (badSquare) Name() string { return "bad_square" }

func (badSquare) Forward(in ...*tensor.Tensor) *tensor.Tensor { return tensor.Mul(in[0], in[0]) }

func (badSquare) Backward(g *autograd.Var, in []*autograd.Var, _ *autograd.Var) []*autograd.Var {
	return []*autograd.Var{autograd.Mul(g, in[0])} // wrong: the factor 2 is missing
}

// GradCheck compares the tape's gradients with central differences and names the first
// element where they disagree: here, the forgotten factor 2 of a custom op.
func ExampleGradCheck() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Randn(rng, 2, 3)
	square := func(xs []*autograd.Var) *autograd.Var { return autograd.Mul(xs[0], xs[0]) }
	bad := func(xs []*autograd.Var) *autograd.Var { return autograd.Apply(badSquare{}, xs[0]) }
	fmt.Println("Mul:", autograd.GradCheck(square, []*tensor.Tensor{x}, autograd.GradCheckConfig{}))
	fmt.Println("bad_square fails:", autograd.GradCheck(bad, []*tensor.Tensor{x}, autograd.GradCheckConfig{}) != nil)
	// Output:
	// Mul: <nil>
	// bad_square fails: true
}
