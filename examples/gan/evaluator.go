package main

// A stand-in for the shared evaluator examples/internal/mnisteval, with the same API
// (Load, Evaluate, Report.Coverage/Confidence/Frechet/String), until that package
// lands: an MLP digit classifier 784-256-128-10 trained for 3 epochs on MNIST (cached
// as a safetensors file), whose 128 hidden features give a Fréchet distance to the
// MNIST test set.

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// evaluator scores sets of generated digits.
type evaluator struct {
	store    *nn.VarStore
	hidden   nn.Sequential // 784 -> 128 features
	head     *nn.Linear    // 128 -> 10
	realMu   []float64
	realCov  *mat.SymDense
	Accuracy float64 // on the MNIST test set
}

// report is the evaluation of a set of images.
type report struct {
	N          int
	Coverage   [10]float64 // share of samples classified as each digit
	Confidence float64     // mean top-class probability
	Frechet    float64     // Fréchet distance of classifier features to MNIST test digits
}

// String formats the report.
func (r report) String() string {
	var b strings.Builder
	lo, hi := 1.0, 0.0
	covered := 0
	for d, c := range r.Coverage {
		fmt.Fprintf(&b, " %d:%.1f%%", d, 100*c)
		lo, hi = math.Min(lo, c), math.Max(hi, c)
		if c > 0.01 {
			covered++
		}
	}
	return fmt.Sprintf("%d samples: digits covered %d/10 (min %.1f%%, max %.1f%%), confidence %.3f, Fréchet %.3f\n  shares%s",
		r.N, covered, 100*lo, 100*hi, r.Confidence, r.Frechet, b.String())
}

// loadEvaluator loads the classifier from cache or trains and caches it, then
// computes the feature statistics of the MNIST test set.
func loadEvaluator(data *mnist.Data, cache string) (*evaluator, error) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(2024, 1)))
	vb := vs.Root()
	ev := &evaluator{store: vs,
		hidden: nn.Sequential{nn.NewLinear(vb.Push("0"), 784, 256, nn.LinearConfig{}), nn.ReLU{},
			nn.NewLinear(vb.Push("2"), 256, 128, nn.LinearConfig{}), nn.ReLU{}},
		head: nn.NewLinear(vb.Push("4"), 128, 10, nn.LinearConfig{}),
	}
	err := vs.Load(cache)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Printf("training the evaluation classifier (once; cached in %s)…\n", cache)
		ev.train(data.Train)
		if err := os.MkdirAll(filepath.Dir(cache), 0o755); err != nil {
			return nil, err
		}
		err = vs.Save(cache, map[string]string{"format": "genblocks-gan-eval-mlp"})
	}
	if err != nil {
		return nil, err
	}
	vs.SetTraining(false)
	ev.Accuracy = ev.accuracy(data.Test)
	feats := ev.features(data.Test.Images)
	ev.realMu, ev.realCov = meanCov(feats)
	return ev, nil
}

func (ev *evaluator) train(set *mnist.Set) {
	rng := rand.New(rand.NewPCG(7, 7))
	opt := optim.NewAdam(ev.store.Params(), optim.AdamConfig{LR: 1e-3})
	for range 3 {
		for _, idx := range set.Batches(rng, 128, true) {
			x, y := set.Batch(idx)
			opt.ZeroGrad()
			loss := nn.CrossEntropyLoss(ev.head.Forward(ev.hidden.Forward(autograd.Const(x))), y, nn.CrossEntropyConfig{})
			loss.Backward()
			opt.Step()
		}
	}
}

func (ev *evaluator) accuracy(set *mnist.Set) float64 {
	ok := 0
	for _, idx := range set.Batches(nil, 1000, false) {
		x, y := set.Batch(idx)
		pred := tensor.ArgMax(ev.head.Forward(ev.hidden.Forward(autograd.NoGrad(x))).Value(), -1, false)
		for i, p := range pred.Data() {
			if p == y.Data()[i] {
				ok++
			}
		}
	}
	return float64(ok) / float64(set.Len())
}

// features returns the 128 hidden features of each image (784 values in [0,1] each,
// concatenated).
func (ev *evaluator) features(images []float32) *tensor.Tensor {
	n := len(images) / 784
	return ev.hidden.Forward(autograd.NoGrad(tensor.FromSlice(images, n, 784))).Value() // (N,128)
}

