package kernels

import "math"

// BinOp names an elementwise binary operation.
type BinOp int

// The binary operations. Comparisons produce 1 for true and 0 for false.
const (
	Add BinOp = iota
	Sub
	Mul
	Div
	Pow
	Max
	Min
	Eq
	Ne
	Lt
	Le
	Gt
	Ge
)

// Apply returns op(a, b) for one pair of values.
func (op BinOp) Apply(a, b float32) float32 {
	switch op {
	case Add:
		return a + b
	case Sub:
		return a - b
	case Mul:
		return a * b
	case Div:
		return a / b
	case Pow:
		return float32(math.Pow(float64(a), float64(b)))
	case Max:
		if a != a || a > b {
			return a
		}
		return b
	case Min:
		if a != a || a < b {
			return a
		}
		return b
	case Eq:
		return b2f(a == b)
	case Ne:
		return b2f(a != b)
	case Lt:
		return b2f(a < b)
	case Le:
		return b2f(a <= b)
	case Gt:
		return b2f(a > b)
	case Ge:
		return b2f(a >= b)
	}
	panic("kernels: unknown BinOp")
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

// Binary computes dst[i] = op(a[i*sa], b[i*sb]) for i in [0, len(dst)). A stride of 0
// broadcasts a single value.
//
// Reference loop:
//
//	for i := range dst { dst[i] = op.Apply(a[i*sa], b[i*sb]) }
func Binary(op BinOp, dst, a []float32, sa int, b []float32, sb int) {
	if len(dst) == 0 {
		return
	}
	if done := binaryVec(op, dst, a, sa, b, sb); done > 0 {
		dst = dst[done:]
		if sa != 0 {
			a = a[done:]
		}
		if sb != 0 {
			b = b[done:]
		}
	}
	n := len(dst)
	if n == 0 {
		return
	}
	switch {
	case sa == 1 && sb == 1:
		a, b = a[:n], b[:n]
		switch op {
		case Add:
			for i := range dst {
				dst[i] = a[i] + b[i]
			}
			return
		case Sub:
			for i := range dst {
				dst[i] = a[i] - b[i]
			}
			return
		case Mul:
			for i := range dst {
				dst[i] = a[i] * b[i]
			}
			return
		case Div:
			for i := range dst {
				dst[i] = a[i] / b[i]
			}
			return
		}
	case sa == 1 && sb == 0:
		a = a[:n]
		s := b[0]
		switch op {
		case Add:
			for i := range dst {
				dst[i] = a[i] + s
			}
			return
		case Sub:
			for i := range dst {
				dst[i] = a[i] - s
			}
			return
		case Mul:
			for i := range dst {
				dst[i] = a[i] * s
			}
			return
		case Div:
			for i := range dst {
				dst[i] = a[i] / s
			}
			return
		}
	case sa == 0 && sb == 1:
		b = b[:n]
		s := a[0]
		switch op {
		case Add:
			for i := range dst {
				dst[i] = s + b[i]
			}
			return
		case Sub:
			for i := range dst {
				dst[i] = s - b[i]
			}
			return
		case Mul:
			for i := range dst {
				dst[i] = s * b[i]
			}
			return
		case Div:
			for i := range dst {
				dst[i] = s / b[i]
			}
			return
		}
	}
	for i := range dst {
		dst[i] = op.Apply(a[i*sa], b[i*sb])
	}
}

// Where computes dst[i] = a[i*sa] if c[i*sc] != 0, else b[i*sb].
func Where(dst, c []float32, sc int, a []float32, sa int, b []float32, sb int) {
	for i := range dst {
		if c[i*sc] != 0 {
			dst[i] = a[i*sa]
		} else {
			dst[i] = b[i*sb]
		}
	}
}

// Axpy computes y[i] += alpha*x[i].
func Axpy(alpha float32, x, y []float32) { axpy(alpha, x, y) }

// axpyGo is Axpy's reference loop.
func axpyGo(alpha float32, x, y []float32) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// Scale computes x[i] *= alpha.
func Scale(alpha float32, x []float32) {
	s := [1]float32{alpha}
	Binary(Mul, x, x, 1, s[:], 0) // the vector loop where there is one
}

// AccumulateStrided computes dst[i*sd] += src[i] for i in [0, len(src)). It is the
// reverse of a broadcast, used by reductions.
func AccumulateStrided(dst []float32, sd int, src []float32) {
	if sd == 0 {
		dst[0] += float32(SumFloat64(src))
		return
	}
	if sd == 1 {
		dst = dst[:len(src)]
		Binary(Add, dst, dst, 1, src, 1)
		return
	}
	for i, v := range src {
		dst[i*sd] += v
	}
}

// SumFloat64 returns the sum of x accumulated in float64. (sumFloat64 is faster and
// adds runs of reduceChunk values in float32 first, for the normalisation kernels.)
func SumFloat64(x []float32) float64 { return sumFloat64Go(x) }

// sumFloat64Go is SumFloat64's reference loop.
func sumFloat64Go(x []float32) float64 {
	// Eight independent chains: one float64 chain is bound by the add latency.
	var s0, s1, s2, s3, s4, s5, s6, s7 float64
	i := 0
	for ; i+8 <= len(x); i += 8 {
		v := x[i : i+8 : i+8]
		s0 += float64(v[0])
		s1 += float64(v[1])
		s2 += float64(v[2])
		s3 += float64(v[3])
		s4 += float64(v[4])
		s5 += float64(v[5])
		s6 += float64(v[6])
		s7 += float64(v[7])
	}
	for ; i < len(x); i++ {
		s0 += float64(x[i])
	}
	return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7))
}

