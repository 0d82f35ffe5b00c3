package main

import (
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/tensor"
)

// evaluator adapts the shared yardstick examples/internal/mnisteval (an embedded
// 99.08% MNIST classifier) to the tensors the GAN trainer's monitor passes around.
type evaluator struct {
	*mnisteval.Evaluator
}

// loadEvaluator loads the embedded classifier.
func loadEvaluator() (*evaluator, error) {
	ev, err := mnisteval.Load()
	if err != nil {
		return nil, err
	}
	return &evaluator{ev}, nil
}

// rows splits x (N,…) with values in [0,1] into N images of 784 values.
func rows(x *tensor.Tensor) [][]float32 {
	n := x.Size(0)
	d := x.Data()
	out := make([][]float32, n)
	for i := range out {
		out[i] = d[i*784 : (i+1)*784]
	}
	return out
}

// Probs returns the class probabilities (N,10) of images x (N,…) with values in [0,1].
func (ev *evaluator) Probs(x *tensor.Tensor) *tensor.Tensor {
	_, probs := ev.Classify(rows(x))
	out := tensor.New(len(probs), 10)
	for i, p := range probs {
		copy(out.Data()[i*10:], p)
	}
	return out
}

// features returns the classifier features (N,128) of images (784 values each,
// concatenated, in [0,1]).
func (ev *evaluator) features(images []float32) *tensor.Tensor {
	x := tensor.FromSlice(images, len(images)/784, 784)
	f := ev.Features(rows(x))
	out := tensor.New(len(f), mnisteval.FeatureDim)
	for i, r := range f {
		copy(out.Data()[i*mnisteval.FeatureDim:], r)
	}
	return out
}
