package vae

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

func saveTiny(t *testing.T, cfg Config) (string, *Model) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(4, 4)))
	m, err := cfg.Build(vs.Root())
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "vae.safetensors")
	require.NoError(t, SaveModel(path, vs, cfg, map[string]string{"epoch": "3"}))
	return path, m
}

func TestModelCheckpointRoundTrip(t *testing.T) {
	for name, tc := range map[string]struct {
		cfg     Config
		labels  []int
		c, h, w int
	}{
		"mlp":        {Config{MLP: &MLPConfig{Input: 16, Hidden: []int{8}, Latent: 3}}, nil, 1, 4, 4},
		"mlp-shape":  {Config{MLP: &MLPConfig{Input: 12, Hidden: []int{}, Latent: 2}, ImageShape: []int{3, 2, 2}}, nil, 3, 2, 2},
		"conv-cond":  {Config{Conv: &ConvConfig{Size: 8, Filters: []int{2, 3}, Latent: 2, Classes: 4}}, []int{3, 0, 1}, 1, 8, 8},
		"conv-gauss": {Config{Conv: &ConvConfig{Size: 4, InChannels: 2, Filters: []int{2}, Hidden: 5, Latent: 2}, Likelihood: "gaussian", Sigma: 0.1}, nil, 2, 4, 4},
	} {
		t.Run(name, func(t *testing.T) {
			path, m := saveTiny(t, tc.cfg)
			s, err := LoadModel(path)
			require.NoError(t, err)
			assert.Equal(t, "3", s.Meta["epoch"])
			c, h, w := s.ImageShape()
			assert.Equal(t, []int{tc.c, tc.h, tc.w}, []int{c, h, w})
			got, err := s.Sample(context.Background(), 3, tc.labels, rand.New(rand.NewPCG(1, 1)))
			require.NoError(t, err)
			require.Equal(t, []int{3, c, h, w}, got.Shape())
			var lab *tensor.Tensor
			if tc.labels != nil {
				lab = tensor.FromSlice([]float32{3, 0, 1}, 3)
			}
			want := m.Sample(3, lab, rand.New(rand.NewPCG(1, 1)))
			assert.InDeltaSlice(t, want.Data(), got.Data(), 1e-6)

			b, err := os.ReadFile(path)
			require.NoError(t, err)
			s2, err := LoadModelFS(fstest.MapFS{"m": {Data: b}}, "m")
			require.NoError(t, err)
			x, err := s2.Sample(context.Background(), 3, tc.labels, rand.New(rand.NewPCG(1, 1)))
			require.NoError(t, err)
			assert.Equal(t, got.Data(), x.Data())
		})
	}
}

func TestLoadModelErrors(t *testing.T) {
	path, _ := saveTiny(t, Config{MLP: &MLPConfig{Input: 16, Hidden: []int{8}, Latent: 3}})
	st, err := nn.LoadFile(path)
	require.NoError(t, err)
	dir := t.TempDir()
	for name, tc := range map[string]struct{ config, want string }{
		"other arch":  {`{"MLP":{"Input":16,"Hidden":[8],"Latent":4}}`, "encoder.mu.weight: checkpoint (3,8), model (4,8)"},
		"both":        {`{"MLP":{},"Conv":{}}`, "one of MLP and Conv"},
		"neither":     {`{}`, "one of MLP and Conv"},
		"huge":        {`{"MLP":{"Input":65536,"Hidden":[65536,65536]}}`, "needs at least"},
		"huge conv":   {`{"Conv":{"Size":65536,"Filters":[1],"Latent":65536}}`, "needs at least"},
		"likelihood":  {`{"MLP":{"Input":16,"Hidden":[8],"Latent":3},"Likelihood":"poisson"}`, "unknown likelihood"},
		"sigma":       {`{"MLP":{"Input":16,"Hidden":[8],"Latent":3},"Likelihood":"gaussian"}`, "σ = 0"},
		"indivisible": {`{"Conv":{"Size":6,"Filters":[1,1,1]}}`, "divisible"},
		"negative":    {`{"MLP":{"Input":-1}}`, "out of range"},
		"shape":       {`{"MLP":{"Input":16},"ImageShape":[1,3,3]}`, "image shape"},
	} {
		md := map[string]string{"format": modelFormat, "config": tc.config}
		p := filepath.Join(dir, "m.safetensors")
		require.NoError(t, nn.SaveFile(p, st.Tensors, md))
		_, err := LoadModel(p)
		assert.ErrorContains(t, err, tc.want, name)
		if name == "other arch" {
			var sde *nn.StateDictError
			assert.True(t, errors.As(err, &sde), name)
		}
	}
	s, err := LoadModel(path)
	require.NoError(t, err)
	_, err = s.Sample(context.Background(), 1, []int{1}, rand.New(rand.NewPCG(1, 1)))
	assert.ErrorContains(t, err, "unconditional")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Sample(ctx, 1, nil, rand.New(rand.NewPCG(1, 1)))
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSamplerConcurrent samples from one loaded VAE in 8 goroutines (run with -race)
// and compares with sequential runs from the same seeds.
func TestSamplerConcurrent(t *testing.T) {
	path, _ := saveTiny(t, Config{Conv: &ConvConfig{Size: 8, Filters: []int{2, 3}, Latent: 2, Classes: 4}})
	s, err := LoadModel(path)
	require.NoError(t, err)
	labels := make([]int, 40) // two chunks
	for i := range labels {
		labels[i] = i % 4
	}
	const workers = 8
	want, got := make([]*tensor.Tensor, workers), make([]*tensor.Tensor, workers)
	errs := make([]error, workers)
	for i := range workers {
		want[i], err = s.Sample(context.Background(), len(labels), labels, rand.New(rand.NewPCG(uint64(i), 1)))
		require.NoError(t, err)
	}
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			got[i], errs[i] = s.Sample(context.Background(), len(labels), labels, rand.New(rand.NewPCG(uint64(i), 1)))
		})
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		require.Equal(t, want[i].Data(), got[i].Data(), "goroutine %d", i)
	}
}

// FuzzModelConfig feeds hostile metadata to the config parser: it returns a config
// whose size bound is finite, or an error, and never panics.
func FuzzModelConfig(f *testing.F) {
	f.Add(modelFormat, `{"MLP":{"Input":784,"Hidden":[400],"Latent":20}}`)
	f.Add(modelFormat, `{"Conv":{"Size":28,"Filters":[16,32],"Latent":20,"Classes":10},"Likelihood":"gaussian","Sigma":0.1}`)
	f.Add(modelFormat, `{"Conv":{"Size":65536,"Filters":[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1],"Latent":65536}}`)
	f.Add(modelFormat, `{"MLP":{"Hidden":[-1]},"ImageShape":[0,0,0]}`)
	f.Add("genblocks-vae", `{"MLP":{}}`)
	f.Fuzz(func(t *testing.T, format, config string) {
		cfg, err := parseConfig(map[string]string{"format": format, "config": config})
		if err != nil {
			return
		}
		if n := cfg.minParams(); !(n >= 0 && n < 1e30) {
			t.Fatalf("config %q: bound %g", config, n)
		}
		if cfg.minParams() <= 1e4 { // small enough to build: building must not panic
			_, _ = cfg.Build(nn.NewVarStore(rand.New(rand.NewPCG(0, 0))).Root())
		}
	})
}
