package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// ChannelAffine returns x·w[c] + b[c] for every value of channel c of x (N,C,…), the
// affine map of batch and group normalisation, in one pass. b may be nil (no shift). It
// panics unless w (and b) have shape (C).
func ChannelAffine(x, w, b *Tensor) *Tensor {
	const op = "ChannelAffine"
	n, c, s := channelLayout(op, x)
	checkChannelVec(op, x, w, c)
	if b != nil {
		checkChannelVec(op, x, b, c)
	}
	y := empty(x.shape...)
	parallel(n*c, max(1, grainCheap/max(s, 1)), func(lo, hi int) {
		for p := lo; p < hi; p++ {
			ch := p % c
			wv, bv := w.data[ch], float32(0)
			if b != nil {
				bv = b.data[ch]
			}
			src, dst := x.data[p*s:(p+1)*s], y.data[p*s:(p+1)*s]
			for i, v := range src {
				dst[i] = v*wv + bv
			}
		}
	})
	return y
}

// ChannelAffineGrad returns the gradients of ChannelAffine(x, w, b) for the output
// gradient g: dx = g·w[c] (N,C,…), dw[c] = Σ g·x and db[c] = Σ g over the batch and
// spatial axes, the sums accumulated in float64. Each is computed only when its want
// flag is set (nil otherwise), in one parallel pass over the channels. It panics if the
// shapes do not fit.
func ChannelAffineGrad(x, w, g *Tensor, wantX, wantW, wantB bool) (dx, dw, db *Tensor) {
	const op = "ChannelAffineGrad"
	n, c, s := channelLayout(op, x)
	checkChannelVec(op, x, w, c)
	if !SameShape(x, g) {
		Panicf(op, "input %s and output gradient %s differ", ShapeString(x.shape), ShapeString(g.shape))
	}
	if wantX {
		dx = empty(x.shape...)
	}
	if wantW {
		dw = New(c)
	}
	if wantB {
		db = New(c)
	}
	parallel(c, max(1, grainCheap/max(n*s, 1)), func(lo, hi int) {
		for ch := lo; ch < hi; ch++ {
			wv := w.data[ch]
			var sgx, sg float64
			for b := range n {
				p := (b*c + ch) * s
				gs, xs := g.data[p:p+s], x.data[p:p+s]
				if wantX {
					d := dx.data[p : p+s]
					for i, v := range gs {
						d[i] = v * wv
					}
				}
				switch {
				case wantW:
					a, d := kernels.SumAndDot(gs, xs)
					sg += a
					sgx += d
				case wantB:
					sg += kernels.SumFloat64(gs)
				}
			}
			if wantW {
				dw.data[ch] = float32(sgx)
			}
			if wantB {
				db.data[ch] = float32(sg)
			}
		}
	})
	return dx, dw, db
}

// checkChannelVec panics unless v is a vector of length c, one value per channel of x.
func checkChannelVec(op string, x, v *Tensor, c int) {
	if len(v.shape) != 1 || v.shape[0] != c {
		Panicf(op, "per-channel vector %s for input %s: want (%d)", ShapeString(v.shape), ShapeString(x.shape), c)
	}
}
