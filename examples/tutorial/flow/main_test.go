package main

import (
	"io"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// trained returns a flow after a short seeded run, so that its couplings are no longer
// the identity they start as.
func trained(t *testing.T, steps int) (f *Flow, before, after float32) {
	t.Helper()
	return train(rand.New(rand.NewPCG(1, 0)), steps, 6, 32, io.Discard)
}

// A short run must lower the test NLL by at least one nat per point (2.8 -> about 1.5).
func TestNLLDrops(t *testing.T) {
	_, before, after := trained(t, 300)
	require.Less(t, after, before-1, "test NLL %.3f -> %.3f", before, after)
}

func TestInverseUndoesForward(t *testing.T) {
	f, _, _ := trained(t, 50)
	x := twoMoons(rand.New(rand.NewPCG(2, 0)), 64, 0.05)
	z := autograd.NoGrad(x)
	for _, c := range f.Couplings {
		z, _ = c.Forward(z)
	}
	require.Greater(t, maxAbsDiff(z.Value(), x), float32(0.05), "the trained flow is not the identity")
	back := z
	for i := len(f.Couplings) - 1; i >= 0; i-- {
		back = f.Couplings[i].Inverse(back)
	}
	require.InDeltaSlice(t, x.Data(), back.Value().Data(), 1e-4)
}

// LogProb's log-determinant must be that of the flow's Jacobian, measured by central
// differences: otherwise the NLL would not be a likelihood.
func TestLogDetMatchesJacobian(t *testing.T) {
	f, _, _ := trained(t, 50)
	forward := func(p [2]float64) (y [2]float64, logDet float64) {
		z := autograd.NoGrad(tensor.FromSlice([]float32{float32(p[0]), float32(p[1])}, 1, 2))
		var sum float64
		for _, c := range f.Couplings {
			var ld *autograd.Var
			z, ld = c.Forward(z)
			sum += float64(ld.Item())
		}
		d := z.Value().Data()
		return [2]float64{float64(d[0]), float64(d[1])}, sum
	}
	const h = 1e-2
	for _, p := range [][2]float64{{0, 0}, {0.8, -0.5}, {-1.2, 0.7}} {
		var jac [2][2]float64 // jac[i][j] = ∂y_i/∂x_j
		for j := range 2 {
			lo, hi := p, p
			lo[j] -= h
			hi[j] += h
			ylo, _ := forward(lo)
			yhi, _ := forward(hi)
			for i := range 2 {
				jac[i][j] = (yhi[i] - ylo[i]) / (2 * h)
			}
		}
		numeric := math.Log(math.Abs(jac[0][0]*jac[1][1] - jac[0][1]*jac[1][0]))
		_, logDet := forward(p)
		t.Logf("point %v: log det %.4f, numeric %.4f", p, logDet, numeric)
		require.InDelta(t, numeric, logDet, 2e-2, "point %v", p)
	}
}

func TestSampleShape(t *testing.T) {
	f, _, _ := trained(t, 10)
	s := f.Sample(rand.New(rand.NewPCG(3, 0)), 5)
	require.Equal(t, []int{5, 2}, s.Shape())
	for _, v := range s.Data() {
		require.False(t, math.IsNaN(float64(v)) || math.IsInf(float64(v), 0))
	}
}

func maxAbsDiff(a, b *tensor.Tensor) float32 {
	var m float32
	for i, v := range a.Data() {
		m = max(m, float32(math.Abs(float64(v-b.Data()[i]))))
	}
	return m
}
