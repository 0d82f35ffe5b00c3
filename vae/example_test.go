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

// A small VAE trained for a few steps on one batch of random binary vectors: the
// negative ELBO falls, and the loss reports each term.
func ExampleModel_Loss() {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	m := vae.NewMLP(vs.Root(), vae.MLPConfig{Input: 16, Hidden: []int{32}, Latent: 2})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-2})
	x := autograd.Const(tensor.Bernoulli(rng, 0.3, 8, 16))
	var first, last *vae.Loss
	for step := range 50 {
		l := m.Loss(x, nil, rng, vae.LossConfig{WarmupSteps: 10, Step: step})
		opt.ZeroGrad()
		l.Total.Backward()
		opt.Step()
		if step == 0 {
			first = l
		}
		last = l
	}
	fmt.Printf("-ELBO %.0f -> %.0f nats\n", first.NegELBO, last.NegELBO)
	fmt.Println("KL per dimension:", last.KLPerDim.Shape())
	// Output:
	// -ELBO 11 -> 6 nats
	// KL per dimension: [2]
}

// Spherical interpolation keeps the norm of the end points; linear interpolation
// passes closer to the origin.
func ExampleSlerp() {
	a := tensor.FromSlice([]float32{2, 0}, 2)
	b := tensor.FromSlice([]float32{0, 2}, 2)
	fmt.Println(vae.Lerp(a, b, 3))
	fmt.Println(vae.Slerp(a, b, 3))
	// Output:
	// tensor([[2., 0.],
	//         [1., 1.],
	//         [0., 2.]], shape=(3,2))
	// tensor([[2.0000, 0.0000],
	//         [1.4142, 1.4142],
	//         [0.0000, 2.0000]], shape=(3,2))
}
