package tensor

import (
	"slices"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// BroadcastShapes returns the NumPy broadcast of the given shapes and panics with op's
// name if they are incompatible.
func BroadcastShapes(op string, shapes ...[]int) []int {
	nd := 0
	for _, s := range shapes {
		nd = max(nd, len(s))
	}
	out := make([]int, nd)
	for i := range out {
		out[i] = 1
	}
	for _, s := range shapes {
		off := nd - len(s)
		for i, d := range s {
			o := out[off+i]
			switch {
			case o == d || d == 1:
			case o == 1:
				out[off+i] = d
			default:
				msg := ""
				for j, s2 := range shapes {
					if j > 0 {
						msg += " and "
					}
					msg += ShapeString(s2)
				}
				Panicf(op, "shapes %s do not broadcast", msg)
			}
		}
	}
	return out
}

// bstrides returns the strides of shape when viewed as broadcast to out (0 on
// broadcast axes).
func bstrides(shape, out []int) []int {
	st := make([]int, len(out))
	off := len(out) - len(shape)
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		if shape[i] != 1 {
			st[off+i] = s
		}
		s *= shape[i]
	}
	return st
}

// plan is a loop nest over an output shape with per-operand strides, adjacent axes
// merged where every operand allows it so that the inner loop is as long as possible.
type plan struct {
	shape   []int
	strides [][]int // strides[k][axis] for operand k
}

func newPlan(out []int, strides ...[]int) plan {
	// Drop axes of length 1.
	p := plan{strides: make([][]int, len(strides))}
	for ax, d := range out {
		if d == 1 {
			continue
		}
		p.shape = append(p.shape, d)
		for k := range strides {
			p.strides[k] = append(p.strides[k], strides[k][ax])
		}
	}
	// Merge axis i into i+1 when every operand is contiguous across them.
	for i := len(p.shape) - 2; i >= 0; i-- {
		ok := true
		for k := range p.strides {
			if p.strides[k][i] != p.strides[k][i+1]*p.shape[i+1] {
				ok = false
				break
			}
		}
		if !ok {
			continue
		}
		p.shape[i] *= p.shape[i+1]
		p.shape = append(p.shape[:i+1], p.shape[i+2:]...)
		for k := range p.strides {
			p.strides[k][i] = p.strides[k][i+1]
			p.strides[k] = append(p.strides[k][:i+1], p.strides[k][i+2:]...)
		}
	}
	if len(p.shape) == 0 {
		p.shape = []int{1}
		for k := range p.strides {
			p.strides[k] = []int{0}
		}
	}
	return p
}

