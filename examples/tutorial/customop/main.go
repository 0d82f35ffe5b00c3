// Command customop is the code of the tutorial docs/custom-op.md: a PReLU activation
// written as a custom autograd op with its own backward rule, wrapped as an nn layer,
// checked against central differences (first and second order) and trained.
//
//	go run ./examples/tutorial/customop
//	go run ./examples/tutorial/customop -steps 2000 -seed 7
//
// It prints the result of the gradient checks, then the loss of a small network with
// PReLU activations fitting sin(3x) on [-1,1]; it takes about a second. Shape mistakes
// panic with a *tensor.Error naming the op, as everywhere in genblocks.
package main

import (
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// preluOp is PReLU as an autograd.Function: y = max(x,0) + a·min(x,0) for x (…,F)
// and one learnable slope per feature, a (F) (He et al. 2015,
// https://arxiv.org/abs/1502.01852).
type preluOp struct{}

// Name is the op's name on the graph (Var.Op) and in panics.
func (preluOp) Name() string { return "prelu" }

// Forward computes the output from the input values with tensor ops; nothing here is
// recorded on the graph.
func (preluOp) Forward(in ...*tensor.Tensor) *tensor.Tensor {
	x, a := in[0], in[1]
	if x.Dim() == 0 || a.Dim() != 1 || x.Size(x.Dim()-1) != a.Size(0) {
		tensor.Panicf("prelu", "shapes %s and %s: want x (…,F) and slopes (F)",
			tensor.ShapeString(x.Shape()), tensor.ShapeString(a.Shape()))
	}
	neg := tensor.Minimum(x, tensor.Scalar(0))            // (…,F)
	return tensor.Add(tensor.ReLU(x), tensor.Mul(neg, a)) // (…,F) + (…,F)·(F) -> (…,F)
}

// Backward turns g = ∂L/∂y (…,F) into the gradients for x and a. It is written with
// autograd ops, not tensor ops, so that the gradients are on the graph themselves and
// can be differentiated again.
func (preluOp) Backward(g *autograd.Var, in []*autograd.Var, _ *autograd.Var) []*autograd.Var {
	x, a := in[0], in[1]
	pos := tensor.Step(x.Value())                    // 1 where x > 0: a constant mask
	gx := autograd.Where(pos, g, autograd.Mul(g, a)) // ∂y/∂x is 1 or a
	neg := autograd.Minimum(x, autograd.Const(tensor.Scalar(0)))
	ga := autograd.SumTo(autograd.Mul(g, neg), a.Shape()...) // ∂y/∂a = min(x,0); (…,F) -> (F)
	return []*autograd.Var{gx, ga}
}

// PReLU is the layer: it owns the slopes as a parameter named "weight", as PyTorch's
// nn.PReLU(F) does, so checkpoints use the same key. It acts on the last axis.
type PReLU struct {
	Weight *autograd.Var // (F) slopes, 0.25 at the start
}

// NewPReLU creates a PReLU layer with one slope per feature under vb.
func NewPReLU(vb *nn.VarBuilder, features int) *PReLU {
	return &PReLU{Weight: vb.Param("weight", nn.Constant(0.25), features)}
}

// Forward applies the op to x (…,F); PReLU implements nn.Module.
func (p *PReLU) Forward(x *autograd.Var) *autograd.Var {
	return autograd.Apply(preluOp{}, x, p.Weight)
}

// checkGradients compares the backward rule with central differences: first the op
// alone, then a gradient penalty, whose gradient runs through the graph that Backward
// built.
func checkGradients(rng *rand.Rand) error {
	x, a := tensor.Randn(rng, 4, 3), tensor.Randn(rng, 3)
	op := func(xs []*autograd.Var) *autograd.Var {
		return autograd.Apply(preluOp{}, xs[0], xs[1])
	}
	if err := autograd.GradCheck(op, []*tensor.Tensor{x, a}, autograd.GradCheckConfig{}); err != nil {
		return fmt.Errorf("first order: %w", err)
	}

	w := autograd.Const(tensor.Randn(rng, 4, 3))
	penalty := func(xs []*autograd.Var) *autograd.Var { // ‖∂(Σ w·y)/∂x‖², as in WGAN-GP
		s := autograd.Sum(autograd.Mul(w, op(xs)), false)
		gx := autograd.Grad([]*autograd.Var{s}, xs[:1], nil, true)[0] // (4,3), on the graph
		return autograd.Sum(autograd.Square(gx), false)
	}
	if err := autograd.GradCheck(penalty, []*tensor.Tensor{x, a}, autograd.GradCheckConfig{}); err != nil {
		return fmt.Errorf("second order: %w", err)
	}
	return nil
}

// train fits sin(3x) on [-1,1] with Linear(1,32) → PReLU → Linear(32,1) and Adam, and
// returns the mean squared error on a fixed test grid before and after training.
func train(rng *rand.Rand, steps int, log io.Writer) (before, after float32) {
	vs := nn.NewVarStore(rng)
	vb := vs.Root()
	net := nn.Sequential{
		nn.NewLinear(vb.Push("0"), 1, 32, nn.LinearConfig{}),
		NewPReLU(vb.Push("1"), 32),
		nn.NewLinear(vb.Push("2"), 32, 1, nn.LinearConfig{}),
	}
	target := func(x *tensor.Tensor) *autograd.Var { return autograd.Const(tensor.Sin(x.MulScalar(3))) }
	testX := tensor.Arange(-1, 1, 0.01).Reshape(200, 1) // (200,1)
	testMSE := func() float32 {
		pred := net.Forward(autograd.NoGrad(testX)) // no graph is recorded
		return nn.MSELoss(pred, target(testX), nn.Mean).Item()
	}

	before = testMSE()
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-2})
	for step := 1; step <= steps; step++ {
		x := tensor.Rand(rng, -1, 1, 64, 1) // (B,1)
		loss := nn.MSELoss(net.Forward(autograd.Const(x)), target(x), nn.Mean)
		opt.ZeroGrad()
		loss.Backward() // runs preluOp.Backward for the PReLU layer
		opt.Step()
		if step%(max(steps/5, 1)) == 0 {
			fmt.Fprintf(log, "step %4d  train MSE %.4f\n", step, loss.Item())
		}
	}
	return before, testMSE()
}

func main() {
	steps := flag.Int("steps", 1000, "training steps")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	rng := rand.New(rand.NewPCG(*seed, 0))

	if err := checkGradients(rng); err != nil {
		fmt.Fprintln(os.Stderr, "gradient check failed:", err)
		os.Exit(1)
	}
	fmt.Println("gradient checks passed (first and second order)")
	before, after := train(rng, *steps, os.Stdout)
	fmt.Printf("test MSE %.4f -> %.4f\n", before, after)
}
