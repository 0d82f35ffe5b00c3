package main

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/vae"
	"github.com/stretchr/testify/require"
)

// TestTrainLowersTestLoss trains the default MLP VAE for two epochs on 2,000 MNIST
// images and checks that the test negative ELBO (on 10,000 images) falls from about
// 543 nats (a random decoder: 784·log 2) by at least 250; then resumes for one more
// epoch and samples from the checkpoint.
func TestTrainLowersTestLoss(t *testing.T) {
	if testing.Short() {
		t.Skip("trains on MNIST")
	}
	data, err := mnist.Load("")
	require.NoError(t, err)
	dir := t.TempDir()
	f := trainFlags{
		spec: spec{Arch: "mlp", Latent: 20},
		beta: 1, lr: 1e-3, saveEvery: 5,
		epochs: 2, batch: 64, limit: 2000, seed: 1,
		out: dir, ckpt: filepath.Join(dir, "vae.safetensors"),
		eval: evalFlags{iwaeK: 10, iwaeN: 100},
	}
	init, err := build(f.spec, rand.New(rand.NewPCG(f.seed, 0x766165)))
	require.NoError(t, err)
	before := lossTerms(init, data.Test, rand.New(rand.NewPCG(1, 2))).NegELBO
	rep, err := train(f)
	require.NoError(t, err)
	t.Logf("test -ELBO %.1f -> %.1f nats, IWAE %.1f", before, rep.NegELBO, rep.IWAE)
	require.Greater(t, before, 500.0)
	require.Less(t, rep.NegELBO, before-250)
	require.Less(t, rep.IWAE, rep.NegELBO+1) // the IWAE bound is tighter (up to noise)
	for _, name := range []string{"recon.png", "samples.png", "interp.png", "kl.png", "loss.png"} {
		require.FileExists(t, filepath.Join(dir, name))
	}

	f.resume, f.epochs = true, 1
	rep2, err := train(f)
	require.NoError(t, err)
	require.Less(t, rep2.NegELBO, rep.NegELBO+5)

	require.NoError(t, sampleCmd([]string{"-ckpt", f.ckpt, "-n", "3", "-out", filepath.Join(dir, "s")}))
	entries, err := os.ReadDir(filepath.Join(dir, "s"))
	require.NoError(t, err)
	require.Len(t, entries, 4) // 000000.png … 000002.png and grid.png

	// The model alone, as examples/serve loads it.
	s, err := vae.LoadModel(modelPath(f.ckpt))
	require.NoError(t, err)
	x, err := s.Sample(context.Background(), 2, nil, rand.New(rand.NewPCG(1, 1)))
	require.NoError(t, err)
	require.Equal(t, []int{2, 1, 28, 28}, x.Shape())
}
