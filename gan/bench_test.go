package gan

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// BenchmarkDCGANStep times one training step of the reference 28×28 DCGAN at batch 64.
func BenchmarkDCGANStep(b *testing.B) {
	b.ReportAllocs()
	rng := rand.New(rand.NewPCG(1, 2))
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g, d := NewGenerator(gs.Root(), DCGANConfig{}), NewDiscriminator(ds.Root(), DCGANConfig{})
	tr := NewTrainer(g, gs, d, ds, TrainerConfig{}, rng)
	x := tensor.Rand(rng, -1, 1, 64, 1, 28, 28)
	for b.Loop() {
		tr.Step(func() Batch { return Batch{X: x} })
	}
}
