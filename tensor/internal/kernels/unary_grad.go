package kernels

import "math"

// HasUnaryGrad reports whether UnaryGrad implements op's derivative.
func HasUnaryGrad(op UnOp) bool {
	switch op {
	case Tanh, Sigmoid, ReLU, LeakyReLU, ELU, GELU, GELUTanh, SiLU, Softplus, Exp:
		return true
	}
	return false
}

// UnaryGrad computes dst[i] = g[i]·op'(x[i]) in one pass, where y[i] = op(x[i]) is the
// forward output (used by the ops whose derivative is cheapest from it). It is the
// fused backward of Unary when no gradient of the gradient is needed.
//
// Reference loop: dst[i] = g[i] * d/dx op.Apply(x[i], alpha).
func UnaryGrad(op UnOp, dst, x, y, g []float32, alpha float32) {
	n := len(dst)
	x, y, g = x[:n], y[:n], g[:n]
	switch op {
	case Tanh:
		tanhGradSlice(dst, y, g)
	case Sigmoid:
		sigmoidGradSlice(dst, y, g)
	case Exp:
		expGradSlice(dst, y, g)
	case ReLU:
		reluSlice(dst, x, g)
	case LeakyReLU:
		leakySlice(dst, x, g, alpha)
	case ELU:
		for i := range dst {
			if x[i] > 0 {
				dst[i] = g[i]
			} else {
				dst[i] = g[i] * (y[i] + alpha)
			}
		}
	case GELU:
		const invSqrt2, invSqrt2Pi = 0.7071067811865476, 0.3989422804014327
		for i := range dst {
			v := float64(x[i])
			cdf := 0.5 * (1 + math.Erf(v*invSqrt2))
			pdf := invSqrt2Pi * math.Exp(-0.5*v*v)
			dst[i] = g[i] * float32(cdf+v*pdf)
		}
	case GELUTanh:
		geluTanhGradSlice(dst, x, g)
	case SiLU:
		siluGradSlice(dst, x, g)
	case Softplus:
		for i := range dst {
			dst[i] = g[i] * Sigmoid.Apply(x[i]*alpha, 0)
		}
	default:
		panic("kernels: UnaryGrad: no fused derivative for this op")
	}
}

// SoftmaxGrad computes, for one softmax row y of n values at stride s with output
// gradient g, dst = y·(g - Σ g·y) (or, when log is set and y is the log-softmax output,
// dst = g - exp(y)·Σ g).
func SoftmaxGrad(dst, y, g []float32, n, s int, log bool) {
	var sum float64
	if log {
		for k := 0; k < n; k++ {
			sum += float64(g[k*s])
		}
		if s == 1 {
			var buf [expBlock]float32
			for lo := 0; lo < n; lo += expBlock {
				e := buf[:min(expBlock, n-lo)]
				expSlice(e, y[lo:])
				for k, v := range e {
					dst[lo+k] = g[lo+k] - v*float32(sum)
				}
			}
			return
		}
		for k := 0; k < n; k++ {
			dst[k*s] = g[k*s] - Expf(y[k*s])*float32(sum)
		}
		return
	}
	for k := 0; k < n; k++ {
		sum += float64(g[k*s]) * float64(y[k*s])
	}
	for k := 0; k < n; k++ {
		dst[k*s] = y[k*s] * (g[k*s] - float32(sum))
	}
}
