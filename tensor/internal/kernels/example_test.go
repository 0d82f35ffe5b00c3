package kernels_test

import (
	"fmt"

	"github.com/genblocks/genblocks/tensor/internal/kernels"
)

// Sgemm computes C = alpha·op(A)·op(B) + beta·C on row-major slices with leading
// dimensions, as BLAS does.
func ExampleSgemm() {
	a := []float32{1, 2, 3, 4, 5, 6} // A (2,3)
	b := []float32{1, 0, 0, 1, 1, 1} // B (3,2)
	c := []float32{10, 10, 10, 10}   // C (2,2)
	kernels.Sgemm(false, false, 2, 2, 3, 1, a, 3, b, 2, 1, c, 2)
	fmt.Println(c)
	ata := make([]float32, 9)                                     // AᵀA (3,3); beta 0 ignores its old contents
	kernels.Sgemm(true, false, 3, 3, 2, 1, a, 3, a, 3, 0, ata, 3) // op(A) = Aᵀ (3,2)
	fmt.Println(ata)
	// Output:
	// [14 15 20 21]
	// [17 22 27 22 29 36 27 36 45]
}

// Binary applies an op elementwise; a stride of 0 broadcasts a single value.
func ExampleBinary() {
	dst := make([]float32, 4)
	kernels.Binary(kernels.Add, dst, []float32{1, 2, 3, 4}, 1, []float32{10}, 0)
	fmt.Println(dst)
	// Output:
	// [11 12 13 14]
}
