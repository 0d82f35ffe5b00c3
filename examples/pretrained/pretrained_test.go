package pretrained

import (
	"context"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/dates"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// The embedded checkpoints together stay within the 10 MB the module can carry.
func TestEmbeddedSize(t *testing.T) {
	total := 0
	for _, name := range []string{TextFile, DatesFile, GANFile, VAEFile, DiffusionFile} {
		b, err := files.ReadFile(name)
		require.NoError(t, err)
		total += len(b)
	}
	t.Logf("embedded checkpoints: %d bytes", total)
	require.LessOrEqual(t, total, 10<<20)
}

// The text model still predicts held-out Shakespeare: its loss on the validation part
// (the last 10%, as examples/gpt splits it) stays near what training measured (1.65).
func TestTextValidationLoss(t *testing.T) {
	m, err := Text()
	require.NoError(t, err)
	corpus, err := os.ReadFile("../gpt/tinyshakespeare.txt")
	require.NoError(t, err)
	ids := m.Tokenizer.Encode(string(corpus))
	val := ids[len(ids)*9/10:]
	loss := m.GPT.EvalLoss(rand.New(rand.NewPCG(1, 2)), val, 8, m.GPT.Config.BlockSize, 2)
	t.Logf("validation loss %.3f nats/char", loss)
	require.Less(t, loss, 1.75)
}

// The translator gets held-out dates right.
func TestDates(t *testing.T) {
	tr, err := Dates()
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(7, 8))
	right, n := 0, 50
	for range n {
		_, _, human, iso := dates.Example(rng, true)
		got, err := tr.Translate(context.Background(), human)
		require.NoError(t, err)
		if got == iso {
			right++
		}
	}
	t.Logf("%d of %d held-out dates exact", right, n)
	require.GreaterOrEqual(t, right, 48)
	_, err = tr.Translate(context.Background(), "26 Nov 2026 ☃")
	require.Error(t, err)
}

// Each image model draws recognisable digits of most classes: the MNIST classifier
// finds at least minDigits digits among the samples, with a mean confidence above 0.7.
func TestImageModels(t *testing.T) {
	ev, err := mnisteval.Load()
	require.NoError(t, err)
	ctx := context.Background()
	for _, c := range []struct {
		name      string
		n         int
		lo, hi    float32
		minDigits int
		sample    func(n int, rng *rand.Rand) (*tensor.Tensor, error)
	}{
		{"gan", 200, -1, 1, 10, func(n int, rng *rand.Rand) (*tensor.Tensor, error) {
			g, err := GAN()
			require.NoError(t, err)
			return g.Sample(ctx, n, nil, rng)
		}},
		{"vae", 200, 0, 1, 10, func(n int, rng *rand.Rand) (*tensor.Tensor, error) {
			v, err := VAE()
			require.NoError(t, err)
			return v.Sample(ctx, n, nil, rng)
		}},
		{"diffusion", 200, -1, 1, 10, func(n int, rng *rand.Rand) (*tensor.Tensor, error) {
			d, err := Diffusion()
			require.NoError(t, err)
			return d.Generate(ctx, n, diffusion.GenerateConfig{Sampler: "dpm", Steps: 10}, rng)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			x, err := c.sample(c.n, rand.New(rand.NewPCG(3, 4)))
			require.NoError(t, err)
			require.Equal(t, []int{c.n, 1, 28, 28}, x.Shape())
			r := ev.Evaluate(Images(x, c.lo, c.hi))
			digits := 0
			for _, s := range r.Coverage {
				if s > 0 {
					digits++
				}
			}
			t.Logf("%s: %s", c.name, r)
			require.GreaterOrEqual(t, digits, c.minDigits)
			require.Greater(t, r.Confidence, 0.7)
		})
	}
}

func TestImages(t *testing.T) {
	x := tensor.FromSlice([]float32{-1, 0, 1, 3}, 1, 1, 2, 2)
	require.Equal(t, [][]float32{{0, 0.5, 1, 1}}, Images(x, -1, 1))
	require.Panics(t, func() { Images(tensor.New(2, 3, 2, 2), 0, 1) })
}
