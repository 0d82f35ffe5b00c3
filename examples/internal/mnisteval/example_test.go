package mnisteval_test

import (
	"fmt"

	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/examples/internal/mnisteval"
)

func ExampleFrechetDistance() {
	// N(0, I) and N((3,4), 4I) in two dimensions: ‖μa-μb‖² = 25 and each axis adds
	// (√1 - √4)² = 1.
	a := mnisteval.Gaussian{Mean: []float64{0, 0}, Cov: mat.NewSymDense(2, []float64{1, 0, 0, 1})}
	b := mnisteval.Gaussian{Mean: []float64{3, 4}, Cov: mat.NewSymDense(2, []float64{4, 0, 0, 4})}
	fmt.Printf("%.3f\n", mnisteval.FrechetDistance(a, b))
	// Output: 27.000
}

func ExampleEvaluator_Evaluate() {
	ev, err := mnisteval.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	// Sixty blank images: one predicted digit, far from the test set.
	images := make([][]float32, 60)
	for i := range images {
		images[i] = make([]float32, 784)
	}
	rep := ev.Evaluate(images)
	fmt.Printf("n %d, entropy %.1f, far from MNIST: %t\n", rep.N, rep.Entropy, rep.Frechet > 100)
	// Output: n 60, entropy 0.0, far from MNIST: true
}
