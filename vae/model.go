package vae

import (
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Model is a variational autoencoder (Kingma & Welling, "Auto-Encoding Variational
// Bayes", https://arxiv.org/abs/1312.6114) with a diagonal-Gaussian posterior
// q(z|x) = N(μ(x), diag σ²(x)), a standard normal prior p(z) = N(0, I) and a
// Likelihood p(x|z). With Classes > 0 it is a conditional VAE (Sohn et al. 2015,
// "Learning Structured Output Representation using Deep Conditional Generative
// Models"): the one-hot class label is fed to both the encoder and the decoder.
//
// The Encoder maps x (B,…) — with a label, x joined with the one-hot label (see
// Condition) — to (B,2·Latent): μ in the first Latent columns, log σ² in the rest. The
// Decoder maps z (B,Latent), or z joined with the one-hot label (B,Latent+Classes), to
// the likelihood's parameters with x's shape. Any nn.Module will do; NewMLP and NewConv
// build the usual pairs.
type Model struct {
	Encoder    nn.Module
	Decoder    nn.Module
	Latent     int        // dimension of z
	Classes    int        // number of class labels for a conditional VAE; 0: unconditional
	Likelihood Likelihood // p(x|z)
}

// Posterior is q(z|x): the mean and log-variance, each (B,Latent).
type Posterior struct {
	Mu, LogVar *autograd.Var
}

// Condition joins the one-hot encoding of labels (B) to v along axis 1: (B,D) ->
// (B,D+Classes) for a flat v, and (B,C,H,W) -> (B,C+Classes,H,W) for an image, whose
// extra channels are constant planes. For an unconditional model it returns v and
// panics if labels is not nil; for a conditional one it panics if labels is nil or does
// not hold B class indices.
func (m *Model) Condition(v *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	const op = "vae.Condition"
	if m.Classes == 0 {
		if labels != nil {
			tensor.Panicf(op, "labels of shape %s for an unconditional model", tensor.ShapeString(labels.Shape()))
		}
		return v
	}
	if labels == nil || labels.Numel() != v.Size(0) {
		got := "nil"
		if labels != nil {
			got = tensor.ShapeString(labels.Shape())
		}
		tensor.Panicf(op, "labels %s for input of shape %s, want (%d)", got, tensor.ShapeString(v.Shape()), v.Size(0))
	}
	oh := tensor.OneHot(labels.Reshape(-1), m.Classes) // (B) -> (B,K)
	switch v.Dim() {
	case 2:
	case 4:
		b, h, w := v.Size(0), v.Size(2), v.Size(3)
		oh = oh.Reshape(b, m.Classes, 1, 1).Expand(b, m.Classes, h, w) // (B,K) -> (B,K,H,W)
	default:
		tensor.Panicf(op, "input shape %s, want (B,D) or (B,C,H,W)", tensor.ShapeString(v.Shape()))
	}
	c := autograd.Const(oh)
	if v.IsNoGrad() {
		c = autograd.NoGrad(oh)
	}
	return autograd.Concat(1, v, c)
}

// Encode returns q(z|x) for x (B,…) with labels (B) for a conditional model, nil
// otherwise. It panics if the encoder does not produce (B,2·Latent).
func (m *Model) Encode(x *autograd.Var, labels *tensor.Tensor) Posterior {
	h := m.Encoder.Forward(m.Condition(x, labels)) // (B,…) -> (B,2L)
	if h.Dim() != 2 || h.Size(0) != x.Size(0) || h.Size(1) != 2*m.Latent {
		tensor.Panicf("vae.Encode", "encoder output %s for input %s, want (%d,%d)",
			tensor.ShapeString(h.Shape()), tensor.ShapeString(x.Shape()), x.Size(0), 2*m.Latent)
	}
	p := autograd.Split(h, 1, m.Latent, m.Latent)
	return Posterior{Mu: p[0], LogVar: p[1]}
}

// Decode returns the decoder output (the likelihood's parameters, for example logits)
// for z (B,Latent) with labels (B) for a conditional model, nil otherwise.
func (m *Model) Decode(z *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	if z.Dim() != 2 || z.Size(1) != m.Latent {
		tensor.Panicf("vae.Decode", "latent shape %s, want (B,%d)", tensor.ShapeString(z.Shape()), m.Latent)
	}
	return m.Decoder.Forward(m.Condition(z, labels))
}

// Reparameterize draws z = μ + σ·ε with ε ~ N(0, I) from rng, so that gradients flow
// to μ and log σ² (the reparameterisation trick).
func (q Posterior) Reparameterize(rng *rand.Rand) *autograd.Var {
	return q.withNoise(tensor.Randn(rng, q.Mu.Shape()...))
}

// withNoise returns μ + exp(½ log σ²)·eps. eps broadcasts against μ, so (K,B,L) noise
// gives K samples per example.
func (q Posterior) withNoise(eps *tensor.Tensor) *autograd.Var {
	std := autograd.Exp(autograd.MulScalar(q.LogVar, 0.5))
	return autograd.Add(q.Mu, autograd.Mul(std, constLike(q.Mu, eps)))
}

// constLike wraps t as a constant that stays off the graph when like is a NoGrad
// inference value.
func constLike(like *autograd.Var, t *tensor.Tensor) *autograd.Var {
	if like.IsNoGrad() {
		return autograd.NoGrad(t)
	}
	return autograd.Const(t)
}

// KL returns KL(q(z|x) ‖ N(0, I)) per example and latent dimension, in closed form:
// -½(1 + log σ² - μ² - σ²), (B,Latent).
func (q Posterior) KL() *autograd.Var { return nn.GaussianKL(q.Mu, q.LogVar, nn.None) }
