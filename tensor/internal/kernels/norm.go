package kernels

import "math"

// NormalizeRows normalises each row of n values of x to mean 0 and variance 1 (the
// population variance plus eps), writing y and the per-row reciprocal standard
// deviation rstd.
//
// Reference loop, per row: μ = Σx/n; σ² = Σ(x-μ)²/n; rstd = 1/√(σ²+eps); y = (x-μ)·rstd.
func NormalizeRows(y, rstd, x []float32, n int, eps float32) {
	rows := len(x) / n
	for r := 0; r < rows; r++ {
		xr := x[r*n : (r+1)*n]
		yr := y[r*n : (r+1)*n]
		m32, r32 := RowStats(xr, eps)
		normAffine(yr, yr, xr, m32, r32, 1, 0)
		rstd[r] = r32
	}
}

// RowStats returns the mean of x and 1/√(σ²+eps) for its population variance σ²,
// accumulated in float64, as NormalizeRows uses them.
func RowStats(x []float32, eps float32) (mean, rstd float32) {
	n := float64(len(x))
	m := sumFloat64(x) / n
	return float32(m), float32(1 / math.Sqrt(sumSqDev(x, m)/n+float64(eps)))
}

// NormalizeRowsGrad computes the gradient of NormalizeRows with respect to x from its
// output y, rstd and the output gradient g: dx = rstd·(g - mean(g) - y·mean(g·y)).
func NormalizeRowsGrad(dx, y, rstd, g []float32, n int) {
	rows := len(y) / n
	for r := 0; r < rows; r++ {
		yr, gr, dr := y[r*n:(r+1)*n], g[r*n:(r+1)*n], dx[r*n:(r+1)*n]
		sg, sgy := sumAndDot(gr, yr)
		mg, mgy := float32(sg/float64(n)), float32(sgy/float64(n))
		normGrad(dr, gr, yr, mg, mgy, rstd[r])
	}
}

// NormalizeChannels normalises channel c of x, laid out (N,C,S), over its N·S values
// (batch normalisation) for the channels c0 ≤ c < c1, writing y and the channel's mean
// and population variance.
//
// Reference loop, per channel: μ = Σx/(N·S); σ² = Σ(x-μ)²/(N·S); y = (x-μ)/√(σ²+eps).
func NormalizeChannels(y, mean, variance, x []float32, n, c, s, c0, c1 int, eps float32) {
	cnt := float64(n * s)
	for ch := c0; ch < c1; ch++ {
		var sum float64
		for b := 0; b < n; b++ {
			sum += SumFloat64(x[(b*c+ch)*s : (b*c+ch+1)*s])
		}
		mu := sum / cnt
		var ss float64
		for b := 0; b < n; b++ {
			ss += sumSqDev(x[(b*c+ch)*s:(b*c+ch+1)*s], mu)
		}
		vr := ss / cnt
		m32, r32 := float32(mu), float32(1/math.Sqrt(vr+float64(eps)))
		for b := 0; b < n; b++ {
			yr, xr := y[(b*c+ch)*s:(b*c+ch+1)*s], x[(b*c+ch)*s:(b*c+ch+1)*s]
			for i, v := range xr {
				yr[i] = (v - m32) * r32
			}
		}
		mean[ch], variance[ch] = m32, float32(vr)
	}
}

// NormalizeChannelsGrad is the gradient of NormalizeChannels for channels c0 ≤ c < c1
// given its output y, the variance and the output gradient g:
// dx = rstd·(g - mean(g) - y·mean(g·y)) over each channel's N·S values.
func NormalizeChannelsGrad(dx, y, variance, g []float32, n, c, s, c0, c1 int, eps float32) {
	cnt := float64(n * s)
	for ch := c0; ch < c1; ch++ {
		var sg, sgy float64
		for b := 0; b < n; b++ {
			a, d := sumAndDot(g[(b*c+ch)*s:(b*c+ch+1)*s], y[(b*c+ch)*s:(b*c+ch+1)*s])
			sg += a
			sgy += d
		}
		mg, mgy := float32(sg/cnt), float32(sgy/cnt)
		rs := float32(1 / math.Sqrt(float64(variance[ch])+float64(eps)))
		for b := 0; b < n; b++ {
			yr, gr, dr := y[(b*c+ch)*s:(b*c+ch+1)*s], g[(b*c+ch)*s:(b*c+ch+1)*s], dx[(b*c+ch)*s:(b*c+ch+1)*s]
			for i, gv := range gr {
				dr[i] = rs * (gv - mg - yr[i]*mgy)
			}
		}
	}
}
