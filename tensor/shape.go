package tensor

import (
	"fmt"
	"slices"
)

// Narrow returns length entries of t along axis starting at start (negative counts
// from the end), like torch.narrow, as a copy. It panics if the range does not fit the
// axis.
func Narrow(t *Tensor, axis, start, length int) *Tensor {
	const op = "Narrow"
	ax := t.axis(op, axis)
	outer, n, inner := split3(t, ax)
	s := start
	if s < 0 {
		s += n
	}
	if s < 0 || length < 0 || s+length > n {
		Panicf(op, "start %d and length %d out of range for axis %d of shape %s", start, length, axis, ShapeString(t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[ax] = length
	out := New(shape...)
	blk := length * inner
	parallel(outer, max(1, grainCheap/max(blk, 1)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			copy(out.data[o*blk:(o+1)*blk], t.data[(o*n+s)*inner:])
		}
	})
	return out
}

// SliceRange resolves a Python-style slice start:end:step over an axis of length n:
// negative start and end count from the end and both are then clamped to [0, n]. It
// returns the first position and the number of positions taken, and panics if step < 1.
func SliceRange(n, start, end, step int) (first, count int) {
	if step < 1 {
		Panicf("Slice", "step %d is not positive", step)
	}
	clamp := func(i int) int {
		if i < 0 {
			i += n
		}
		return min(max(i, 0), n)
	}
	first, last := clamp(start), clamp(end)
	if last <= first {
		return first, 0
	}
	return first, (last - first + step - 1) / step
}

// Slice returns t[…, start:end:step, …] along axis as a copy, with Python's slice rules
// (see SliceRange). It panics if step < 1 or axis is out of range.
func Slice(t *Tensor, axis, start, end, step int) *Tensor {
	const op = "Slice"
	ax := t.axis(op, axis)
	if step < 1 {
		Panicf(op, "step %d is not positive (shape %s)", step, ShapeString(t.shape))
	}
	first, count := SliceRange(t.shape[ax], start, end, step)
	if step == 1 {
		return Narrow(t, ax, first, count)
	}
	m := make([]int, count)
	for i := range m {
		m[i] = first + i*step
	}
	maps := make([][]int, len(t.shape))
	maps[ax] = m
	return remap(t, maps, 0)
}

// Concat joins tensors along axis, like torch.cat. Every tensor must have the first
// one's shape except on axis. It panics if ts is empty or the shapes do not fit.
func Concat(axis int, ts ...*Tensor) *Tensor {
	const op = "Concat"
	if len(ts) == 0 {
		Panicf(op, "no tensors")
	}
	ax := ts[0].axis(op, axis)
	shape := slices.Clone(ts[0].shape)
	shape[ax] = 0
	for _, t := range ts {
		ok := len(t.shape) == len(shape)
		for d := 0; ok && d < len(shape); d++ {
			ok = d == ax || t.shape[d] == shape[d]
		}
		if !ok {
			Panicf(op, "shapes %s do not fit along axis %d", shapeList(ts), axis)
		}
		shape[ax] += t.shape[ax]
	}
	out := empty(shape...) // the copies below cover every element
	outer, _, inner := split3(out, ax)
	off := 0
	for o := 0; o < outer; o++ {
		for _, t := range ts {
			blk := t.shape[ax] * inner
			copy(out.data[off:off+blk], t.data[o*blk:])
			off += blk
		}
	}
	return out
}

// shapeList formats the shapes of ts for messages: (2,3) and (2,4).
func shapeList(ts []*Tensor) string {
	s := ""
	for i, t := range ts {
		if i > 0 {
			s += " and "
		}
		s += ShapeString(t.shape)
	}
	return s
}

// Stack joins tensors of one shape along a new axis inserted at axis (negative counts
// from the end of the result), like torch.stack. It panics if ts is empty or the
// shapes differ.
func Stack(axis int, ts ...*Tensor) *Tensor {
	const op = "Stack"
	if len(ts) == 0 {
		Panicf(op, "no tensors")
	}
	ax := normAxis(op, axis, len(ts[0].shape)+1, ts[0].shape)
	us := make([]*Tensor, len(ts))
	for i, t := range ts {
		if !SameShape(t, ts[0]) {
			Panicf(op, "shapes %s differ", shapeList(ts))
		}
		us[i] = t.Unsqueeze(ax)
	}
	return Concat(ax, us...)
}

// Split cuts t along axis into pieces of the given sizes, which must add up to the
// axis length, like torch.split with a list of sizes. The pieces are copies. It panics
// if a size is negative or the sizes do not add up.
func Split(t *Tensor, axis int, sizes ...int) []*Tensor {
	const op = "Split"
	ax := t.axis(op, axis)
	sum := 0
	for _, s := range sizes {
		if s < 0 {
			sum = -1
			break
		}
		sum += s
	}
	if sum != t.shape[ax] {
		Panicf(op, "sizes %v do not add up to axis %d of shape %s", sizes, axis, ShapeString(t.shape))
	}
	out := make([]*Tensor, len(sizes))
	off := 0
	for i, s := range sizes {
		out[i] = Narrow(t, ax, off, s)
		off += s
	}
	return out
}

// ChunkSizes returns the sizes torch.chunk cuts an axis of length n into when asked for
// chunks pieces: pieces of ceil(n/chunks), the last one shorter, possibly fewer than
// chunks of them; n = 0 gives chunks empty pieces. It panics if chunks < 1.
func ChunkSizes(n, chunks int) []int {
	if chunks < 1 {
		Panicf("Chunk", "%d chunks", chunks)
	}
	if n == 0 {
		return make([]int, chunks)
	}
	size := (n + chunks - 1) / chunks
	var sizes []int
	for off := 0; off < n; off += size {
		sizes = append(sizes, min(size, n-off))
	}
	return sizes
}

// Chunk cuts t along axis into n pieces as torch.chunk does (see ChunkSizes). It
// panics if n < 1 or axis is out of range.
func Chunk(t *Tensor, n, axis int) []*Tensor {
	ax := t.axis("Chunk", axis)
	return Split(t, ax, ChunkSizes(t.shape[ax], n)...)
}

// Flip returns t with the order of entries reversed along each of axes, like
// torch.flip (no axes: an unchanged copy). It panics if an axis is out of range or
// repeated.
func Flip(t *Tensor, axes ...int) *Tensor {
	const op = "Flip"
	maps := make([][]int, len(t.shape))
	for _, a := range axes {
		ax := t.axis(op, a)
		if maps[ax] != nil {
			Panicf(op, "axis %d repeated in %v for shape %s", a, axes, ShapeString(t.shape))
		}
		n := t.shape[ax]
		m := make([]int, n)
		for i := range m {
			m[i] = n - 1 - i
		}
		maps[ax] = m
	}
	return remap(t, maps, 0)
}

// PadMode selects how Pad fills the new border.
type PadMode int

const (
	// PadConstant fills the border with a value. Negative pads crop.
	PadConstant PadMode = iota
	// PadReflect mirrors the entries next to the border, without repeating the edge:
	// [a b c] padded by 2 on the left is [c b a b c]. Pads must be shorter than the axis.
	PadReflect
	// PadReplicate repeats the edge entry: [a b c] padded by 2 on the left is
	// [a a a b c].
	PadReplicate
)

// String returns the PyTorch name of the mode: constant, reflect or replicate.
func (m PadMode) String() string {
	switch m {
	case PadConstant:
		return "constant"
	case PadReflect:
		return "reflect"
	case PadReplicate:
		return "replicate"
	}
	return fmt.Sprintf("PadMode(%d)", int(m))
}

// padMaps returns, for each axis, the source position of every padded position (-1
// for a constant border; nil for an axis left alone) and the padded shape.
func padMaps(op string, shape []int, pads []int, mode PadMode) ([][]int, []int) {
	nd := len(shape)
	if len(pads)%2 != 0 || len(pads) > 2*nd {
		Panicf(op, "%d pads %v for shape %s (want an even number, at most %d)", len(pads), pads, ShapeString(shape), 2*nd)
	}
	if mode != PadConstant && mode != PadReflect && mode != PadReplicate {
		Panicf(op, "unknown mode %v", mode)
	}
	maps := make([][]int, nd)
	out := slices.Clone(shape)
	for i := 0; i < len(pads)/2; i++ {
		ax := nd - 1 - i
		l, r, n := pads[2*i], pads[2*i+1], shape[ax]
		if l == 0 && r == 0 {
			continue
		}
		bad := n+l+r < 0
		switch mode {
		case PadReflect:
			bad = bad || l < 0 || r < 0 || l >= n || r >= n
		case PadReplicate:
			bad = bad || l < 0 || r < 0 || n == 0
		}
		if bad {
			Panicf(op, "%s pads %v do not fit axis %d of shape %s", mode, pads, ax, ShapeString(shape))
		}
		m := make([]int, n+l+r)
		for p := range m {
			s := p - l
			switch {
			case s >= 0 && s < n:
			case mode == PadConstant:
				s = -1
			case mode == PadReflect && s < 0:
				s = -s
			case mode == PadReflect:
				s = 2*(n-1) - s
			case s < 0:
				s = 0
			default:
				s = n - 1
			}
			m[p] = s
		}
		maps[ax] = m
		out[ax] = len(m)
	}
	return maps, out
}

// Pad returns t with a border added, like torch.nn.functional.pad: pads lists
// (before, after) counts for the last axis first, then the one before it, and so on
// (left, right, top, bottom, … for images), covering at most every axis. PadConstant
// fills with value (negative pads crop); PadReflect and PadReplicate take the border
// from t and ignore value. It panics if pads has an odd length or more than two per
// axis, if a padded axis would be negative, or if a reflect pad is not shorter than its
// axis.
func Pad(t *Tensor, pads []int, mode PadMode, value float32) *Tensor {
	maps, shape := padMaps("Pad", t.shape, pads, mode)
	if mode == PadConstant {
		if out := padOneAxis(t, maps, shape, value); out != nil {
			return out
		}
	}
	return remap(t, maps, value)
}

// padOneAxis is Pad with PadConstant for the common case of one axis padded on either
// side by a non-negative count (the gradient of Narrow): t's rows are copied in
// parallel into a tensor of the padded shape, whose border New has already zeroed
// when value is 0. It returns nil for any other padding.
func padOneAxis(t *Tensor, maps [][]int, shape []int, value float32) *Tensor {
	ax := -1
	for d, m := range maps {
		if m == nil {
			continue
		}
		if ax >= 0 {
			return nil
		}
		ax = d
	}
	if ax < 0 {
		return nil
	}
	before := slices.Index(maps[ax], 0)
	if t.shape[ax] == 0 || before < 0 || shape[ax] < t.shape[ax]+before {
		return nil // cropping, or an empty axis
	}
	out := New(shape...)
	outer, n, inner := split3(t, ax)
	blk, oblk := n*inner, shape[ax]*inner
	parallel(outer, max(1, grainCheap/max(oblk, 1)), func(lo, hi int) {
		for o := lo; o < hi; o++ {
			row := out.data[o*oblk : (o+1)*oblk]
			if value != 0 {
				fill(row[:before*inner], value)
				fill(row[before*inner+blk:], value)
			}
			copy(row[before*inner:], t.data[o*blk:(o+1)*blk])
		}
	})
	return out
}

// PadGrad returns the gradient of Pad(x, pads, mode, ·) with respect to x given the
// gradient g of its output: the border entries are folded back onto the entries they
// copy (PadReflect, PadReplicate) or dropped (PadConstant). It panics as Pad does for
// an input of the shape g implies.
func PadGrad(g *Tensor, pads []int, mode PadMode) *Tensor {
	const op = "PadGrad"
	nd := len(g.shape)
	if len(pads)%2 != 0 || len(pads) > 2*nd {
		Panicf(op, "%d pads %v for gradient of shape %s", len(pads), pads, ShapeString(g.shape))
	}
	in := slices.Clone(g.shape)
	for i := 0; i < len(pads)/2; i++ {
		in[nd-1-i] -= pads[2*i] + pads[2*i+1]
		if in[nd-1-i] < 0 {
			Panicf(op, "pads %v are larger than gradient shape %s", pads, ShapeString(g.shape))
		}
	}
	if mode == PadConstant {
		neg := make([]int, len(pads))
		for i, p := range pads {
			neg[i] = -p
		}
		return Pad(g, neg, PadConstant, 0)
	}
	maps, _ := padMaps(op, in, pads, mode)
	cur := g
	for ax, m := range maps {
		if m == nil {
			continue
		}
		shape := slices.Clone(cur.shape)
		shape[ax] = in[ax]
		next := New(shape...)
		accumAxis(next, cur, ax, m)
		cur = next
	}
	if cur == g {
		return g.Clone()
	}
	return cur
}

// tri keeps the entries (i,j) of t's last two axes with j-i <= k (lower) or j-i >= k
// (upper) and zeroes the rest.
func tri(op string, t *Tensor, k int, lower bool) *Tensor {
	nd := len(t.shape)
	if nd < 2 {
		Panicf(op, "shape %s has fewer than 2 axes", ShapeString(t.shape))
	}
	rows, cols := t.shape[nd-2], t.shape[nd-1]
	out := New(t.shape...)
	if len(out.data) == 0 {
		return out
	}
	for base := 0; base < len(t.data); base += rows * cols {
		for i := 0; i < rows; i++ {
			a, b := 0, cols
			if lower {
				b = min(max(i+k+1, 0), cols)
			} else {
				a = min(max(i+k, 0), cols)
			}
			r := base + i*cols
			copy(out.data[r+a:r+b], t.data[r+a:r+b])
		}
	}
	return out
}

// Tril returns t with the entries above the k-th diagonal of its last two axes set to
// 0, like torch.tril: entry (i,j) is kept when j-i <= k. It panics if t has fewer than
// two axes.
func Tril(t *Tensor, k int) *Tensor { return tri("Tril", t, k, true) }

// Triu returns t with the entries below the k-th diagonal of its last two axes set to
// 0, like torch.triu: entry (i,j) is kept when j-i >= k. It panics if t has fewer than
// two axes.
func Triu(t *Tensor, k int) *Tensor { return tri("Triu", t, k, false) }
