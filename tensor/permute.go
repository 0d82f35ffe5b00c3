package tensor

import "slices"

// Permute returns t with its axes reordered: axis i of the result is axis perm[i] of t.
// The result is a copy.
func Permute(t *Tensor, perm ...int) *Tensor {
	const op = "Permute"
	nd := len(t.shape)
	if len(perm) != nd {
		Panicf(op, "permutation %v for shape %s", perm, ShapeString(t.shape))
	}
	seen := make([]bool, nd)
	p := make([]int, nd)
	for i, ax := range perm {
		a := normAxis(op, ax, nd, t.shape)
		if seen[a] {
			Panicf(op, "permutation %v repeats axis %d of shape %s", perm, ax, ShapeString(t.shape))
		}
		seen[a] = true
		p[i] = a
	}
	shape := make([]int, nd)
	inSt := strides(t.shape)
	st := make([]int, nd)
	for i, a := range p {
		shape[i] = t.shape[a]
		st[i] = inSt[a]
	}
	out := New(shape...)
	if len(out.data) == 0 {
		return out
	}
	pl := newPlan(shape, strides(shape), st)
	pl.runParallel(grainCheap, func(offs []int, n int, s []int) {
		dst := out.data[offs[0] : offs[0]+n]
		src := t.data[offs[1]:]
		if s[1] == 1 {
			copy(dst, src)
			return
		}
		for i := range dst {
			dst[i] = src[i*s[1]]
		}
	})
	return out
}

// Transpose swaps axes a0 and a1 (a copy).
func Transpose(t *Tensor, a0, a1 int) *Tensor {
	nd := len(t.shape)
	p := make([]int, nd)
	for i := range p {
		p[i] = i
	}
	x, y := normAxis("Transpose", a0, nd, t.shape), normAxis("Transpose", a1, nd, t.shape)
	p[x], p[y] = p[y], p[x]
	return Permute(t, p...)
}

// T returns the transpose of a 2-D tensor (a copy). It panics for other ranks.
func (t *Tensor) T() *Tensor {
	if len(t.shape) != 2 {
		Panicf("T", "shape %s is not 2-D", ShapeString(t.shape))
	}
	return Transpose(t, 0, 1)
}

// Squeeze removes the given axes, which must have length 1, or every axis of length 1
// when none are given. The result shares storage with t.
func (t *Tensor) Squeeze(axes ...int) *Tensor {
	var shape []int
	if len(axes) == 0 {
		for _, d := range t.shape {
			if d != 1 {
				shape = append(shape, d)
			}
		}
		return &Tensor{shape: shape, data: t.data}
	}
	drop := make([]bool, len(t.shape))
	for _, ax := range axes {
		a := t.axis("Squeeze", ax)
		if t.shape[a] != 1 {
			Panicf("Squeeze", "axis %d of shape %s has length %d, not 1", ax, ShapeString(t.shape), t.shape[a])
		}
		drop[a] = true
	}
	for i, d := range t.shape {
		if !drop[i] {
			shape = append(shape, d)
		}
	}
	if shape == nil {
		shape = []int{}
	}
	return &Tensor{shape: shape, data: t.data}
}

// Unsqueeze inserts an axis of length 1 at position ax (negative counts from the end of
// the result). The result shares storage with t.
func (t *Tensor) Unsqueeze(ax int) *Tensor {
	a := normAxis("Unsqueeze", ax, len(t.shape)+1, t.shape)
	shape := slices.Insert(slices.Clone(t.shape), a, 1)
	return &Tensor{shape: shape, data: t.data}
}

// Flatten merges axes start..end (inclusive) into one. The result shares storage.
func (t *Tensor) Flatten(start, end int) *Tensor {
	if len(t.shape) == 0 {
		return t.Reshape(1)
	}
	s, e := t.axis("Flatten", start), t.axis("Flatten", end)
	if s > e {
		Panicf("Flatten", "start %d after end %d for shape %s", start, end, ShapeString(t.shape))
	}
	n := 1
	for i := s; i <= e; i++ {
		n *= t.shape[i]
	}
	shape := append(slices.Clone(t.shape[:s]), n)
	shape = append(shape, t.shape[e+1:]...)
	return &Tensor{shape: shape, data: t.data}
}
