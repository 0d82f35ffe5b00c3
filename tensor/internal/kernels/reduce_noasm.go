//go:build !amd64 || purego

package kernels

func sumAndDot(g, y []float32) (sg, sgy float64)          { return sumAndDotGo(g, y) }
func sumFloat64(x []float32) float64                      { return sumFloat64Go(x) }
func sumSqDev(x []float32, m float64) float64             { return sumSqDevGo(x, m) }
func axpbyc(dst, x, y []float32, a, b, c float32)         { axpbycGo(dst, x, y, a, b, c) }
func normAffine(y, out, x []float32, m, rs, w, b float32) { normAffineGo(y, out, x, m, rs, w, b) }
func normGrad(dx, g, y []float32, mg, mgy, rs float32)    { normGradGo(dx, g, y, mg, mgy, rs) }
