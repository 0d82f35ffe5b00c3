package mnisteval

import (
	"embed"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Embedded file names.
const (
	ClassifierFile = "classifier.safetensors" // the classifier's weights, F16
	StatsFile      = "teststats.safetensors"  // "mean" (128) and "cov" (128,128) of the test-set features, F32
)

//go:embed classifier.safetensors teststats.safetensors
var files embed.FS

// batchSize is how many images go through the network at a time.
const batchSize = 500

// Evaluator classifies MNIST-like images and scores sets of them against the MNIST
// test set. It is immutable and safe for concurrent use.
type Evaluator struct {
	net  *Net
	test Gaussian
}

// Load returns an Evaluator with the embedded classifier and test-set statistics. It
// returns an error only if the embedded files are corrupt.
func Load() (*Evaluator, error) {
	weights, err := nn.LoadFS(files, ClassifierFile)
	if err != nil {
		return nil, fmt.Errorf("mnisteval: %w", err)
	}
	stats, err := nn.LoadFS(files, StatsFile)
	if err != nil {
		return nil, fmt.Errorf("mnisteval: %w", err)
	}
	test, err := gaussianFrom(stats)
	if err != nil {
		return nil, fmt.Errorf("mnisteval: %s: %w", StatsFile, err)
	}
	return New(weights.Tensors, test)
}

// New returns an Evaluator with the classifier weights given as a state dict (as
// examples/mnist -arch cnn saves them; extra keys such as optimizer state are ignored)
// and test, the Gaussian fit of the reference features that Report.Frechet measures
// against. It returns an error if a weight is missing or has the wrong shape, or if
// test is not 128-dimensional.
func New(weights map[string]*tensor.Tensor, test Gaussian) (*Evaluator, error) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	net := NewNet(vs.Root())
	own := map[string]*tensor.Tensor{}
	for _, name := range vs.Names() {
		if t, ok := weights[name]; ok {
			own[name] = t
		}
	}
	if err := vs.LoadStateDict(own, true); err != nil {
		return nil, fmt.Errorf("mnisteval: classifier weights: %w", err)
	}
	vs.SetTraining(false)
	if len(test.Mean) != FeatureDim || test.Cov == nil || test.Cov.SymmetricDim() != FeatureDim {
		return nil, fmt.Errorf("mnisteval: reference statistics are not %d-dimensional", FeatureDim)
	}
	return &Evaluator{net: net, test: test}, nil
}

// gaussianFrom reads the "mean" and "cov" tensors of st.
func gaussianFrom(st *nn.Safetensors) (Gaussian, error) {
	mean, cov := st.Tensors["mean"], st.Tensors["cov"]
	if mean == nil || cov == nil {
		return Gaussian{}, fmt.Errorf("want tensors mean and cov, have %v", st.Names())
	}
	d := mean.Numel()
	if !slices.Equal(mean.Shape(), []int{d}) || !slices.Equal(cov.Shape(), []int{d, d}) {
		return Gaussian{}, fmt.Errorf("mean %s and cov %s do not match",
			tensor.ShapeString(mean.Shape()), tensor.ShapeString(cov.Shape()))
	}
	g := Gaussian{Mean: make([]float64, d), Cov: mat.NewSymDense(d, nil)}
	for i, v := range mean.Data() {
		g.Mean[i] = float64(v)
	}
	c := cov.Data()
	for i := range d {
		for j := i; j < d; j++ {
			g.Cov.SetSym(i, j, float64(c[i*d+j]+c[j*d+i])/2)
		}
	}
	return g, nil
}

// GaussianTensors returns g as float32 tensors "mean" (d) and "cov" (d,d), the layout
// of the embedded statistics file.
func GaussianTensors(g Gaussian) map[string]*tensor.Tensor {
	d := len(g.Mean)
	mean, cov := tensor.New(d), tensor.New(d, d)
	for i, v := range g.Mean {
		mean.Data()[i] = float32(v)
	}
	for i := range d {
		for j := range d {
			cov.Data()[i*d+j] = float32(g.Cov.At(i, j))
		}
	}
	return map[string]*tensor.Tensor{"mean": mean, "cov": cov}
}

// TestStats returns the Gaussian fit of the features of the 10,000 MNIST test images
// (or of the reference given to New). The caller must not modify it.
func (e *Evaluator) TestStats() Gaussian { return e.test }

