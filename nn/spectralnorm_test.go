package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

func TestSpectralNormEstimatesLargestSingularValue(t *testing.T) {
	vs := newStore()
	l := NewLinear(vs.Root(), 6, 5, LinearConfig{SpectralNorm: true})
	require.Equal(t, []string{"weight_orig", "weight_u", "weight_v", "bias"}, vs.Names())
	w := l.Weight.Value()
	var svd mat.SVD
	m := mat.NewDense(5, 6, w.ToFloat64())
	require.True(t, svd.Factorize(m, mat.SVDNone))
	sigma := svd.Values(nil)[0]
	// Power iteration converges; after it, the normalised weight has σ = 1.
	for i := 0; i < 50; i++ {
		l.SN.Weight()
	}
	wn := l.SN.Weight().Value()
	require.True(t, svd.Factorize(mat.NewDense(5, 6, wn.ToFloat64()), mat.SVDNone))
	assert.InDelta(t, 1, svd.Values(nil)[0], 1e-4)
	ratio := float64(w.Data()[0] / wn.Data()[0])
	assert.InDelta(t, sigma, ratio, 1e-4*sigma)
	// Evaluation mode does not iterate.
	vs.SetTraining(false)
	u := l.SN.U.Clone()
	l.SN.Weight()
	assert.Equal(t, u.Data(), l.SN.U.Data())
}

func TestSpectralNormGradient(t *testing.T) {
	vs := newStore()
	l := NewLinear(vs.Root(), 4, 3, LinearConfig{SpectralNorm: true})
	for i := 0; i < 30; i++ {
		l.SN.Weight()
	}
	vs.SetTraining(false) // hold u and v fixed, as the gradient does
	rng := rand.New(rand.NewPCG(1, 5))
	x := autograd.Param(tensor.Randn(rng, 2, 4))
	require.NoError(t, autograd.GradCheckVars(func() *autograd.Var { return l.Forward(x) },
		[]*autograd.Var{x, l.Weight, l.Bias}, autograd.GradCheckConfig{}))
}

func TestEmbeddingsOfPositionsAndTimesteps(t *testing.T) {
	pe := SinusoidalPositions(4, 6)
	require.Equal(t, []int{4, 6}, pe.Shape())
	assert.InDelta(t, 0.8414709848, pe.At(1, 0), 1e-6) // sin(1)
	assert.InDelta(t, 0.5403023059, pe.At(1, 1), 1e-6) // cos(1)
	assert.InDelta(t, 1, pe.At(0, 5), 1e-7)
	te := TimestepEmbedding(tensor.FromSlice([]float32{0, 10}, 2), 8, 0)
	require.Equal(t, []int{2, 8}, te.Shape())
	assert.InDelta(t, -0.5440211109, te.At(1, 0), 1e-6) // sin(10)
	assert.InDelta(t, -0.8390715291, te.At(1, 4), 1e-6) // cos(10)
	assert.InDelta(t, 1, te.At(0, 7), 1e-7)
	require.Panics(t, func() { TimestepEmbedding(tensor.New(2), 7, 0) })
}