// sumSqDevGo returns Σ(x-m)² accumulated in float64 (sumSqDev's reference loop).
func sumSqDevGo(x []float32, m float64) float64 {
	var s0, s1, s2, s3 float64
	i := 0
	for ; i+4 <= len(x); i += 4 {
		v := x[i : i+4 : i+4]
		d0, d1, d2, d3 := float64(v[0])-m, float64(v[1])-m, float64(v[2])-m, float64(v[3])-m
		s0 += d0 * d0
		s1 += d1 * d1
		s2 += d2 * d2
		s3 += d3 * d3
	}
	for ; i < len(x); i++ {
		d := float64(x[i]) - m
		s0 += d * d
	}
	return (s0 + s1) + (s2 + s3)
}

// SumAndDot returns Σg and Σg·y accumulated in float64; len(y) ≥ len(g).
func SumAndDot(g, y []float32) (sg, sgy float64) { return sumAndDot(g, y) }

// sumAndDotGo returns Σg and Σg·y accumulated in float64; len(y) ≥ len(g)
// (sumAndDot's reference loop).
func sumAndDotGo(g, y []float32) (sg, sgy float64) {
	y = y[:len(g)]
	var a0, a1, a2, a3, b0, b1, b2, b3 float64
	i := 0
	for ; i+4 <= len(g); i += 4 {
		gv, yv := g[i:i+4:i+4], y[i:i+4:i+4]
		g0, g1, g2, g3 := float64(gv[0]), float64(gv[1]), float64(gv[2]), float64(gv[3])
		a0 += g0
		a1 += g1
		a2 += g2
		a3 += g3
		b0 += g0 * float64(yv[0])
		b1 += g1 * float64(yv[1])
		b2 += g2 * float64(yv[2])
		b3 += g3 * float64(yv[3])
	}
	for ; i < len(g); i++ {
		a0 += float64(g[i])
		b0 += float64(g[i]) * float64(y[i])
	}
	return (a0 + a1) + (a2 + a3), (b0 + b1) + (b2 + b3)
}

// AxpbyC computes dst[i] = a·x[i] + b·y[i] + c for i < len(dst); x and y may be dst.
func AxpbyC(dst, x, y []float32, a, b, c float32) { axpbyc(dst, x, y, a, b, c) }

// axpbycGo is AxpbyC's reference loop.
func axpbycGo(dst, x, y []float32, a, b, c float32) {
	x, y = x[:len(dst)], y[:len(dst)]
	for i := range dst {
		dst[i] = a*x[i] + b*y[i] + c
	}
}

// NormAffine computes y[i] = (x[i]-m)·rs and out[i] = y[i]·w + b for i < len(x): a
// normalisation followed by a per-channel affine map.
func NormAffine(y, out, x []float32, m, rs, w, b float32) { normAffine(y, out, x, m, rs, w, b) }

// normAffineGo is NormAffine's reference loop.
func normAffineGo(y, out, x []float32, m, rs, w, b float32) {
	y, out = y[:len(x)], out[:len(x)]
	for i, v := range x {
		n := (v - m) * rs
		y[i] = n
		out[i] = n*w + b
	}
}

// normGradGo computes dx[i] = rs·((g[i]-mg) - y[i]·mgy) (normGrad's reference loop).
func normGradGo(dx, g, y []float32, mg, mgy, rs float32) {
	g, y = g[:len(dx)], y[:len(dx)]
	for i := range dx {
		dx[i] = rs * (g[i] - mg - y[i]*mgy)
	}
}

// MaxStrided computes dst[i*sd] = max(dst[i*sd], src[i]) (min when useMin); NaN wins.
func MaxStrided(dst []float32, sd int, src []float32, useMin bool) {
	for i, v := range src {
		d := dst[i*sd]
		if useMin {
			if v < d || v != v {
				dst[i*sd] = v
			}
		} else if v > d || v != v {
			dst[i*sd] = v
		}
	}
}
