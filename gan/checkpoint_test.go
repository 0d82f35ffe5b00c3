package gan

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

// tinyTrainer is a conditional DCGAN of width 4 with an EMA, trained for two steps so
// that the EMA, the weights and the batch-norm statistics all differ.
func tinyTrainer(t *testing.T) (*Trainer, *Generator) {
	rng := rand.New(rand.NewPCG(7, 7))
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	cfg := DCGANConfig{Width: 4, ZDim: 8, Classes: 3, EmbedDim: 4}
	g := NewGenerator(gs.Root(), cfg)
	tr := NewTrainer(g, gs, NewDiscriminator(ds.Root(), cfg), ds, TrainerConfig{ZDim: 8, Classes: 3, EMADecay: 0.5}, rng)
	data := func() Batch {
		r := rand.New(rand.NewPCG(2, 2))
		return Batch{X: tensor.Rand(r, -1, 1, 4, 1, 28, 28), Labels: tensor.FromSlice([]float32{0, 1, 2, 0}, 4)}
	}
	for range 2 {
		_, err := tr.Step(data)
		require.NoError(t, err)
	}
	return tr, g
}

func TestGeneratorCheckpointRoundTrip(t *testing.T) {
	tr, g := tinyTrainer(t)
	path := filepath.Join(t.TempDir(), "g.safetensors")
	require.NoError(t, SaveGenerator(path, g, tr.GStore, tr.EMA, map[string]string{"step": "2"}))

	s, err := LoadGenerator(path)
	require.NoError(t, err)
	assert.Equal(t, "2", s.Meta["step"])
	assert.False(t, s.Store.Training())
	labels := []int{2, 0, 1, 1, 0}
	got, err := s.Sample(context.Background(), 5, labels, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.Equal(t, []int{5, 1, 28, 28}, got.Shape())
	// The trainer's own sampling, with the EMA weights, from the same latents.
	z := tensor.Randn(rand.New(rand.NewPCG(1, 1)), 5, 8)
	want := tr.Generate(z, tensor.FromSlice([]float32{2, 0, 1, 1, 0}, 5))
	assert.InDeltaSlice(t, want.Data(), got.Data(), 1e-6)

	// The same checkpoint from an fs.FS and from bytes.
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s2, err := LoadGeneratorFS(fstest.MapFS{"g.safetensors": {Data: b}}, "g.safetensors")
	require.NoError(t, err)
	st, err := nn.ParseSafetensors(b)
	require.NoError(t, err)
	s3, err := GeneratorFrom(st)
	require.NoError(t, err)
	for _, other := range []*Sampler{s2, s3} {
		x, err := other.Sample(context.Background(), 5, labels, rand.New(rand.NewPCG(1, 1)))
		require.NoError(t, err)
		assert.Equal(t, got.Data(), x.Data())
	}
}

func TestLoadGeneratorErrors(t *testing.T) {
	dir := t.TempDir()
	tr, g := tinyTrainer(t)
	good := filepath.Join(dir, "good.safetensors")
	require.NoError(t, SaveGenerator(good, g, tr.GStore, nil, nil))
	st, err := nn.LoadFile(good)
	require.NoError(t, err)

	// A checkpoint of another architecture: the weights of a conditional generator
	// under an unconditional config are refused with the mismatched keys listed.
	md := map[string]string{}
	for k, v := range st.Metadata {
		md[k] = v
	}
	md["config"] = `{"Width":4,"ZDim":8}`
	other := filepath.Join(dir, "other.safetensors")
	require.NoError(t, nn.SaveFile(other, st.Tensors, md))
	_, err = LoadGenerator(other)
	var sde *nn.StateDictError
	require.True(t, errors.As(err, &sde), "%v", err)
	assert.Equal(t, []string{"embed.weight"}, sde.Unexpected)
	assert.Contains(t, sde.Mismatched[0], "fc.weight: checkpoint (392,12), model (392,8)")
	assert.ErrorContains(t, err, "other.safetensors")

	// A config far bigger than the file is refused before anything is built.
	md["config"] = `{"Size":64,"Width":8192,"ZDim":8192}`
	huge := filepath.Join(dir, "huge.safetensors")
	require.NoError(t, nn.SaveFile(huge, st.Tensors, md))
	_, err = LoadGenerator(huge)
	assert.ErrorContains(t, err, "needs at least")

	for name, meta := range map[string]map[string]string{
		"format":  {"format": "genblocks-gpt", "config": "{}"},
		"version": {"format": generatorFormat, "format_version": "9", "config": "{}"},
		"unknown": {"format": generatorFormat, "config": `{"Widht":4}`},
		"size":    {"format": generatorFormat, "config": `{"Size":48}`},
		"missing": {"format": generatorFormat},
	} {
		p := filepath.Join(dir, name+".safetensors")
		require.NoError(t, nn.SaveFile(p, st.Tensors, meta))
		_, err := LoadGenerator(p)
		assert.Error(t, err, name)
	}
	_, err = LoadGenerator(filepath.Join(dir, "nope.safetensors"))
	assert.ErrorContains(t, err, "nope.safetensors")

	s, err := LoadGenerator(good)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 1))
	_, err = s.Sample(context.Background(), 2, []int{0}, rng)
	assert.ErrorContains(t, err, "1 labels for 2 images")
	_, err = s.Sample(context.Background(), 1, []int{3}, rng)
	assert.ErrorContains(t, err, "label 3 outside 0…2")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = s.Sample(ctx, 1, []int{0}, rng)
	assert.ErrorIs(t, err, context.Canceled)
}

