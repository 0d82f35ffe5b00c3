package gan

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// A packed discriminator sees consecutive samples stacked along channels: its output
// for a batch equals the inner network's output for the stacked batch.
func TestPackedStacksConsecutiveSamples(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	d := NewDiscriminator(vs.Root(), DCGANConfig{Channels: 2})
	x := tensor.Randn(rng, 6, 1, 28, 28)
	got := Packed{D: d, M: 2}.Forward(autograd.NoGrad(x))
	require.Equal(t, []int{3, 1}, got.Shape())
	want := d.Forward(autograd.NoGrad(x.Reshape(3, 2, 28, 28)))
	require.Equal(t, want.Value().Data(), got.Value().Data())
	require.Panics(t, func() { Packed{D: d, M: 4}.Forward(autograd.NoGrad(x)) })
}