// run calls inner(offsets, n, innerStrides) for every inner row of the loop nest.
func (p plan) run(inner func(offs []int, n int, st []int)) {
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
	for {
		inner(offs, n, ist)
		// Advance the outer index.
		ax := last - 1
		for ; ax >= 0; ax-- {
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
		if ax < 0 {
			return
		}
	}
}

// binary applies a broadcasting binary op.
func binary(name string, op kernels.BinOp, a, b *Tensor) *Tensor {
	if SameShape(a, b) {
		out := empty(a.shape...)
		grain := grainCheap
		if op == kernels.Pow {
			grain = grainExp
		}
		parallel(len(out.data), grain, func(lo, hi int) {
			kernels.Binary(op, out.data[lo:hi], a.data[lo:hi], 1, b.data[lo:hi], 1)
		})
		return out
	}
	shape := BroadcastShapes(name, a.shape, b.shape)
	out := empty(shape...) // the plan visits every element
	if len(out.data) == 0 {
		return out
	}
	p := newPlan(shape, strides(shape), bstrides(a.shape, shape), bstrides(b.shape, shape))
	p.runParallel(grainCheap, func(offs []int, n int, st []int) {
		kernels.Binary(op, out.data[offs[0]:offs[0]+n], a.data[offs[1]:], st[1], b.data[offs[2]:], st[2])
	})
	return out
}

// Add returns a+b with broadcasting.
func Add(a, b *Tensor) *Tensor { return binary("Add", kernels.Add, a, b) }

// Sub returns a-b with broadcasting.
func Sub(a, b *Tensor) *Tensor { return binary("Sub", kernels.Sub, a, b) }

// Mul returns a*b elementwise with broadcasting.
func Mul(a, b *Tensor) *Tensor { return binary("Mul", kernels.Mul, a, b) }

// Div returns a/b elementwise with broadcasting.
func Div(a, b *Tensor) *Tensor { return binary("Div", kernels.Div, a, b) }

// Pow returns a**b elementwise with broadcasting.
func Pow(a, b *Tensor) *Tensor { return binary("Pow", kernels.Pow, a, b) }

// Maximum returns the elementwise maximum of a and b with broadcasting (NaN wins).
func Maximum(a, b *Tensor) *Tensor { return binary("Maximum", kernels.Max, a, b) }

// Minimum returns the elementwise minimum of a and b with broadcasting (NaN wins).
func Minimum(a, b *Tensor) *Tensor { return binary("Minimum", kernels.Min, a, b) }

// Eq returns 1 where a == b and 0 elsewhere, with broadcasting.
func Eq(a, b *Tensor) *Tensor { return binary("Eq", kernels.Eq, a, b) }

// Ne returns 1 where a != b and 0 elsewhere, with broadcasting.
func Ne(a, b *Tensor) *Tensor { return binary("Ne", kernels.Ne, a, b) }

// Lt returns 1 where a < b and 0 elsewhere, with broadcasting.
func Lt(a, b *Tensor) *Tensor { return binary("Lt", kernels.Lt, a, b) }

// Le returns 1 where a <= b and 0 elsewhere, with broadcasting.
func Le(a, b *Tensor) *Tensor { return binary("Le", kernels.Le, a, b) }

// Gt returns 1 where a > b and 0 elsewhere, with broadcasting.
func Gt(a, b *Tensor) *Tensor { return binary("Gt", kernels.Gt, a, b) }

// Ge returns 1 where a >= b and 0 elsewhere, with broadcasting.
func Ge(a, b *Tensor) *Tensor { return binary("Ge", kernels.Ge, a, b) }

// AddScalar returns t+s.
func (t *Tensor) AddScalar(s float32) *Tensor { return Add(t, Scalar(s)) }

// MulScalar returns t*s.
func (t *Tensor) MulScalar(s float32) *Tensor { return Mul(t, Scalar(s)) }

// Where returns a where cond is nonzero and b elsewhere, with all three broadcast.
func Where(cond, a, b *Tensor) *Tensor {
	shape := BroadcastShapes("Where", cond.shape, a.shape, b.shape)
	out := New(shape...)
	if len(out.data) == 0 {
		return out
	}
	p := newPlan(shape, strides(shape), bstrides(cond.shape, shape), bstrides(a.shape, shape), bstrides(b.shape, shape))
	p.runParallel(grainCheap, func(offs []int, n int, st []int) {
		kernels.Where(out.data[offs[0]:offs[0]+n], cond.data[offs[1]:], st[1], a.data[offs[2]:], st[2], b.data[offs[3]:], st[3])
	})
	return out
}

// BroadcastTo returns t expanded to shape by NumPy broadcasting rules (a copy).
func (t *Tensor) BroadcastTo(shape ...int) *Tensor {
	s := BroadcastShapes("BroadcastTo", t.shape, shape)
	if len(s) != len(shape) {
		Panicf("BroadcastTo", "cannot broadcast %s to %s", ShapeString(t.shape), ShapeString(shape))
	}
	for i := range s {
		if s[i] != shape[i] {
			Panicf("BroadcastTo", "cannot broadcast %s to %s", ShapeString(t.shape), ShapeString(shape))
		}
	}
	return Add(t, New(shape...))
}

// Expand is BroadcastTo; a -1 in shape keeps that axis's size.
func (t *Tensor) Expand(shape ...int) *Tensor {
	s := append([]int(nil), shape...)
	off := len(s) - len(t.shape)
	for i := range s {
		if s[i] == -1 {
			if i < off {
				Panicf("Expand", "-1 for new leading axis %d in %s", i, ShapeString(shape))
			}
			s[i] = t.shape[i-off]
		}
	}
	return t.BroadcastTo(s...)
}

// SumTo reduces t by summation to shape, the inverse of broadcasting shape to t's shape.
// It is how gradients of broadcast operands are formed. It panics if shape does not
// broadcast to t's shape.
func (t *Tensor) SumTo(shape ...int) *Tensor {
	if len(shape) == len(t.shape) {
		same := true
		for i := range shape {
			if shape[i] != t.shape[i] {
				same = false
			}
		}
		if same {
			return t.Clone()
		}
	}
	b := BroadcastShapes("SumTo", shape, t.shape)
	if len(b) != len(t.shape) {
		Panicf("SumTo", "shape %s does not broadcast to %s", ShapeString(shape), ShapeString(t.shape))
	}
	for i := range b {
		if b[i] != t.shape[i] {
			Panicf("SumTo", "shape %s does not broadcast to %s", ShapeString(shape), ShapeString(t.shape))
		}
	}
	out := New(shape...)
	if len(t.data) == 0 {
		return out
	}
	p := newPlan(t.shape, strides(t.shape), bstrides(shape, t.shape))
	sumToPlan(out.data, t.data, p)
	return out
}

// sumToPlan adds src into dst through the loop nest p over src's shape (operand 0 is
// src, operand 1 the broadcast dst). Large sums are split over the worker pool: by rows
// when every row has outputs of its own; by rows into private partial sums, added up at
// the end, when dst is small (a bias gradient); otherwise by columns when the inner axis
// is kept (each piece then owns its outputs).
func sumToPlan(dst, src []float32, p plan) {
	acc := func(dst []float32) func(offs []int, n int, st []int) {
		return func(offs []int, n int, st []int) {
			kernels.AccumulateStrided(dst[offs[1]:], st[1], src[offs[0]:offs[0]+n])
		}
	}
	last := len(p.shape) - 1
	n, rows, inner := p.shape[last], p.rows(), p.strides[1][last]
	parts := min(kernels.Threads(), len(src)/grainCheap)
	switch {
	case parts <= 1:
		p.run(acc(dst))
	case inner == 0 && !slices.Contains(p.strides[1][:last], 0):
		p.runParallel(grainCheap, acc(dst))
	case len(dst)*parts <= len(src)/4:
		partial := make([]float32, (parts-1)*len(dst))
		parallel(parts, 1, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				d := dst
				if i > 0 {
					d = partial[(i-1)*len(dst) : i*len(dst)]
				}
				p.runRange(i*rows/parts, (i+1)*rows/parts, acc(d))
			}
		})
		for i := 1; i < parts; i++ {
			kernels.Axpy(1, partial[(i-1)*len(dst):i*len(dst)], dst)
		}
	case inner == 1:
		parallel(n, max(8, grainCheap/max(rows, 1)), func(lo, hi int) {
			p.runRange(0, rows, func(offs []int, _ int, _ []int) {
				kernels.Axpy(1, src[offs[0]+lo:offs[0]+hi], dst[offs[1]+lo:offs[1]+hi])
			})
		})
	default:
		p.run(acc(dst))
	}
}
