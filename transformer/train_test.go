package transformer

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

func TestRandomWindows(t *testing.T) {
	stream := []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}
	x, y := RandomWindows(rand.New(rand.NewPCG(1, 2)), stream, 3, 4)
	require.Equal(t, []int{3, 4}, x.Shape())
	for b := 0; b < 3; b++ {
		for i := 0; i < 4; i++ {
			require.Equal(t, x.At(b, i)+1, y.At(b, i))
			if i > 0 {
				require.Equal(t, x.At(b, i-1)+1, x.At(b, i))
			}
		}
	}
	x2, _ := RandomWindows(rand.New(rand.NewPCG(1, 2)), stream, 3, 4)
	require.Equal(t, x.Data(), x2.Data(), "same seed, same windows")
	require.Panics(t, func() { RandomWindows(rand.New(rand.NewPCG(1, 2)), stream, 1, 10) })
}

func TestNextTokenLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	logits := autograd.Param(tensor.Randn(rng, 2, 4, 5))
	ids := tensor.FromSlice([]float32{1, 2, 3, 4, 0, 1, -100, 2}, 2, 4)
	got := NextTokenLoss(logits, ids, nn.CrossEntropyConfig{})
	// By hand: positions 0..2 predict ids at 1..3, skipping the -100 target.
	lp := tensor.LogSoftmax(logits.Value(), -1)
	var sum float64
	n := 0
	for b := 0; b < 2; b++ {
		for i := 0; i < 3; i++ {
			tgt := int(ids.At(b, i+1))
			if tgt < 0 {
				continue
			}
			sum -= float64(lp.At(b, i, tgt))
			n++
		}
	}
	require.InDelta(t, sum/float64(n), got.Item(), 1e-5)
	got.Backward()
	require.Zero(t, tensor.Sum(tensor.Abs(tensor.Narrow(logits.Grad(), 1, 3, 1)), false).Item(), "last position predicts nothing")
	require.InDelta(t, math.E, Perplexity(1), 1e-12)
}

func TestEmbeddingsAndRotary(t *testing.T) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	e := NewTokenEmbedding(vs.Root(), "tok", "pos", 10, 6, 4, SinusoidalPositions, 1, 2, 0)
	ids := tensor.FromSlice([]float32{1, 2, 3}, 1, 3)
	y := e.Forward(autograd.Const(ids), nil).Value()
	want := tensor.Add(tensor.IndexSelect(e.Tok.Weight.Value(), 0, ids.Reshape(-1)).MulScalar(2), tensor.Narrow(nn.SinusoidalPositions(6, 4), 0, 0, 3))
	require.InDeltaSlice(t, want.Data(), y.Data(), 1e-6)
	require.Panics(t, func() { e.Forward(autograd.Const(ids), tensor.FromSlice([]float32{4, 5, 6}, 3)) })

	// Rotary attention scores depend only on the distance between positions.
	r := NewRotary(8, 32, 0)
	rng := rand.New(rand.NewPCG(5, 6))
	q := tensor.Randn(rng, 1, 1, 1, 8)
	k := tensor.Randn(rng, 1, 1, 1, 8)
	score := func(pq, pk int) float32 {
		a := r.Apply(autograd.NoGrad(q), tensor.FromSlice([]float32{float32(pq)}, 1)).Value()
		b := r.Apply(autograd.NoGrad(k), tensor.FromSlice([]float32{float32(pk)}, 1)).Value()
		return tensor.Sum(tensor.Mul(a, b), false).Item()
	}
	require.InDelta(t, score(3, 1), score(10, 8), 1e-4)
	require.InDelta(t, score(0, 0), tensor.Sum(tensor.Mul(q, k), false).Item(), 1e-5, "position 0 is the identity")
	require.NotEqual(t, score(3, 1), score(1, 3))
	// The rotation keeps gradients flowing.
	x := autograd.Param(tensor.Randn(rng, 2, 2, 3, 8))
	autograd.Sum(autograd.Square(r.Apply(x, nil)), false).Backward()
	require.InDeltaSlice(t, x.Value().MulScalar(2).Data(), x.Grad().Data(), 1e-4, "a rotation keeps norms")
}
