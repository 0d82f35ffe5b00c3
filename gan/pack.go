package gan

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Packed is PacGAN's discriminator (Lin et al. 2018, https://arxiv.org/abs/1712.04086):
// it judges packs of M samples at once, stacked along the channel axis, so a generator
// that drops modes produces packs whose lack of variety the discriminator can see. D
// must take M times the images' channels (for DCGAN: DCGANConfig.Channels = M·C) and
// gives one logit per pack. Batches of real and fake samples must hold a multiple of M
// samples; consecutive samples form a pack.
type Packed struct {
	D nn.Module
	M int
}

// Forward maps x (B,C,H,W) to D's output for the packs (B/M,M·C,H,W). It panics
// unless B is a multiple of M.
func (p Packed) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 || p.M < 1 || s[0]%p.M != 0 {
		tensor.Panicf("gan.Packed", "batch %s does not split into packs of %d", tensor.ShapeString(s), p.M)
	}
	packed := append([]int{s[0] / p.M, s[1] * p.M}, s[2:]...)
	return p.D.Forward(autograd.Reshape(x, packed...)) // (B,C,…) -> (B/M,M·C,…)
}
