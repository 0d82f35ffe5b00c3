package gan

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// MinibatchStd appends one feature map to x (B,C,H,W) that tells the discriminator
// how varied the batch is: the standard deviation of every feature over a group of
// samples, averaged over the features, broadcast over the group's members as an extra
// channel (Karras et al. 2018, "Progressive growing of GANs",
// https://arxiv.org/abs/1710.10196). Sample i is in group i mod (B/group), as in the
// paper; a group of 0, or one that does not divide B, means the whole batch. A batch
// of fakes that all look alike gets a telltale small value, which the discriminator
// can learn to punish. It is composed of differentiable ops, so penalties on its
// input gradient work. It panics unless x has four axes.
func MinibatchStd(x *autograd.Var, group int) *autograd.Var {
	if x.Dim() != 4 {
		tensor.Panicf("gan.MinibatchStd", "input %s; want (B,C,H,W)", tensor.ShapeString(x.Shape()))
	}
	b, c, h, w := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	if group <= 0 || group > b || b%group != 0 {
		group = b
	}
	m := b / group
	y := autograd.Reshape(x, group, m, c, h, w)                                               // (B,C,H,W) -> (G,M,C,H,W)
	v := autograd.Mean(autograd.Square(autograd.Sub(y, autograd.Mean(y, true, 0))), false, 0) // (M,C,H,W)
	s := autograd.Mean(autograd.Sqrt(autograd.AddScalar(v, 1e-8)), true, 1, 2, 3)             // (M,1,1,1)
	s = autograd.Expand(autograd.Reshape(s, 1, m, 1, 1, 1), group, m, 1, h, w)                // (G,M,1,H,W)
	return autograd.Concat(1, x, autograd.Reshape(s, b, 1, h, w))                             // (B,C+1,H,W)
}
