package autograd

import (
	"math"
	"slices"

	"github.com/genblocks/genblocks/tensor"
)

var _ = register("add", "sub", "mul", "div", "pow", "maximum", "minimum", "where",
	"neg", "abs", "exp", "log", "sqrt", "rsqrt", "square", "sin", "cos", "tanh", "sigmoid",
	"relu", "leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus", "clamp", "erf",
	"add_scalar", "mul_scalar", "pow_scalar")

// sumTo reduces a broadcast gradient back to shape.
func sumTo(g *Var, shape []int) *Var {
	if slices.Equal(g.value.Shape(), shape) {
		return g
	}
	return SumTo(g, shape...)
}

// Add returns a+b with broadcasting.
func Add(a, b *Var) *Var {
	return record("add", tensor.Add(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		return []*Var{sumTo(g, a.Shape()), sumTo(g, b.Shape())}
	})
}

// Sub returns a-b with broadcasting.
func Sub(a, b *Var) *Var {
	return record("sub", tensor.Sub(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		return []*Var{sumTo(g, a.Shape()), sumTo(Neg(g), b.Shape())}
	})
}

// Mul returns a*b elementwise with broadcasting.
func Mul(a, b *Var) *Var {
	return record("mul", tensor.Mul(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		var ga, gb *Var
		if a.requiresGrad {
			ga = sumTo(Mul(g, b), a.Shape())
		}
		if b.requiresGrad {
			gb = sumTo(Mul(g, a), b.Shape())
		}
		return []*Var{ga, gb}
	})
}

// Div returns a/b elementwise with broadcasting.
func Div(a, b *Var) *Var {
	return record("div", tensor.Div(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		var ga, gb *Var
		if a.requiresGrad {
			ga = sumTo(Div(g, b), a.Shape())
		}
		if b.requiresGrad {
			gb = sumTo(Neg(Div(Mul(g, a), Square(b))), b.Shape())
		}
		return []*Var{ga, gb}
	})
}

// Pow returns a**b elementwise with broadcasting.
func Pow(a, b *Var) *Var {
	var out *Var
	out = record("pow", tensor.Pow(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		var ga, gb *Var
		if a.requiresGrad {
			ga = sumTo(Mul(g, Mul(b, Pow(a, AddScalar(b, -1)))), a.Shape())
		}
		if b.requiresGrad {
			gb = sumTo(Mul(g, Mul(out, Log(a))), b.Shape())
		}
		return []*Var{ga, gb}
	})
	return out
}

// PowScalar returns a**p.
func PowScalar(a *Var, p float32) *Var {
	return record("pow_scalar", tensor.Pow(a.value, tensor.Scalar(p)), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Mul(g, MulScalar(PowScalar(a, p-1), p))}
	})
}

// AddScalar returns a+s.
func AddScalar(a *Var, s float32) *Var {
	return record("add_scalar", a.value.AddScalar(s), []*Var{a}, func(g *Var) []*Var { return []*Var{g} })
}

// MulScalar returns a*s.
func MulScalar(a *Var, s float32) *Var {
	return record("mul_scalar", a.value.MulScalar(s), []*Var{a}, func(g *Var) []*Var {
		return []*Var{MulScalar(g, s)}
	})
}

// maskedGrads splits g between a and b by a selection mask, sharing it on ties as
// PyTorch does for maximum and minimum.
func maskedGrads(g, a, b *Var, pickA *tensor.Tensor) []*Var {
	eq := tensor.Eq(a.value, b.value)
	wa := tensor.Sub(pickA, eq.MulScalar(0.5)) // 1 where a wins, 0.5 on ties
	wb := tensor.Sub(tensor.Ones(1), wa)
	return []*Var{sumTo(Mul(g, Const(wa)), a.Shape()), sumTo(Mul(g, Const(wb)), b.Shape())}
}

// Maximum returns the elementwise maximum with broadcasting; on ties the gradient is
// shared equally.
func Maximum(a, b *Var) *Var {
	return record("maximum", tensor.Maximum(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		return maskedGrads(g, a, b, tensor.Ge(a.value, b.value))
	})
}

