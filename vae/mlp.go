package vae

import (
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// MLPConfig configures NewMLP. The zero value is the VAE of Kingma & Welling's MNIST
// experiments and of PyTorch's VAE example: 784 inputs, one hidden layer of 400 ReLU
// units in the encoder and the decoder, a 20-d latent and a Bernoulli likelihood.
type MLPConfig struct {
	Input      int        // features per example; 0 means 784
	Hidden     []int      // encoder hidden sizes, mirrored in the decoder; nil means [400]
	Latent     int        // 0 means 20
	Classes    int        // > 0 makes a conditional VAE
	Likelihood Likelihood `json:"-"` // nil means Bernoulli; a checkpoint records it in Config
}

// NewMLP builds a VAE of fully connected layers for flat inputs (B,Input) under vb.
// The parameters are named "encoder.body.0", "encoder.body.2", …, "encoder.mu",
// "encoder.logvar", and "decoder.0", "decoder.2", …, the last decoder layer producing
// the likelihood's parameters. It panics on a negative size or a hidden size that is
// not positive. An empty, non-nil Hidden connects the input straight to the heads.
func NewMLP(vb *nn.VarBuilder, cfg MLPConfig) *Model {
	in, lat := cmp0(cfg.Input, 784), cmp0(cfg.Latent, 20)
	hidden := cfg.Hidden
	if hidden == nil {
		hidden = []int{400}
	}
	bad := in < 0 || lat < 0 || cfg.Classes < 0
	for _, h := range hidden {
		bad = bad || h <= 0
	}
	if bad {
		tensor.Panicf("vae.NewMLP", "invalid sizes in %+v", cfg)
	}
	lik := cfg.Likelihood
	if lik == nil {
		lik = Bernoulli{}
	}
	ev := vb.Push("encoder")
	var body nn.Module = nn.Identity{}
	feat := in + cfg.Classes
	if len(hidden) > 0 {
		sizes := append([]int{feat}, hidden...)
		// A trailing activation: the heads sit on the last hidden layer's ReLU output.
		body = nn.NewMLP(ev.Push("body"), sizes, nn.MLPConfig{Output: nn.ReLU{}})
		feat = hidden[len(hidden)-1]
	}
	dec := []int{lat + cfg.Classes}
	for i := len(hidden) - 1; i >= 0; i-- {
		dec = append(dec, hidden[i])
	}
	dec = append(dec, in)
	return &Model{
		Encoder:    NewGaussianEncoder(ev, body, feat, lat),
		Decoder:    nn.NewMLP(vb.Push("decoder"), dec, nn.MLPConfig{}),
		Latent:     lat,
		Classes:    cfg.Classes,
		Likelihood: lik,
	}
}

// cmp0 returns v, or def when v is 0.
func cmp0(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
