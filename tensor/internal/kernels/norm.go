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
		var s float64
		for _, v := range xr {
			s += float64(v)
		}
		mean := s / float64(n)
		var ss float64
		for _, v := range xr {
			d := float64(v) - mean
			ss += d * d
		}
		rs := 1 / math.Sqrt(ss/float64(n)+float64(eps))
		m32, r32 := float32(mean), float32(rs)
		for i, v := range xr {
			yr[i] = (v - m32) * r32
		}
		rstd[r] = r32
	}
}

// NormalizeRowsGrad computes the gradient of NormalizeRows with respect to x from its
// output y, rstd and the output gradient g: dx = rstd·(g - mean(g) - y·mean(g·y)).
func NormalizeRowsGrad(dx, y, rstd, g []float32, n int) {
	rows := len(y) / n
	for r := 0; r < rows; r++ {
		yr, gr, dr := y[r*n:(r+1)*n], g[r*n:(r+1)*n], dx[r*n:(r+1)*n]
		var sg, sgy float64
		for i, gv := range gr {
			sg += float64(gv)
			sgy += float64(gv) * float64(yr[i])
		}
		mg, mgy := float32(sg/float64(n)), float32(sgy/float64(n))
		rs := rstd[r]
		for i, gv := range gr {
			dr[i] = rs * (gv - mg - yr[i]*mgy)
		}
	}
}
