package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

func unary(op kernels.UnOp, t *Tensor, alpha float32) *Tensor {
	out := empty(t.shape...)
	parallel(len(out.data), unaryGrain(op), func(lo, hi int) {
		kernels.Unary(op, out.data[lo:hi], t.data[lo:hi], alpha)
	})
	return out
}

// Neg returns -t.
func Neg(t *Tensor) *Tensor { return unary(kernels.Neg, t, 0) }

// Abs returns |t|.
func Abs(t *Tensor) *Tensor { return unary(kernels.Abs, t, 0) }

// Exp returns e**t.
func Exp(t *Tensor) *Tensor { return unary(kernels.Exp, t, 0) }

// Log returns the natural logarithm of t.
func Log(t *Tensor) *Tensor { return unary(kernels.Log, t, 0) }

// Sqrt returns the square root of t.
func Sqrt(t *Tensor) *Tensor { return unary(kernels.Sqrt, t, 0) }

// Rsqrt returns 1/sqrt(t).
func Rsqrt(t *Tensor) *Tensor { return unary(kernels.Rsqrt, t, 0) }

// Square returns t*t.
func Square(t *Tensor) *Tensor { return unary(kernels.Square, t, 0) }

// Sin returns sin(t).
func Sin(t *Tensor) *Tensor { return unary(kernels.Sin, t, 0) }

// Cos returns cos(t).
func Cos(t *Tensor) *Tensor { return unary(kernels.Cos, t, 0) }

// Tanh returns tanh(t).
func Tanh(t *Tensor) *Tensor { return unary(kernels.Tanh, t, 0) }

// Sigmoid returns 1/(1+exp(-t)), computed without overflow.
func Sigmoid(t *Tensor) *Tensor { return unary(kernels.Sigmoid, t, 0) }

// ReLU returns max(t, 0).
func ReLU(t *Tensor) *Tensor { return unary(kernels.ReLU, t, 0) }

// LeakyReLU returns t where t > 0 and slope*t elsewhere.
func LeakyReLU(t *Tensor, slope float32) *Tensor { return unary(kernels.LeakyReLU, t, slope) }

// ELU returns t where t > 0 and alpha*(exp(t)-1) elsewhere.
func ELU(t *Tensor, alpha float32) *Tensor { return unary(kernels.ELU, t, alpha) }

// GELU returns the exact Gaussian error linear unit t*Φ(t).
func GELU(t *Tensor) *Tensor { return unary(kernels.GELU, t, 0) }

// GELUTanh returns the tanh approximation of GELU used by GPT-2.
func GELUTanh(t *Tensor) *Tensor { return unary(kernels.GELUTanh, t, 0) }

// SiLU returns t*sigmoid(t).
func SiLU(t *Tensor) *Tensor { return unary(kernels.SiLU, t, 0) }

// Softplus returns log(1+exp(beta*t))/beta, linear where beta*t > 20 as in PyTorch.
func Softplus(t *Tensor, beta float32) *Tensor { return unary(kernels.Softplus, t, beta) }

// Sign returns -1, 0 or 1 by the sign of t.
func Sign(t *Tensor) *Tensor { return unary(kernels.Sign, t, 0) }

// Step returns 1 where t > 0 and 0 elsewhere.
func Step(t *Tensor) *Tensor { return unary(kernels.Step, t, 0) }

// Clamp returns t limited to [lo, hi].
func Clamp(t *Tensor, lo, hi float32) *Tensor {
	out := empty(t.shape...)
	kernels.Clamp(out.data, t.data, lo, hi)
	return out
}

// Map returns f applied to every element of t. It is for tests and one-off transforms;
// the named ops are faster.
func Map(t *Tensor, f func(float32) float32) *Tensor {
	out := New(t.shape...)
	for i, v := range t.data {
		out.data[i] = f(v)
	}
	return out
}

