package gan

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// mbstdReference computes MinibatchStd's extra channel value for sample i directly:
// the mean over features of the population standard deviation within i's group.
func mbstdReference(x *tensor.Tensor, group, i int) float64 {
	b, f := x.Size(0), x.Numel()/x.Size(0)
	if group <= 0 || group > b || b%group != 0 {
		group = b
	}
	m := b / group
	d := x.Data()
	var total float64
	for j := range f {
		var s, s2 float64
		for k := range group {
			v := float64(d[(k*m+i%m)*f+j])
			s += v
			s2 += v * v
		}
		mu := s / float64(group)
		total += math.Sqrt(s2/float64(group) - mu*mu + 1e-8)
	}
	return total / float64(f)
}

func TestMinibatchStd(t *testing.T) {
	cases := []struct {
		name     string
		b, group int
	}{
		{"whole batch", 6, 0},
		{"groups of 2", 6, 2},
		{"groups of 3", 6, 3},
		{"group not dividing the batch", 6, 4},
		{"group larger than the batch", 2, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(3, uint64(c.b*10+c.group)))
			x := tensor.Randn(rng, c.b, 3, 2, 2)
			y := MinibatchStd(autograd.Const(x), c.group).Value()
			require.Equal(t, []int{c.b, 4, 2, 2}, y.Shape())
			for i := range c.b {
				want := mbstdReference(x, c.group, i)
				for p := range 4 {
					assert.InDelta(t, x.Data()[i*12+p], y.Data()[i*16+p], 0, "channel 0 copied")
					assert.InDelta(t, want, y.Data()[i*16+12+p], 1e-5, "sample %d std channel", i)
				}
			}
			err := autograd.GradCheck(func(xs []*autograd.Var) *autograd.Var {
				w := autograd.Const(tensor.Randn(rand.New(rand.NewPCG(7, 7)), c.b, 4, 2, 2))
				return autograd.Sum(autograd.Mul(MinibatchStd(xs[0], c.group), w), false)
			}, []*tensor.Tensor{x.Clone()}, autograd.GradCheckConfig{})
			require.NoError(t, err)
		})
	}
	require.Panics(t, func() { MinibatchStd(autograd.Const(tensor.New(2, 3)), 0) })
}

func TestDiscriminatorMinibatchStd(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	ds := nn.NewVarStore(rng)
	d := NewDiscriminator(ds.Root(), DCGANConfig{Width: 4, MinibatchStd: 4})
	y := d.Forward(autograd.Const(tensor.Rand(rng, -1, 1, 8, 1, 28, 28)))
	require.Equal(t, []int{8, 1}, y.Shape())
	assert.Equal(t, []int{1, (8 + 1) * 7 * 7}, d.FC.Weight.Shape(), "one extra channel into the linear layer")
}
