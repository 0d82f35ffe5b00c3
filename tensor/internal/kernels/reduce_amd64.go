//go:build amd64 && !purego

package kernels

// The AVX2+FMA forms of the reduction and normalisation loops in reduce.go. Each runs
// over a multiple of 8 elements (the wrappers below do the tails in Go) and needs a
// CPU with AVX2 and FMA; sums are accumulated in float32 lanes over chunks of
// reduceChunk values and the chunks' sums added in float64.

// vsumDot returns Σg and Σg·y over len(g) elements; len(y) ≥ len(g).
//
//go:noescape
func vsumDot(g, y []float32) (sg, sgy float32)

// vsumSqDev returns Σ(x-m)².
//
//go:noescape
func vsumSqDev(x []float32, m float32) float32

// vaxpbyc computes dst[i] = a·x[i] + b·y[i] + c as two FMAs.
//
//go:noescape
func vaxpbyc(dst, x, y []float32, a, b, c float32)

// vnormAffine computes y[i] = (x[i]-m)·rs and out[i] = y[i]·w + b.
//
//go:noescape
func vnormAffine(y, out, x []float32, m, rs, w, b float32)

// vnormGrad computes dx[i] = rs·((g[i]-mg) - y[i]·mgy).
//
//go:noescape
func vnormGrad(dx, g, y []float32, mg, mgy, rs float32)

// reduceChunk is how many values a float32 partial sum covers before it is added in
// float64 (a multiple of 8).
const reduceChunk = 256

func sumAndDot(g, y []float32) (sg, sgy float64) {
	if !useVecMath {
		return sumAndDotGo(g, y)
	}
	y = y[:len(g)]
	n8 := len(g) &^ 7
	for i := 0; i < n8; i += reduceChunk {
		j := min(i+reduceChunk, n8)
		a, b := vsumDot(g[i:j], y[i:j])
		sg += float64(a)
		sgy += float64(b)
	}
	a, b := sumAndDotGo(g[n8:], y[n8:])
	return sg + a, sgy + b
}

func sumFloat64(x []float32) float64 {
	if !useVecMath {
		return sumFloat64Go(x)
	}
	n8 := len(x) &^ 7
	var s float64
	for i := 0; i < n8; i += reduceChunk {
		j := min(i+reduceChunk, n8)
		a, _ := vsumDot(x[i:j], x[i:j])
		s += float64(a)
	}
	return s + sumFloat64Go(x[n8:])
}

func sumSqDev(x []float32, m float64) float64 {
	if !useVecMath {
		return sumSqDevGo(x, m)
	}
	n8 := len(x) &^ 7
	var s float64
	for i := 0; i < n8; i += reduceChunk {
		s += float64(vsumSqDev(x[i:min(i+reduceChunk, n8)], float32(m)))
	}
	return s + sumSqDevGo(x[n8:], m)
}

func axpbyc(dst, x, y []float32, a, b, c float32) {
	if useVecMath {
		n8 := len(dst) &^ 7
		vaxpbyc(dst[:n8], x[:n8], y[:n8], a, b, c)
		dst, x, y = dst[n8:], x[n8:], y[n8:]
	}
	axpbycGo(dst, x, y, a, b, c)
}

func normAffine(y, out, x []float32, m, rs, w, b float32) {
	if useVecMath {
		n8 := len(x) &^ 7
		vnormAffine(y[:n8], out[:n8], x[:n8], m, rs, w, b)
		y, out, x = y[n8:], out[n8:], x[n8:]
	}
	normAffineGo(y, out, x, m, rs, w, b)
}

func normGrad(dx, g, y []float32, mg, mgy, rs float32) {
	if useVecMath {
		n8 := len(dx) &^ 7
		vnormGrad(dx[:n8], g[:n8], y[:n8], mg, mgy, rs)
		dx, g, y = dx[n8:], g[n8:], y[n8:]
	}
	normGradGo(dx, g, y, mg, mgy, rs)
}
