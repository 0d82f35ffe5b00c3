package tensor

import (
	"slices"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// MatMul returns the matrix product of a and b. Both must have at least 2 dimensions;
// the last two are the matrix axes, (…,m,k)·(…,k,n) -> (…,m,n), and the leading batch
// axes broadcast. It panics if the inner dimensions differ.
func MatMul(a, b *Tensor) *Tensor { return MatMulT(a, b, false, false) }

// MatMulT is MatMul with either operand's last two axes transposed, without copying:
// MatMulT(a, b, false, true) is a·bᵀ.
func MatMulT(a, b *Tensor, transA, transB bool) *Tensor {
	const op = "MatMul"
	if len(a.shape) < 2 || len(b.shape) < 2 {
		Panicf(op, "shapes %s and %s: operands need at least 2 dimensions", ShapeString(a.shape), ShapeString(b.shape))
	}
	ar, ac := a.shape[len(a.shape)-2], a.shape[len(a.shape)-1]
	br, bc := b.shape[len(b.shape)-2], b.shape[len(b.shape)-1]
	m, k := ar, ac
	if transA {
		m, k = ac, ar
	}
	k2, n := br, bc
	if transB {
		k2, n = bc, br
	}
	if k != k2 {
		Panicf(op, "shapes %s and %s do not match", tshape(a.shape, transA), tshape(b.shape, transB))
	}
	abatch, bbatch := a.shape[:len(a.shape)-2], b.shape[:len(b.shape)-2]
	for i := 1; i <= min(len(abatch), len(bbatch)); i++ {
		da, db := abatch[len(abatch)-i], bbatch[len(bbatch)-i]
		if da != db && da != 1 && db != 1 {
			Panicf(op, "shapes %s and %s: batch dimensions do not broadcast", ShapeString(a.shape), ShapeString(b.shape))
		}
	}
	batch := BroadcastShapes(op, abatch, bbatch)
	outShape := append(slices.Clone(batch), m, n)
	out := New(outShape...)
	nb := 1
	for _, d := range batch {
		nb *= d
	}
	if nb == 0 || m == 0 || n == 0 {
		return out
	}
	// A batched a against a single b: one tall GEMM.
	if len(bbatch) == 0 || allOnes(bbatch) {
		if !transA {
			kernels.Sgemm(false, transB, nb*m, n, k, 1, a.data, ac, b.data, bc, 0, out.data, n)
			return out
		}
	}
	sa, sb := ar*ac, br*bc
	ast := bstrides(abatch, batch)
	bst := bstrides(bbatch, batch)
	for i := 0; i < nb; i++ {
		// Unravel i into batch offsets.
		rem, ao, bo := i, 0, 0
		for ax := len(batch) - 1; ax >= 0; ax-- {
			idx := rem % batch[ax]
			rem /= batch[ax]
			ao += idx * ast[ax]
			bo += idx * bst[ax]
		}
		kernels.Sgemm(transA, transB, m, n, k, 1, a.data[ao*sa:], ac, b.data[bo*sb:], bc, 0, out.data[i*m*n:], n)
	}
	return out
}

func allOnes(s []int) bool {
	for _, d := range s {
		if d != 1 {
			return false
		}
	}
	return true
}

func tshape(s []int, trans bool) string {
	if !trans {
		return ShapeString(s)
	}
	t := slices.Clone(s)
	t[len(t)-1], t[len(t)-2] = t[len(t)-2], t[len(t)-1]
	return ShapeString(t) + "ᵀ"
}
