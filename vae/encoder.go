package vae

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
)

// GaussianEncoder is an encoder for Model: a Body (any module producing features
// (B,F)) followed by two linear heads for μ and log σ², whose outputs it joins into
// (B,2·Latent). The heads are named "mu" and "logvar".
type GaussianEncoder struct {
	Body       nn.Module
	Mu, LogVar *nn.Linear
}

// NewGaussianEncoder puts μ and log σ² heads from features to latent dimensions on
// body, under vb.
func NewGaussianEncoder(vb *nn.VarBuilder, body nn.Module, features, latent int) *GaussianEncoder {
	return &GaussianEncoder{
		Body:   body,
		Mu:     nn.NewLinear(vb.Push("mu"), features, latent, nn.LinearConfig{}),
		LogVar: nn.NewLinear(vb.Push("logvar"), features, latent, nn.LinearConfig{}),
	}
}

// Forward maps x to (B,2·Latent): μ then log σ².
func (e *GaussianEncoder) Forward(x *autograd.Var) *autograd.Var {
	h := e.Body.Forward(x) // (B,…) -> (B,F)
	return autograd.Concat(1, e.Mu.Forward(h), e.LogVar.Forward(h))
}
