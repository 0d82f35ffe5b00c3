package tensor_test

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestStringMatchesPyTorch compares String with PyTorch's own printing code run on the
// same values with the shape suffix (tensor/testdata/gen_index.py).
func TestStringMatchesPyTorch(t *testing.T) {
	n := 0
	for _, c := range golden.Load(t, "testdata/index.json").Cases {
		if c.Attrs["op"] != "repr" {
			continue
		}
		n++
		t.Run(c.Name, func(t *testing.T) {
			raw := c.Attrs["values"].([]any)
			data := make([]float32, len(raw))
			for i, v := range raw {
				f, err := strconv.ParseFloat(v.(string), 64)
				require.NoError(t, err)
				data[i] = float32(f)
			}
			x := tensor.FromSlice(data, c.Ints(t, "shape")...)
			want := c.String(t, "repr")
			assert.Equal(t, want, x.String())
			assert.Equal(t, want, fmt.Sprintf("%v", x))
			assert.Equal(t, want, fmt.Sprint(x))
		})
	}
	require.Equal(t, 11, n)
}

func TestFormatVerbs(t *testing.T) {
	x := tensor.FromSlice([]float32{1.23456, -2}, 2)
	assert.Equal(t, "tensor([ 1.2346, -2.0000], shape=(2))", x.String())
	assert.Equal(t, x.String(), fmt.Sprintf("%s", x))
	assert.Equal(t, "tensor([ 1.23, -2.00], shape=(2))", fmt.Sprintf("%.2v", x))
	assert.Equal(t, "%!d(*tensor.Tensor=tensor([ 1.2346, -2.0000], shape=(2)))", fmt.Sprintf("%d", x))
	var nilT *tensor.Tensor
	assert.Equal(t, "<nil>", nilT.String())
	assert.Equal(t, "<nil>", fmt.Sprintf("%v", nilT))
}

func TestStringSummarizes(t *testing.T) {
	s := tensor.Arange(0, 1001, 1).String()
	assert.True(t, strings.HasPrefix(s, "tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.]"), s)
	assert.NotContains(t, tensor.New(1000).String(), "...", "1000 elements are printed in full")
}

func ExampleTensor_String() {
	x := tensor.FromSlice([]float32{1, -2, 3, 4.5}, 2, 2)
	fmt.Println(x)
	fmt.Println(tensor.Tril(tensor.Ones(3, 3), 0))
	// Output:
	// tensor([[ 1.0000, -2.0000],
	//         [ 3.0000,  4.5000]], shape=(2,2))
	// tensor([[1., 0., 0.],
	//         [1., 1., 0.],
	//         [1., 1., 1.]], shape=(3,3))
}
