package tensor

import (
	"math"
	"slices"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// reduceAxes normalises axes (all axes when empty) and returns a mask of reduced axes
// and the kept-dimension output shape.
func reduceAxes(op string, t *Tensor, axes []int) (mask []bool, keepShape []int) {
	mask = make([]bool, len(t.shape))
	if len(axes) == 0 {
		for i := range mask {
			mask[i] = true
		}
	}
	for _, ax := range axes {
		a := t.axis(op, ax)
		if mask[a] {
			Panicf(op, "axis %d repeated for shape %s", ax, ShapeString(t.shape))
		}
		mask[a] = true
	}
	keepShape = slices.Clone(t.shape)
	for i, m := range mask {
		if m {
			keepShape[i] = 1
		}
	}
	return mask, keepShape
}

func squeezeMask(shape []int, mask []bool) []int {
	var s []int
	for i, d := range shape {
		if !mask[i] {
			s = append(s, d)
		}
	}
	return s
}

func finishReduce(out *Tensor, mask []bool, keepDims bool) *Tensor {
	if keepDims {
		return out
	}
	return &Tensor{shape: squeezeMask(out.shape, mask), data: out.data}
}

// Sum returns the sum of t over the given axes (all axes when none are given). With
// keepDims the reduced axes stay with length 1.
func Sum(t *Tensor, keepDims bool, axes ...int) *Tensor {
	mask, ks := reduceAxes("Sum", t, axes)
	out := t.SumTo(ks...)
	return finishReduce(out, mask, keepDims)
}

// Mean returns the mean of t over the given axes (all axes when none are given).
func Mean(t *Tensor, keepDims bool, axes ...int) *Tensor {
	mask, ks := reduceAxes("Mean", t, axes)
	out := t.SumTo(ks...)
	n := 1
	for i, m := range mask {
		if m {
			n *= t.shape[i]
		}
	}
	out.ScaleInPlace(1 / float32(n))
	return finishReduce(out, mask, keepDims)
}

func reduceMax(op string, t *Tensor, keepDims, useMin bool, axes []int) *Tensor {
	mask, ks := reduceAxes(op, t, axes)
	if len(t.data) == 0 {
		Panicf(op, "empty tensor of shape %s", ShapeString(t.shape))
	}
	init := float32(math.Inf(-1))
	if useMin {
		init = float32(math.Inf(1))
	}
	out := Full(init, ks...)
	p := newPlan(t.shape, strides(t.shape), bstrides(ks, t.shape))
	p.run(func(offs []int, n int, st []int) {
		kernels.MaxStrided(out.data[offs[1]:], st[1], t.data[offs[0]:offs[0]+n], useMin)
	})
	return finishReduce(out, mask, keepDims)
}

// Max returns the maximum of t over the given axes (all axes when none are given).
func Max(t *Tensor, keepDims bool, axes ...int) *Tensor {
	return reduceMax("Max", t, keepDims, false, axes)
}

// Min returns the minimum of t over the given axes (all axes when none are given).
func Min(t *Tensor, keepDims bool, axes ...int) *Tensor {
	return reduceMax("Min", t, keepDims, true, axes)
}

// Var returns the variance over the given axes with the given correction (0 for the
// population variance, 1 for Bessel's correction as in torch.var's default).
func Var(t *Tensor, correction int, keepDims bool, axes ...int) *Tensor {
	mask, ks := reduceAxes("Var", t, axes)
	n := 1
	for i, m := range mask {
		if m {
			n *= t.shape[i]
		}
	}
	mean := Mean(t, true, axes...)
	d := Sub(t, mean)
	out := Square(d).SumTo(ks...)
	out.ScaleInPlace(1 / float32(max(n-correction, 0)))
	return finishReduce(out, mask, keepDims)
}

// Std returns the square root of Var.
func Std(t *Tensor, correction int, keepDims bool, axes ...int) *Tensor {
	return Sqrt(Var(t, correction, keepDims, axes...))
}

// LogSumExp returns log(Σ exp(t)) over the given axes, computed stably.
func LogSumExp(t *Tensor, keepDims bool, axes ...int) *Tensor {
	mask, _ := reduceAxes("LogSumExp", t, axes)
	m := Max(t, true, axes...)
	for i, v := range m.data {
		if math.IsInf(float64(v), 0) {
			m.data[i] = 0
		}
	}
	s := Sum(Exp(Sub(t, m)), true, axes...)
	out := Add(Log(s), m)
	return finishReduce(out, mask, keepDims)
}

// split3 views t as (outer, n, inner) around axis ax.
func split3(t *Tensor, ax int) (outer, n, inner int) {
	outer, inner = 1, 1
	for i := 0; i < ax; i++ {
		outer *= t.shape[i]
	}
	for i := ax + 1; i < len(t.shape); i++ {
		inner *= t.shape[i]
	}
	return outer, t.shape[ax], inner
}

func argReduce(op string, t *Tensor, axis int, keepDims, useMin bool) *Tensor {
	ax := t.axis(op, axis)
	outer, n, inner := split3(t, ax)
	if n == 0 {
		Panicf(op, "empty axis %d of shape %s", axis, ShapeString(t.shape))
	}
	shape := slices.Clone(t.shape)
	shape[ax] = 1
	out := New(shape...)
	for o := 0; o < outer; o++ {
		for in := 0; in < inner; in++ {
			base := o*n*inner + in
			best, bi := t.data[base], 0
			for k := 1; k < n; k++ {
				v := t.data[base+k*inner]
				if best != best {
					break
				}
				if (useMin && v < best) || (!useMin && v > best) || v != v {
					best, bi = v, k
				}
			}
			out.data[o*inner+in] = float32(bi)
		}
	}
	if !keepDims {
		out.shape = slices.Delete(out.shape, ax, ax+1)
	}
	return out
}

// ArgMax returns the index of the largest value along axis (the first one on ties), as
// float32 values.
func ArgMax(t *Tensor, axis int, keepDims bool) *Tensor {
	return argReduce("ArgMax", t, axis, keepDims, false)
}

// ArgMin returns the index of the smallest value along axis (the first one on ties).
func ArgMin(t *Tensor, axis int, keepDims bool) *Tensor {
	return argReduce("ArgMin", t, axis, keepDims, true)
}

// Softmax returns exp(t)/Σexp(t) along axis, computed stably.
func Softmax(t *Tensor, axis int) *Tensor {
	ax := t.axis("Softmax", axis)
	outer, n, inner := split3(t, ax)
	out := New(t.shape...)
	softmaxRows(outer, n, inner, func(base int) {
		kernels.SoftmaxStrided(out.data[base:], t.data[base:], n, inner, false)
	})
	return out
}

// LogSoftmax returns t - logsumexp(t) along axis, computed stably.
func LogSoftmax(t *Tensor, axis int) *Tensor {
	ax := t.axis("LogSoftmax", axis)
	outer, n, inner := split3(t, ax)
	out := New(t.shape...)
	softmaxRows(outer, n, inner, func(base int) {
		kernels.SoftmaxStrided(out.data[base:], t.data[base:], n, inner, true)
	})
	return out
}
