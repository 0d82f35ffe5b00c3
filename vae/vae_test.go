package vae

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 99)) }

// smallMLP is a 12-8-3 MLP VAE.
func smallMLP(seed uint64, classes int) *Model {
	vs := nn.NewVarStore(newRand(seed))
	return NewMLP(vs.Root(), MLPConfig{Input: 12, Hidden: []int{8}, Latent: 3, Classes: classes})
}

// TestReparameterizeMoments draws many z = μ + σ·ε and checks their mean and variance
// per dimension. With n = 40000 the standard error of the mean is σ/200 and that of the
// variance about 0.7% of σ²; the tolerances (5 standard errors, and 4% of σ²) fail for
// σ = exp(log σ²) or σ = log σ² instead of exp(½ log σ²), and for a missing μ.
func TestReparameterizeMoments(t *testing.T) {
	const n = 40000
	mu := []float32{1.5, -2, 0, 0.3}
	logVar := []float32{float32(math.Log(0.25)), float32(math.Log(4)), 0, float32(math.Log(0.01))}
	l := len(mu)
	muT, lvT := tensor.New(n, l), tensor.New(n, l)
	for i := range n {
		copy(muT.Data()[i*l:], mu)
		copy(lvT.Data()[i*l:], logVar)
	}
	q := Posterior{Mu: autograd.Const(muT), LogVar: autograd.Const(lvT)}
	z := q.Reparameterize(newRand(5)).Value().Data()
	for j := range l {
		var s, ss float64
		for i := range n {
			s += float64(z[i*l+j])
		}
		mean := s / n
		for i := range n {
			d := float64(z[i*l+j]) - mean
			ss += d * d
		}
		variance := ss / (n - 1)
		want := math.Exp(float64(logVar[j]))
		assert.InDelta(t, float64(mu[j]), mean, 5*math.Sqrt(want/n), "mean of dimension %d", j)
		assert.InEpsilon(t, want, variance, 0.04, "variance of dimension %d", j)
	}
}

// TestReparameterizeGradient checks that gradients reach μ (1 per sample) and log σ²
// (½·σ·ε).
func TestReparameterizeGradient(t *testing.T) {
	mu := autograd.Param(tensor.FromSlice([]float32{0.5, -1}, 1, 2))
	lv := autograd.Param(tensor.FromSlice([]float32{0.2, -0.4}, 1, 2))
	eps := tensor.FromSlice([]float32{0.7, -1.3}, 1, 2)
	z := Posterior{Mu: mu, LogVar: lv}.withNoise(eps)
	autograd.Sum(z, false).Backward()
	assert.InDeltaSlice(t, []float32{1, 1}, mu.Grad().Data(), 1e-6)
	for j, e := range eps.Data() {
		want := 0.5 * math.Exp(0.5*float64(lv.Value().Data()[j])) * float64(e)
		assert.InDelta(t, want, float64(lv.Grad().Data()[j]), 1e-6)
	}
}

// TestIWAEOneSampleIsELBO checks that with k = 1 and the same noise the IWAE bound is
// the one-sample ELBO estimate log p(x|z) + log p(z) - log q(z|x), and that averaged
// over many draws both agree with the analytic-KL ELBO of Loss.
func TestIWAEOneSampleIsELBO(t *testing.T) {
	for _, classes := range []int{0, 3} {
		m := smallMLP(1, classes)
		rng := newRand(2)
		x := tensor.Rand(rng, 0, 1, 6, 12)
		var labels *tensor.Tensor
		if classes > 0 {
			labels = tensor.FromSlice([]float32{0, 1, 2, 2, 1, 0}, 6)
		}
		xv := autograd.NoGrad(x)

		// Same seed, same noise: IWAE(k=1) against the hand-computed estimate.
		iw := m.IWAE(xv, labels, 1, newRand(3)).Value()
		q := m.Encode(xv, labels)
		eps := tensor.Randn(newRand(3), 6, 3)
		z := q.withNoise(eps).Value()
		logPx := m.Likelihood.LogProb(xv, m.Decode(autograd.NoGrad(z), labels)).Value().Data()
		for i := range 6 {
			var lp, lq float64
			for j := range 3 {
				zz, e := float64(z.At(i, j)), float64(eps.At(i, j))
				lv := float64(q.LogVar.Value().At(i, j))
				lp += -0.5 * (math.Log(2*math.Pi) + zz*zz)
				lq += -0.5 * (math.Log(2*math.Pi) + lv + e*e)
			}
			assert.InDelta(t, float64(logPx[i])+lp-lq, float64(iw.Data()[i]), 1e-3, "example %d", i)
		}

		// On average over the noise: E[IWAE(k=1)] = ELBO ≤ E[IWAE(k=10)].
		const draws = 400
		var one, ten, elbo float64
		for d := range draws {
			one += mean(m.IWAE(xv, labels, 1, newRand(uint64(100+d))).Value())
			ten += mean(m.IWAE(xv, labels, 10, newRand(uint64(100+d))).Value())
			elbo -= m.Loss(xv, labels, newRand(uint64(100+d)), LossConfig{}).NegELBO
		}
		one, ten, elbo = one/draws, ten/draws, elbo/draws
		assert.InDelta(t, elbo, one, 0.02*math.Abs(elbo), "E[IWAE k=1] vs ELBO")
		assert.Greater(t, ten, one, "IWAE k=10 should be tighter than k=1")
	}
}

