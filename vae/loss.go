package vae

import (
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// LossConfig sets how Loss weighs its terms. The zero value is the plain negative
// ELBO: β = 1, no warm-up, no free bits.
type LossConfig struct {
	// Beta weighs the KL term, as in β-VAE (Higgins et al. 2017,
	// https://openreview.net/forum?id=Sy2fzU9gl); 0 means 1.
	Beta float64
	// WarmupSteps, when positive, ramps the KL weight linearly from 0 at Step 0 to Beta
	// at Step WarmupSteps (KL annealing, Bowman et al. 2016,
	// https://arxiv.org/abs/1511.06349); Step is the current training step.
	WarmupSteps, Step int
	// FreeBits, when positive, is λ in nats per latent dimension: the KL term becomes
	// Σ_j max(λ, KL_j) with KL_j averaged over the batch, so no dimension is pushed
	// below λ (Kingma et al. 2016, https://arxiv.org/abs/1606.04934).
	FreeBits float64
}

// KLWeight returns the weight the KL term gets at cfg.Step: Beta scaled by the
// warm-up ramp. It panics on a negative Beta, FreeBits, Step or WarmupSteps.
func (c LossConfig) KLWeight() float64 {
	if c.Beta < 0 || c.FreeBits < 0 || c.Step < 0 || c.WarmupSteps < 0 {
		tensor.Panicf("vae.LossConfig", "negative field in %+v", c)
	}
	b := c.Beta
	if b == 0 {
		b = 1
	}
	if c.WarmupSteps > 0 && c.Step < c.WarmupSteps {
		b *= float64(c.Step) / float64(c.WarmupSteps)
	}
	return b
}

// Loss holds the terms of the VAE objective for a batch, each averaged over the batch
// and in nats per example.
type Loss struct {
	// Total is the scalar to minimise: Recon + KLWeight·KL, with KL replaced by its
	// free-bits version when FreeBits is set.
	Total *autograd.Var
	// Recon is -E_q[log p(x|z)], estimated with one sample of z.
	Recon *autograd.Var
	// KL is KL(q(z|x) ‖ p(z)) in closed form, summed over the latent dimensions.
	KL *autograd.Var
	// KLPerDim is the KL of each latent dimension (Latent); dimensions near 0 carry no
	// information about x (unused latents, posterior collapse).
	KLPerDim *tensor.Tensor
	// NegELBO is Recon + KL, the unweighted negative ELBO: an upper bound on -log p(x).
	NegELBO float64
}

// Loss returns the VAE objective for the batch x (B,…), with labels (B) for a
// conditional model and nil otherwise, drawing the reparameterisation noise from rng.
// It panics if the shapes do not fit the model or cfg has a negative field.
func (m *Model) Loss(x *autograd.Var, labels *tensor.Tensor, rng *rand.Rand, cfg LossConfig) *Loss {
	q := m.Encode(x, labels)
	return m.loss(x, labels, q, tensor.Randn(rng, q.Mu.Shape()...), cfg)
}

// loss computes the objective from the posterior q and the noise eps (B,Latent).
func (m *Model) loss(x *autograd.Var, labels *tensor.Tensor, q Posterior, eps *tensor.Tensor, cfg LossConfig) *Loss {
	w := cfg.KLWeight()
	z := q.withNoise(eps)                                                                     // (B,L)
	recon := autograd.Neg(autograd.Mean(m.Likelihood.LogProb(x, m.Decode(z, labels)), false)) // (B) -> ()
	klDim := autograd.Mean(q.KL(), false, 0)                                                  // (B,L) -> (L)
	kl := autograd.Sum(klDim, false)
	klTerm := kl
	if cfg.FreeBits > 0 {
		floor := constLike(klDim, tensor.Scalar(float32(cfg.FreeBits)))
		klTerm = autograd.Sum(autograd.Maximum(klDim, floor), false)
	}
	total := recon
	if w != 0 {
		total = autograd.Add(recon, autograd.MulScalar(klTerm, float32(w)))
	}
	return &Loss{
		Total:    total,
		Recon:    recon,
		KL:       kl,
		KLPerDim: klDim.Value(),
		NegELBO:  float64(recon.Item()) + float64(kl.Item()),
	}
}
