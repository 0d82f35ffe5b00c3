package optim

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// ClipGradNorm rescales the gradients of params in place so that their global L2 norm
// (the norm of all gradients concatenated) is at most maxNorm, and returns the norm
// before clipping, like torch.nn.utils.clip_grad_norm_: every gradient is multiplied
// by maxNorm/(norm+1e-6) (computed in float32) when that is below 1. Parameters
// without a gradient are skipped. If the norm is not finite the gradients are left
// unchanged and the norm is returned, so the caller can skip the step. It panics if
// maxNorm is negative or NaN.
func ClipGradNorm(params []*autograd.Var, maxNorm float64) float64 {
	if !(maxNorm >= 0) {
		tensor.Panicf("optim.ClipGradNorm", "maxNorm %g; want ≥ 0", maxNorm)
	}
	var sq float64
	for _, p := range params {
		if g := p.Grad(); g != nil {
			for _, x := range g.Data() {
				sq += float64(x) * float64(x)
			}
		}
	}
	total := math.Sqrt(sq)
	if math.IsInf(total, 0) || math.IsNaN(total) {
		return total
	}
	coef := float32(maxNorm) / (float32(total) + float32(1e-6))
	if coef < 1 {
		for _, p := range params {
			if g := p.Grad(); g != nil {
				d := g.Data()
				for i := range d {
					d[i] *= coef
				}
			}
		}
	}
	return total
}

// ClipGradValue clamps every gradient element of params to [-v, v] in place, like
// torch.nn.utils.clip_grad_value_. Parameters without a gradient are skipped; NaN
// elements stay NaN. It panics if v is negative or NaN.
func ClipGradValue(params []*autograd.Var, v float64) {
	if !(v >= 0) {
		tensor.Panicf("optim.ClipGradValue", "clip value %g; want ≥ 0", v)
	}
	hi := float32(v)
	lo := -hi
	for _, p := range params {
		if g := p.Grad(); g != nil {
			d := g.Data()
			for i, x := range d {
				if x > hi {
					d[i] = hi
				} else if x < lo {
					d[i] = lo
				}
			}
		}
	}
}