func mean(t *tensor.Tensor) float64 {
	s := 0.0
	for _, v := range t.Data() {
		s += float64(v)
	}
	return s / float64(t.Numel())
}

func TestKLWeight(t *testing.T) {
	tests := []struct {
		cfg  LossConfig
		want float64
	}{
		{LossConfig{}, 1},
		{LossConfig{Beta: 4}, 4},
		{LossConfig{WarmupSteps: 100, Step: 0}, 0},
		{LossConfig{WarmupSteps: 100, Step: 25}, 0.25},
		{LossConfig{Beta: 2, WarmupSteps: 100, Step: 50}, 1},
		{LossConfig{Beta: 2, WarmupSteps: 100, Step: 100}, 2},
		{LossConfig{Beta: 2, WarmupSteps: 100, Step: 1000}, 2},
	}
	for _, tc := range tests {
		assert.InDelta(t, tc.want, tc.cfg.KLWeight(), 1e-12, "%+v", tc.cfg)
	}
	assert.Panics(t, func() { LossConfig{Beta: -1}.KLWeight() })
}

// TestLossTerms checks how the terms combine: β and warm-up scale the KL, free bits
// floor each dimension, and NegELBO ignores both.
func TestLossTerms(t *testing.T) {
	m := smallMLP(3, 0)
	x := autograd.Const(tensor.Rand(newRand(4), 0, 1, 5, 12))
	q := m.Encode(x, nil)
	eps := tensor.Randn(newRand(5), 5, 3)
	base := m.loss(x, nil, q, eps, LossConfig{})
	recon, kl := float64(base.Recon.Item()), float64(base.KL.Item())
	require.Equal(t, []int{3}, base.KLPerDim.Shape())
	assert.InDelta(t, recon+kl, float64(base.Total.Item()), 1e-4)
	assert.InDelta(t, recon+kl, base.NegELBO, 1e-4)
	assert.InDelta(t, kl, mean(base.KLPerDim)*3, 1e-5)

	l := m.loss(x, nil, q, eps, LossConfig{Beta: 3, WarmupSteps: 10, Step: 5})
	assert.InDelta(t, recon+1.5*kl, float64(l.Total.Item()), 1e-4)
	assert.InDelta(t, recon+kl, l.NegELBO, 1e-4)

	// Free bits above every dimension's KL: the KL term is Latent·λ and passes no
	// gradient to the encoder heads through the KL.
	lam := 10.0
	l = m.loss(x, nil, q, eps, LossConfig{FreeBits: lam})
	assert.InDelta(t, recon+3*lam, float64(l.Total.Item()), 1e-3)
	assert.InDelta(t, recon+kl, l.NegELBO, 1e-4)
}

