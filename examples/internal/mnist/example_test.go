package mnist_test

import (
	"fmt"

	"github.com/genblocks/genblocks/examples/internal/mnist"
)

// A Set cuts itself into batches and turns a batch into tensors. Real data comes from
// mnist.Load(""); this set of five blank images stands in for it.
func ExampleSet_Batches() {
	s := &mnist.Set{Images: make([]float32, 5*784), Labels: []uint8{3, 1, 4, 1, 5}}
	batches := s.Batches(nil, 2, false) // in order; a rand.Rand would shuffle
	fmt.Println(batches)
	x, y := s.Batch(batches[0])
	fmt.Println(x.Shape(), y.Data())
	// Output:
	// [[0 1] [2 3] [4]]
	// [2 784] [3 1]
}
