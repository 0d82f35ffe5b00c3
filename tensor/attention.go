package tensor

import (
	"slices"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// causalValid returns how many leading entries of row i of a (Tq,Tk) causal attention
// matrix are unmasked: the query at position i sees the keys up to i+Tk-Tq.
func causalValid(i, tq, tk int) int { return min(max(i+tk-tq+1, 0), tk) }

// ScaledSoftmax returns the softmax along the last axis of scale·t, the attention
// weights of scores t of shape (…,Tq,Tk). With causal, entry (i,j) is masked out (its
// weight is 0) for j > i+Tk-Tq, as filling CausalMask's ones with a large negative value
// would do; a row masked everywhere gets uniform weights. It panics if t has fewer than
// 2 axes.
func ScaledSoftmax(t *Tensor, scale float32, causal bool) *Tensor {
	tq, tk := attnShape("ScaledSoftmax", t)
	out := New(t.shape...)
	rows := len(t.data) / max(tk, 1)
	parallel(rows, max(1, grainExp/max(tk, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			valid := tk
			if causal {
				valid = causalValid(r%tq, tq, tk)
			}
			kernels.ScaledSoftmaxRow(out.data[r*tk:(r+1)*tk], t.data[r*tk:(r+1)*tk], scale, valid)
		}
	})
	return out
}

// ScaledSoftmaxGrad returns the gradient of ScaledSoftmax with respect to its input given
// its output y and the output gradient g (masked entries get 0). It panics if the shapes
// differ.
func ScaledSoftmaxGrad(y, g *Tensor, scale float32, causal bool) *Tensor {
	if !SameShape(y, g) {
		Panicf("ScaledSoftmaxGrad", "shapes %s and %s differ", ShapeString(y.shape), ShapeString(g.shape))
	}
	tq, tk := attnShape("ScaledSoftmaxGrad", y)
	out := New(y.shape...)
	rows := len(y.data) / max(tk, 1)
	parallel(rows, max(1, grainCheap/max(tk, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			valid := tk
			if causal {
				valid = causalValid(r%tq, tq, tk)
			}
			s := r * tk
			kernels.ScaledSoftmaxRowGrad(out.data[s:s+tk], y.data[s:s+tk], g.data[s:s+tk], scale, valid)
		}
	})
	return out
}

func attnShape(op string, t *Tensor) (tq, tk int) {
	if len(t.shape) < 2 {
		Panicf(op, "shape %s, want (…,Tq,Tk)", ShapeString(t.shape))
	}
	return t.shape[len(t.shape)-2], t.shape[len(t.shape)-1]
}

// Attention returns softmax(scale·q·kᵀ)·v over the first n positions of k and v, for
// q (B,H,Tq,D) and k, v (B,H,C,D) with n ≤ C: a key/value cache preallocated for C
// positions of which the first n are filled. The result is (B,H,Tq,D). With causal,
// query i sees the keys up to position i+n-Tq (the queries are the last Tq positions).
// Each query row is computed in one pass, without a (Tq,n) score matrix: this is the
// inference path of cached attention. It panics if the shapes do not fit.
func Attention(q, k, v *Tensor, n int, scale float32, causal bool) *Tensor {
	const op = "Attention"
	if len(q.shape) != 4 || !SameShape(k, v) || len(k.shape) != 4 || k.shape[0] != q.shape[0] ||
		k.shape[1] != q.shape[1] || k.shape[3] != q.shape[3] || n < 0 || n > k.shape[2] {
		Panicf(op, "q %s, k %s and v %s with %d positions, want (B,H,Tq,D), (B,H,C,D) and (B,H,C,D) with C ≥ %d",
			ShapeString(q.shape), ShapeString(k.shape), ShapeString(v.shape), n, n)
	}
	b, h, tq, d := q.shape[0], q.shape[1], q.shape[2], q.shape[3]
	c := k.shape[2]
	out := New(b, h, tq, d)
	rows := b * h * tq
	parallel(rows, max(1, grainCheap/max(n*d*2, 1)), func(lo, hi int) {
		scores := make([]float32, n)
		for r := lo; r < hi; r++ {
			bh, i := r/tq, r%tq
			valid, s := n, scale
			if causal {
				valid = causalValid(i, tq, n)
				if valid == 0 {
					// Masked everywhere: uniform weights, as ScaledSoftmax gives.
					valid, s = n, 0
				}
			}
			kv := bh * c * d
			kernels.AttendRow(out.data[r*d:(r+1)*d], q.data[r*d:(r+1)*d], k.data[kv:], v.data[kv:], d, valid, s, scores)
		}
	})
	return out
}

// sdpaShape checks the operands of ScaledDotProductAttention and returns the number of
// (batch, head) pairs and the matrix sizes.
func sdpaShape(op string, q, k, v *Tensor) (nb, tq, tk, d, dv int) {
	nd := len(q.shape)
	ok := nd >= 2 && len(k.shape) == nd && len(v.shape) == nd &&
		slices.Equal(q.shape[:nd-2], k.shape[:nd-2]) && slices.Equal(q.shape[:nd-2], v.shape[:nd-2]) &&
		k.shape[nd-1] == q.shape[nd-1] && v.shape[nd-2] == k.shape[nd-2]
	if !ok {
		Panicf(op, "q %s, k %s and v %s, want (…,Tq,D), (…,Tk,D) and (…,Tk,Dv) with the same leading axes",
			ShapeString(q.shape), ShapeString(k.shape), ShapeString(v.shape))
	}
	nb = 1
	for _, s := range q.shape[:nd-2] {
		nb *= s
	}
	return nb, q.shape[nd-2], k.shape[nd-2], q.shape[nd-1], v.shape[nd-1]
}

// attentionBlock is how many query rows the fused attention handles at once; with
// causal, a block only multiplies with the keys its last row sees.
const attentionBlock = 32

// attentionKeys returns how many leading keys query rows [r0,r1) of a (Tq,Tk) attention
// use: all of them without causal or when a row sees nothing (its weights are then
// uniform), else those the last row sees.
func attentionKeys(r0, r1, tq, tk int, causal bool) int {
	if !causal || causalValid(r0, tq, tk) == 0 {
		return tk
	}
	return causalValid(r1-1, tq, tk)
}

// attentionWeights computes into rows [r0,r1) of p (Tq,Tk) the attention weights
// ScaledSoftmax(q·kᵀ, scale, causal) of one (batch, head) pair over the first kb keys
// (the rest are 0), using s (Tq,Tk) as scratch for the scores.
func attentionWeights(p, s, q, k []float32, r0, r1, kb, tq, tk, d int, scale float32, causal bool) {
	kernels.SgemmSerial(false, true, r1-r0, kb, d, 1, q[r0*d:], d, k, d, 0, s[r0*tk:], tk) // (r,D)·(kb,D)ᵀ -> (r,kb)
	for i := r0; i < r1; i++ {
		valid := tk
		if causal {
			valid = causalValid(i, tq, tk)
		}
		kernels.ScaledSoftmaxRow(p[i*tk:(i+1)*tk], s[i*tk:(i+1)*tk], scale, valid)
	}
}

// ScaledDotProductAttention returns ScaledSoftmax(q·kᵀ, scale, causal)·v for q (…,Tq,D),
// k (…,Tk,D) and v (…,Tk,Dv) with the same leading axes, as (…,Tq,Dv): the values
// MatMul and ScaledSoftmax give, computed one (batch, head) pair at a time in cache-sized
// scratch, without a (…,Tq,Tk) tensor. It panics if the shapes do not fit.
func ScaledDotProductAttention(q, k, v *Tensor, scale float32, causal bool) *Tensor {
	nb, tq, tk, d, dv := sdpaShape("ScaledDotProductAttention", q, k, v)
	out := New(append(slices.Clone(q.shape[:len(q.shape)-1]), dv)...)
	if len(out.data) == 0 {
		return out
	}
	work := tq * tk * (d + dv)
	parallel(nb, max(1, matmulGrainWork/max(work, 1)), func(lo, hi int) {
		scratch := make([]float32, 2*tq*tk)
		s, p := scratch[:tq*tk], scratch[tq*tk:]
		for bh := lo; bh < hi; bh++ {
			qb, kb, vb, ob := q.data[bh*tq*d:], k.data[bh*tk*d:], v.data[bh*tk*dv:], out.data[bh*tq*dv:]
			for r0 := 0; r0 < tq; r0 += attentionBlock {
				r1 := min(r0+attentionBlock, tq)
				n := attentionKeys(r0, r1, tq, tk, causal)
				attentionWeights(p, s, qb, kb, r0, r1, n, tq, tk, d, scale, causal)
				kernels.SgemmSerial(false, false, r1-r0, dv, n, 1, p[r0*tk:], tk, vb, dv, 0, ob[r0*dv:], dv) // (r,n)·(n,Dv) -> (r,Dv)
			}
		}
	})
	return out
}

// ScaledDotProductAttentionGrad returns the gradients of ScaledDotProductAttention(q, k,
// v, scale, causal) with respect to q, k and v given the output gradient g (…,Tq,Dv). The
// attention weights are recomputed one (batch, head) pair at a time. It panics if the
// shapes do not fit.
func ScaledDotProductAttentionGrad(q, k, v, g *Tensor, scale float32, causal bool) (dq, dk, dv *Tensor) {
	const op = "ScaledDotProductAttentionGrad"
	nb, tq, tk, d, dvn := sdpaShape(op, q, k, v)
	if want := append(slices.Clone(q.shape[:len(q.shape)-1]), dvn); !slices.Equal(g.shape, want) {
		Panicf(op, "gradient %s for an output of %s", ShapeString(g.shape), ShapeString(want))
	}
	dq, dk, dv = New(q.shape...), New(k.shape...), New(v.shape...)
	if nb == 0 || tq == 0 || tk == 0 {
		return dq, dk, dv
	}
	work := tq * tk * (d + dvn)
	parallel(nb, max(1, matmulGrainWork/max(3*work, 1)), func(lo, hi int) {
		scratch := make([]float32, 2*tq*tk)
		ds, p := scratch[:tq*tk], scratch[tq*tk:]
		for bh := lo; bh < hi; bh++ {
			qb, kb, vb, gb := q.data[bh*tq*d:], k.data[bh*tk*d:], v.data[bh*tk*dvn:], g.data[bh*tq*dvn:]
			dqb, dkb, dvb := dq.data[bh*tq*d:], dk.data[bh*tk*d:], dv.data[bh*tk*dvn:]
			for r0 := 0; r0 < tq; r0 += attentionBlock {
				r1 := min(r0+attentionBlock, tq)
				r, n := r1-r0, attentionKeys(r0, r1, tq, tk, causal)
				attentionWeights(p, ds, qb, kb, r0, r1, n, tq, tk, d, scale, causal)
				pr, dsr := p[r0*tk:], ds[r0*tk:]
				kernels.SgemmSerial(true, false, n, dvn, r, 1, pr, tk, gb[r0*dvn:], dvn, 1, dvb, dvn) // dV += (r,n)ᵀ·(r,Dv)
				kernels.SgemmSerial(false, true, r, n, dvn, 1, gb[r0*dvn:], dvn, vb, dvn, 0, dsr, tk) // (r,Dv)·(n,Dv)ᵀ -> (r,n)
				for i := r0; i < r1; i++ {
					valid := tk
					if causal {
						valid = causalValid(i, tq, tk)
					}
					row := ds[i*tk : (i+1)*tk]
					kernels.ScaledSoftmaxRowGrad(row, p[i*tk:(i+1)*tk], row, scale, valid)
				}
				kernels.SgemmSerial(false, false, r, d, n, 1, dsr, tk, kb, d, 0, dqb[r0*d:], d) // (r,n)·(n,D) -> (r,D)
				kernels.SgemmSerial(true, false, n, d, r, 1, dsr, tk, qb[r0*d:], d, 1, dkb, d)  // dK += (r,n)ᵀ·(r,D)
			}
		}
	})
	return dq, dk, dv
}
