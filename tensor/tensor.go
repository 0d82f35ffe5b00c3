package tensor

import (
	"math"
	"math/rand/v2"
	"slices"
)

// Tensor is an N-dimensional array of float32 values stored contiguously in row-major
// (C) order. The zero value is not usable; build tensors with New, FromSlice, Zeros and
// the other constructors. A Tensor's shape never changes after construction; ops return
// new tensors and never modify their inputs unless the name says so (the *InPlace and
// Set methods).
//
// A Tensor may be read from many goroutines at once; writing to it while others read is
// a data race, as with a slice.
type Tensor struct {
	shape []int
	data  []float32
}

// numel returns the number of elements a shape holds and panics on a negative dimension.
func numel(op string, shape []int) int {
	n := 1
	for _, d := range shape {
		if d < 0 {
			Panicf(op, "negative dimension in shape %s", ShapeString(shape))
		}
		n *= d
	}
	return n
}

// New returns a zero-filled tensor of the given shape. New() is a scalar.
func New(shape ...int) *Tensor {
	n := numel("New", shape)
	data := pooledBuf(n)
	if data == nil {
		data = make([]float32, n)
	} else {
		clear(data)
	}
	return &Tensor{shape: slices.Clone(shape), data: data}
}

// Zeros is New: a tensor of the given shape filled with 0.
func Zeros(shape ...int) *Tensor { return New(shape...) }

// Ones returns a tensor of the given shape filled with 1.
func Ones(shape ...int) *Tensor { return Full(1, shape...) }

// Full returns a tensor of the given shape filled with v.
func Full(v float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = v
	}
	return t
}

// Scalar returns a 0-dimensional tensor holding v.
func Scalar(v float32) *Tensor { return &Tensor{shape: []int{}, data: []float32{v}} }

// FromSlice returns a tensor of the given shape that uses data as its storage (no copy).
// It panics if len(data) does not match the shape.
func FromSlice(data []float32, shape ...int) *Tensor {
	n := numel("FromSlice", shape)
	if n != len(data) {
		Panicf("FromSlice", "%d values do not fill shape %s", len(data), ShapeString(shape))
	}
	return &Tensor{shape: slices.Clone(shape), data: data}
}

// FromFloat64 returns a tensor of the given shape holding data converted to float32.
func FromFloat64(data []float64, shape ...int) *Tensor {
	t := New(shape...)
	if len(data) != len(t.data) {
		Panicf("FromFloat64", "%d values do not fill shape %s", len(data), ShapeString(shape))
	}
	for i, v := range data {
		t.data[i] = float32(v)
	}
	return t
}

// Arange returns the 1-D tensor start, start+step, … up to but excluding stop.
// It panics if step is 0.
func Arange(start, stop, step float32) *Tensor {
	if step == 0 {
		Panicf("Arange", "step is 0")
	}
	n := int(math.Ceil(float64((stop - start) / step)))
	if n < 0 {
		n = 0
	}
	t := New(n)
	for i := range t.data {
		t.data[i] = start + float32(i)*step
	}
	return t
}

// Linspace returns n evenly spaced values from start to stop inclusive.
func Linspace(start, stop float32, n int) *Tensor {
	t := New(n)
	if n == 1 {
		t.data[0] = start
		return t
	}
	step := (float64(stop) - float64(start)) / float64(n-1)
	for i := range t.data {
		t.data[i] = float32(float64(start) + float64(i)*step)
	}
	return t
}

// Eye returns the n×n identity matrix.
func Eye(n int) *Tensor {
	t := New(n, n)
	for i := 0; i < n; i++ {
		t.data[i*n+i] = 1
	}
	return t
}

// Randn returns a tensor of standard normal samples drawn from rng.
func Randn(rng *rand.Rand, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = float32(rng.NormFloat64())
	}
	return t
}

// Rand returns a tensor of samples uniform on [lo, hi) drawn from rng.
func Rand(rng *rand.Rand, lo, hi float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		t.data[i] = lo + (hi-lo)*float32(rng.Float64())
	}
	return t
}

// Bernoulli returns a tensor of 0/1 samples that are 1 with probability p.
func Bernoulli(rng *rand.Rand, p float32, shape ...int) *Tensor {
	t := New(shape...)
	for i := range t.data {
		if rng.Float64() < float64(p) {
			t.data[i] = 1
		}
	}
	return t
}