func TestConditionShapes(t *testing.T) {
	m := &Model{Classes: 3}
	labels := tensor.FromSlice([]float32{2, 0}, 2)
	flat := m.Condition(autograd.Const(tensor.Ones(2, 4)), labels)
	require.Equal(t, []int{2, 7}, flat.Shape())
	assert.Equal(t, []float32{1, 1, 1, 1, 0, 0, 1}, flat.Value().Data()[:7])
	img := m.Condition(autograd.Const(tensor.Ones(2, 1, 2, 2)), labels)
	require.Equal(t, []int{2, 4, 2, 2}, img.Shape())
	assert.Equal(t, []float32{0, 0, 0, 0}, img.Value().Data()[4:8])   // example 0, class 0 plane
	assert.Equal(t, []float32{1, 1, 1, 1}, img.Value().Data()[12:16]) // example 0, class 2 plane
	assert.True(t, m.Condition(autograd.NoGrad(tensor.Ones(2, 4)), labels).IsNoGrad())

	assert.Panics(t, func() { m.Condition(autograd.Const(tensor.Ones(2, 4)), nil) })
	assert.Panics(t, func() { m.Condition(autograd.Const(tensor.Ones(2, 4)), tensor.New(3)) })
	assert.Panics(t, func() { (&Model{}).Condition(autograd.Const(tensor.Ones(2, 4)), labels) })
}

func TestShapesAndPanics(t *testing.T) {
	rng := newRand(7)
	for _, tc := range []struct {
		name  string
		m     *Model
		input []int
	}{
		{"mlp", NewMLP(nn.NewVarStore(rng).Root(), MLPConfig{Input: 16, Hidden: []int{8, 6}, Latent: 2}), []int{3, 16}},
		{"mlp-cond", NewMLP(nn.NewVarStore(rng).Root(), MLPConfig{Input: 16, Latent: 2, Classes: 10}), []int{3, 16}},
		{"mlp-nohidden", NewMLP(nn.NewVarStore(rng).Root(), MLPConfig{Input: 16, Hidden: []int{}, Latent: 2}), []int{3, 16}},
		{"conv", NewConv(nn.NewVarStore(rng).Root(), ConvConfig{Size: 8, Filters: []int{2, 3}, Latent: 2}), []int{3, 1, 8, 8}},
		{"conv-rgb-cond", NewConv(nn.NewVarStore(rng).Root(), ConvConfig{Size: 8, InChannels: 3, Filters: []int{4}, Hidden: 5, Latent: 3, Classes: 2}), []int{3, 3, 8, 8}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var labels *tensor.Tensor
			if tc.m.Classes > 0 {
				labels = tensor.FromSlice([]float32{0, 1, 1}, 3)
			}
			x := tensor.Rand(rng, 0, 1, tc.input...)
			require.Equal(t, []int{3, tc.m.Latent}, tc.m.EncodeMean(x, labels).Shape())
			require.Equal(t, tc.input, tc.m.Reconstruct(x, labels).Shape())
			require.Equal(t, tc.input, tc.m.Sample(3, labels, rng).Shape())
			l := tc.m.Loss(autograd.Const(x), labels, rng, LossConfig{})
			require.Equal(t, []int{tc.m.Latent}, l.KLPerDim.Shape())
			require.Equal(t, []int{3}, tc.m.IWAE(autograd.NoGrad(x), labels, 4, rng).Shape())
			assert.Panics(t, func() { tc.m.IWAE(autograd.NoGrad(x), labels, 0, rng) })
		})
	}
	assert.Panics(t, func() { NewConv(nn.NewVarStore(rng).Root(), ConvConfig{Size: 10, Filters: []int{2, 2}}) })
	assert.Panics(t, func() { NewMLP(nn.NewVarStore(rng).Root(), MLPConfig{Hidden: []int{0}}) })
	bad := &Model{Encoder: nn.Identity{}, Decoder: nn.Identity{}, Latent: 2, Likelihood: Bernoulli{}}
	assert.Panics(t, func() { bad.Encode(autograd.Const(tensor.New(2, 5)), nil) })
	assert.Panics(t, func() { bad.Decode(autograd.Const(tensor.New(2, 3)), nil) })
}

