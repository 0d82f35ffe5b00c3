//go:build amd64 && !purego

package kernels

// The 8-lane AVX2+FMA forms of the loops in vexp.go. Each takes n = len(dst) elements
// (the other slices at least as long), runs blocks of 8 and a masked tail, and needs
// a CPU with AVX2 and FMA. The reference loop of each is the Go function named in
// its comment.

// vexp is expSliceGo: dst[i] = Expf(src[i]).
//
//go:noescape
func vexp(dst, src []float32)

// vsigmoid is sigmoidSliceGo: dst[i] = 1/(1+Expf(-src[i])).
//
//go:noescape
func vsigmoid(dst, src []float32)

// vsilu is siluSliceGo: dst[i] = src[i]/(1+Expf(-src[i])).
//
//go:noescape
func vsilu(dst, src []float32)

// vtanh is tanhSliceGo: dst[i] = tanh(src[i]), from 1-2/(Expf(2|x|)+1) with the sign
// of x for |x| ≥ 0.625 and Cephes' tanhf polynomial below.
//
//go:noescape
func vtanh(dst, src []float32)

// vgeluTanh is geluTanhSliceGo: dst[i] = x/(1+Expf(-2u)), u = √(2/π)(x+0.044715x³).
//
//go:noescape
func vgeluTanh(dst, src []float32)

// vsiluGrad is siluGradSliceGo: s, oms = sigmoidPairf(x[i]); dst[i] = g[i]·s·(1+x[i]·oms).
//
//go:noescape
func vsiluGrad(dst, x, g []float32)

// vgeluTanhGrad is geluTanhGradSliceGo: dst[i] = g[i]·geluTanhGradf(x[i]).
//
//go:noescape
func vgeluTanhGrad(dst, x, g []float32)

// vexpSum is expSumGo: dst[i] = Expf(scale·src[i] - m) (one FMA), returning Σ dst[i]
// accumulated in float64.
//
//go:noescape
func vexpSum(dst, src []float32, scale, m float32) float64

// vbceLogits is bceLogitsGo: dst[i] = max(x,0) - x·t + log1pf(Expf(-|x|)).
//
//go:noescape
func vbceLogits(dst, x, t []float32)

// vbceLogitsGrad is bceLogitsGradGo: dst[i] = g[i]·(σ(x[i]) - t[i]).
//
//go:noescape
func vbceLogitsGrad(dst, x, t, g []float32)

// vtanhGrad is tanhGradSliceGo: dst[i] = g[i]·(1-y[i]²) (one FMA).
//
//go:noescape
func vtanhGrad(dst, y, g []float32)

// vsigmoidGrad is sigmoidGradSliceGo: dst[i] = g[i]·y[i]·(1-y[i]).
//
//go:noescape
func vsigmoidGrad(dst, y, g []float32)

// vexpGrad is expGradSliceGo: dst[i] = g[i]·y[i].
//
//go:noescape
func vexpGrad(dst, y, g []float32)

// vrelu is reluSliceGo: dst[i] = v[i] where x[i] > 0, else 0.
//
//go:noescape
func vrelu(dst, x, v []float32)

// vleaky is leakySliceGo: dst[i] = v[i] where x[i] > 0, else alpha·v[i].
//
//go:noescape
func vleaky(dst, x, v []float32, alpha float32)

// vaxpy is axpyGo with one FMA per element: y[i] += alpha·x[i] for i < len(x).
//
//go:noescape
func vaxpy(alpha float32, x, y []float32)

// useVecMath selects the assembly loops; tests switch it off to cover the Go ones.
var useVecMath = hasAVX2FMA

func expSlice(dst, src []float32) {
	if useVecMath {
		vexp(dst, src[:len(dst)])
		return
	}
	expSliceGo(dst, src)
}

func sigmoidSlice(dst, src []float32) {
	if useVecMath {
		vsigmoid(dst, src[:len(dst)])
		return
	}
	sigmoidSliceGo(dst, src)
}

func siluSlice(dst, src []float32) {
	if useVecMath {
		vsilu(dst, src[:len(dst)])
		return
	}
	siluSliceGo(dst, src)
}

func tanhSlice(dst, src []float32) {
	if useVecMath {
		vtanh(dst, src[:len(dst)])
		return
	}
	tanhSliceGo(dst, src)
}

func geluTanhSlice(dst, src []float32) {
	if useVecMath {
		vgeluTanh(dst, src[:len(dst)])
		return
	}
	geluTanhSliceGo(dst, src)
}

func siluGradSlice(dst, x, g []float32) {
	if useVecMath {
		vsiluGrad(dst, x[:len(dst)], g[:len(dst)])
		return
	}
	siluGradSliceGo(dst, x, g)
}

func geluTanhGradSlice(dst, x, g []float32) {
	if useVecMath {
		vgeluTanhGrad(dst, x[:len(dst)], g[:len(dst)])
		return
	}
	geluTanhGradSliceGo(dst, x, g)
}

func expSum(dst, src []float32, scale, m float32) float64 {
	if useVecMath {
		return vexpSum(dst, src[:len(dst)], scale, m)
	}
	return expSumGo(dst, src, scale, m)
}

func bceLogits(dst, x, t []float32) {
	if useVecMath {
		vbceLogits(dst, x[:len(dst)], t[:len(dst)])
		return
	}
	bceLogitsGo(dst, x, t)
}

func bceLogitsGrad(dst, x, t, g []float32) {
	if useVecMath {
		vbceLogitsGrad(dst, x[:len(dst)], t[:len(dst)], g[:len(dst)])
		return
	}
	bceLogitsGradGo(dst, x, t, g)
}

// hasVecMath reports whether the assembly loops can run on this CPU.
func hasVecMath() bool { return hasAVX2FMA }

func tanhGradSlice(dst, y, g []float32) {
	if useVecMath {
		vtanhGrad(dst, y[:len(dst)], g[:len(dst)])
		return
	}
	tanhGradSliceGo(dst, y, g)
}

func sigmoidGradSlice(dst, y, g []float32) {
	if useVecMath {
		vsigmoidGrad(dst, y[:len(dst)], g[:len(dst)])
		return
	}
	sigmoidGradSliceGo(dst, y, g)
}

func expGradSlice(dst, y, g []float32) {
	if useVecMath {
		vexpGrad(dst, y[:len(dst)], g[:len(dst)])
		return
	}
	expGradSliceGo(dst, y, g)
}

func reluSlice(dst, x, v []float32) {
	if useVecMath {
		vrelu(dst, x[:len(dst)], v[:len(dst)])
		return
	}
	reluSliceGo(dst, x, v)
}

func leakySlice(dst, x, v []float32, alpha float32) {
	if useVecMath {
		vleaky(dst, x[:len(dst)], v[:len(dst)], alpha)
		return
	}
	leakySliceGo(dst, x, v, alpha)
}

func axpy(alpha float32, x, y []float32) {
	if useVecMath {
		vaxpy(alpha, x, y[:len(x)])
		return
	}
	axpyGo(alpha, x, y)
}
