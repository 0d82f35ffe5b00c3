package diffusion

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// tinyPipelineConfig is a conditional U-Net small enough for a step to take well under a
// millisecond: 8×8 images, one conditioning channel, 4 base channels, two levels.
func tinyPipelineConfig() PipelineConfig {
	return PipelineConfig{
		UNet:      UNetConfig{CondChannels: 1, Base: 4, Mults: []int{1, 2}, AttnRes: []int{4}, ImageSize: 8, Groups: 2, NumClasses: 3},
		Timesteps: 100, Steps: 5, Guidance: 2, Clip: true,
	}
}

// savePipeline saves a random tiny U-Net with an EMA that differs from its weights.
func savePipeline(t *testing.T, cfg PipelineConfig) (string, *nn.VarStore, *optim.EMA) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(5, 5)))
	NewUNet(vs.Root(), cfg.UNet)
	ema := optim.NewEMA(vs.Params(), 0.5)
	for _, p := range vs.Params() {
		p.Value().ScaleInPlace(0.5)
	}
	path := filepath.Join(t.TempDir(), "p.safetensors")
	require.NoError(t, SavePipeline(path, vs, ema, cfg, map[string]string{"step": "9"}))
	return path, vs, ema
}

func TestPipelineCheckpointRoundTrip(t *testing.T) {
	cfg := tinyPipelineConfig()
	path, vs, ema := savePipeline(t, cfg)
	p, err := LoadPipeline(path)
	require.NoError(t, err)
	assert.Equal(t, "9", p.Meta["step"])
	assert.Equal(t, "ddim", p.Config.Sampler)
	c, h, w := p.ImageShape()
	require.Equal(t, []int{1, 8, 8}, []int{c, h, w})

	gen := GenerateConfig{Labels: []int{0, 2}, Sampler: "dpm", Steps: 4}
	got, err := p.Generate(context.Background(), 2, gen, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.Equal(t, []int{2, 1, 8, 8}, got.Shape())

	// The same chain run by hand on the EMA weights.
	ema.Apply()
	sched, _ := NewNamedSchedule("linear", 100)
	vs2 := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	u := NewUNet(vs2.Root(), cfg.UNet)
	require.NoError(t, vs2.LoadStateDict(vs.StateDict(), true))
	vs2.SetTraining(false)
	m := &Model{Net: u, Sched: sched, NullClass: 3}
	rng := rand.New(rand.NewPCG(1, 1))
	want, err := DPMSolver{Steps: 4}.Sample(context.Background(), m, tensor.Randn(rng, 2, 1, 8, 8), rng,
		SampleConfig{Class: tensor.FromSlice([]float32{0, 2}, 2), Guidance: 2, Clip: true, Cond: tensor.New(2, 1, 8, 8)})
	require.NoError(t, err)
	assert.InDeltaSlice(t, want.Data(), got.Data(), 1e-5)

	// From an fs.FS, and unconditionally (null label) with the default sampler.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	p2, err := LoadPipelineFS(fstest.MapFS{"p": {Data: b}}, "p")
	require.NoError(t, err)
	again, err := p2.Generate(context.Background(), 2, gen, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	assert.Equal(t, got.Data(), again.Data())
	evals := 0
	_, err = p2.Generate(context.Background(), 1, GenerateConfig{Progress: func(int, int) { evals++ }}, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, err)
	assert.Equal(t, 5, evals, "the checkpoint's default of 5 DDIM steps")
}

func TestPipelineErrors(t *testing.T) {
	path, _, _ := savePipeline(t, tinyPipelineConfig())
	st, err := nn.LoadFile(path)
	require.NoError(t, err)
	dir := t.TempDir()
	for name, tc := range map[string]struct{ config, want string }{
		"other arch": {`{"UNet":{"CondChannels":1,"Base":4,"Mults":[1,2],"AttnRes":[4],"ImageSize":8,"Groups":2}}`, "unexpected keys: class_embed.weight"},
		"groups":     {`{"UNet":{"CondChannels":1,"Base":4,"Mults":[1,2],"ImageSize":8,"Groups":3,"NumClasses":3}}`, "groups"},
		"huge":       {`{"UNet":{"Base":16384,"Mults":[1],"TimeDim":64}}`, "needs at least"},
		"sampler":    {`{"UNet":{"Base":4},"Sampler":"euler"}`, "unknown sampler"},
		"schedule":   {`{"UNet":{"Base":4,"Mults":[1],"Groups":2},"Schedule":"quadratic"}`, "unknown schedule"},
		"range":      {`{"UNet":{"ImageSize":100000}}`, "out of range"},
		"unknown":    {`{"UNet":{},"Sampling":1}`, "unknown field"},
	} {
		p := filepath.Join(dir, "p.safetensors")
		require.NoError(t, nn.SaveFile(p, st.Tensors, map[string]string{"format": pipelineFormat, "config": tc.config}))
		_, err := LoadPipeline(p)
		assert.ErrorContains(t, err, tc.want, name)
		if name == "other arch" {
			var sde *nn.StateDictError
			assert.True(t, errors.As(err, &sde))
		}
	}
	p, err := LoadPipeline(path)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	for _, tc := range []struct {
		cfg  GenerateConfig
		want string
	}{
		{GenerateConfig{Steps: 101}, "101 steps"},
		{GenerateConfig{Sampler: "euler"}, "unknown sampler"},
		{GenerateConfig{Labels: []int{3}}, "label 3 outside 0…2"},
		{GenerateConfig{Labels: []int{1, 1}}, "2 labels for 1 images"},
	} {
		_, err := p.Generate(context.Background(), 1, tc.cfg, rng)
		assert.ErrorContains(t, err, tc.want)
	}
}

// TestPipelineCancelStopsWithin100ms cancels a long DDPM chain mid-way: Generate must
// return the context's error within 100 ms.
func TestPipelineCancelStopsWithin100ms(t *testing.T) {
	path, _, _ := savePipeline(t, tinyPipelineConfig())
	p, err := LoadPipeline(path)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var cancelled time.Time
	evals := 0
	_, err = p.Generate(ctx, 2, GenerateConfig{Sampler: "ddpm", Steps: 100, Progress: func(step, _ int) {
		evals = step
		if step == 3 {
			cancelled = time.Now()
			cancel()
		}
	}}, rand.New(rand.NewPCG(1, 1)))
	require.ErrorIs(t, err, context.Canceled)
	assert.Less(t, time.Since(cancelled), 100*time.Millisecond)
	assert.Equal(t, 3, evals, "no network evaluation after the cancel")
}

// TestPipelineConcurrent samples from one loaded pipeline in 8 goroutines (run with
// -race) and compares with sequential runs from the same seeds.
func TestPipelineConcurrent(t *testing.T) {
	path, _, _ := savePipeline(t, tinyPipelineConfig())
	p, err := LoadPipeline(path)
	require.NoError(t, err)
	const workers = 8
	gen := GenerateConfig{Labels: []int{1, 2}, Steps: 3}
	want, got := make([]*tensor.Tensor, workers), make([]*tensor.Tensor, workers)
	errs := make([]error, workers)
	for i := range workers {
		want[i], err = p.Generate(context.Background(), 2, gen, rand.New(rand.NewPCG(uint64(i), 3)))
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			got[i], errs[i] = p.Generate(context.Background(), 2, gen, rand.New(rand.NewPCG(uint64(i), 3)))
		})
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		require.Equal(t, want[i].Data(), got[i].Data(), "goroutine %d", i)
	}
}

// FuzzPipelineConfig feeds hostile metadata to the config parser: it returns a
// validated config with a finite size bound, or an error, and never panics.
func FuzzPipelineConfig(f *testing.F) {
	f.Add(pipelineFormat, `{"UNet":{"CondChannels":1,"Base":32,"NumClasses":10},"Schedule":"cosine","Pred":"v","Sampler":"dpm","Steps":20,"Guidance":3}`)
	f.Add(pipelineFormat, `{"UNet":{"Base":16384,"Mults":[1,1,1,1,1,1,1,1],"ResBlocks":16,"TimeDim":16384}}`)
	f.Add(pipelineFormat, `{"UNet":{"Mults":[]},"Timesteps":-1}`)
	f.Add(pipelineFormat, `{"Steps":1e400}`)
	f.Add("genblocks-diffusion", `{}`)
	f.Fuzz(func(t *testing.T, format, config string) {
		cfg, err := parsePipelineConfig(map[string]string{"format": format, "config": config})
		if err != nil {
			return
		}
		if n := cfg.UNet.minParams(); !(n > 0 && n < 1e15) {
			t.Fatalf("config %q: bound %g", config, n)
		}
	})
}
