package tensor_test

import (
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// ints builds an index tensor of the given shape.
func ints(shape []int, vals ...int) *tensor.Tensor {
	d := make([]float32, len(vals))
	for i, v := range vals {
		d[i] = float32(v)
	}
	return tensor.FromSlice(d, shape...)
}

func seq(shape ...int) *tensor.Tensor {
	t := tensor.New(shape...)
	for i := range t.Data() {
		t.Data()[i] = float32(i)
	}
	return t
}

func TestIndexOps(t *testing.T) {
	x := seq(2, 3) // [[0 1 2] [3 4 5]]
	cases := []struct {
		name  string
		got   *tensor.Tensor
		shape []int
		data  []float32
	}{
		{"gather_axis1", tensor.Gather(x, 1, ints([]int{2, 2}, 2, 0, 1, 1)), []int{2, 2}, []float32{2, 0, 4, 4}},
		{"gather_axis0", tensor.Gather(x, 0, ints([]int{1, 3}, 1, 0, 1)), []int{1, 3}, []float32{3, 1, 5}},
		{"gather_smaller_index", tensor.Gather(x, 1, ints([]int{1, 1}, 2)), []int{1, 1}, []float32{2}},
		{"gather_scalar", tensor.Gather(tensor.Scalar(3), 0, tensor.Scalar(0)), []int{}, []float32{3}},
		{"index_select_rows", tensor.IndexSelect(x, 0, ints([]int{3}, 1, 1, 0)), []int{3, 3}, []float32{3, 4, 5, 3, 4, 5, 0, 1, 2}},
		{"index_select_cols", tensor.IndexSelect(x, -1, ints([]int{2}, 2, 0)), []int{2, 2}, []float32{2, 0, 5, 3}},
		{"index_select_empty", tensor.IndexSelect(x, 1, tensor.New(0)), []int{2, 0}, []float32{}},
		{"index_add", tensor.IndexAdd(x, 1, ints([]int{2}, 0, 0), tensor.Ones(2, 2)), []int{2, 3}, []float32{2, 1, 2, 5, 4, 5}},
		{"scatter_add_axis1", tensor.ScatterAdd(tensor.New(2, 3), 1, ints([]int{2, 2}, 2, 2, 0, 1), seq(2, 2)),
			[]int{2, 3}, []float32{0, 0, 1, 2, 3, 0}},
		{"scatter_add_axis0_big_src", tensor.ScatterAdd(x, 0, ints([]int{1, 2}, 1, 0), tensor.Full(10, 3, 4)),
			[]int{2, 3}, []float32{0, 11, 2, 13, 4, 5}},
		{"one_hot", tensor.OneHot(ints([]int{3}, 2, 0, 1), 3), []int{3, 3}, []float32{0, 0, 1, 1, 0, 0, 0, 1, 0}},
		{"one_hot_scalar", tensor.OneHot(tensor.Scalar(1), 2), []int{2}, []float32{0, 1}},
		{"masked_fill_broadcast", tensor.MaskedFill(x, ints([]int{3}, 1, 0, 1), -1), []int{2, 3}, []float32{-1, 1, -1, -1, 4, -1}},
		{"masked_fill_full", tensor.MaskedFill(x, ints([]int{2, 1}, 0, 1), 9), []int{2, 3}, []float32{0, 1, 2, 9, 9, 9}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.shape, c.got.Shape())
			assert.Equal(t, c.data, c.got.Data())
		})
	}
	assert.Equal(t, []float32{0, 1, 2, 3, 4, 5}, x.Data(), "inputs are not modified")
}

