package diffusion

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// BenchmarkTrainStep is one training step of the default U-Net of examples/diffusion
// (base 32, class-conditional, one conditioning channel) on a batch of 32 MNIST-sized
// images: loss, backward and an Adam step.
func BenchmarkTrainStep(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	net := NewUNet(vs.Root(), UNetConfig{CondChannels: 1, NumClasses: 10})
	m := &Model{Net: net, Sched: NewSchedule(LinearBetas(1000, 1e-4, 0.02)), NullClass: 10}
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-3})
	x0 := tensor.Randn(rng, 32, 1, 28, 28)
	class := tensor.New(32)
	cond := tensor.New(32, 1, 28, 28)
	step := func() {
		opt.ZeroGrad()
		m.Loss(rng, x0, class, cond, LossConfig{}).Backward()
		opt.Step()
	}
	step()
	b.ReportAllocs()
	for b.Loop() {
		step()
	}
}
