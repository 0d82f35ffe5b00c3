package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

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
