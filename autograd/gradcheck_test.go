package autograd

import (
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// gradCase is one entry of the op table: a function of the inputs and the shapes of
// the inputs. Gen, if set, makes the inputs instead of standard normal samples.
type gradCase struct {
	name   string
	f      func(xs []*Var) *Var
	shapes [][]int
	gen    func(rng *rand.Rand) []*tensor.Tensor
	cfg    GradCheckConfig
}

var (
	gradCasesMu sync.Mutex
	gradCases   = map[string][]gradCase{}
)

// addGradCase registers a gradient check for op; test files call it from init.
func addGradCase(op string, c gradCase) {
	gradCasesMu.Lock()
	defer gradCasesMu.Unlock()
	if c.name == "" {
		c.name = op
	}
	gradCases[op] = append(gradCases[op], c)
}

func TestEveryOpHasGradCheck(t *testing.T) {
	for _, op := range Ops() {
		if len(gradCases[op]) == 0 {
			t.Errorf("op %q has no gradient check in the op table", op)
		}
	}
}

func TestGradCheckOps(t *testing.T) {
	for _, op := range Ops() {
		for _, c := range gradCases[op] {
			t.Run(c.name, func(t *testing.T) {
				rng := rand.New(rand.NewPCG(7, uint64(len(c.name))))
				var in []*tensor.Tensor
				if c.gen != nil {
					in = c.gen(rng)
				} else {
					for _, s := range c.shapes {
						in = append(in, tensor.Randn(rng, s...))
					}
				}
				require.NoError(t, GradCheck(c.f, in, c.cfg))
			})
		}
	}
}

// positive returns inputs of the given shapes with values in [0.5, 2).
func positive(shapes ...[]int) func(rng *rand.Rand) []*tensor.Tensor {
	return func(rng *rand.Rand) []*tensor.Tensor {
		var in []*tensor.Tensor
		for _, s := range shapes {
			in = append(in, tensor.Rand(rng, 0.5, 2, s...))
		}
		return in
	}
}

// awayFromZero returns normal inputs pushed away from the kinks at 0.
func awayFromZero(shapes ...[]int) func(rng *rand.Rand) []*tensor.Tensor {
	return func(rng *rand.Rand) []*tensor.Tensor {
		var in []*tensor.Tensor
		for _, s := range shapes {
			x := tensor.Randn(rng, s...)
			for i, v := range x.Data() {
				if v > -0.05 && v < 0.05 {
					x.Data()[i] = v + 0.2
				}
			}
			in = append(in, x)
		}
		return in
	}
}

func un(f func(*Var) *Var) func([]*Var) *Var { return func(x []*Var) *Var { return f(x[0]) } }
func bin(f func(a, b *Var) *Var) func([]*Var) *Var {
	return func(x []*Var) *Var { return f(x[0], x[1]) }
}

func init() {
	bcast := [][]int{{2, 3, 4}, {3, 1}}
	addGradCase("add", gradCase{f: bin(Add), shapes: bcast})
	addGradCase("sub", gradCase{f: bin(Sub), shapes: bcast})
	addGradCase("mul", gradCase{f: bin(Mul), shapes: bcast})
	addGradCase("div", gradCase{f: bin(Div), gen: func(rng *rand.Rand) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.Randn(rng, 2, 3, 4), tensor.Rand(rng, 0.5, 2, 3, 1)}
	}})
	addGradCase("pow", gradCase{f: bin(Pow), gen: positive([]int{2, 3}, []int{3})})
	addGradCase("maximum", gradCase{f: bin(Maximum), shapes: bcast})
	addGradCase("minimum", gradCase{f: bin(Minimum), shapes: bcast})
	addGradCase("where", gradCase{f: func(x []*Var) *Var {
		cond := tensor.FromSlice([]float32{1, 0, 1, 0, 0, 1}, 2, 3)
		return Where(cond, x[0], x[1])
	}, shapes: [][]int{{2, 3}, {3}}})
	addGradCase("neg", gradCase{f: un(Neg), shapes: [][]int{{3, 4}}})
	addGradCase("abs", gradCase{f: un(Abs), gen: awayFromZero([]int{3, 4})})
	addGradCase("exp", gradCase{f: un(Exp), shapes: [][]int{{3, 4}}})
	addGradCase("log", gradCase{f: un(Log), gen: positive([]int{3, 4})})
	addGradCase("sqrt", gradCase{f: un(Sqrt), gen: positive([]int{3, 4})})
	addGradCase("rsqrt", gradCase{f: un(Rsqrt), gen: positive([]int{3, 4})})
	addGradCase("square", gradCase{f: un(Square), shapes: [][]int{{3, 4}}})
	addGradCase("sin", gradCase{f: un(Sin), shapes: [][]int{{3, 4}}})
	addGradCase("cos", gradCase{f: un(Cos), shapes: [][]int{{3, 4}}})
	addGradCase("tanh", gradCase{f: un(Tanh), shapes: [][]int{{3, 4}}})
	addGradCase("sigmoid", gradCase{f: un(Sigmoid), shapes: [][]int{{3, 4}}})
	addGradCase("relu", gradCase{f: un(ReLU), gen: awayFromZero([]int{3, 4})})
	addGradCase("leaky_relu", gradCase{f: un(func(a *Var) *Var { return LeakyReLU(a, 0.2) }), gen: awayFromZero([]int{3, 4})})
	addGradCase("elu", gradCase{f: un(func(a *Var) *Var { return ELU(a, 1.5) }), gen: awayFromZero([]int{3, 4})})
	addGradCase("erf", gradCase{f: un(Erf), shapes: [][]int{{3, 4}}})
	addGradCase("gelu", gradCase{f: un(GELU), shapes: [][]int{{3, 4}}})
	addGradCase("gelu_tanh", gradCase{f: un(GELUTanh), shapes: [][]int{{3, 4}}})
	addGradCase("silu", gradCase{f: un(SiLU), shapes: [][]int{{3, 4}}})
	addGradCase("softplus", gradCase{f: un(func(a *Var) *Var { return Softplus(a, 2) }), shapes: [][]int{{3, 4}}})
	addGradCase("clamp", gradCase{f: un(func(a *Var) *Var { return Clamp(a, -0.5, 0.5) }), gen: func(rng *rand.Rand) []*tensor.Tensor {
		return []*tensor.Tensor{tensor.FromSlice([]float32{-1, -0.3, 0.1, 0.4, 0.9, 2}, 2, 3)}
	}})
	addGradCase("add_scalar", gradCase{f: un(func(a *Var) *Var { return AddScalar(a, 3) }), shapes: [][]int{{3}}})
	addGradCase("mul_scalar", gradCase{f: un(func(a *Var) *Var { return MulScalar(a, -2) }), shapes: [][]int{{3}}})
	addGradCase("pow_scalar", gradCase{f: un(func(a *Var) *Var { return PowScalar(a, 2.5) }), gen: positive([]int{3, 2})})

	addGradCase("sum", gradCase{f: un(func(a *Var) *Var { return Sum(a, false, 1) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("sum", gradCase{name: "sum_all", f: un(func(a *Var) *Var { return Sum(a, false) }), shapes: [][]int{{2, 3}}})
	addGradCase("mean", gradCase{f: un(func(a *Var) *Var { return Mean(a, true, 0, 2) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("max", gradCase{f: un(func(a *Var) *Var { return Max(a, false, -1) }), shapes: [][]int{{3, 5}}})
	addGradCase("min", gradCase{f: un(func(a *Var) *Var { return Min(a, true, 0) }), shapes: [][]int{{3, 5}}})
	addGradCase("softmax", gradCase{f: un(func(a *Var) *Var { return Softmax(a, 1) }), shapes: [][]int{{2, 4, 3}}})
	addGradCase("log_softmax", gradCase{f: un(func(a *Var) *Var { return LogSoftmax(a, -1) }), shapes: [][]int{{3, 5}}})
	addGradCase("sum_to", gradCase{f: un(func(a *Var) *Var { return SumTo(a, 3, 1) }), shapes: [][]int{{2, 3, 4}}})
	addGradCase("expand", gradCase{f: un(func(a *Var) *Var { return Expand(a, 2, 3, 4) }), shapes: [][]int{{3, 1}}})
	addGradCase("matmul", gradCase{name: "matmul_2d", f: bin(MatMul), shapes: [][]int{{3, 4}, {4, 5}}})
	addGradCase("matmul", gradCase{name: "matmul_batched_broadcast", f: bin(MatMul), shapes: [][]int{{2, 1, 3, 4}, {3, 4, 2}}})
	addGradCase("matmul", gradCase{name: "matmul_tA", f: bin(func(a, b *Var) *Var { return MatMulT(a, b, true, false) }), shapes: [][]int{{4, 3}, {2, 4, 5}}})
	addGradCase("matmul", gradCase{name: "matmul_tB", f: bin(func(a, b *Var) *Var { return MatMulT(a, b, false, true) }), shapes: [][]int{{2, 3, 4}, {5, 4}}})
	addGradCase("matmul", gradCase{name: "matmul_tAtB", f: bin(func(a, b *Var) *Var { return MatMulT(a, b, true, true) }), shapes: [][]int{{2, 4, 3}, {2, 5, 4}}})
	addGradCase("reshape", gradCase{f: un(func(a *Var) *Var { return Reshape(a, 4, -1) }), shapes: [][]int{{2, 3, 2}}})
	addGradCase("permute", gradCase{f: un(func(a *Var) *Var { return Permute(a, 2, 0, 1) }), shapes: [][]int{{2, 3, 4}}})
}

// Composite functions built from the table's ops still get checked end to end.
func TestGradCheckComposites(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := map[string]func(x []*Var) *Var{
		"variance":  func(x []*Var) *Var { return Variance(x[0], 1, false, 1) },
		"std":       func(x []*Var) *Var { return Std(x[0], 0, true, 0) },
		"logsumexp": func(x []*Var) *Var { return LogSumExp(x[0], false, 1) },
		"transpose": func(x []*Var) *Var { return Transpose(x[0], 0, 1) },
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			require.NoError(t, GradCheck(f, []*tensor.Tensor{tensor.Randn(rng, 3, 4)}, GradCheckConfig{}))
		})
	}
}
