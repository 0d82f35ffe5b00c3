package vae

import (
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// ConvConfig configures NewConv. The zero value suits MNIST: 1×28×28 images, two
// stride-2 convolutions with 16 and 32 filters (28 → 14 → 7) straight into the latent
// heads, a 20-d latent and a Bernoulli likelihood. It costs about 1.5 times the
// multiply-adds of the 784-400-20 MLP per image.
type ConvConfig struct {
	Size       int        // image height and width; 0 means 28
	InChannels int        // 0 means 1
	Filters    []int      // filters of each stride-2 convolution; nil means [16, 32]
	Hidden     int        // units of a fully connected layer between convolutions and latent; 0 means none
	Latent     int        // 0 means 20
	Classes    int        // > 0 makes a conditional VAE (labels join the input as constant planes)
	Likelihood Likelihood `json:"-"` // nil means Bernoulli; a checkpoint records it in Config
}

// NewConv builds a convolutional VAE for images (B,InChannels,Size,Size) under vb. The
// encoder halves the resolution with each 4×4 stride-2 convolution (padding 1) and ReLU,
// flattens, and applies the optional hidden layer and the μ, log σ² heads; the decoder mirrors
// it with a linear layer up to the smallest feature map and 4×4 stride-2 transposed
// convolutions, the last producing the likelihood's parameters (B,InChannels,Size,Size).
// Parameters are named "encoder.body.<i>", "encoder.mu", "encoder.logvar" and
// "decoder.<i>" with PyTorch nn.Sequential indices. It panics if Size is not divisible
// by 2^len(Filters) or a size is negative.
func NewConv(vb *nn.VarBuilder, cfg ConvConfig) *Model {
	size, inC, lat := cmp0(cfg.Size, 28), cmp0(cfg.InChannels, 1), cmp0(cfg.Latent, 20)
	filters := cfg.Filters
	if filters == nil {
		filters = []int{16, 32}
	}
	hidden := cfg.Hidden
	final := size >> len(filters)
	bad := size <= 0 || inC <= 0 || lat <= 0 || cfg.Classes < 0 || final<<len(filters) != size || final == 0 || hidden < 0
	for _, f := range filters {
		bad = bad || f <= 0
	}
	if bad {
		tensor.Panicf("vae.NewConv", "invalid config %+v (size must be divisible by 2^%d)", cfg, len(filters))
	}
	lik := cfg.Likelihood
	if lik == nil {
		lik = Bernoulli{}
	}
	down := nn.Conv2dConfig{Stride: 2, Padding: 1}

	// Encoder: (B,C+K,S,S) -> … -> (B,F,S',S') -> (B,F·S'·S') -> (B,H).
	ev := vb.Push("encoder")
	bv := ev.Push("body")
	var body nn.Sequential
	c := inC + cfg.Classes
	for _, f := range filters {
		body = append(body, nn.NewConv2d(bv.PushIndex(len(body)), c, f, 4, down), nn.ReLU{})
		c = f
	}
	flat := c * final * final
	body = append(body, nn.NewFlatten())
	feat := flat
	if hidden > 0 {
		body = append(body, nn.NewLinear(bv.PushIndex(len(body)), flat, hidden, nn.LinearConfig{}), nn.ReLU{})
		feat = hidden
	}

	// Decoder: (B,L+K) -> (B,H) -> (B,F·S'·S') -> (B,F,S',S') -> … -> (B,C,S,S).
	dv := vb.Push("decoder")
	var dec nn.Sequential
	in := lat + cfg.Classes
	if hidden > 0 {
		dec = append(dec, nn.NewLinear(dv.PushIndex(len(dec)), in, hidden, nn.LinearConfig{}), nn.ReLU{})
		in = hidden
	}
	dec = append(dec, nn.NewLinear(dv.PushIndex(len(dec)), in, flat, nn.LinearConfig{}), nn.ReLU{},
		nn.Unflatten{Axis: 1, Shape: []int{c, final, final}})
	for i := len(filters) - 1; i >= 0; i-- {
		out := inC
		if i > 0 {
			out = filters[i-1]
		}
		dec = append(dec, nn.NewConvTranspose2d(dv.PushIndex(len(dec)), filters[i], out, 4, down))
		if i > 0 {
			dec = append(dec, nn.ReLU{})
		}
	}
	return &Model{
		Encoder:    NewGaussianEncoder(ev, body, feat, lat),
		Decoder:    dec,
		Latent:     lat,
		Classes:    cfg.Classes,
		Likelihood: lik,
	}
}
