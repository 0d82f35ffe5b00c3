package diffusion

import (
	"context"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/tensor"
)

// Denoise removes Gaussian noise of standard deviation sigma (in the data's scale,
// [-1,1] for images) from noisy (B,C,H,W): it scales the input to x_t at the timestep
// whose noise level matches sigma, √ᾱ_t·noisy, and runs the sampler's reverse chain
// from there (cfg.Start is set). Ancestral samplers give a sample of the posterior;
// DDIM with η = 0 a deterministic estimate.
func Denoise(ctx context.Context, m *Model, s Sampler, noisy *tensor.Tensor, sigma float64, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	t := m.Sched.TimestepForNoise(sigma)
	cfg.Start = max(t, 1)
	x := noisy.MulScalar(float32(math.Sqrt(m.Sched.AlphaBar(cfg.Start))))
	return s.Sample(ctx, m, x, rng, cfg)
}

// SuperResolve samples high-resolution images conditioned on up (B,Cc,H,W), the
// low-resolution inputs upsampled to the output size, which m's network reads as its
// extra input channels (SR3, Saharia et al. 2021, https://arxiv.org/abs/2104.07636).
// The output has the data's channel count c.
func SuperResolve(ctx context.Context, m *Model, s Sampler, up *tensor.Tensor, c int, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	cfg.Cond = up
	x := tensor.Randn(rng, up.Size(0), c, up.Size(2), up.Size(3))
	return s.Sample(ctx, m, x, rng, cfg)
}

// Inpaint fills the pixels of known (B,C,H,W) where mask is 0, keeping those where it
// is 1, RePaint-style: the known pixels are re-noised to every step's level and pasted
// in, and each step is repeated resample times with re-noising in between.
func Inpaint(ctx context.Context, m *Model, s Sampler, known, mask *tensor.Tensor, resample int, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	cfg.Known, cfg.Mask, cfg.Resample = known, mask, resample
	return s.Sample(ctx, m, tensor.Randn(rng, known.Shape()...), rng, cfg)
}
