package kernels

// Slice forms of the float32 elementary functions (fastmath.go). Each has an 8-lane
// AVX2+FMA version in vexp_amd64.s, chosen at run time, and the pure-Go loop below,
// which is its reference and the fallback (vexp_noasm.go). The two agree within a few
// ulp: the assembly rounds once where an FMA fuses a multiply and an add, and its tanh
// uses Cephes' polynomial below 0.625 where tanhf calls math.Tanh.

// expSliceGo sets dst[i] = Expf(src[i]).
func expSliceGo(dst, src []float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = Expf(v)
	}
}

// sigmoidSliceGo sets dst[i] = σ(src[i]).
func sigmoidSliceGo(dst, src []float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = sigmoidf(v)
	}
}

// siluSliceGo sets dst[i] = src[i]·σ(src[i]).
func siluSliceGo(dst, src []float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = v * sigmoidf(v)
	}
}

// tanhSliceGo sets dst[i] = tanh(src[i]).
func tanhSliceGo(dst, src []float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = tanhf(v)
	}
}

// geluTanhSliceGo sets dst[i] = GELUTanh(src[i]).
func geluTanhSliceGo(dst, src []float32) {
	for i, v := range src[:len(dst)] {
		dst[i] = geluTanhf(v)
	}
}

// siluGradSliceGo sets dst[i] = g[i]·SiLU'(x[i]).
func siluGradSliceGo(dst, x, g []float32) {
	x, g = x[:len(dst)], g[:len(dst)]
	for i, v := range x {
		s, oms := sigmoidPairf(v)
		dst[i] = g[i] * s * (1 + v*oms)
	}
}

// geluTanhGradSliceGo sets dst[i] = g[i]·GELUTanh'(x[i]).
func geluTanhGradSliceGo(dst, x, g []float32) {
	x, g = x[:len(dst)], g[:len(dst)]
	for i, v := range x {
		dst[i] = g[i] * geluTanhGradf(v)
	}
}

// tanhGradSliceGo sets dst[i] = g[i]·(1-y[i]²), the tanh gradient from its output y.
func tanhGradSliceGo(dst, y, g []float32) {
	y, g = y[:len(dst)], g[:len(dst)]
	for i, v := range y {
		dst[i] = g[i] * (1 - v*v)
	}
}

// sigmoidGradSliceGo sets dst[i] = g[i]·y[i]·(1-y[i]), the sigmoid gradient from its
// output y.
func sigmoidGradSliceGo(dst, y, g []float32) {
	y, g = y[:len(dst)], g[:len(dst)]
	for i, v := range y {
		dst[i] = g[i] * v * (1 - v)
	}
}

// expGradSliceGo sets dst[i] = g[i]·y[i], the exp gradient from its output y.
func expGradSliceGo(dst, y, g []float32) {
	y, g = y[:len(dst)], g[:len(dst)]
	for i, v := range y {
		dst[i] = g[i] * v
	}
}

// expSumGo sets dst[i] = Expf(scale·src[i] - m) and returns Σ dst[i] in float64.
func expSumGo(dst, src []float32, scale, m float32) float64 {
	var sum float64
	for i, v := range src[:len(dst)] {
		e := Expf(scale*v - m)
		dst[i] = e
		sum += float64(e)
	}
	return sum
}

// bceLogitsGo sets dst[i] = max(x,0) - x·t + log(1+e**-|x|) for x = x[i], t = t[i].
func bceLogitsGo(dst, x, t []float32) {
	x, t = x[:len(dst)], t[:len(dst)]
	for i, v := range x {
		dst[i] = max(v, 0) - v*t[i] + log1pf(Expf(-absf(v)))
	}
}

// bceLogitsGradGo sets dst[i] = g[i]·(σ(x[i]) - t[i]).
func bceLogitsGradGo(dst, x, t, g []float32) {
	x, t, g = x[:len(dst)], t[:len(dst)], g[:len(dst)]
	for i, v := range x {
		dst[i] = g[i] * (sigmoidf(v) - t[i])
	}
}

// BCEWithLogits sets dst[i] = max(x,0) - x·t + log(1+e**-|x|), x = x[i], t = t[i]: the
// binary cross-entropy of logit x against target t, within a few ulp of the float64
// formula plus the rounding of its three terms.
func BCEWithLogits(dst, x, t []float32) { bceLogits(dst, x[:len(dst)], t[:len(dst)]) }

// BCEWithLogitsGrad sets dst[i] = g[i]·(σ(x[i]) - t[i]), the gradient of BCEWithLogits
// with respect to x given the output gradient g.
func BCEWithLogitsGrad(dst, x, t, g []float32) {
	bceLogitsGrad(dst, x[:len(dst)], t[:len(dst)], g[:len(dst)])
}
