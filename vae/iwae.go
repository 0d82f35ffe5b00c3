package vae

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// log2Pi is log 2π.
var log2Pi = float32(math.Log(2 * math.Pi))

// IWAE returns the importance-weighted lower bound on log p(x) with k samples per
// example (Burda et al., "Importance Weighted Autoencoders",
// https://arxiv.org/abs/1509.00519), for each example of x (B,…): (B), in nats.
//
//	log p(x) ≥ log (1/k) Σ_i p(x|z_i) p(z_i) / q(z_i|x),   z_i ~ q(z|x)
//
// With k = 1 it is the one-sample ELBO estimate; it grows towards log p(x) as k grows,
// and k in the hundreds or thousands gives the test log-likelihood papers report
// (as -IWAE, in nats). The decoder runs on k·B inputs at once, so keep B·k moderate.
// Pass x as autograd.NoGrad for evaluation; on the graph the bound is differentiable
// and can be trained on. labels is (B) for a conditional model and nil otherwise. It
// panics if k < 1.
func (m *Model) IWAE(x *autograd.Var, labels *tensor.Tensor, k int, rng *rand.Rand) *autograd.Var {
	if k < 1 {
		tensor.Panicf("vae.IWAE", "k = %d samples, want at least 1", k)
	}
	q := m.Encode(x, labels)
	return m.iwae(x, labels, q, tensor.Randn(rng, k, x.Size(0), m.Latent))
}

// iwae computes the bound from the posterior q and the noise eps (K,B,Latent).
func (m *Model) iwae(x *autograd.Var, labels *tensor.Tensor, q Posterior, eps *tensor.Tensor) *autograd.Var {
	k, b, l := eps.Size(0), eps.Size(1), eps.Size(2)
	z := q.withNoise(eps) // (K,B,L)
	// log q(z|x) = Σ -½(log 2π + log σ² + ε²), since (z-μ)/σ = ε.
	epsSq := constLike(q.Mu, tensor.Square(eps))
	logQ := autograd.MulScalar(autograd.Sum(autograd.Add(autograd.AddScalar(q.LogVar, log2Pi), epsSq), false, 2), -0.5) // (K,B)
	logP := autograd.MulScalar(autograd.Sum(autograd.AddScalar(autograd.Square(z), log2Pi), false, 2), -0.5)            // (K,B)
	xs := repeat(x, k)                                                                                                  // (B,…) -> (K·B,…)
	var ys *tensor.Tensor
	if labels != nil {
		ys = tensor.Concat(0, repeatTensor(labels.Reshape(-1), k)...)
	}
	out := m.Decode(autograd.Reshape(z, k*b, l), ys)
	logPx := autograd.Reshape(m.Likelihood.LogProb(xs, out), k, b)                                // (K·B) -> (K,B)
	logW := autograd.Sub(autograd.Add(logPx, logP), logQ)                                         // (K,B)
	return autograd.AddScalar(autograd.LogSumExp(logW, false, 0), -float32(math.Log(float64(k)))) // (B)
}

// repeat stacks k copies of v along axis 0: (B,…) -> (k·B,…).
func repeat(v *autograd.Var, k int) *autograd.Var {
	if k == 1 {
		return v
	}
	if v.IsNoGrad() {
		return autograd.NoGrad(tensor.Concat(0, repeatTensor(v.Value(), k)...))
	}
	vs := make([]*autograd.Var, k)
	for i := range vs {
		vs[i] = v
	}
	return autograd.Concat(0, vs...)
}

func repeatTensor(t *tensor.Tensor, k int) []*tensor.Tensor {
	ts := make([]*tensor.Tensor, k)
	for i := range ts {
		ts[i] = t
	}
	return ts
}
