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
	out := empty(outShape...) // every value is written (Sgemm with beta 0)
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
	one := func(i int, gemm func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)) {
		// Unravel i into batch offsets.
		rem, ao, bo := i, 0, 0
		for ax := len(batch) - 1; ax >= 0; ax-- {
			idx := rem % batch[ax]
			rem /= batch[ax]
			ao += idx * ast[ax]
			bo += idx * bst[ax]
		}
		gemm(transA, transB, m, n, k, 1, a.data[ao*sa:], ac, b.data[bo*sb:], bc, 0, out.data[i*m*n:], n)
	}
	if work := m * n * k; work < matmulBatchSplitWork {
		// Small products: the batch entries are split over the worker pool.
		parallel(nb, max(1, matmulGrainWork/max(work, 1)), func(lo, hi int) {
			for i := lo; i < hi; i++ {
				one(i, kernels.SgemmSerial)
			}
		})
		return out
	}
	for i := 0; i < nb; i++ {
		one(i, kernels.Sgemm)
	}
	return out
}

// Batched products smaller than matmulBatchSplitWork multiply-adds each are split over
// the worker pool by batch entry, at least matmulGrainWork multiply-adds per piece;
// larger ones are split inside Sgemm.
const (
	matmulBatchSplitWork = 1 << 21
	matmulGrainWork      = 1 << 16
)

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

// Linear returns x·wᵀ + b for x (M,in), w (out,in) and b (out) or nil: a fully
// connected layer, with the bias added in place of a broadcast copy. It panics if the
// shapes do not fit.
func Linear(x, w, b *Tensor) *Tensor {
	if len(x.shape) != 2 || len(w.shape) != 2 || (b != nil && (len(b.shape) != 1 || b.shape[0] != w.shape[0])) {
		bs := "none"
		if b != nil {
			bs = ShapeString(b.shape)
		}
		Panicf("Linear", "input %s, weight %s and bias %s, want (M,in), (out,in) and (out)",
			ShapeString(x.shape), ShapeString(w.shape), bs)
	}
	y := MatMulT(x, w, false, true) // (M,in)·(out,in)ᵀ -> (M,out)
	if b == nil || len(y.data) == 0 {
		return y
	}
	n := b.shape[0]
	parallel(x.shape[0], max(1, grainCheap/max(n, 1)), func(lo, hi int) {
		for r := lo; r < hi; r++ {
			kernels.Axpy(1, b.data, y.data[r*n:(r+1)*n])
		}
	})
	return y
}
