package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// NormalizeLast normalises t over its last k axes to mean 0 and variance 1 (the
// population variance plus eps), as layer and group normalisation do before their
// affine maps. It returns the result and the reciprocal standard deviation of each
// normalised group, shaped like t with the last k axes removed. It panics unless
// 1 ≤ k ≤ t.Dim().
func NormalizeLast(t *Tensor, k int, eps float32) (y, rstd *Tensor) {
	if k < 1 || k > len(t.shape) {
		Panicf("NormalizeLast", "%d axes for shape %s", k, ShapeString(t.shape))
	}
	n := 1
	for _, d := range t.shape[len(t.shape)-k:] {
		n *= d
	}
	y = empty(t.shape...) // every value written below
	rstd = New(t.shape[:len(t.shape)-k]...)
	if n > 0 {
		parallel(len(rstd.data), max(1, grainExp/n), func(lo, hi int) {
			kernels.NormalizeRows(y.data[lo*n:hi*n], rstd.data[lo:hi], t.data[lo*n:hi*n], n, eps)
		})
	}
	return y, rstd
}

// NormalizeLastGrad returns the gradient of NormalizeLast with respect to its input,
// given its outputs y and rstd and the gradient g of y.
func NormalizeLastGrad(y, rstd, g *Tensor) *Tensor {
	if !SameShape(y, g) {
		Panicf("NormalizeLastGrad", "shapes %s and %s differ", ShapeString(y.shape), ShapeString(g.shape))
	}
	dx := empty(y.shape...) // every value written below
	if rows := rstd.Numel(); rows > 0 {
		n := len(y.data) / rows
		parallel(rows, max(1, grainExp/max(n, 1)), func(lo, hi int) {
			kernels.NormalizeRowsGrad(dx.data[lo*n:hi*n], y.data[lo*n:hi*n], rstd.data[lo:hi], g.data[lo*n:hi*n], n)
		})
	}
	return dx
}

// channelLayout returns (N,C,S) for a tensor of shape (N,C,…) and panics otherwise.
func channelLayout(op string, t *Tensor) (n, c, s int) {
	if len(t.shape) < 2 {
		Panicf(op, "shape %s, want (N,C,…)", ShapeString(t.shape))
	}
	n, c, s = t.shape[0], t.shape[1], 1
	for _, d := range t.shape[2:] {
		s *= d
	}
	return n, c, s
}

// NormalizeChannels normalises each channel of t (N,C,…) over its batch and spatial
// values to mean 0 and variance 1 (the population variance plus eps), the core of
// batch normalisation, and returns the result with the per-channel mean and population
// variance (C). It panics if t has fewer than 2 axes.
func NormalizeChannels(t *Tensor, eps float32) (y, mean, variance *Tensor) {
	n, c, s := channelLayout("NormalizeChannels", t)
	y, mean, variance = New(t.shape...), New(c), New(c)
	if n*s == 0 {
		return y, mean, variance
	}
	parallel(c, max(1, grainExp/(n*s)), func(lo, hi int) {
		kernels.NormalizeChannels(y.data, mean.data, variance.data, t.data, n, c, s, lo, hi, eps)
	})
	return y, mean, variance
}

// NormalizeChannelsGrad returns the gradient of NormalizeChannels with respect to its
// input given its output y, its variance (C), eps and the output gradient g. It panics
// if the shapes do not fit.
func NormalizeChannelsGrad(y, variance, g *Tensor, eps float32) *Tensor {
	n, c, s := channelLayout("NormalizeChannelsGrad", y)
	if !SameShape(y, g) || len(variance.shape) != 1 || variance.shape[0] != c {
		Panicf("NormalizeChannelsGrad", "output %s, variance %s and gradient %s do not fit",
			ShapeString(y.shape), ShapeString(variance.shape), ShapeString(g.shape))
	}
	dx := New(y.shape...)
	if n*s == 0 {
		return dx
	}
	parallel(c, max(1, grainCheap/(n*s)), func(lo, hi int) {
		kernels.NormalizeChannelsGrad(dx.data, y.data, variance.data, g.data, n, c, s, lo, hi, eps)
	})
	return dx
}

// GroupNormInference returns group normalisation of x (N,C,…): each of the groups
// sets of C/groups channels of a sample normalised over its values to mean 0 and
// variance 1 (population variance plus eps), then scaled by w[c] and shifted by b[c]
// (both (C)), then passed through SiLU when silu is set. It computes exactly what
// NormalizeLast, ChannelAffine and SiLU compute in turn, one group at a time while its
// values are in cache and without the intermediate tensors, for inference: nothing is
// kept for a gradient. It panics unless groups divides C and w and b have shape (C).
func GroupNormInference(x *Tensor, groups int, w, b *Tensor, eps float32, silu bool) *Tensor {
	const op = "GroupNormInference"
	n, c, s := channelLayout(op, x)
	if groups < 1 || c%groups != 0 {
		Panicf(op, "%d groups for input %s", groups, ShapeString(x.shape))
	}
	checkChannelVec(op, x, w, c)
	checkChannelVec(op, x, b, c)
	y := empty(x.shape...) // every value written below
	cpg := c / groups
	row := cpg * s
	if row == 0 {
		return y
	}
	parallel(n*groups, max(1, grainExp/row), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr := x.data[r*row:(r+1)*row], y.data[r*row:(r+1)*row]
			m, rs := kernels.RowStats(xr, eps)
			c0 := (r % groups) * cpg
			for j := range cpg {
				wv, bv := w.data[c0+j], b.data[c0+j]
				src, dst := xr[j*s:(j+1)*s], yr[j*s:(j+1)*s]
				for i, v := range src {
					n := (v - m) * rs // rounded to float32 as NormalizeRows stores it
					dst[i] = n*wv + bv
				}
			}
			if silu {
				kernels.Unary(kernels.SiLU, yr, yr, 0)
			}
		}
	})
	return y
}