// AddInPlace adds b (broadcast to t's shape) into t and returns t.
func (t *Tensor) AddInPlace(b *Tensor) *Tensor {
	if SameShape(t, b) {
		kernels.Axpy(1, b.data, t.data)
		return t
	}
	r := Add(t, b)
	if !SameShape(r, t) {
		Panicf("AddInPlace", "shape %s does not broadcast to %s", ShapeString(b.shape), ShapeString(t.shape))
	}
	copy(t.data, r.data)
	return t
}

// ScaleInPlace multiplies every element of t by s and returns t.
func (t *Tensor) ScaleInPlace(s float32) *Tensor {
	kernels.Scale(s, t.data)
	return t
}

// Fill sets every element of t to v and returns t.
func (t *Tensor) Fill(v float32) *Tensor {
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// Erf returns the error function of t.
func Erf(t *Tensor) *Tensor { return unary(kernels.Erf, t, 0) }

// unaryOps maps the names UnaryGrad accepts to kernel ops.
var unaryOps = map[string]kernels.UnOp{
	"tanh": kernels.Tanh, "sigmoid": kernels.Sigmoid, "exp": kernels.Exp, "relu": kernels.ReLU,
	"leaky_relu": kernels.LeakyReLU, "elu": kernels.ELU, "gelu": kernels.GELU,
	"gelu_tanh": kernels.GELUTanh, "silu": kernels.SiLU, "softplus": kernels.Softplus,
}

// UnaryGrad returns g·f'(x) for the unary op named op ("tanh", "sigmoid", "exp", "relu",
// "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"), given its input x, its
// output y and the output gradient g, in one fused pass; alpha is the op's parameter.
// It is the backward kernel autograd uses when no gradient of the gradient is needed,
// and it panics for other names or mismatched shapes.
func UnaryGrad(op string, x, y, g *Tensor, alpha float32) *Tensor {
	k, ok := unaryOps[op]
	if !ok {
		Panicf("UnaryGrad", "no fused derivative for %q", op)
	}
	if !SameShape(x, y) || !SameShape(x, g) {
		Panicf("UnaryGrad", "shapes %s, %s and %s differ", ShapeString(x.shape), ShapeString(y.shape), ShapeString(g.shape))
	}
	out := empty(x.shape...)
	parallel(len(out.data), unaryGrain(k), func(lo, hi int) {
		kernels.UnaryGrad(k, out.data[lo:hi], x.data[lo:hi], y.data[lo:hi], g.data[lo:hi], alpha)
	})
	return out
}

// SoftmaxGrad returns the gradient of Softmax (or, with log, LogSoftmax) along axis
// given its output y and the output gradient g.
func SoftmaxGrad(y, g *Tensor, axis int, log bool) *Tensor {
	if !SameShape(y, g) {
		Panicf("SoftmaxGrad", "shapes %s and %s differ", ShapeString(y.shape), ShapeString(g.shape))
	}
	ax := y.axis("SoftmaxGrad", axis)
	outer, n, inner := split3(y, ax)
	out := New(y.shape...)
	softmaxRows(outer, n, inner, func(base int) {
		kernels.SoftmaxGrad(out.data[base:], y.data[base:], g.data[base:], n, inner, log)
	})
	return out
}

// unaryGrain is the parallel grain of a unary op: small for the transcendental ones.
func unaryGrain(op kernels.UnOp) int {
	switch op {
	case kernels.Neg, kernels.Abs, kernels.Square, kernels.ReLU, kernels.LeakyReLU, kernels.Sign, kernels.Step:
		return grainCheap
	}
	return grainExp
}

// softmaxRows calls row(base) for every softmax row of an (outer,n,inner) layout, the
// rows split over the worker pool.
func softmaxRows(outer, n, inner int, row func(base int)) {
	parallel(outer*inner, max(1, grainExp/max(n, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			o, in := r/inner, r%inner
			row(o*n*inner + in)
		}
	})
}
