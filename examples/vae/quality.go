package main

import "github.com/genblocks/genblocks/examples/internal/mnisteval"

// quality runs the shared MNIST evaluator on flat images with values in [0,1] and
// returns its report: digit coverage, classifier confidence and Fréchet distance.
func quality(imgs [][]float32) (string, error) {
	ev, err := mnisteval.Load()
	if err != nil {
		return "", err
	}
	return ev.Evaluate(imgs).String(), nil
}
