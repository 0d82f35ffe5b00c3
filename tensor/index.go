package tensor

import (
	"slices"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// Index tensors hold integer positions as float32 values, as ArgMax returns them. An
// index that is not a whole number, or is outside the axis it indexes, is a programmer
// mistake: the op panics with an *Error naming itself, the index value and the shape.

// indexValue converts the float32 index f for an axis of length n and panics with op's
// name if it is not a whole number in [0, n).
func indexValue(op string, f float32, n, ax int, shape []int) int {
	v := int(f)
	if float32(v) != f || v < 0 || v >= n {
		Panicf(op, "index %v out of range for axis %d of shape %s", f, ax, ShapeString(shape))
	}
	return v
}

// axisMap converts a 1-D index tensor to positions along axis ax of shape.
func axisMap(op string, index *Tensor, ax int, shape []int) []int {
	if index.Dim() > 1 {
		Panicf(op, "index of shape %s is not 1-D (input shape %s)", ShapeString(index.shape), ShapeString(shape))
	}
	m := make([]int, len(index.data))
	for i, f := range index.data {
		m[i] = indexValue(op, f, shape[ax], ax, shape)
	}
	return m
}

// segment is a stretch of output positions along one axis whose source positions form
// an arithmetic progression src, src+step, … (src < 0: the stretch is filled).
type segment struct{ dst, src, n, step int }

// segments splits a position map into the fewest arithmetic stretches, so that remap
// can copy each with one copy call or one tight loop.
func segments(m []int) []segment {
	var segs []segment
	for i := 0; i < len(m); {
		s := segment{dst: i, src: m[i], n: 1, step: 1}
		switch {
		case m[i] < 0:
			s.src = -1
			for i+s.n < len(m) && m[i+s.n] < 0 {
				s.n++
			}
		case i+1 < len(m) && m[i+1] >= 0:
			s.step = m[i+1] - m[i]
			for i+s.n < len(m) && m[i+s.n] >= 0 && m[i+s.n]-m[i+s.n-1] == s.step {
				s.n++
			}
		}
		segs = append(segs, s)
		i += s.n
	}
	return segs
}

func fill(dst []float32, v float32) {
	for i := range dst {
		dst[i] = v
	}
}

// remap returns out with out[i0,…,id] = t[maps[0][i0],…,maps[d][id]], or fillValue where
// any map holds -1. A nil map is the identity on that axis. It is the engine behind
// Narrow, Slice, Flip, Pad and IndexSelect: the trailing identity axes are copied as
// one block and every row is a handful of copy calls.
func remap(t *Tensor, maps [][]int, fillValue float32) *Tensor {
	shape := slices.Clone(t.shape)
	k := -1
	for d, m := range maps {
		if m != nil {
			shape[d] = len(m)
			k = d
		}
	}
	out := New(shape...)
	if k < 0 {
		copy(out.data, t.data)
		return out
	}
	if len(out.data) == 0 {
		return out
	}
	inner := 1
	for _, d := range shape[k+1:] {
		inner *= d
	}
	st := strides(t.shape)
	segs := segments(maps[k])
	rowLen := shape[k] * inner
	idx := make([]int, k)
	for dst := 0; dst < len(out.data); dst += rowLen {
		row := out.data[dst : dst+rowLen]
		off, fillRow := 0, false
		for d := 0; d < k; d++ {
			s := idx[d]
			if maps[d] != nil {
				s = maps[d][s]
			}
			if s < 0 {
				fillRow = true
				break
			}
			off += s * st[d]
		}
		if fillRow {
			fill(row, fillValue)
		} else {
			src := t.data[off:]
			for _, s := range segs {
				seg := row[s.dst*inner : (s.dst+s.n)*inner]
				switch {
				case s.src < 0:
					fill(seg, fillValue)
				case s.step == 1:
					copy(seg, src[s.src*inner:])
				case inner == 1:
					for j := range seg {
						seg[j] = src[s.src+j*s.step]
					}
				default:
					for j := 0; j < s.n; j++ {
						copy(seg[j*inner:(j+1)*inner], src[(s.src+j*s.step)*inner:])
					}
				}
			}
		}
		for d := k - 1; d >= 0; d-- {
			idx[d]++
			if idx[d] < shape[d] {
				break
			}
			idx[d] = 0
		}
	}
	return out
}

// accumAxis adds src into dst along axis ax through a position map: dst[…,m[i],…] +=
// src[…,i,…] for every i with m[i] >= 0. dst and src agree on every other axis. It is
// the adjoint of remapping one axis.
func accumAxis(dst, src *Tensor, ax int, m []int) {
	outer, nd, inner := split3(dst, ax)
	ns := src.shape[ax]
	for o := 0; o < outer; o++ {
		d := dst.data[o*nd*inner : (o+1)*nd*inner]
		s := src.data[o*ns*inner : (o+1)*ns*inner]
		if inner == 1 {
			for i, p := range m {
				if p >= 0 {
					d[p] += s[i]
				}
			}
			continue
		}
		for i, p := range m {
			if p >= 0 {
				kernels.Axpy(1, s[i*inner:(i+1)*inner], d[p*inner:(p+1)*inner])
			}
		}
	}
}

// IndexSelect returns the entries of t at the positions index holds along axis, like
// torch.index_select: the result has t's shape with that axis of length len(index).
// Positions may repeat. It panics if index is not 1-D or holds a position outside the
// axis.
func IndexSelect(t *Tensor, axis int, index *Tensor) *Tensor {
	const op = "IndexSelect"
	ax := t.axis(op, axis)
	maps := make([][]int, len(t.shape))
	maps[ax] = axisMap(op, index, ax, t.shape)
	return remap(t, maps, 0)
}

// IndexAdd returns a copy of t with the slices of src added at the positions index
// holds along axis, like torch.index_add: out[…,index[i],…] += src[…,i,…]. Repeated
// positions accumulate. It is the gradient of IndexSelect. It panics if index is not
// 1-D, holds a position outside the axis, or src's shape is not t's shape with that
// axis of length len(index).
func IndexAdd(t *Tensor, axis int, index, src *Tensor) *Tensor {
	const op = "IndexAdd"
	ax := t.axis(op, axis)
	m := axisMap(op, index, ax, t.shape)
	want := slices.Clone(t.shape)
	want[ax] = len(m)
	if !slices.Equal(src.shape, want) {
		Panicf(op, "source of shape %s for input %s and %d indices along axis %d (want %s)",
			ShapeString(src.shape), ShapeString(t.shape), len(m), axis, ShapeString(want))
	}
	out := t.Clone()
	accumAxis(out, src, ax, m)
	return out
}

// walkIndex calls row once for every run of index along its last axis, with the flat
// position i of the run's first element in index and that element's offsets in a
// tensor of shape tShape (the indexed axis ax contributing 0) and in one of shape
// oShape. Both shapes are at least as large as index's on every axis, except tShape on
// axis ax.
func walkIndex(index *Tensor, ax int, tShape, oShape []int, row func(i, tOff, oOff int)) {
	nd := len(index.shape)
	if len(index.data) == 0 {
		return
	}
	last := nd - 1
	n := index.shape[last]
	tst, ost := strides(tShape), strides(oShape)
	idx := make([]int, last)
	tOff, oOff := 0, 0
	for i := 0; i < len(index.data); i += n {
		row(i, tOff, oOff)
		for d := last - 1; d >= 0; d-- {
			idx[d]++
			if d != ax {
				tOff += tst[d]
			}
			oOff += ost[d]
			if idx[d] < index.shape[d] {
				break
			}
			if d != ax {
				tOff -= tst[d] * idx[d]
			}
			oOff -= ost[d] * idx[d]
			idx[d] = 0
		}
	}
}

// checkIndexShapes panics unless index has t's rank, fits t on every axis but ax, and
// fits src (if given) on every axis, as torch.gather and torch.scatter_add require.
func checkIndexShapes(op string, t *Tensor, ax int, index, src *Tensor) {
	bad := index.Dim() != t.Dim()
	for d := 0; !bad && d < index.Dim(); d++ {
		bad = d != ax && index.shape[d] > t.shape[d]
	}
	if src != nil {
		bad = bad || src.Dim() != index.Dim()
		for d := 0; !bad && d < index.Dim(); d++ {
			bad = index.shape[d] > src.shape[d]
		}
	}
	if !bad {
		return
	}
	if src != nil {
		Panicf(op, "index of shape %s does not fit input %s and source %s along axis %d",
			ShapeString(index.shape), ShapeString(t.shape), ShapeString(src.shape), ax)
	}
	Panicf(op, "index of shape %s does not fit input %s along axis %d",
		ShapeString(index.shape), ShapeString(t.shape), ax)
}

// Gather returns the entries of t picked along axis by index, like torch.gather: for a
// 3-D t and axis 1, out[i][j][k] = t[i][index[i][j][k]][k]. The result has index's
// shape. It panics if index's rank differs from t's, if index is longer than t on an
// axis other than axis, or if it holds a position outside the axis.
func Gather(t *Tensor, axis int, index *Tensor) *Tensor {
	const op = "Gather"
	if t.Dim() == 0 {
		return Gather(t.Reshape(1), 0, index.Reshape(index.Numel())).Reshape(index.shape...)
	}
	ax := t.axis(op, axis)
	checkIndexShapes(op, t, ax, index, nil)
	out := New(index.shape...)
	last := len(t.shape) - 1
	tst := strides(t.shape)
	jst, axSt, lim := tst[last], tst[ax], t.shape[ax]
	if ax == last {
		jst = 0
	}
	n := index.shape[last]
	walkIndex(index, ax, t.shape, index.shape, func(i, tOff, _ int) {
		dst := out.data[i : i+n]
		for j, f := range index.data[i : i+n] {
			v := indexValue(op, f, lim, ax, t.shape)
			dst[j] = t.data[tOff+j*jst+v*axSt]
		}
	})
	return out
}

// ScatterAdd returns a copy of t with src's entries added at the positions index holds
// along axis, like torch.scatter_add: for a 3-D t and axis 1,
// out[i][index[i][j][k]][k] += src[i][j][k] for every position of index. Repeated
// positions accumulate; src may be larger than index (its extra entries are unused).
// It is the gradient of Gather. It panics if the ranks differ, if index is longer than
// src on any axis or than t on an axis other than axis, or if it holds a position
// outside the axis.
func ScatterAdd(t *Tensor, axis int, index, src *Tensor) *Tensor {
	const op = "ScatterAdd"
	if t.Dim() == 0 {
		n := index.Numel()
		return ScatterAdd(t.Reshape(1), 0, index.Reshape(n), src.Reshape(src.Numel())).Reshape()
	}
	ax := t.axis(op, axis)
	checkIndexShapes(op, t, ax, index, src)
	out := t.Clone()
	last := len(t.shape) - 1
	tst := strides(t.shape)
	jst, axSt, lim := tst[last], tst[ax], t.shape[ax]
	if ax == last {
		jst = 0
	}
	n := index.shape[last]
	walkIndex(index, ax, t.shape, src.shape, func(i, tOff, sOff int) {
		s := src.data[sOff : sOff+n]
		for j, f := range index.data[i : i+n] {
			v := indexValue(op, f, lim, ax, t.shape)
			out.data[tOff+j*jst+v*axSt] += s[j]
		}
	})
	return out
}

// OneHot returns a tensor of index's shape with an axis of length numClasses appended,
// holding 1 at the position each index value names and 0 elsewhere, like
// torch.nn.functional.one_hot. It panics if numClasses < 1 or an index value is not a
// whole number in [0, numClasses).
func OneHot(index *Tensor, numClasses int) *Tensor {
	const op = "OneHot"
	if numClasses < 1 {
		Panicf(op, "%d classes for index of shape %s", numClasses, ShapeString(index.shape))
	}
	out := New(append(slices.Clone(index.shape), numClasses)...)
	for i, f := range index.data {
		v := int(f)
		if float32(v) != f || v < 0 || v >= numClasses {
			Panicf(op, "index %v out of range for %d classes (index shape %s)", f, numClasses, ShapeString(index.shape))
		}
		out.data[i*numClasses+v] = 1
	}
	return out
}

// MaskedFill returns a copy of t with value wherever mask (broadcast to t's shape) is
// nonzero, like torch.masked_fill. It panics if mask does not broadcast to t's shape.
func MaskedFill(t, mask *Tensor, value float32) *Tensor {
	s := BroadcastShapes("MaskedFill", t.shape, mask.shape)
	if !slices.Equal(s, t.shape) {
		Panicf("MaskedFill", "mask of shape %s does not broadcast to input %s", ShapeString(mask.shape), ShapeString(t.shape))
	}
	return Where(mask, Scalar(value), t)
}
