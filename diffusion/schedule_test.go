package diffusion

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

func TestSchedulesMatchPyTorch(t *testing.T) {
	f := golden.Load(t, "testdata/diffusion.json")
	for _, tc := range []struct {
		name  string
		betas []float64
	}{
		{"linear", LinearBetas(50, 0, 0)},
		{"cosine", CosineBetas(50, 0)},
		{"sigmoid", SigmoidBetas(50, 0)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := f.Case(t, "schedule_"+tc.name)
			s := NewSchedule(tc.betas)
			golden.Close(t, "betas", tensor.FromFloat64(s.Betas, 50), c.T(t, "betas"), 1e-6, 1e-5)
			golden.Close(t, "alphas_cumprod", tensor.FromFloat64(s.AlphaBars, 50), c.T(t, "alphas_cumprod"), 1e-6, 1e-5)
			for i := 1; i < s.T; i++ {
				require.Less(t, s.AlphaBars[i], s.AlphaBars[i-1], "ᾱ decreases")
			}
		})
	}
}

func TestPosteriorMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, "testdata/diffusion.json").Case(t, "posterior")
	s := NewSchedule(LinearBetas(1000, 0, 0))
	ts := c.Ints(t, "t")
	mean, v := s.PosteriorMeanVariance(c.T(t, "x0"), c.T(t, "xt"), ts)
	// diffusers works in float32, where 1−ᾱ_t at t = 1 (≈3e-4) loses three digits; the
	// Go schedule is float64, hence the looser tolerance on the mean.
	golden.Close(t, "mean", mean, c.T(t, "mean"), 2e-4, 1e-3)
	golden.Close(t, "variance", tensor.FromFloat64(v, len(v)), c.T(t, "variance").Reshape(len(v)), 1e-9, 1e-3)
	golden.Close(t, "q_sample", s.QSample(c.T(t, "x0"), c.T(t, "noise"), ts), c.T(t, "q_sample"), 1e-5, 1e-4)
}

// TestQSampleStatistics checks the closed-form forward process: for a fixed x₀, x_t
// has mean √ᾱ_t·x₀ and variance 1−ᾱ_t.
func TestQSampleStatistics(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, name := range []string{"linear", "cosine", "sigmoid"} {
		s, err := NewNamedSchedule(name, 1000)
		require.NoError(t, err)
		for _, step := range []int{0, 100, 500, 999} {
			const n = 20000
			x0 := tensor.Full(0.7, n, 1, 1, 1)
			ts := make([]int, n)
			for i := range ts {
				ts[i] = step
			}
			xt := s.QSample(x0, tensor.Randn(rng, n, 1, 1, 1), ts)
			mean := float64(tensor.Mean(xt, false).Item())
			vr := float64(tensor.Var(xt, 1, false).Item())
			ab := s.AlphaBars[step]
			assert.InDelta(t, 0.7*math.Sqrt(ab), mean, 4*math.Sqrt((1-ab)/n)+1e-6, "%s t=%d mean", name, step)
			assert.InDelta(t, 1-ab, vr, 0.04*(1-ab)+1e-9, "%s t=%d variance", name, step)
		}
	}
	_, err := NewNamedSchedule("quadratic", 10)
	require.Error(t, err)
}

func TestSpacing(t *testing.T) {
	for _, tc := range []struct {
		start, n int
		want     []int
	}{
		{9, 0, []int{9, 8, 7, 6, 5, 4, 3, 2, 1, 0}},
		{999, 4, []int{999, 666, 333, 0}},
		{10, 3, []int{10, 5, 0}},
		{3, 50, []int{3, 2, 1, 0}},
		{5, 1, []int{5}},
	} {
		assert.Equal(t, tc.want, Spacing(tc.start, tc.n))
	}
}

func TestScheduleHelpers(t *testing.T) {
	s := NewSchedule(LinearBetas(1000, 0, 0))
	assert.Equal(t, 1.0, s.AlphaBar(-1))
	ts := s.TimestepForNoise(0.5)
	assert.InDelta(t, 0.25, (1-s.AlphaBars[ts])/s.AlphaBars[ts], 0.01)
	assert.Panics(t, func() { NewSchedule([]float64{0.1, 1.5}) })
	assert.Panics(t, func() { s.AlphaBar(1000) })
	assert.Panics(t, func() { s.QSample(tensor.New(2, 1), tensor.New(2, 1), []int{1}) })
}
