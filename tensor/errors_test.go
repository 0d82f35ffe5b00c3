package tensor_test

import (
	"errors"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Programmer mistakes panic with a *tensor.Error whose message names the op and the
// shapes; the table pins the exact messages.
func TestErrorMessages(t *testing.T) {
	cases := []struct {
		name string
		f    func()
		op   string
		msg  string
	}{
		{"Add", func() { tensor.Add(tensor.New(2, 3), tensor.New(4)) },
			"Add", "tensor: Add: shapes (2,3) and (4) do not broadcast"},
		{"Sub", func() { tensor.Sub(tensor.New(2, 3), tensor.New(3, 2)) },
			"Sub", "tensor: Sub: shapes (2,3) and (3,2) do not broadcast"},
		{"Mul", func() { tensor.Mul(tensor.New(4, 1, 3), tensor.New(2, 3, 1)) },
			"Mul", "tensor: Mul: shapes (4,1,3) and (2,3,1) do not broadcast"},
		{"Where", func() { tensor.Where(tensor.New(2), tensor.New(3), tensor.New(3)) },
			"Where", "tensor: Where: shapes (2) and (3) and (3) do not broadcast"},
		{"MatMul", func() { tensor.MatMul(tensor.New(2, 3), tensor.New(4, 5)) },
			"MatMul", "tensor: MatMul: shapes (2,3) and (4,5) do not match"},
		{"MatMulBatched", func() { tensor.MatMul(tensor.New(7, 2, 3), tensor.New(7, 4, 5)) },
			"MatMul", "tensor: MatMul: shapes (7,2,3) and (7,4,5) do not match"},
		{"MatMul1D", func() { tensor.MatMul(tensor.New(3), tensor.New(3, 4)) },
			"MatMul", "tensor: MatMul: shapes (3) and (3,4): operands need at least 2 dimensions"},
		{"Reshape", func() { tensor.New(2, 3).Reshape(4, 2) },
			"Reshape", "tensor: Reshape: cannot reshape (2,3) into (4,2)"},
		{"ReshapeInfer", func() { tensor.New(2, 3).Reshape(4, -1) },
			"Reshape", "tensor: Reshape: cannot reshape (2,3) into (4,-1)"},
		{"ReshapeTwoInfer", func() { tensor.New(2, 3).Reshape(-1, -1) },
			"Reshape", "tensor: Reshape: more than one -1 in (-1,-1)"},
		{"PermuteLength", func() { tensor.Permute(tensor.New(2, 3), 0) },
			"Permute", "tensor: Permute: permutation [0] for shape (2,3)"},
		{"PermuteAxis", func() { tensor.Permute(tensor.New(2, 3), 0, 5) },
			"Permute", "tensor: Permute: axis 5 out of range for shape (2,3)"},
		{"SumAxis", func() { tensor.Sum(tensor.New(2, 3), false, 2) },
			"Sum", "tensor: Sum: axis 2 out of range for shape (2,3)"},
		{"SumNegAxis", func() { tensor.Sum(tensor.New(2, 3), true, -3) },
			"Sum", "tensor: Sum: axis -3 out of range for shape (2,3)"},
		{"SumRepeated", func() { tensor.Sum(tensor.New(2, 3), false, 1, -1) },
			"Sum", "tensor: Sum: axis -1 repeated for shape (2,3)"},
		{"MeanAxis", func() { tensor.Mean(tensor.New(2, 3), false, 5) },
			"Mean", "tensor: Mean: axis 5 out of range for shape (2,3)"},
		{"MaxEmpty", func() { tensor.Max(tensor.New(0, 3), false) },
			"Max", "tensor: Max: empty tensor of shape (0,3)"},
		{"Softmax", func() { tensor.Softmax(tensor.New(2, 3), 2) },
			"Softmax", "tensor: Softmax: axis 2 out of range for shape (2,3)"},
		{"ArgMax", func() { tensor.ArgMax(tensor.New(2, 3), -3, false) },
			"ArgMax", "tensor: ArgMax: axis -3 out of range for shape (2,3)"},
		{"ArgMaxEmpty", func() { tensor.ArgMax(tensor.New(2, 0), 1, false) },
			"ArgMax", "tensor: ArgMax: empty axis 1 of shape (2,0)"},
		{"Item", func() { tensor.New(2, 3).Item() },
			"Item", "tensor: Item: tensor of shape (2,3) has 6 elements, not 1"},
		{"At", func() { tensor.New(2, 3).At(2, 0) },
			"At", "tensor: At: index 2 out of range for axis 0 of shape (2,3)"},
		{"AtRank", func() { tensor.New(2, 3).At(0) },
			"At", "tensor: At: 1 indices for shape (2,3)"},
		{"FromSlice", func() { tensor.FromSlice(make([]float32, 5), 2, 3) },
			"FromSlice", "tensor: FromSlice: 5 values do not fill shape (2,3)"},
		{"New", func() { tensor.New(2, -1) },
			"New", "tensor: New: negative dimension in shape (2,-1)"},
		{"Arange", func() { tensor.Arange(0, 1, 0) },
			"Arange", "tensor: Arange: step is 0"},
		{"Squeeze", func() { tensor.New(2, 3).Squeeze(0) },
			"Squeeze", "tensor: Squeeze: axis 0 of shape (2,3) has length 2, not 1"},
		{"Unsqueeze", func() { tensor.New(2, 3).Unsqueeze(3) },
			"Unsqueeze", "tensor: Unsqueeze: axis 3 out of range for shape (2,3)"},
		{"Flatten", func() { tensor.New(2, 3, 4).Flatten(2, 1) },
			"Flatten", "tensor: Flatten: start 2 after end 1 for shape (2,3,4)"},
		{"T", func() { tensor.New(2, 3, 4).T() },
			"T", "tensor: T: shape (2,3,4) is not 2-D"},
		{"Transpose", func() { tensor.Transpose(tensor.New(2, 3), 0, 2) },
			"Transpose", "tensor: Transpose: axis 2 out of range for shape (2,3)"},
		{"BroadcastTo", func() { tensor.New(3, 1).BroadcastTo(1) },
			"BroadcastTo", "tensor: BroadcastTo: cannot broadcast (3,1) to (1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				r := recover()
				require.NotNil(t, r, "no panic")
				e, ok := r.(*tensor.Error)
				require.True(t, ok, "panic value %T %v is not a *tensor.Error", r, r)
				assert.Equal(t, c.op, e.Op)
				assert.Equal(t, c.msg, e.Error())
			}()
			c.f()
		})
	}
}

