package kernels

import "math"

// SoftmaxStrided writes the softmax (or log-softmax when log is set) of the n values
// src[0], src[s], …, src[(n-1)*s] to the same positions of dst.
func SoftmaxStrided(dst, src []float32, n, s int, log bool) {
	m := float32(math.Inf(-1))
	for k := 0; k < n; k++ {
		if v := src[k*s]; v > m {
			m = v
		}
	}
	if math.IsInf(float64(m), -1) {
		m = 0
	}
	var sum float64
	for k := 0; k < n; k++ {
		sum += math.Exp(float64(src[k*s] - m))
	}
	if log {
		// Subtract m first: m + log Σ would round away the small log Σ for large m.
		ls := float32(math.Log(sum))
		for k := 0; k < n; k++ {
			dst[k*s] = (src[k*s] - m) - ls
		}
		return
	}
	inv := 1 / sum
	for k := 0; k < n; k++ {
		dst[k*s] = float32(math.Exp(float64(src[k*s]-m)) * inv)
	}
}
