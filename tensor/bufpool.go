package tensor

import (
	"slices"
	"sync"
)

// poolMin is the smallest tensor, in values, whose storage is recycled; smaller ones
// are cheap enough for the garbage collector.
const poolMin = 1 << 12

// bufPools maps a storage length to a *sync.Pool of *[]float32 of that length. A
// training loop allocates the same sizes step after step, so exact lengths reuse well,
// and sync.Pool lets the garbage collector drop buffers nobody asks for again.
var bufPools sync.Map

// pooledBuf returns recycled storage of exactly n values (contents undefined), or nil.
func pooledBuf(n int) []float32 {
	if n < poolMin {
		return nil
	}
	p, ok := bufPools.Load(n)
	if !ok {
		return nil
	}
	b, _ := p.(*sync.Pool).Get().(*[]float32)
	if b == nil {
		return nil
	}
	return *b
}

// Release hands t's storage back for reuse by tensors created later and leaves t
// empty, so that any later use of t panics instead of reading recycled values. It is
// for code that knows no other tensor shares the storage (a Reshape or other view of
// t, or a tensor made with FromSlice from the same slice) and that nothing will read
// t again; autograd releases the gradient temporaries of Backward this way. Releasing
// a tensor twice, or using a view of it afterwards, is a bug that corrupts other
// tensors.
func (t *Tensor) Release() {
	n := len(t.data)
	if n >= poolMin && cap(t.data) == n {
		p, _ := bufPools.LoadOrStore(n, new(sync.Pool))
		b := t.data
		p.(*sync.Pool).Put(&b)
	}
	t.data = nil
}

// empty returns a tensor of the given shape whose values are undefined: recycled
// storage is not cleared. The caller must write every value.
func empty(shape ...int) *Tensor {
	n := numel("New", shape)
	data := pooledBuf(n)
	if data == nil {
		data = make([]float32, n)
	}
	return &Tensor{shape: slices.Clone(shape), data: data}
}
