package main

import (
	"fmt"
	"math"

	"github.com/genblocks/genblocks/examples/internal/mnisteval"
)

// report scores images with the shared MNIST evaluator and prints one table row:
// seconds per image (a dash when perImage is NaN: not timed), the evaluator's report,
// and for conditional samples the share classified as the requested digit.
func report(name string, images [][]float32, perImage float64, want []int) error {
	ev, err := mnisteval.Load()
	if err != nil {
		return err
	}
	rep := ev.Evaluate(images)
	timing := fmt.Sprintf("%8.3f s/image", perImage)
	if math.IsNaN(perImage) {
		timing = fmt.Sprintf("%8s s/image", "-")
	}
	fmt.Printf("%-10s %s | %s\n", name, timing, rep)
	if want != nil {
		labels, _ := ev.Classify(images)
		hit := 0
		for i, l := range labels {
			if l == want[i] {
				hit++
			}
		}
		fmt.Printf("%-10s classified as the requested digit: %.1f%%\n", name, 100*float64(hit)/float64(len(labels)))
	}
	return nil
}
