package vae

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Likelihood is the decoder's output distribution p(x|z). The decoder produces its
// parameters, out, with the shape of x: logits for Bernoulli, the mean for Gaussian.
type Likelihood interface {
	// LogProb returns log p(x|out) summed over every axis but the first: (B,…) -> (B).
	// It panics if x and out differ in shape.
	LogProb(x, out *autograd.Var) *autograd.Var
	// Mean returns E[x|out], the picture to show for a decoder output.
	Mean(out *autograd.Var) *autograd.Var
}

// sumPerExample sums (B,…) over every axis but the first, giving (B).
func sumPerExample(v *autograd.Var) *autograd.Var {
	if v.Dim() == 1 {
		return v
	}
	axes := make([]int, v.Dim()-1)
	for i := range axes {
		axes[i] = i + 1
	}
	return autograd.Sum(v, false, axes...)
}

func checkSame(op string, x, out *autograd.Var) {
	if !tensor.SameShape(x.Value(), out.Value()) {
		tensor.Panicf(op, "data shape %s and decoder output shape %s do not match",
			tensor.ShapeString(x.Shape()), tensor.ShapeString(out.Shape()))
	}
}

// Bernoulli is the likelihood for binary or grey-level data in [0,1]: the decoder
// outputs logits and log p(x|z) is minus the binary cross-entropy with logits, summed
// per example (the "BCE summed per image" of most VAE papers and of PyTorch's VAE
// example). Grey levels make it a continuous Bernoulli without the normaliser, as is
// customary.
type Bernoulli struct{}

// LogProb is Σ x·log σ(out) + (1-x)·log(1-σ(out)) per example.
func (Bernoulli) LogProb(x, out *autograd.Var) *autograd.Var {
	checkSame("Bernoulli.LogProb", x, out)
	return sumPerExample(nn.BernoulliLogLikelihood(x, out, nn.None))
}

// Mean is σ(out).
func (Bernoulli) Mean(out *autograd.Var) *autograd.Var { return autograd.Sigmoid(out) }

// Gaussian is the likelihood N(x; out, exp(LogVar)) with the decoder output as the
// mean. LogVar broadcasts against one example's shape (a scalar, or one value per
// pixel); make a fixed variance with NewGaussian and a learned one with
// NewLearnedGaussian.
type Gaussian struct {
	LogVar *autograd.Var // log σ²: a Const when fixed, a parameter when learned
}

// NewGaussian returns a Gaussian likelihood with fixed standard deviation sigma. It
// panics unless sigma > 0.
func NewGaussian(sigma float64) *Gaussian {
	if !(sigma > 0) {
		tensor.Panicf("vae.NewGaussian", "sigma %g must be positive", sigma)
	}
	return &Gaussian{LogVar: autograd.Const(tensor.Scalar(float32(2 * math.Log(sigma))))}
}

// NewLearnedGaussian returns a Gaussian likelihood whose log-variance is the parameter
// "logvar" under vb with the given shape (none for one shared variance, or one
// example's shape such as (1,28,28) for one per pixel), initialised to 0 (σ = 1).
func NewLearnedGaussian(vb *nn.VarBuilder, shape ...int) *Gaussian {
	return &Gaussian{LogVar: vb.Param("logvar", nn.Zeros, shape...)}
}

// LogProb is Σ log N(x; out, exp(LogVar)) per example.
func (g *Gaussian) LogProb(x, out *autograd.Var) *autograd.Var {
	checkSame("Gaussian.LogProb", x, out)
	return sumPerExample(nn.GaussianLogLikelihood(x, out, g.LogVar, nn.None))
}

// Mean is out.
func (g *Gaussian) Mean(out *autograd.Var) *autograd.Var { return out }