// Clone returns a deep copy of t.
func (t *Tensor) Clone() *Tensor {
	return &Tensor{shape: slices.Clone(t.shape), data: slices.Clone(t.data)}
}

// Shape returns a copy of t's shape.
func (t *Tensor) Shape() []int { return slices.Clone(t.shape) }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { return len(t.shape) }

// Size returns the length of axis ax; negative axes count from the end.
func (t *Tensor) Size(ax int) int { return t.shape[t.axis("Size", ax)] }

// Numel returns the number of elements.
func (t *Tensor) Numel() int { return len(t.data) }

// Data returns the underlying storage in row-major order. Writing to it changes t.
func (t *Tensor) Data() []float32 { return t.data }

// Item returns the value of a one-element tensor and panics otherwise.
func (t *Tensor) Item() float32 {
	if len(t.data) != 1 {
		Panicf("Item", "tensor of shape %s has %d elements, not 1", ShapeString(t.shape), len(t.data))
	}
	return t.data[0]
}

// offset returns the flat index of a multi-index.
func (t *Tensor) offset(op string, idx []int) int {
	if len(idx) != len(t.shape) {
		Panicf(op, "%d indices for shape %s", len(idx), ShapeString(t.shape))
	}
	off := 0
	for i, v := range idx {
		d := t.shape[i]
		if v < 0 {
			v += d
		}
		if v < 0 || v >= d {
			Panicf(op, "index %d out of range for axis %d of shape %s", idx[i], i, ShapeString(t.shape))
		}
		off = off*d + v
	}
	return off
}

// At returns the element at the given index; negative indices count from the end.
func (t *Tensor) At(idx ...int) float32 { return t.data[t.offset("At", idx)] }

// Set stores v at the given index.
func (t *Tensor) Set(v float32, idx ...int) { t.data[t.offset("Set", idx)] = v }

// SameShape reports whether a and b have identical shapes.
func SameShape(a, b *Tensor) bool { return slices.Equal(a.shape, b.shape) }

// axis normalises a possibly negative axis for t and panics if it is out of range.
func (t *Tensor) axis(op string, ax int) int { return normAxis(op, ax, len(t.shape), t.shape) }

func normAxis(op string, ax, ndim int, shape []int) int {
	a := ax
	if a < 0 {
		a += ndim
	}
	if a < 0 || a >= ndim {
		Panicf(op, "axis %d out of range for shape %s", ax, ShapeString(shape))
	}
	return a
}

// Reshape returns a tensor with the same data and a new shape; one dimension may be -1
// and is then inferred. The result shares storage with t.
func (t *Tensor) Reshape(shape ...int) *Tensor {
	s := slices.Clone(shape)
	infer := -1
	n := 1
	for i, d := range s {
		if d == -1 {
			if infer >= 0 {
				Panicf("Reshape", "more than one -1 in %s", ShapeString(shape))
			}
			infer = i
			continue
		}
		if d < 0 {
			Panicf("Reshape", "negative dimension in %s", ShapeString(shape))
		}
		n *= d
	}
	if infer >= 0 {
		if n == 0 || len(t.data)%n != 0 {
			Panicf("Reshape", "cannot reshape %s into %s", ShapeString(t.shape), ShapeString(shape))
		}
		s[infer] = len(t.data) / n
		n *= s[infer]
	}
	if n != len(t.data) {
		Panicf("Reshape", "cannot reshape %s into %s", ShapeString(t.shape), ShapeString(shape))
	}
	return &Tensor{shape: s, data: t.data}
}

// View is Reshape.
func (t *Tensor) View(shape ...int) *Tensor { return t.Reshape(shape...) }

// ToFloat64 returns t's values as float64.
func (t *Tensor) ToFloat64() []float64 {
	out := make([]float64, len(t.data))
	for i, v := range t.data {
		out[i] = float64(v)
	}
	return out
}

// strides returns row-major strides for shape.
func strides(shape []int) []int {
	st := make([]int, len(shape))
	s := 1
	for i := len(shape) - 1; i >= 0; i-- {
		st[i] = s
		s *= shape[i]
	}
	return st
}
