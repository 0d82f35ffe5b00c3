package autograd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// coreGolden is written by testdata/gen_core.py (PyTorch 1.13, float32).
const coreGolden = "testdata/core.json"

// tol is an absolute and relative tolerance: |got-want| <= atol + rtol·|want|.
type tol struct{ atol, rtol float64 }

// goldenOp builds an op of the golden table from a case's attributes. Fwd and grad are
// the tolerances for the forward value and for the input gradients.
type goldenOp struct {
	f    func(t *testing.T, c *golden.Case, xs []*Var) *Var
	fwd  tol
	grad tol
}

// Tolerances. The measured agreement with PyTorch is within 1e-6 absolute + 1e-6
// relative for every case except the extreme ones; the bounds below leave headroom for
// other platforms (FMA fusion on arm64, a different GEMM) without hiding real bugs.
var (
	// Elementwise ops: both sides round one float32 result of the same formula.
	tight = tol{2e-6, 2e-6}
	// Reductions, softmax and matmul sum in a different order than PyTorch, and so do
	// the gradients of broadcast operands (summed over the broadcast axes).
	summed = tol{1e-5, 1e-5}
	// pow: values and gradients up to ~3e5 (pow_large) go through log(a) and
	// a**(b-1) in float32.
	powTol = tol{1e-5, 1e-5}
	// Inputs of magnitude 1e4 (extreme_* cases), forward: results must stay finite
	// and be as accurate as for ordinary inputs (log_softmax of values near 1e4 must
	// not lose the bits that 1e4's ulp of ~1e-3 would cost).
	extreme = tol{1e-5, 1e-5}
	// Extreme cases, gradients: PyTorch's logsumexp backward is g·exp(x - lse) with
	// lse rounded to float32 near 1e4 (ulp 2⁻¹⁰), so the reference itself is only good
	// to ~5e-4 relative; this package computes softmax from x - max exactly and is
	// closer to the float64 value.
	extremeGrad = tol{1e-5, 1e-3}
)

func axesAttr(t *testing.T, c *golden.Case) []int {
	if _, ok := c.Attrs["axes"]; !ok {
		return nil
	}
	return c.Ints(t, "axes")
}

func keepAttr(t *testing.T, c *golden.Case) bool { return c.Int(t, "keepdim") == 1 }

func binOp(f func(a, b *Var) *Var, fwd, grad tol) goldenOp {
	return goldenOp{f: func(_ *testing.T, _ *golden.Case, xs []*Var) *Var { return f(xs[0], xs[1]) }, fwd: fwd, grad: grad}
}

func cmpOp(f func(a, b *tensor.Tensor) *tensor.Tensor) goldenOp {
	return goldenOp{f: func(_ *testing.T, _ *golden.Case, xs []*Var) *Var {
		return Const(f(xs[0].Value(), xs[1].Value()))
	}, fwd: tol{0, 0}}
}

func unOp(f func(a *Var) *Var, fwd, grad tol) goldenOp {
	return goldenOp{f: func(_ *testing.T, _ *golden.Case, xs []*Var) *Var { return f(xs[0]) }, fwd: fwd, grad: grad}
}

func alphaOp(f func(a *Var, alpha float32) *Var, attr string) goldenOp {
	return goldenOp{f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return f(xs[0], float32(c.Float(t, attr)))
	}, fwd: tight, grad: tight}
}

func reduceOp(f func(a *Var, keep bool, axes ...int) *Var) goldenOp {
	return goldenOp{f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return f(xs[0], keepAttr(t, c), axesAttr(t, c)...)
	}, fwd: summed, grad: summed}
}

func varianceOp(f func(a *Var, correction int, keep bool, axes ...int) *Var) goldenOp {
	return goldenOp{f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return f(xs[0], c.Int(t, "correction"), keepAttr(t, c), axesAttr(t, c)...)
	}, fwd: summed, grad: summed}
}

func axisOp(f func(a *Var, axis int) *Var) goldenOp {
	return goldenOp{f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return f(xs[0], c.Int(t, "axis"))
	}, fwd: summed, grad: summed}
}

