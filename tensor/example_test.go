package tensor_test

import (
	"errors"
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/tensor"
)

// show prints a tensor's shape and its values rounded to 4 significant digits.
func show(name string, t *tensor.Tensor) {
	fmt.Printf("%s %s [", name, tensor.ShapeString(t.Shape()))
	for i, v := range t.Data() {
		if i > 0 {
			fmt.Print(" ")
		}
		fmt.Printf("%.4g", v)
	}
	fmt.Println("]")
}

// Add broadcasts its operands as NumPy does: a (2,3) matrix plus a (3) row adds the
// row to every row, and a (2,1) column to every column.
func ExampleAdd() {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	row := tensor.FromSlice([]float32{10, 20, 30}, 3)
	col := tensor.FromSlice([]float32{100, 200}, 2, 1)
	show("x+row", tensor.Add(x, row))
	show("x+col", tensor.Add(x, col))
	show("row+col", tensor.Add(row, col)) // (3) and (2,1) -> (2,3)
	// Output:
	// x+row (2,3) [11 22 33 14 25 36]
	// x+col (2,3) [101 102 103 204 205 206]
	// row+col (2,3) [110 120 130 210 220 230]
}

// MatMul multiplies the last two axes and broadcasts the leading batch axes.
func ExampleMatMul() {
	a := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	b := tensor.FromSlice([]float32{1, 0, 0, 1, 1, 1}, 3, 2)
	show("a·b", tensor.MatMul(a, b))

	batch := tensor.Ones(4, 2, 3)                   // (4,2,3)
	fmt.Println(tensor.MatMul(batch, b).Shape())    // (4,2,3)·(3,2) -> (4,2,2)
	show("a·aᵀ", tensor.MatMulT(a, a, false, true)) // no copy for the transpose
	// Output:
	// a·b (2,2) [4 5 10 11]
	// [4 2 2]
	// a·aᵀ (2,2) [14 32 32 77]
}

// Softmax normalises along one axis; it is computed stably, so large logits are fine.
func ExampleSoftmax() {
	logits := tensor.FromSlice([]float32{1, 2, 3, 1000, 1001, 1002}, 2, 3)
	show("softmax", tensor.Softmax(logits, -1))
	show("log_softmax", tensor.LogSoftmax(logits, -1))
	// Output:
	// softmax (2,3) [0.09003 0.2447 0.6652 0.09003 0.2447 0.6652]
	// log_softmax (2,3) [-2.408 -1.408 -0.4076 -2.408 -1.408 -0.4076]
}

// Sum reduces over the given axes, or over all of them when none are given; with
// keepDims the reduced axes stay with length 1 so the result broadcasts against the
// input.
func ExampleSum() {
	x := tensor.Arange(0, 24, 1).Reshape(2, 3, 4)
	show("all", tensor.Sum(x, false))
	show("axis 1", tensor.Sum(x, false, 1))
	show("axes 0,2", tensor.Sum(x, false, 0, 2))
	show("axes 0,2 kept", tensor.Sum(x, true, 0, -1))
	show("mean -1", tensor.Mean(x, false, -1))
	// Output:
	// all () [276]
	// axis 1 (2,4) [12 15 18 21 48 51 54 57]
	// axes 0,2 (3) [60 92 124]
	// axes 0,2 kept (1,3,1) [60 92 124]
	// mean -1 (2,3) [1.5 5.5 9.5 13.5 17.5 21.5]
}

// Randomness is explicit: the same seed gives the same tensor.
func ExampleRandn() {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Randn(rng, 10000)
	fmt.Printf("mean %.2f, std %.2f\n", tensor.Mean(x, false).Item(), tensor.Std(x, 1, false).Item())
	// Output:
	// mean 0.01, std 1.00
}

// Catch turns the panic of a misused op into an error, for a service boundary; other
// panics pass through.
func ExampleCatch() {
	a, b := tensor.New(2, 3), tensor.New(4, 5)
	err := tensor.Catch(func() { tensor.MatMul(a, b) })
	fmt.Println(err)

	var te *tensor.Error
	if errors.As(err, &te) {
		fmt.Println("op:", te.Op)
	}
	var y *tensor.Tensor
	err = tensor.Catch(func() { y = tensor.MatMul(a, tensor.New(3, 5)) })
	fmt.Println(err, y.Shape())
	// Output:
	// tensor: MatMul: shapes (2,3) and (4,5) do not match
	// op: MatMul
	// <nil> [2 5]
}
