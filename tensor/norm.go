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

// checkGroupNorm panics unless x is (N,C,…) with groups dividing C and w and b of
// shape (C), and returns N, C and the values per channel.
func checkGroupNorm(op string, x *Tensor, groups int, w, b *Tensor) (n, c, s int) {
	n, c, s = channelLayout(op, x)
	if groups < 1 || c%groups != 0 {
		Panicf(op, "%d groups for input %s", groups, ShapeString(x.shape))
	}
	checkChannelVec(op, x, w, c)
	checkChannelVec(op, x, b, c)
	return n, c, s
}

// GroupNormInference returns group normalisation of x (N,C,…): each of the groups
// sets of C/groups channels of a sample normalised over its values to mean 0 and
// variance 1 (population variance plus eps), then scaled by w[c] and shifted by b[c]
// (both (C)), then passed through SiLU when silu is set. It computes exactly what
// NormalizeLast, ChannelAffine and SiLU compute in turn, one group at a time while its
// values are in cache and without the intermediate tensors, for inference: nothing is
// kept for a gradient. It panics unless groups divides C and w and b have shape (C).
func GroupNormInference(x *Tensor, groups int, w, b *Tensor, eps float32, silu bool) *Tensor {
	n, c, s := checkGroupNorm("GroupNormInference", x, groups, w, b)
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
				dst := yr[j*s : (j+1)*s] // the normalised value, then the affine map of it
				kernels.NormAffine(dst, dst, xr[j*s:(j+1)*s], m, rs, w.data[c0+j], b.data[c0+j])
			}
			if silu {
				kernels.Unary(kernels.SiLU, yr, yr, 0)
			}
		}
	})
	return y
}

// GroupNormSiLU returns SiLU of the group normalisation of x (N,C,…) with scale w and
// shift b (both (C)), as GroupNormInference with silu set, and also what its gradient
// needs: the normalised values y (shaped like x, before the scale and shift) and the
// reciprocal standard deviation of each (sample, group), rstd (N,groups). out is
// bit-identical to NormalizeLast, ChannelAffine and SiLU in turn.
func GroupNormSiLU(x *Tensor, groups int, w, b *Tensor, eps float32) (out, y, rstd *Tensor) {
	n, c, s := checkGroupNorm("GroupNormSiLU", x, groups, w, b)
	out, y, rstd = empty(x.shape...), empty(x.shape...), New(n, groups) // every value of out and y written below
	cpg := c / groups
	row := cpg * s
	if row == 0 {
		return out, y, rstd
	}
	parallel(n*groups, max(1, grainExp/row), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			xr, yr, or := x.data[r*row:(r+1)*row], y.data[r*row:(r+1)*row], out.data[r*row:(r+1)*row]
			m, rs := kernels.RowStats(xr, eps)
			rstd.data[r] = rs
			c0 := (r % groups) * cpg
			for j := range cpg {
				wv, bv := w.data[c0+j], b.data[c0+j]
				kernels.NormAffine(yr[j*s:(j+1)*s], or[j*s:(j+1)*s], xr[j*s:(j+1)*s], m, rs, wv, bv)
			}
			kernels.Unary(kernels.SiLU, or, or, 0)
		}
	})
	return out, y, rstd
}

// GroupNormSiLUGrad returns the gradients of GroupNormSiLU for the output gradient g,
// from its saved y and rstd: dx (shaped like x) when wantX, dw and db (C) when wantW or
// wantB (nil otherwise). Each (sample, group) is one pass: the pre-activation
// z = y·w + b is recomputed, dz = g·SiLU'(z), dw += Σ dz·y, db += Σ dz, and dx is the
// normalisation gradient of dz·w.
func GroupNormSiLUGrad(y, rstd, w, b, g *Tensor, wantX, wantW, wantB bool) (dx, dw, db *Tensor) {
	const op = "GroupNormSiLUGrad"
	n, c, s := channelLayout(op, y)
	if !SameShape(y, g) || len(rstd.shape) != 2 || rstd.shape[0] != n || rstd.shape[1] < 1 || c%rstd.shape[1] != 0 {
		Panicf(op, "saved %s and rstd %s for gradient %s", ShapeString(y.shape), ShapeString(rstd.shape), ShapeString(g.shape))
	}
	checkChannelVec(op, y, w, c)
	checkChannelVec(op, y, b, c)
	groups := rstd.shape[1]
	cpg := c / groups
	row := cpg * s
	if wantX {
		dx = empty(y.shape...) // every value written below
	}
	// Per-(sample, channel) partial sums, added over the samples at the end in a fixed
	// order, so the result does not depend on how the rows were split.
	var pw, pb []float64
	if wantW || wantB {
		pw, pb = make([]float64, n*c), make([]float64, n*c)
	}
	if row > 0 {
		parallel(n*groups, max(1, grainExp/row), func(lo, hi int) {
			scratch := empty(row) // pooled: no allocation per call in steady state
			defer scratch.Release()
			dz := scratch.data
			for r := lo; r < hi; r++ {
				yr, gr := y.data[r*row:(r+1)*row], g.data[r*row:(r+1)*row]
				c0 := (r % groups) * cpg
				for j := range cpg {
					ys := yr[j*s : (j+1)*s]
					kernels.AxpbyC(dz[j*s:(j+1)*s], ys, ys, w.data[c0+j], 0, b.data[c0+j]) // z = y·w + b
				}
				kernels.UnaryGrad(kernels.SiLU, dz, dz, dz, gr, 0) // dz = g·SiLU'(z), in place
				for j := range cpg {
					ch := c0 + j
					zs := dz[j*s : (j+1)*s]
					if pw != nil {
						sb, sw := kernels.SumAndDot(zs, yr[j*s:(j+1)*s])
						pw[(r/groups)*c+ch], pb[(r/groups)*c+ch] = sw, sb
					}
					if wantX {
						kernels.Scale(w.data[ch], zs) // dz·w
					}
				}
				if wantX {
					kernels.NormalizeRowsGrad(dx.data[r*row:(r+1)*row], yr, rstd.data[r:r+1], dz, row)
				}
			}
		})
	} else if wantX {
		clear(dx.data)
	}
	if wantW {
		dw = New(c)
	}
	if wantB {
		db = New(c)
	}
	for ch := range c {
		if pw == nil {
			break
		}
		var sw, sb float64
		for i := range n {
			sw += pw[i*c+ch]
			sb += pb[i*c+ch]
		}
		if wantW {
			dw.data[ch] = float32(sw)
		}
		if wantB {
			db.data[ch] = float32(sb)
		}
	}
	return dx, dw, db
}