// goldenOps maps the "op" attribute of core.json to the Go op and its tolerances.
var goldenOps = map[string]goldenOp{
	"add":     binOp(Add, tight, summed),
	"sub":     binOp(Sub, tight, summed),
	"mul":     binOp(Mul, tight, summed),
	"div":     binOp(Div, tight, summed),
	"pow":     binOp(Pow, powTol, powTol),
	"maximum": binOp(Maximum, tight, summed),
	"minimum": binOp(Minimum, tight, summed),
	"eq":      cmpOp(tensor.Eq),
	"ne":      cmpOp(tensor.Ne),
	"lt":      cmpOp(tensor.Lt),
	"le":      cmpOp(tensor.Le),
	"gt":      cmpOp(tensor.Gt),
	"ge":      cmpOp(tensor.Ge),
	"where": {f: func(_ *testing.T, _ *golden.Case, xs []*Var) *Var {
		return Where(xs[0].Value(), xs[1], xs[2])
	}, fwd: tol{0, 0}, grad: summed},

	"neg":        unOp(Neg, tight, tight),
	"abs":        unOp(Abs, tight, tight),
	"exp":        unOp(Exp, tight, tight),
	"log":        unOp(Log, tight, tight),
	"sqrt":       unOp(Sqrt, tight, tight),
	"rsqrt":      unOp(Rsqrt, tight, tight),
	"square":     unOp(Square, tight, tight),
	"sin":        unOp(Sin, tight, tight),
	"cos":        unOp(Cos, tight, tight),
	"tanh":       unOp(Tanh, tight, tight),
	"sigmoid":    unOp(Sigmoid, tight, tight),
	"relu":       unOp(ReLU, tight, tight),
	"leaky_relu": alphaOp(LeakyReLU, "alpha"),
	"elu":        alphaOp(ELU, "alpha"),
	"gelu":       unOp(GELU, tight, tight),
	"gelu_tanh":  unOp(GELUTanh, tight, tight),
	"silu":       unOp(SiLU, tight, tight),
	"softplus":   alphaOp(Softplus, "beta"),
	"erf":        unOp(Erf, tight, tight),
	"clamp": {f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return Clamp(xs[0], float32(c.Float(t, "lo")), float32(c.Float(t, "hi")))
	}, fwd: tight, grad: tight},

	"sum":       reduceOp(Sum),
	"mean":      reduceOp(Mean),
	"max":       reduceOp(Max),
	"min":       reduceOp(Min),
	"logsumexp": reduceOp(LogSumExp),
	"var":       varianceOp(Variance),
	"std":       varianceOp(Std),

	"softmax":     axisOp(Softmax),
	"log_softmax": axisOp(LogSoftmax),

	"matmul": {f: func(t *testing.T, c *golden.Case, xs []*Var) *Var {
		return MatMulT(xs[0], xs[1], c.Int(t, "transA") == 1, c.Int(t, "transB") == 1)
	}, fwd: summed, grad: summed},
}

// inputs returns the case's tensors x0, x1, ….
func inputs(t *testing.T, c *golden.Case) []*tensor.Tensor {
	var in []*tensor.Tensor
	for i := 0; c.Has(fmt.Sprint("x", i)); i++ {
		in = append(in, c.T(t, fmt.Sprint("x", i)))
	}
	return in
}

func params(in []*tensor.Tensor) []*Var {
	xs := make([]*Var, len(in))
	for i, x := range in {
		xs[i] = Param(x.Clone())
	}
	return xs
}

// TestGoldenCore compares every op's forward value and, for a random upstream
// gradient g, its input gradients from Grad and from BackwardWith with PyTorch.
func TestGoldenCore(t *testing.T) {
	f := golden.Load(t, coreGolden)
	seen := map[string]bool{}
	for _, c := range f.Cases {
		op := c.String(t, "op")
		if strings.HasPrefix(op, "second_") {
			continue // secondorder_test.go
		}
		seen[op] = true
		t.Run(c.Name, func(t *testing.T) {
			gop, ok := goldenOps[op]
			require.True(t, ok, "no Go op for %q", op)
			fwd := gop.fwd
			if strings.HasPrefix(c.Name, "extreme_") {
				fwd = extreme
			}
			in := inputs(t, c)
			xs := params(in)
			y := gop.f(t, c, xs)
			golden.Close(t, "forward", y.Value(), c.T(t, "y"), fwd.atol, fwd.rtol)
			for _, v := range y.Value().Data() {
				require.False(t, v != v, "forward has NaN")
			}
			if !c.Has("g") {
				return
			}
			gt := gop.grad
			if strings.HasPrefix(c.Name, "extreme_") {
				gt = extremeGrad
			}
			seed := c.T(t, "g")

			// torch.autograd.grad(y, xs, g)
			grads := Grad([]*Var{y}, xs, []*tensor.Tensor{seed}, false)
			for i, g := range grads {
				golden.Close(t, fmt.Sprintf("Grad x%d", i), g.Value(), c.T(t, fmt.Sprint("gx", i)), gt.atol, gt.rtol)
			}

			// y.backward(g) on a fresh graph, twice: the leaves' Grad accumulates.
			xs = params(in)
			for range 2 {
				gop.f(t, c, xs).BackwardWith(seed)
			}
			for i, x := range xs {
				want := c.T(t, fmt.Sprint("gx", i))
				got := x.Grad()
				if got == nil {
					got = tensor.New(want.Shape()...) // no gradient reached x (where's condition)
				}
				golden.Close(t, fmt.Sprintf("BackwardWith x%d (accumulated twice)", i), got, want.MulScalar(2), 2*gt.atol, gt.rtol)
			}
		})
	}
	// Every op of the table has at least one golden case.
	for op := range goldenOps {
		require.True(t, seen[op], "op %q has no case in %s", op, coreGolden)
	}
}