func TestLikelihoods(t *testing.T) {
	x := autograd.Const(tensor.FromSlice([]float32{0, 1, 0.5, 0.25}, 2, 2))
	out := autograd.Const(tensor.FromSlice([]float32{0.1, -0.3, 2, 0}, 2, 2))
	g := NewGaussian(0.5)
	lp := g.LogProb(x, out).Value().Data()
	for i := range 2 {
		want := 0.0
		for j := range 2 {
			d := float64(x.Value().At(i, j) - out.Value().At(i, j))
			want += -0.5*math.Log(2*math.Pi*0.25) - d*d/(2*0.25)
		}
		assert.InDelta(t, want, float64(lp[i]), 1e-5)
	}
	b := Bernoulli{}.LogProb(x, out).Value().Data()
	for i := range 2 {
		want := 0.0
		for j := range 2 {
			xv, p := float64(x.Value().At(i, j)), 1/(1+math.Exp(-float64(out.Value().At(i, j))))
			want += xv*math.Log(p) + (1-xv)*math.Log(1-p)
		}
		assert.InDelta(t, want, float64(b[i]), 1e-5)
	}
	assert.InDeltaSlice(t, []float32{0.5249792, 0.42555748}, Bernoulli{}.Mean(out).Value().Data()[:2], 1e-6)
	assert.Panics(t, func() { NewGaussian(0) })
	assert.Panics(t, func() { Bernoulli{}.LogProb(x, autograd.Const(tensor.New(4))) })
	lg := NewLearnedGaussian(nn.NewVarStore(newRand(1)).Root(), 2)
	assert.True(t, lg.LogVar.RequiresGrad())
}

func TestInterpolation(t *testing.T) {
	a := tensor.FromSlice([]float32{1, 0, 0}, 3)
	b := tensor.FromSlice([]float32{0, 2, 0}, 3)
	l := Lerp(a, b, 3)
	assert.Equal(t, []float32{1, 0, 0, 0.5, 1, 0, 0, 2, 0}, l.Data())
	s := Slerp(a, b, 3)
	require.Equal(t, []int{3, 3}, s.Shape())
	assert.InDeltaSlice(t, a.Data(), s.Data()[0:3], 1e-6)
	assert.InDeltaSlice(t, b.Data(), s.Data()[6:9], 1e-6)
	// Ω = 90°, so the midpoint is sin(45°)·(a+b).
	assert.InDeltaSlice(t, []float32{float32(math.Sqrt2 / 2), float32(math.Sqrt2), 0}, s.Data()[3:6], 1e-6)
	// Parallel latents fall back to Lerp.
	assert.Equal(t, Lerp(a, a, 4).Data(), Slerp(a, a, 4).Data())
	assert.Panics(t, func() { Lerp(a, tensor.New(2), 3) })
	assert.Panics(t, func() { Slerp(a, b, 1) })

	m := smallMLP(9, 0)
	x := tensor.Rand(newRand(1), 0, 1, 2, 12)
	x0, x1 := tensor.Narrow(x, 0, 0, 1), tensor.Narrow(x, 0, 1, 1)
	path := m.Interpolate(x0, x1, 0, 5, Slerp)
	require.Equal(t, []int{5, 12}, path.Shape())
	rec := m.Reconstruct(x, nil)
	assert.InDeltaSlice(t, rec.Data()[:12], path.Data()[:12], 1e-5)
	assert.InDeltaSlice(t, rec.Data()[12:], path.Data()[48:], 1e-5)
}

func TestTraverse2D(t *testing.T) {
	// A decoder that outputs its input makes the grid visible: Mean of a Gaussian is
	// the decoder output, z itself.
	m := &Model{Encoder: nn.Identity{}, Decoder: nn.Identity{}, Latent: 3, Likelihood: NewGaussian(1)}
	g := m.Traverse2D(3, TraverseConfig{Dims: [2]int{2, 0}, Span: 2, Base: tensor.FromSlice([]float32{0, 7, 0}, 3)})
	require.Equal(t, []int{9, 3}, g.Shape())
	// Row 0 has dimension 2 at +2, columns move dimension 0 from -2 to 2.
	assert.Equal(t, []float32{-2, 7, 2, 0, 7, 2, 2, 7, 2}, g.Data()[:9])
	assert.Equal(t, []float32{-2, 7, -2}, g.Data()[18:21])
	q := m.Traverse2D(2, TraverseConfig{})
	assert.InDeltaSlice(t, []float32{1.644854, -1.644854, 0}, q.Data()[:3], 1e-5) // Φ⁻¹(0.95), Φ⁻¹(0.05)
	assert.Panics(t, func() { m.Traverse2D(1, TraverseConfig{}) })
	assert.Panics(t, func() { m.Traverse2D(3, TraverseConfig{Dims: [2]int{1, 1}}) })
	assert.Panics(t, func() { m.Traverse2D(3, TraverseConfig{Dims: [2]int{0, 3}}) })
}
