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
	if s == 1 {
		softmaxRow(dst[:n], src[:n], m, log)
		return
	}
	var sum float64
	for k := 0; k < n; k++ {
		sum += float64(Expf(src[k*s] - m))
	}
	if log {
		// Subtract m first: m + log Σ would round away the small log Σ for large m.
		ls := float32(math.Log(sum))
		for k := 0; k < n; k++ {
			dst[k*s] = (src[k*s] - m) - ls
		}
		return
	}
	inv := float32(1 / sum)
	for k := 0; k < n; k++ {
		dst[k*s] = Expf(src[k*s]-m) * inv
	}
}

// softmaxRow is SoftmaxStrided for a contiguous row whose maximum m is known: the
// exponentials are written to dst once (to a stack block for log-softmax, as dst may
// be src) and then scaled.
func softmaxRow(dst, src []float32, m float32, log bool) {
	src = src[:len(dst)]
	if log {
		var buf [expBlock]float32
		var sum float64
		for lo := 0; lo < len(src); lo += expBlock {
			blk := src[lo:min(lo+expBlock, len(src))]
			sum += expSum(buf[:len(blk)], blk, 1, m)
		}
		ls := float32(math.Log(sum))
		for k, v := range src {
			dst[k] = (v - m) - ls
		}
		return
	}
	inv := float32(1 / expSum(dst, src, 1, m))
	for k := range dst {
		dst[k] *= inv
	}
}

// expBlock is the length of the stack buffers that hold exponentials between passes.
const expBlock = 256

// ScaledSoftmaxRow writes to dst the softmax of scale·src[k] over the first valid
// entries of the row and 0 over the rest (a causal attention row); with valid = 0 it
// writes the uniform distribution, as a row masked everywhere by a large negative fill
// would give.
//
// Reference loop: m = max_{k<valid} scale·src[k]; e_k = exp(scale·src[k]-m);
// dst[k] = e_k/Σe for k < valid, 0 after.
func ScaledSoftmaxRow(dst, src []float32, scale float32, valid int) {
	n := len(dst)
	if valid <= 0 {
		for k := range dst {
			dst[k] = 1 / float32(n)
		}
		return
	}
	src = src[:valid]
	m := float32(math.Inf(-1))
	for _, v := range src {
		if v*scale > m {
			m = v * scale
		}
	}
	if math.IsInf(float64(m), 0) {
		m = 0
	}
	inv := float32(1 / expSum(dst[:valid], src, scale, m))
	for k := range src {
		dst[k] *= inv
	}
	clear(dst[valid:])
}

// ScaledSoftmaxRowGrad is the gradient of ScaledSoftmaxRow given its output y and the
// output gradient g: dst = scale·y·(g - Σ g·y), 0 from valid on (everywhere when valid
// is 0: the masked entries get no gradient).
func ScaledSoftmaxRowGrad(dst, y, g []float32, scale float32, valid int) {
	n := len(dst)
	valid = max(valid, 0)
	y, g = y[:valid], g[:valid]
	var dot float64
	for k, v := range y {
		dot += float64(v) * float64(g[k])
	}
	d := float32(dot)
	for k, v := range y {
		dst[k] = scale * v * (g[k] - d)
	}
	clear(dst[valid:n])
}

// AttendRow computes one attention output row: out = Σ_j p_j·v[j*ld:][:len(out)] with
// p = softmax over j < n of scale·⟨q, k[j*ld:][:len(q)]⟩, using scores (len ≥ n) as
// scratch. With n = 0, out is zero.
func AttendRow(out, q, k, v []float32, ld, n int, scale float32, scores []float32) {
	clear(out)
	if n <= 0 {
		return
	}
	d := len(q)
	scores = scores[:n]
	m := float32(math.Inf(-1))
	for j := range scores {
		s := scale * dot(q, k[j*ld:][:d])
		scores[j] = s
		m = max(m, s)
	}
	if math.IsInf(float64(m), 0) {
		m = 0
	}
	inv := float32(1 / expSum(scores, scores, 1, m))
	dv := len(out)
	for j, p := range scores {
		Axpy(p*inv, v[j*ld:][:dv], out)
	}
}
