package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/tensor"
)

// TestCheckpointWritesALoadableGenerator checks that the generator saveTrainer writes
// beside the training checkpoint samples what the trainer does (EMA weights), and that
// the training checkpoint still resumes.
func TestCheckpointWritesALoadableGenerator(t *testing.T) {
	o := options{Loss: "ns", Cond: true, EMA: 0.9, LR: 2e-4, DLR: 2e-4, DSteps: 1}
	tr, err := build(o, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	path := filepath.Join(t.TempDir(), "gan.safetensors")
	require.NoError(t, saveTrainer(path, tr, o))
	back, o2, err := loadTrainer(path, rand.New(rand.NewPCG(2, 2)))
	require.NoError(t, err)
	assert.Equal(t, o.Cond, o2.Cond)

	s, err := gan.LoadGenerator(generatorPath(path))
	require.NoError(t, err)
	got, err := s.Sample(context.Background(), 3, []int{4, 5, 6}, rand.New(rand.NewPCG(3, 3)))
	require.NoError(t, err)
	want := back.Generate(tensor.Randn(rand.New(rand.NewPCG(3, 3)), 3, 100), tensor.FromSlice([]float32{4, 5, 6}, 3))
	assert.InDeltaSlice(t, want.Data(), got.Data(), 1e-6)
}

// TestOptionsRoundTrip checks that the discriminator's shape options survive the
// checkpoint metadata, so that eval rebuilds the same networks, and that metadata
// from before -mbstd and -dbn existed means neither.
func TestOptionsRoundTrip(t *testing.T) {
	cases := []options{
		{Loss: "ns"},
		{Loss: "ns", MBStd: 4, NoDBN: true},
		{Loss: "hinge", SN: true, EMA: 0.999, MBStd: 2},
		{Loss: "ns", Pack: 2},
	}
	for _, o := range cases {
		back, err := optionsFrom(o.metadata())
		require.NoError(t, err)
		assert.Equal(t, o, back)
	}
	old, err := optionsFrom(map[string]string{"format": "genblocks-gan", "loss": "ns", "sn": "false", "cond": "false", "ema": "0"})
	require.NoError(t, err)
	assert.Equal(t, options{Loss: "ns"}, old)
}

// -pack builds a PacGAN discriminator over packs of samples; it does not combine with
// -cond.
func TestBuildPacked(t *testing.T) {
	tr, err := build(options{Loss: "ns", Pack: 2}, rand.New(rand.NewPCG(1, 2)))
	require.NoError(t, err)
	require.NotNil(t, tr)
	_, err = build(options{Loss: "ns", Pack: 2, Cond: true}, rand.New(rand.NewPCG(1, 2)))
	require.ErrorContains(t, err, "-pack 2 does not combine with -cond")
}