// TestSamplerConcurrent runs 8 goroutines sampling from one loaded generator (run with
// -race) and compares each result with a sequential run from the same seed.
func TestSamplerConcurrent(t *testing.T) {
	tr, g := tinyTrainer(t)
	path := filepath.Join(t.TempDir(), "g.safetensors")
	require.NoError(t, SaveGenerator(path, g, tr.GStore, tr.EMA, nil))
	s, err := LoadGenerator(path)
	require.NoError(t, err)
	const workers = 8
	labels := []int{0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2} // 18: two chunks
	want := make([]*tensor.Tensor, workers)
	for i := range want {
		want[i], err = s.Sample(context.Background(), len(labels), labels, rand.New(rand.NewPCG(uint64(i), 0)))
		require.NoError(t, err)
	}
	got := make([]*tensor.Tensor, workers)
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			got[i], errs[i] = s.Sample(context.Background(), len(labels), labels, rand.New(rand.NewPCG(uint64(i), 0)))
		})
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		require.Equal(t, want[i].Data(), got[i].Data(), "goroutine %d", i)
	}
	assert.NotEqual(t, want[0].Data(), want[1].Data())
}

// FuzzGeneratorConfig feeds hostile metadata to the config parser: it must return a
// config that builds a bounded model, or an error, and never panic.
func FuzzGeneratorConfig(f *testing.F) {
	f.Add(generatorFormat, "1", `{"Size":28,"Channels":1,"ZDim":100,"Width":64,"Classes":10,"EmbedDim":50}`)
	f.Add(generatorFormat, "1", `{"Size":64,"Width":-1}`)
	f.Add(generatorFormat, "", `{"Size":32,"Channels":3,"Width":9223372036854775807}`)
	f.Add(generatorFormat, "2", `{}`)
	f.Add("genblocks-gpt", "1", `[]`)
	f.Add(generatorFormat, "1", `{"Size":28} {}`)
	f.Fuzz(func(t *testing.T, format, version, config string) {
		md := map[string]string{"format": format, "config": config}
		if version != "" {
			md["format_version"] = version
		}
		cfg, err := parseGeneratorConfig(md)
		if err != nil {
			return
		}
		if n := cfg.minGeneratorParams(); n < 0 || n > 1<<40 {
			t.Fatalf("config %+v: %d parameters", cfg, n)
		}
	})
}