// A transposed operand is marked with ᵀ in the message.
func TestErrorMessageMatMulTransposed(t *testing.T) {
	err := tensor.Catch(func() { tensor.MatMulT(tensor.New(2, 3), tensor.New(5, 4), false, true) })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "tensor: MatMul: shapes (2,3) and ")
	assert.Contains(t, err.Error(), "ᵀ do not match")
}

// Every error names the full shapes of the operands, also when the batch axes are
// what does not fit and when a permutation repeats an axis.
func TestErrorMessagesNameOperandShapes(t *testing.T) {
	cases := []struct {
		name   string
		f      func()
		shapes []string
	}{
		{"MatMulBatch", func() { tensor.MatMul(tensor.New(2, 3, 4), tensor.New(3, 4, 5)) }, []string{"(2,3,4)", "(3,4,5)"}},
		{"MatMulBatch4D", func() { tensor.MatMul(tensor.New(2, 1, 3, 4), tensor.New(3, 5, 4, 2)) }, []string{"(2,1,3,4)", "(3,5,4,2)"}},
		{"PermuteRepeat", func() { tensor.Permute(tensor.New(2, 3), 0, 0) }, []string{"(2,3)"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := tensor.Catch(c.f)
			require.Error(t, err)
			for _, s := range c.shapes {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

func TestCatch(t *testing.T) {
	t.Run("NoPanic", func(t *testing.T) {
		ran := false
		require.NoError(t, tensor.Catch(func() { ran = true }))
		assert.True(t, ran)
	})
	t.Run("TensorError", func(t *testing.T) {
		err := tensor.Catch(func() { tensor.MatMul(tensor.New(2, 3), tensor.New(4, 5)) })
		require.EqualError(t, err, "tensor: MatMul: shapes (2,3) and (4,5) do not match")
		var te *tensor.Error
		require.True(t, errors.As(err, &te))
		assert.Equal(t, "MatMul", te.Op)
		assert.Equal(t, "shapes (2,3) and (4,5) do not match", te.Msg)
	})
	t.Run("Panicf", func(t *testing.T) {
		err := tensor.Catch(func() { tensor.Panicf("Conv2d", "input %s", tensor.ShapeString([]int{1, 3, 8, 8})) })
		require.EqualError(t, err, "tensor: Conv2d: input (1,3,8,8)")
	})
	t.Run("OtherPanicPropagates", func(t *testing.T) {
		require.PanicsWithValue(t, "boom", func() { _ = tensor.Catch(func() { panic("boom") }) })
		plain := errors.New("not a tensor error")
		require.PanicsWithError(t, plain.Error(), func() { _ = tensor.Catch(func() { panic(plain) }) })
		require.Panics(t, func() {
			_ = tensor.Catch(func() {
				var s []int
				_ = s[3] // runtime error
			})
		})
	})
	t.Run("Nested", func(t *testing.T) {
		var inner error
		outer := tensor.Catch(func() {
			inner = tensor.Catch(func() { tensor.New(2).Item() })
			tensor.New(3).Reshape(2)
		})
		require.EqualError(t, inner, "tensor: Item: tensor of shape (2) has 2 elements, not 1")
		require.EqualError(t, outer, "tensor: Reshape: cannot reshape (3) into (2)")
	})
}

func TestShapeString(t *testing.T) {
	assert.Equal(t, "()", tensor.ShapeString(nil))
	assert.Equal(t, "()", tensor.ShapeString([]int{}))
	assert.Equal(t, "(5)", tensor.ShapeString([]int{5}))
	assert.Equal(t, "(2,3,4)", tensor.ShapeString([]int{2, 3, 4}))
}