// Minimum returns the elementwise minimum with broadcasting; on ties the gradient is
// shared equally.
func Minimum(a, b *Var) *Var {
	return record("minimum", tensor.Minimum(a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		return maskedGrads(g, a, b, tensor.Le(a.value, b.value))
	})
}

// Where returns a where cond is nonzero and b elsewhere; cond is not differentiable.
func Where(cond *tensor.Tensor, a, b *Var) *Var {
	return record("where", tensor.Where(cond, a.value, b.value), []*Var{a, b}, func(g *Var) []*Var {
		z := Const(tensor.New(1))
		return []*Var{sumTo(Where(cond, g, z), a.Shape()), sumTo(Where(cond, z, g), b.Shape())}
	})
}

// unary records a unary op whose gradient is g * d(a).
func unary(op string, value *tensor.Tensor, a *Var, d func(out *Var) *Var) *Var {
	var out *Var
	out = record(op, value, []*Var{a}, func(g *Var) []*Var { return []*Var{Mul(g, d(out))} })
	return out
}

// fusedUnary is unary for an op that tensor.UnaryGrad implements: when no gradient of
// the gradient is wanted (g is a NoGrad value), the backward is one fused kernel pass;
// otherwise it is composed from differentiable ops, d giving the derivative.
func fusedUnary(op string, value *tensor.Tensor, a *Var, alpha float32, d func(out *Var) *Var) *Var {
	var out *Var
	out = record(op, value, []*Var{a}, func(g *Var) []*Var {
		if g.noGrad {
			return []*Var{NoGrad(tensor.UnaryGrad(op, a.value, value, g.value, alpha))}
		}
		return []*Var{Mul(g, d(out))}
	})
	return out
}

// Neg returns -a.
func Neg(a *Var) *Var {
	return record("neg", tensor.Neg(a.value), []*Var{a}, func(g *Var) []*Var { return []*Var{Neg(g)} })
}

// Abs returns |a|; its gradient at 0 is 0.
func Abs(a *Var) *Var {
	return unary("abs", tensor.Abs(a.value), a, func(*Var) *Var { return Const(tensor.Sign(a.value)) })
}

// Exp returns e**a.
func Exp(a *Var) *Var {
	return fusedUnary("exp", tensor.Exp(a.value), a, 0, func(out *Var) *Var { return out })
}

// Log returns the natural logarithm of a.
func Log(a *Var) *Var {
	return record("log", tensor.Log(a.value), []*Var{a}, func(g *Var) []*Var { return []*Var{Div(g, a)} })
}

// Sqrt returns the square root of a.
func Sqrt(a *Var) *Var {
	var out *Var
	out = record("sqrt", tensor.Sqrt(a.value), []*Var{a}, func(g *Var) []*Var {
		return []*Var{Div(MulScalar(g, 0.5), out)}
	})
	return out
}

// Rsqrt returns 1/sqrt(a).
func Rsqrt(a *Var) *Var {
	return unary("rsqrt", tensor.Rsqrt(a.value), a, func(out *Var) *Var {
		return MulScalar(PowScalar(out, 3), -0.5)
	})
}

// Square returns a*a.
func Square(a *Var) *Var {
	return unary("square", tensor.Square(a.value), a, func(*Var) *Var { return MulScalar(a, 2) })
}

// Sin returns sin(a).
func Sin(a *Var) *Var { return unary("sin", tensor.Sin(a.value), a, func(*Var) *Var { return Cos(a) }) }

// Cos returns cos(a).
func Cos(a *Var) *Var {
	return unary("cos", tensor.Cos(a.value), a, func(*Var) *Var { return Neg(Sin(a)) })
}

// Tanh returns tanh(a).
func Tanh(a *Var) *Var {
	return fusedUnary("tanh", tensor.Tanh(a.value), a, 0, func(out *Var) *Var {
		return AddScalar(Neg(Square(out)), 1)
	})
}