// ScatterAdd is the adjoint of Gather: <Gather(x, i), y> = <x, ScatterAdd(0, i, y)>.
func TestScatterAddIsGatherAdjoint(t *testing.T) {
	x := seq(3, 4, 2)
	idx := ints([]int{2, 3, 2}, 3, 0, 1, 1, 2, 3, 0, 0, 3, 3, 1, 2)
	y := tensor.Full(0.5, 2, 3, 2)
	y.Data()[3] = -2
	lhs := tensor.Sum(tensor.Mul(tensor.Gather(x, 1, idx), y), false).Item()
	rhs := tensor.Sum(tensor.Mul(x, tensor.ScatterAdd(tensor.New(3, 4, 2), 1, idx, y)), false).Item()
	assert.InDelta(t, lhs, rhs, 1e-4)
}

func TestIndexOpPanics(t *testing.T) {
	x := seq(2, 3)
	cases := []struct {
		name string
		f    func()
		want string
	}{
		{"gather_range", func() { tensor.Gather(x, 1, ints([]int{2, 1}, 0, 3)) }, "tensor: Gather: index 3 out of range for axis 1 of shape (2,3)"},
		{"gather_negative", func() { tensor.Gather(x, 0, ints([]int{1, 1}, -1)) }, "tensor: Gather: index -1 out of range for axis 0 of shape (2,3)"},
		{"gather_fraction", func() { tensor.Gather(x, 0, tensor.FromSlice([]float32{0.5}, 1, 1)) }, "tensor: Gather: index 0.5 out of range for axis 0 of shape (2,3)"},
		{"gather_rank", func() { tensor.Gather(x, 0, ints([]int{2}, 0, 1)) }, "tensor: Gather: index of shape (2) does not fit input (2,3) along axis 0"},
		{"gather_too_wide", func() { tensor.Gather(x, 0, tensor.New(1, 4)) }, "tensor: Gather: index of shape (1,4) does not fit input (2,3) along axis 0"},
		{"index_select_2d", func() { tensor.IndexSelect(x, 0, tensor.New(1, 1)) }, "tensor: IndexSelect: index of shape (1,1) is not 1-D (input shape (2,3))"},
		{"index_select_range", func() { tensor.IndexSelect(x, 0, ints([]int{2}, 0, 2)) }, "tensor: IndexSelect: index 2 out of range for axis 0 of shape (2,3)"},
		{"index_add_src", func() { tensor.IndexAdd(x, 1, ints([]int{1}, 0), tensor.New(2, 2)) }, "tensor: IndexAdd: source of shape (2,2) for input (2,3) and 1 indices along axis 1 (want (2,1))"},
		{"scatter_src_small", func() { tensor.ScatterAdd(x, 1, tensor.New(2, 2), tensor.New(2, 1)) }, "tensor: ScatterAdd: index of shape (2,2) does not fit input (2,3) and source (2,1) along axis 1"},
		{"scatter_range", func() { tensor.ScatterAdd(x, 1, ints([]int{1, 1}, 7), tensor.New(1, 1)) }, "tensor: ScatterAdd: index 7 out of range for axis 1 of shape (2,3)"},
		{"one_hot_range", func() { tensor.OneHot(ints([]int{2}, 0, 3), 3) }, "tensor: OneHot: index 3 out of range for 3 classes (index shape (2))"},
		{"one_hot_classes", func() { tensor.OneHot(ints([]int{2}, 0, 3), 0) }, "tensor: OneHot: 0 classes for index of shape (2)"},
		{"masked_fill_mask", func() { tensor.MaskedFill(x, tensor.New(2, 2), 0) }, "tensor: MaskedFill: shapes (2,3) and (2,2) do not broadcast"},
		{"masked_fill_grows", func() { tensor.MaskedFill(x, tensor.New(4, 2, 3), 0) }, "tensor: MaskedFill: mask of shape (4,2,3) does not broadcast to input (2,3)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.PanicsWithError(t, c.want, c.f)
		})
	}
}

func TestOneHotGolden(t *testing.T) {
	c := golden.Load(t, "testdata/index.json").Case(t, "one_hot")
	golden.Close(t, "one_hot", tensor.OneHot(c.T(t, "index"), c.Int(t, "n")), c.T(t, "y"), 0, 0)
}
