package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// spec is what a checkpoint must record to rebuild its model.
type spec struct {
	Arch   string // "mlp" or "conv"
	Latent int
	Cond   bool
}

// metadata returns s as checkpoint metadata.
func (s spec) metadata() map[string]string {
	return map[string]string{"format": "genblocks-vae", "arch": s.Arch,
		"latent": strconv.Itoa(s.Latent), "cond": strconv.FormatBool(s.Cond)}
}

// specFrom reads a spec from checkpoint metadata.
func specFrom(md map[string]string) (spec, error) {
	if md["format"] != "genblocks-vae" {
		return spec{}, fmt.Errorf("not a genblocks-vae checkpoint (format %q)", md["format"])
	}
	lat, err := strconv.Atoi(md["latent"])
	if err != nil {
		return spec{}, fmt.Errorf("bad latent %q in checkpoint", md["latent"])
	}
	cond, err := strconv.ParseBool(md["cond"])
	if err != nil {
		return spec{}, fmt.Errorf("bad cond %q in checkpoint", md["cond"])
	}
	return spec{Arch: md["arch"], Latent: lat, Cond: cond}, nil
}

// net is a VAE with its parameters.
type net struct {
	Spec spec
	*vae.Model
	Store *nn.VarStore
}

// build makes the model s describes with weights drawn from rng.
func build(s spec, rng *rand.Rand) (*net, error) {
	if s.Latent < 1 {
		return nil, fmt.Errorf("-latent %d must be at least 1", s.Latent)
	}
	if s.Arch != "mlp" && s.Arch != "conv" {
		return nil, fmt.Errorf("unknown -arch %q (want mlp or conv)", s.Arch)
	}
	vs := nn.NewVarStore(rng)
	m, err := s.config().Build(vs.Root())
	if err != nil {
		return nil, err
	}
	return &net{Spec: s, Model: m, Store: vs}, nil
}

// config returns the vae.Config of the model s describes, which vae.SaveModel records.
func (s spec) config() vae.Config {
	classes := 0
	if s.Cond {
		classes = 10
	}
	if s.Arch == "conv" {
		return vae.Config{Conv: &vae.ConvConfig{Latent: s.Latent, Classes: classes}}
	}
	return vae.Config{MLP: &vae.MLPConfig{Latent: s.Latent, Classes: classes}}
}

// input shapes a batch of flat images (B,784) for the model: (B,1,28,28) for conv.
func (n *net) input(x *tensor.Tensor) *tensor.Tensor {
	if n.Spec.Arch == "conv" {
		return x.Reshape(-1, 1, 28, 28)
	}
	return x
}

// labels returns y for a conditional model and nil otherwise.
func (n *net) labels(y *tensor.Tensor) *tensor.Tensor {
	if n.Spec.Cond {
		return y
	}
	return nil
}

// images cuts decoder means (B,784) or (B,1,28,28) into B flat images.
func images(t *tensor.Tensor) [][]float32 {
	b := t.Size(0)
	d := t.Data()
	per := len(d) / max(b, 1)
	out := make([][]float32, b)
	for i := range out {
		out[i] = d[i*per : (i+1)*per]
	}
	return out
}

// noGrad wraps a batch for inference.
func noGrad(t *tensor.Tensor) *autograd.Var { return autograd.NoGrad(t) }