// forward runs the network over images in batches and calls visit with each batch's
// first index, features (B,128) and logits (B,10).
func (e *Evaluator) forward(op string, images [][]float32, visit func(start int, features, logits *tensor.Tensor)) {
	for i, im := range images {
		if len(im) != 784 {
			tensor.Panicf(op, "image %d has %d values; want 784 (28×28)", i, len(im))
		}
	}
	for start := 0; start < len(images); start += batchSize {
		end := min(start+batchSize, len(images))
		x := tensor.New(end-start, 784)
		for i, im := range images[start:end] {
			copy(x.Data()[i*784:], im)
		}
		f, l := e.net.Forward(autograd.NoGrad(x)) // (B,784) -> (B,128), (B,10)
		visit(start, f.Value(), l.Value())
	}
}

// Classify returns the predicted digit of each image and the softmax probabilities of
// the ten digits. Each image is 784 values in [0,1]; it panics if one is not 784 long.
func (e *Evaluator) Classify(images [][]float32) (labels []int, probs [][]float32) {
	labels, probs, _ = e.analyze("mnisteval.Classify", images)
	return labels, probs
}

// Features returns the classifier's 128 hidden features (after the ReLU) of each
// image. It panics if an image is not 784 values long.
func (e *Evaluator) Features(images [][]float32) [][]float32 {
	_, _, feats := e.analyze("mnisteval.Features", images)
	return feats
}

func argmax(p []float32) int {
	best := 0
	for i, v := range p {
		if v > p[best] {
			best = i
		}
	}
	return best
}

// Report scores a set of images.
type Report struct {
	N          int         // number of images
	Coverage   [10]float64 // share of the images classified as each digit; sums to 1
	Confidence float64     // mean top-class softmax probability
	Frechet    float64     // Fréchet distance of the feature Gaussians, images vs MNIST test set; NaN if N < 2
	Entropy    float64     // entropy of Coverage in nats; ln 10 ≈ 2.303 when every digit is equally common
}

// Evaluate classifies images and compares their features with those of the MNIST test
// set in one pass. Each image is 784 values in [0,1]; it panics if one is not 784
// long. With no images the report is all zero (Frechet NaN).
func (e *Evaluator) Evaluate(images [][]float32) *Report {
	labels, probs, feats := e.analyze("mnisteval.Evaluate", images)
	return e.report(labels, probs, feats)
}

// analyze runs the network once over images and returns the predicted labels, the
// softmax probabilities and the features.
func (e *Evaluator) analyze(op string, images [][]float32) (labels []int, probs, feats [][]float32) {
	labels, probs, feats = make([]int, len(images)), make([][]float32, len(images)), make([][]float32, len(images))
	e.forward(op, images, func(start int, features, logits *tensor.Tensor) {
		f, p := features.Data(), tensor.Softmax(logits, -1).Data()
		for i := range logits.Shape()[0] {
			feats[start+i] = f[i*FeatureDim : (i+1)*FeatureDim : (i+1)*FeatureDim]
			probs[start+i] = p[i*10 : (i+1)*10 : (i+1)*10]
			labels[start+i] = argmax(probs[start+i])
		}
	})
	return labels, probs, feats
}

// report summarises the output of analyze.
func (e *Evaluator) report(labels []int, probs, feats [][]float32) *Report {
	r := &Report{N: len(labels), Frechet: math.NaN()}
	if r.N == 0 {
		return r
	}
	var counts [10]int
	var conf float64
	for i, k := range labels {
		counts[k]++
		conf += float64(probs[i][k])
	}
	n := float64(r.N)
	for k, c := range counts {
		r.Coverage[k] = float64(c) / n
		if c > 0 {
			r.Entropy -= r.Coverage[k] * math.Log(r.Coverage[k])
		}
	}
	r.Confidence = conf / n
	if r.N > 1 {
		r.Frechet = FrechetDistance(FitGaussian(feats), e.test)
	}
	return r
}

// String formats r on one line:
//
//	n 10000 | coverage 0:9.8% 1:11.4% … 9:10.0% | min 9.0% max 11.4% | entropy 2.301 | confidence 0.990 | Fréchet 0.00
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "n %d | coverage", r.N)
	lo, hi := math.Inf(1), math.Inf(-1)
	for k, c := range r.Coverage {
		fmt.Fprintf(&b, " %d:%.1f%%", k, 100*c)
		lo, hi = min(lo, c), max(hi, c)
	}
	fmt.Fprintf(&b, " | min %.1f%% max %.1f%% | entropy %.3f | confidence %.3f | Fréchet %.2f",
		100*lo, 100*hi, r.Entropy, r.Confidence, r.Frechet)
	return b.String()
}
