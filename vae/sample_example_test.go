package vae_test

import (
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// Train a small VAE on a single binary pattern, then sample new inputs from the prior:
// every sample decodes to the pattern it learned.
func ExampleModel_Sample() {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	m := vae.NewMLP(vs.Root(), vae.MLPConfig{Input: 8, Hidden: []int{16}, Latent: 2})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-2})
	pattern := []float32{1, 1, 0, 0, 1, 0, 1, 0}
	x := tensor.New(4, 8) // (B,Input): four copies of the pattern
	for i := range 4 {
		copy(x.Data()[i*8:], pattern)
	}
	for range 150 {
		l := m.Loss(autograd.Const(x), nil, rng, vae.LossConfig{})
		opt.ZeroGrad()
		l.Total.Backward()
		opt.Step()
	}
	samples := m.Sample(3, nil, rng) // (3,Input): decoded Bernoulli means
	for i := range 3 {
		row := samples.Data()[i*8 : (i+1)*8]
		bits := make([]int, 8)
		for j, p := range row {
			if p > 0.5 {
				bits[j] = 1
			}
		}
		fmt.Println(bits)
	}
	// Output:
	// [1 1 0 0 1 0 1 0]
	// [1 1 0 0 1 0 1 0]
	// [1 1 0 0 1 0 1 0]
}