// Probs returns the class probabilities (N,10) of images (N,…) with values in [0,1].
func (ev *evaluator) Probs(x *tensor.Tensor) *tensor.Tensor {
	n := x.Size(0)
	h := ev.hidden.Forward(autograd.NoGrad(x.Reshape(n, 784)))
	return tensor.Softmax(ev.head.Forward(h).Value(), -1)
}

// Evaluate scores images, each 784 values in [0,1].
func (ev *evaluator) Evaluate(images [][]float32) report {
	flat := make([]float32, 0, 784*len(images))
	for _, im := range images {
		flat = append(flat, im...)
	}
	n := len(images)
	r := report{N: n}
	const chunk = 1000
	var feats []float32
	for s := 0; s < n; s += chunk {
		e := min(s+chunk, n)
		x := tensor.FromSlice(flat[s*784:e*784], e-s, 784)
		h := ev.hidden.Forward(autograd.NoGrad(x))
		p := tensor.Softmax(ev.head.Forward(h).Value(), -1).Data()
		for i := range e - s {
			row := p[i*10 : (i+1)*10]
			best := 0
			for j, v := range row {
				if v > row[best] {
					best = j
				}
			}
			r.Coverage[best]++
			r.Confidence += float64(row[best])
		}
		feats = append(feats, h.Value().Data()...)
	}
	for d := range r.Coverage {
		r.Coverage[d] /= float64(n)
	}
	r.Confidence /= float64(n)
	mu, cov := meanCov(tensor.FromSlice(feats, n, len(feats)/n))
	r.Frechet = frechet(mu, cov, ev.realMu, ev.realCov)
	return r
}

// meanCov returns the mean and the (unbiased) covariance of the rows of x (N,F).
func meanCov(x *tensor.Tensor) ([]float64, *mat.SymDense) {
	n, f := x.Size(0), x.Size(1)
	d := x.Data()
	mu := make([]float64, f)
	for i := range n {
		for j, v := range d[i*f : (i+1)*f] {
			mu[j] += float64(v)
		}
	}
	for j := range mu {
		mu[j] /= float64(n)
	}
	c := mat.NewDense(n, f, nil)
	for i := range n {
		for j, v := range d[i*f : (i+1)*f] {
			c.Set(i, j, float64(v)-mu[j])
		}
	}
	cov := mat.NewSymDense(f, nil)
	cov.SymOuterK(1/float64(n-1), c.T())
	return mu, cov
}

// frechet returns ‖μ1-μ2‖² + Tr(Σ1 + Σ2 - 2(Σ1Σ2)^½), with Tr (Σ1Σ2)^½ computed as
// the sum of square roots of the eigenvalues of Σ1^½ Σ2 Σ1^½.
func frechet(mu1 []float64, s1 *mat.SymDense, mu2 []float64, s2 *mat.SymDense) float64 {
	var d float64
	for i := range mu1 {
		e := mu1[i] - mu2[i]
		d += e * e
	}
	r1 := symSqrt(s1)
	var m mat.Dense
	m.Mul(r1, s2)
	m.Mul(&m, r1)
	f := s1.SymmetricDim()
	sym := mat.NewSymDense(f, nil)
	for i := range f {
		for j := i; j < f; j++ {
			sym.SetSym(i, j, 0.5*(m.At(i, j)+m.At(j, i)))
		}
	}
	var eig mat.EigenSym
	eig.Factorize(sym, false)
	var tr float64
	for _, v := range eig.Values(nil) {
		tr += math.Sqrt(math.Max(v, 0))
	}
	return d + mat.Trace(s1) + mat.Trace(s2) - 2*tr
}

// symSqrt returns the symmetric square root of a positive semi-definite matrix.
func symSqrt(s *mat.SymDense) *mat.Dense {
	var eig mat.EigenSym
	eig.Factorize(s, true)
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	f := len(vals)
	scaled := mat.NewDense(f, f, nil)
	for i := range f {
		for j := range f {
			scaled.Set(i, j, vecs.At(i, j)*math.Sqrt(math.Max(vals[j], 0)))
		}
	}
	var r mat.Dense
	r.Mul(scaled, vecs.T())
	return &r
}
