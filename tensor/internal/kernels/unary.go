package kernels

import "math"

// UnOp names an elementwise unary operation.
type UnOp int

// The unary operations. Alpha is the parameter of those that take one (LeakyReLU's
// negative slope, ELU's alpha, Softplus's beta).
const (
	Neg UnOp = iota
	Abs
	Exp
	Log
	Sqrt
	Rsqrt
	Square
	Sin
	Cos
	Tanh
	Sigmoid
	ReLU
	LeakyReLU
	ELU
	GELU     // exact, with erf
	GELUTanh // tanh approximation
	SiLU
	Softplus
	Sign
	Step // 1 where x > 0, else 0: the derivative of ReLU
	Erf
)

const sqrt2overPi = 0.7978845608028654

// Apply returns op(x) with parameter alpha.
func (op UnOp) Apply(x, alpha float32) float32 {
	switch op {
	case Neg:
		return -x
	case Abs:
		return float32(math.Abs(float64(x)))
	case Exp:
		return float32(math.Exp(float64(x)))
	case Log:
		return float32(math.Log(float64(x)))
	case Sqrt:
		return float32(math.Sqrt(float64(x)))
	case Rsqrt:
		return float32(1 / math.Sqrt(float64(x)))
	case Square:
		return x * x
	case Sin:
		return float32(math.Sin(float64(x)))
	case Cos:
		return float32(math.Cos(float64(x)))
	case Tanh:
		return float32(math.Tanh(float64(x)))
	case Sigmoid:
		if x >= 0 {
			return float32(1 / (1 + math.Exp(-float64(x))))
		}
		e := math.Exp(float64(x))
		return float32(e / (1 + e))
	case ReLU:
		if x > 0 {
			return x
		}
		return 0
	case LeakyReLU:
		if x > 0 {
			return x
		}
		return alpha * x
	case ELU:
		if x > 0 {
			return x
		}
		return alpha * float32(math.Expm1(float64(x)))
	case GELU:
		return float32(0.5 * float64(x) * (1 + math.Erf(float64(x)/math.Sqrt2)))
	case GELUTanh:
		v := float64(x)
		return float32(0.5 * v * (1 + math.Tanh(sqrt2overPi*(v+0.044715*v*v*v))))
	case SiLU:
		v := float64(x)
		if v >= 0 {
			return float32(v / (1 + math.Exp(-v)))
		}
		e := math.Exp(v)
		return float32(v * e / (1 + e))
	case Softplus:
		// log(1+exp(beta*x))/beta, linear above a threshold as in PyTorch.
		b := float64(alpha)
		v := float64(x) * b
		if v > 20 {
			return x
		}
		return float32(math.Log1p(math.Exp(v)) / b)
	case Sign:
		switch {
		case x > 0:
			return 1
		case x < 0:
			return -1
		}
		return 0
	case Erf:
		return float32(math.Erf(float64(x)))
	case Step:
		if x > 0 {
			return 1
		}
		return 0
	}
	panic("kernels: unknown UnOp")
}

// Unary computes dst[i] = op(src[i], alpha). Exp, Sigmoid, SiLU, Tanh and GELUTanh
// are computed in float32 (see Expf), 8 lanes at a time where the CPU has AVX2 and FMA
// (vexp.go), within a few ulp of Apply.
//
// Reference loop:
//
//	for i := range dst { dst[i] = op.Apply(src[i], alpha) }
func Unary(op UnOp, dst, src []float32, alpha float32) {
	src = src[:len(dst)]
	switch op {
	case Neg:
		for i, v := range src {
			dst[i] = -v
		}
		return
	case Square:
		for i, v := range src {
			dst[i] = v * v
		}
		return
	case ReLU:
		reluSlice(dst, src, src)
		return
	case LeakyReLU:
		leakySlice(dst, src, src, alpha)
		return
	case Step:
		for i, v := range src {
			if v > 0 {
				dst[i] = 1
			} else {
				dst[i] = 0
			}
		}
		return
	case Exp:
		expSlice(dst, src)
		return
	case Sigmoid:
		sigmoidSlice(dst, src)
		return
	case SiLU:
		siluSlice(dst, src)
		return
	case Tanh:
		tanhSlice(dst, src)
		return
	case GELUTanh:
		geluTanhSlice(dst, src)
		return
	}
	for i, v := range src {
		dst[i] = op.Apply(v, alpha)
	}
}

// Clamp computes dst[i] = min(max(src[i], lo), hi).
func Clamp(dst, src []float32, lo, hi float32) {
	for i, v := range src[:len(dst)] {
		if v < lo {
			v = lo
		}
		if v > hi {
			v = hi
		}
		dst[i] = v
	}
}

// reluSliceGo is ReLU and its gradient: dst[i] = v[i] where x[i] > 0, else 0 (v is x
// for the forward pass, the output gradient for the backward one).
func reluSliceGo(dst, x, v []float32) {
	x, v = x[:len(dst)], v[:len(dst)]
	for i := range dst {
		if x[i] > 0 {
			dst[i] = v[i]
		} else {
			dst[i] = 0
		}
	}
}

// leakySliceGo is LeakyReLU and its gradient: dst[i] = v[i] where x[i] > 0, else
// alpha·v[i].
func leakySliceGo(dst, x, v []float32, alpha float32) {
	x, v = x[:len(dst)], v[:len(dst)]
	for i := range dst {
		if x[i] > 0 {
			dst[i] = v[i]
		} else {
			dst[i] = alpha * v[i]
		}
	}
}
