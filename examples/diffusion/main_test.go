package main

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

func TestBicubicMatchesPyTorch(t *testing.T) {
	f := golden.Load(t, "testdata/bicubic.json")
	for _, name := range []string{"bicubic", "bicubic_odd"} {
		c := f.Case(t, name)
		want := c.T(t, "y")
		golden.Close(t, name, bicubic(c.T(t, "x"), want.Size(2), want.Size(3)), want, 1e-5, 1e-4)
	}
}

func TestSamplesRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := tensor.Rand(rng, -1, 1, 3, 1, 28, 28)
	dir := t.TempDir()
	require.NoError(t, mnisteval.WriteSamples(dir, toUnit(x)))
	back, err := mnisteval.ReadSamples(dir)
	require.NoError(t, err)
	require.Len(t, back, 3)
	golden.Close(t, "PNG round trip", fromUnit(back, 28, 28), x, 1.0/255+1e-6, 0)
	_, err = mnisteval.ReadSamples(filepath.Join(dir, "missing"))
	assert.Error(t, err)
}

func TestPSNRAndDownsample(t *testing.T) {
	a := [][]float32{{0, 0.5, 1, 1}}
	assert.InDelta(t, 20.0, psnr(a, [][]float32{{0.1, 0.6, 0.9, 0.9}}), 1e-4)
	d := downsample2(tensor.FromSlice([]float32{1, 2, 3, 4}, 1, 1, 2, 2))
	assert.Equal(t, []float32{2.5}, d.Data())
}

// TestCheckpointWritesALoadablePipeline saves a small conditional model and checks that
// diffusion.LoadPipeline's pipeline beside the checkpoint samples what the example's
// own loader (EMA weights) does.
func TestCheckpointWritesALoadablePipeline(t *testing.T) {
	spec := modelSpec{Schedule: "cosine", Pred: "v", Cond: true, Base: 8}
	vs, _, err := build(spec, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	ema := optim.NewEMA(vs.Params(), 0.5)
	path := filepath.Join(t.TempDir(), "model.safetensors")
	require.NoError(t, saveTraining(path, spec, 3, vs, optim.NewAdam(vs.Params(), optim.AdamConfig{}), ema))
	l, err := load(path)
	require.NoError(t, err)
	p, err := diffusion.LoadPipeline(pipelinePath(path))
	require.NoError(t, err)
	assert.Equal(t, "3", p.Meta["step"])

	cfg := drawConfig(l, 2, 3)
	rng := rand.New(rand.NewPCG(4, 4))
	want, err := diffusion.DDIM{Steps: 2}.Sample(context.Background(), l.model, tensor.Randn(rng, 2, 1, 28, 28), rng, cfg)
	require.NoError(t, err)
	got, err := p.Generate(context.Background(), 2, diffusion.GenerateConfig{Labels: []int{0, 1}, Steps: 2}, rand.New(rand.NewPCG(4, 4)))
	require.NoError(t, err)
	assert.Equal(t, want.Data(), got.Data())
}

func TestParseSamplerSpec(t *testing.T) {
	for name, want := range map[string]diffusion.Sampler{
		"ddim-50":        diffusion.DDIM{Steps: 50},
		"ddim-50-eta1":   diffusion.DDIM{Steps: 50, Eta: 1},
		"ddim-20-eta0.5": diffusion.DDIM{Steps: 20, Eta: 0.5},
		"ddpm-1000":      diffusion.DDPM{Steps: 1000},
		"ddpm-1000-beta": diffusion.DDPM{Steps: 1000, Variance: diffusion.VarianceBeta},
		"dpm-10":         diffusion.DPMSolver{Steps: 10},
	} {
		got, err := parseSamplerSpec(name)
		require.NoError(t, err, name)
		require.Equal(t, want, got, name)
	}
	for _, bad := range []string{"ddim-x", "ddim--1", "ddpm-10-eta1", "ddim-10-beta", "ddim-50-eta-1", "ddim-50-etax", "euler-10", "ddim-50-eta1-x"} {
		_, err := parseSamplerSpec(bad)
		require.Error(t, err, bad)
	}
}

func TestCosineDecay(t *testing.T) {
	for _, tc := range []struct{ frac, want float64 }{
		{-1, 2e-3}, {0, 2e-3}, {0.5, 1e-3}, {1, 0}, {1.5, 0},
		{0.25, 1e-3 * (1 + math.Sqrt2/2)},
	} {
		assert.InDelta(t, tc.want, cosineDecay(2e-3, tc.frac), 1e-12, "frac %g", tc.frac)
	}
}
