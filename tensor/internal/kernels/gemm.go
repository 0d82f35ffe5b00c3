package kernels

import (
	"fmt"
	"strings"
)

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major matrices, where op(X) is
// X or its transpose. op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the
// row strides of A, B and C as stored.
//
// Reference loop (no transposes):
//
//	for i < m, j < n: c[i*ldc+j] = beta*c[i*ldc+j] + alpha*Σ_p a[i*lda+p]*b[p*ldb+j]
//
// When beta is 0, C is only written, so NaNs in it do not propagate; when alpha is 0 or
// k is 0, A and B are not read. Large products run on packed, cache-blocked panels with
// an AVX-512 or AVX2+FMA micro-kernel where the CPU has one (a pure-Go kernel
// otherwise), split over up to Threads() goroutines.
//
// Sgemm panics, before any work starts, if a dimension is negative, a stride is
// shorter than its row, or a slice is too short for the matrix it holds.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(Threads(), transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// gemmDirectMaxM: products with at most this many rows (matrix-vector products, one
// token at a time) take the direct loop, where packing B would cost more than the product.
const gemmDirectMaxM = 2

// SgemmSerial is Sgemm on the calling goroutine only, for use inside a ParallelRange
// piece (where a nested parallel call could deadlock the worker pool). It panics as
// Sgemm does.
func SgemmSerial(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemm(1, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemm checks the arguments and multiplies on up to threads goroutines.
func sgemm(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, alpha, len(a), lda, len(b), ldb, len(c), ldc)
	g := gemmProblem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, b: b, c: c,
		lda: lda, ldb: ldb, ldc: ldc,
	}
	g.solve(threads)
}

// SgemmOffsetB is Sgemm with B given by where each of its stored rows starts instead of
// a row stride: row r of B is b[boff[r]:] (r < k without transB, where it is row r of
// op(B); r < n with transB, where it is column r of op(B)). The rows may overlap, so
// op(B) can be a set of windows into one buffer: an implicit im2col matrix. threads
// caps the goroutines; 0 means Threads().
//
// SgemmOffsetB panics, before any work starts, as Sgemm does, or if boff has the wrong
// length or a row runs outside b.
func SgemmOffsetB(threads int, transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, boff []int, beta float32, c []float32, ldc int) {
	if threads <= 0 {
		threads = Threads()
	}
	// Check A and C as Sgemm does, with B as a dense matrix of the right size.
	rows, cols := k, n
	if transB {
		rows, cols = n, k
	}
	checkSgemm(transA, transB, m, n, k, alpha, len(a), lda, rows*cols, cols, len(c), ldc)
	if m > 0 && n > 0 && k > 0 && alpha != 0 {
		checkOffsets("SgemmOffsetB", "B", boff, rows, cols, len(b))
	}
	g := gemmProblem{
		transA: transA, transB: transB,
		m: m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, b: b, c: c,
		lda: lda, ldc: ldc,
		boff: boff,
	}
	g.solve(threads)
}

// SgemmOffsetA is Sgemm with A, not transposed, given by where each of its rows
// starts instead of a row stride: row i of A is a[aoff[i]:][:k]. The rows may overlap,
// so A can be a set of windows into one buffer: an implicit im2col matrix. Where every
// six consecutive rows (from row 0) are two runs of three rows with one common stride,
// as the rows of a 3-wide stride-1 convolution kernel are, the micro-kernel reads A in
// place; otherwise A is packed. threads caps the goroutines; 0 means Threads().
//
// SgemmOffsetA panics, before any work starts, as Sgemm does, or if aoff has the wrong
// length or a row runs outside a.
func SgemmOffsetA(threads int, transB bool, m, n, k int, alpha float32, a []float32, aoff []int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if threads <= 0 {
		threads = Threads()
	}
	checkSgemm(false, transB, m, n, k, alpha, m*k, k, len(b), ldb, len(c), ldc)
	if m > 0 && n > 0 && k > 0 && alpha != 0 {
		checkOffsets("SgemmOffsetA", "A", aoff, m, k, len(a))
	}
	g := gemmProblem{
		transB: transB,
		m:      m, n: n, k: k,
		alpha: alpha, beta: beta,
		a: a, b: b, c: c,
		ldb: ldb, ldc: ldc,
		aoff: aoff, aTriples: true,
	}
	for i := 0; i+gemmMR <= m; i += gemmMR {
		if _, ok := tripleStride(aoff, i); !ok {
			g.aTriples = false
			break
		}
	}
	g.solve(threads)
}

// checkOffsets panics unless off holds rows offsets, each starting a row of cols
// values inside a slice of length l; op and name (A or B) go into the message.
func checkOffsets(op, name string, off []int, rows, cols, l int) {
	if len(off) != rows {
		panic(fmt.Sprintf("kernels: %s: %d row offsets for %d rows of %s", op, len(off), rows, name))
	}
	for r, o := range off {
		if o < 0 || o+cols > l {
			panic(fmt.Sprintf("kernels: %s: row %d of %s at %d..%d outside len(%s)=%d", op, r, name, o, o+cols, strings.ToLower(name), l))
		}
	}
}

// solve computes the checked product g on up to threads goroutines.
func (g *gemmProblem) solve(threads int) {
	m, n, k := g.m, g.n, g.k
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || g.alpha == 0 {
		scaleRows(g.beta, g.c, m, n, g.ldc)
		return
	}
	if m*n*k <= gemmSmallWork || m <= gemmDirectMaxM {
		g.small()
		return
	}
	g.run(threads)
}

// checkSgemm panics unless the Sgemm arguments describe matrices inside their slices.
func checkSgemm(transA, transB bool, m, n, k int, alpha float32, la, lda, lb, ldb, lc, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic(fmt.Sprintf("kernels: Sgemm: negative dimension m=%d n=%d k=%d", m, n, k))
	}
	// check panics unless a rows×cols matrix with row stride ld fits in l values.
	check := func(name string, rows, cols, ld, l int) {
		if rows == 0 || cols == 0 {
			return
		}
		if ld < cols {
			panic(fmt.Sprintf("kernels: Sgemm: ld%s=%d shorter than row length %d", name, ld, cols))
		}
		if need := (rows-1)*ld + cols; l < need {
			panic(fmt.Sprintf("kernels: Sgemm: len(%s)=%d, need %d for %d×%d with stride %d", name, l, need, rows, cols, ld))
		}
	}
	check("c", m, n, ldc, lc)
	if m == 0 || n == 0 || k == 0 || alpha == 0 {
		return
	}
	if transA {
		check("a", k, m, lda, la)
	} else {
		check("a", m, k, lda, la)
	}
	if transB {
		check("b", n, k, ldb, lb)
	} else {
		check("b", k, n, ldb, lb)
	}
}

// SgemmRef is the naive triple loop Sgemm is tested against.
func SgemmRef(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s float64
			for p := 0; p < k; p++ {
				var av, bv float32
				if transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			if beta == 0 {
				c[i*ldc+j] = alpha * float32(s)
			} else {
				c[i*ldc+j] = beta*c[i*ldc+j] + alpha*float32(s)
			}
		}
	}
}
