package optim

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
)

// AdagradConfig configures Adagrad. Zero fields select PyTorch's defaults; Zero
// selects exactly 0.
type AdagradConfig struct {
	LR                      float64 // learning rate; 0 means 1e-2
	LRDecay                 float64 // the step t uses lr/(1+(t-1)·LRDecay); 0 means none
	WeightDecay             float64 // L2 penalty added to the gradient; 0 means none
	InitialAccumulatorValue float64 // starting value of the sum of squares; 0 means 0
	Eps                     float64 // added to the denominator; 0 means 1e-10
}

// Adagrad is Adagrad (Duchi et al. 2011, https://jmlr.org/papers/v12/duchi11a.html)
// with exactly torch.optim.Adagrad's semantics in float32:
//
//	g = g + wd·p
//	sum = sum + g²
//	p = p - lr/(1+(t-1)·lr_decay) · g / (√sum + eps)
//
// Its state per parameter is "step" and "sum".
type Adagrad struct {
	base
	lrDecay, initAcc, eps float64
}

// NewAdagrad returns an Adagrad optimizer for params, as one group with cfg's learning
// rate and weight decay. It panics on an invalid config.
func NewAdagrad(params []*autograd.Var, cfg AdagradConfig) *Adagrad {
	const op = "optim.NewAdagrad"
	return newAdagrad(op, single(params, pick(op, "LR", cfg.LR, 1e-2), pick(op, "WeightDecay", cfg.WeightDecay, 0)), cfg)
}

// NewAdagradGroups returns an Adagrad optimizer for parameter groups (see Group for how
// a group's zero fields are read). It panics on an invalid config.
func NewAdagradGroups(groups []*Group, cfg AdagradConfig) *Adagrad {
	return newAdagrad("optim.NewAdagradGroups", groups, cfg)
}

// newAdagrad validates cfg and builds the optimizer; op names the constructor in panics.
func newAdagrad(op string, groups []*Group, cfg AdagradConfig) *Adagrad {
	o := &Adagrad{
		lrDecay: pick(op, "LRDecay", cfg.LRDecay, 0),
		initAcc: pick(op, "InitialAccumulatorValue", cfg.InitialAccumulatorValue, 0),
		eps:     pick(op, "Eps", cfg.Eps, 1e-10),
	}
	o.init(op, groups, pick(op, "LR", cfg.LR, 1e-2), []string{"sum"}, true)
	o.required = func(string) bool { return true }
	o.op = "optim.Adagrad"
	return o
}

// Step updates every parameter that has a gradient.
func (o *Adagrad) Step() {
	eps := float32(o.eps)
	for gi, g := range o.groups {
		wd := float32(g.WeightDecay)
		for pi, v := range g.Params {
			p, grad, ok := o.grad(v)
			if !ok {
				continue
			}
			st := &o.slots[gi][pi]
			st.step++
			sum := st.buf(0, v, float32(o.initAcc))
			nclr := float32(-(g.LR / (1 + float64(st.step-1)*o.lrDecay)))
			for i, x := range grad {
				if wd != 0 {
					x += wd * p[i]
				}
				sum[i] += x * x
				p[i] += (nclr * x) / (float32(math.Sqrt(float64(sum[i]))) + eps)
			}
		}
	}
}