// Sigmoid returns 1/(1+exp(-a)).
func Sigmoid(a *Var) *Var {
	return fusedUnary("sigmoid", tensor.Sigmoid(a.value), a, 0, func(out *Var) *Var {
		return Mul(out, AddScalar(Neg(out), 1))
	})
}

// ReLU returns max(a, 0).
func ReLU(a *Var) *Var {
	return fusedUnary("relu", tensor.ReLU(a.value), a, 0, func(*Var) *Var { return Const(tensor.Step(a.value)) })
}

// LeakyReLU returns a where a > 0 and slope*a elsewhere.
func LeakyReLU(a *Var, slope float32) *Var {
	return fusedUnary("leaky_relu", tensor.LeakyReLU(a.value, slope), a, slope, func(*Var) *Var {
		st := tensor.Step(a.value)
		return Const(tensor.Add(st, tensor.Sub(tensor.Ones(1), st).MulScalar(slope)))
	})
}

// ELU returns a where a > 0 and alpha*(exp(a)-1) elsewhere.
func ELU(a *Var, alpha float32) *Var {
	return fusedUnary("elu", tensor.ELU(a.value, alpha), a, alpha, func(out *Var) *Var {
		return Where(tensor.Step(a.value), Const(tensor.Ones(1)), AddScalar(out, alpha))
	})
}

// Erf returns the error function of a.
func Erf(a *Var) *Var {
	return unary("erf", tensor.Erf(a.value), a, func(*Var) *Var {
		return MulScalar(Exp(Neg(Square(a))), float32(2/math.Sqrt(math.Pi)))
	})
}

// GELU returns the exact GELU a*Φ(a).
func GELU(a *Var) *Var {
	return fusedUnary("gelu", tensor.GELU(a.value), a, 0, func(*Var) *Var {
		cdf := MulScalar(AddScalar(Erf(MulScalar(a, 1/math.Sqrt2)), 1), 0.5)
		pdf := MulScalar(Exp(MulScalar(Square(a), -0.5)), float32(1/math.Sqrt(2*math.Pi)))
		return Add(cdf, Mul(a, pdf))
	})
}

// GELUTanh returns the tanh approximation of GELU (GPT-2's "gelu_new").
func GELUTanh(a *Var) *Var {
	const c = 0.7978845608028654
	return fusedUnary("gelu_tanh", tensor.GELUTanh(a.value), a, 0, func(*Var) *Var {
		a2 := Square(a)
		inner := MulScalar(Add(a, MulScalar(Mul(a2, a), 0.044715)), c)
		t := Tanh(inner)
		dinner := MulScalar(AddScalar(MulScalar(a2, 3*0.044715), 1), c)
		// 0.5*(1+t) + 0.5*a*(1-t²)*dinner
		left := MulScalar(AddScalar(t, 1), 0.5)
		right := MulScalar(Mul(Mul(a, AddScalar(Neg(Square(t)), 1)), dinner), 0.5)
		return Add(left, right)
	})
}

// SiLU returns a*sigmoid(a).
func SiLU(a *Var) *Var {
	return fusedUnary("silu", tensor.SiLU(a.value), a, 0, func(*Var) *Var {
		s := Sigmoid(a)
		return Mul(s, AddScalar(Mul(a, AddScalar(Neg(s), 1)), 1))
	})
}

// Softplus returns log(1+exp(beta*a))/beta (linear where beta*a > 20).
func Softplus(a *Var, beta float32) *Var {
	return fusedUnary("softplus", tensor.Softplus(a.value, beta), a, beta, func(*Var) *Var {
		return Sigmoid(MulScalar(a, beta))
	})
}

// Clamp returns a limited to [lo, hi]; the gradient is 1 inside and 0 outside.
func Clamp(a *Var, lo, hi float32) *Var {
	return unary("clamp", tensor.Clamp(a.value, lo, hi), a, func(*Var) *Var {
		in := tensor.Mul(tensor.Ge(a.value, tensor.Scalar(lo)), tensor.Le(a.value, tensor.Scalar(hi)))
		return Const(in)
	})
}
