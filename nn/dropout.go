package nn

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Dropout zeroes each element with probability P in training mode and scales the rest
// by 1/(1-P) (Srivastava et al. 2014); in evaluation mode it is the identity. Its masks
// come from the VarStore's random source, so training runs are reproducible from a seed.
// A Dropout in training mode must not be used from several goroutines at once.
type Dropout struct {
	P     float32
	store *VarStore
}

// NewDropout creates a Dropout with probability p. It panics unless 0 ≤ p < 1.
func NewDropout(vb *VarBuilder, p float32) *Dropout {
	if p < 0 || p >= 1 {
		tensor.Panicf("NewDropout", "probability %g is not in [0,1)", p)
	}
	return &Dropout{P: p, store: vb.Store()}
}

// Forward applies dropout in training mode.
func (d *Dropout) Forward(x *autograd.Var) *autograd.Var {
	if d.P == 0 || !d.store.Training() {
		return x
	}
	mask := tensor.Bernoulli(d.store.rng, 1-d.P, x.Shape()...)
	mask.ScaleInPlace(1 / (1 - d.P))
	return autograd.Mul(x, autograd.Const(mask))
}
