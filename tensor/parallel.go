package tensor

import "github.com/genblocks/genblocks/tensor/internal/kernels"

// Work sizes, in elements, below which an op runs on one goroutine: the cost of handing
// a piece to the worker pool (a few µs) must stay small next to the piece.
const (
	grainCheap = 1 << 15 // add, multiply, copy: well under 1 ns per element
	grainExp   = 1 << 14 // exp, tanh, sigmoid and friends: about 1 ns per element (AVX2)
)

// parallel runs fn over [0, n) split into pieces of at least grain items on the worker
// pool (see kernels.ParallelRange); fn must not panic.
func parallel(n, grain int, fn func(lo, hi int)) { kernels.ParallelRange(n, grain, fn) }

// rows returns the number of inner rows of the loop nest.
func (p plan) rows() int {
	r := 1
	for _, d := range p.shape[:len(p.shape)-1] {
		r *= d
	}
	return r
}

// runRange is run for the inner rows r0 ≤ r < r1 only.
func (p plan) runRange(r0, r1 int, inner func(offs []int, n int, st []int)) {
	nd := len(p.shape)
	nk := len(p.strides)
	last := nd - 1
	n := p.shape[last]
	ist := make([]int, nk)
	for k := range ist {
		ist[k] = p.strides[k][last]
	}
	offs := make([]int, nk)
	idx := make([]int, nd)
	rem := r0
	for ax := last - 1; ax >= 0; ax-- {
		idx[ax] = rem % p.shape[ax]
		rem /= p.shape[ax]
		for k := range offs {
			offs[k] += idx[ax] * p.strides[k][ax]
		}
	}
	for r := r0; r < r1; r++ {
		inner(offs, n, ist)
		for ax := last - 1; ax >= 0; ax-- {
			idx[ax]++
			for k := range offs {
				offs[k] += p.strides[k][ax]
			}
			if idx[ax] < p.shape[ax] {
				break
			}
			for k := range offs {
				offs[k] -= p.strides[k][ax] * p.shape[ax]
			}
			idx[ax] = 0
		}
	}
}

// runParallel is run with the rows split over the worker pool, for loop nests whose
// rows write disjoint outputs; grain is in elements.
func (p plan) runParallel(grain int, inner func(offs []int, n int, st []int)) {
	n := p.shape[len(p.shape)-1]
	parallel(p.rows(), max(1, grain/max(n, 1)), func(lo, hi int) { p.runRange(lo, hi, inner) })
}
