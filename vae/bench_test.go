package vae

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// BenchmarkTrainStep measures one Adam step of the default MNIST VAEs on a batch of
// 128 random images.
func BenchmarkTrainStep(b *testing.B) {
	for _, arch := range []string{"mlp", "conv"} {
		b.Run(arch, func(b *testing.B) {
			rng := rand.New(rand.NewPCG(1, 2))
			vs := nn.NewVarStore(rng)
			var m *Model
			x := tensor.Rand(rng, 0, 1, 128, 784)
			if arch == "mlp" {
				m = NewMLP(vs.Root(), MLPConfig{})
			} else {
				m = NewConv(vs.Root(), ConvConfig{})
				x = x.Reshape(128, 1, 28, 28)
			}
			opt := optim.NewAdam(vs.Params(), optim.AdamConfig{})
			b.ReportAllocs()
			for b.Loop() {
				l := m.Loss(autograd.Const(x), nil, rng, LossConfig{})
				opt.ZeroGrad()
				l.Total.Backward()
				opt.Step()
			}
			b.ReportMetric(float64(128*b.N)/b.Elapsed().Seconds(), "images/s")
		})
	}
}
