package optim

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// SGDConfig configures SGD. The zero value is plain SGD with learning rate 1e-3.
// Zero selects exactly 0 where 0 selects a default.
type SGDConfig struct {
	LR          float64 // learning rate; 0 means 1e-3 (PyTorch ≥ 2.2; 1.13 requires one)
	Momentum    float64 // momentum factor; 0 means none
	Dampening   float64 // dampening of the momentum; 0 means none
	Nesterov    bool    // Nesterov momentum; needs Momentum > 0 and no Dampening
	WeightDecay float64 // L2 penalty added to the gradient; 0 means none
}

// SGD is stochastic gradient descent with optional momentum, dampening, Nesterov
// momentum and weight decay, with exactly torch.optim.SGD's semantics:
//
//	d = g + wd·p
//	buf = d on the first step, else momentum·buf + (1-dampening)·d
//	d = d + momentum·buf (Nesterov) or buf
//	p = p - lr·d
//
// Its state is "momentum_buffer" per parameter (no step count).
type SGD struct {
	base
	momentum, dampening float64
	nesterov            bool
}

// NewSGD returns an SGD optimizer for params, as one group with cfg's learning rate and
// weight decay. It panics on an invalid config.
func NewSGD(params []*autograd.Var, cfg SGDConfig) *SGD {
	lr := pick("optim.NewSGD", "LR", cfg.LR, 1e-3)
	wd := pick("optim.NewSGD", "WeightDecay", cfg.WeightDecay, 0)
	return newSGD("optim.NewSGD", single(params, lr, wd), cfg)
}

// NewSGDGroups returns an SGD optimizer for parameter groups (see Group for how a
// group's zero fields are read). It panics on an invalid config.
func NewSGDGroups(groups []*Group, cfg SGDConfig) *SGD {
	return newSGD("optim.NewSGDGroups", groups, cfg)
}

// newSGD validates cfg and builds the optimizer; op names the constructor in panics.
func newSGD(op string, groups []*Group, cfg SGDConfig) *SGD {
	o := &SGD{
		momentum:  pick(op, "Momentum", cfg.Momentum, 0),
		dampening: pick(op, "Dampening", cfg.Dampening, 0),
		nesterov:  cfg.Nesterov,
	}
	if o.nesterov && (o.momentum <= 0 || o.dampening != 0) {
		tensor.Panicf(op, "Nesterov momentum needs Momentum > 0 and Dampening 0, have %g and %g", o.momentum, o.dampening)
	}
	o.init(op, groups, pick(op, "LR", cfg.LR, 1e-3), []string{"momentum_buffer"}, false)
	o.op = "optim.SGD"
	return o
}

// SetMomentum sets the momentum factor. It panics if m is not in [0,1).
func (o *SGD) SetMomentum(m float64) {
	if !(m >= 0 && m < 1) {
		checkBeta(o.op+".SetMomentum", "momentum", m)
	}
	o.momentum = m
}

// Step updates every parameter that has a gradient.
func (o *SGD) Step() {
	mom := float32(o.momentum)
	omd := float32(1 - o.dampening)
	nesterov := o.nesterov
	for gi, g := range o.groups {
		nlr := float32(-g.LR)
		wd := float32(g.WeightDecay)
		for pi, v := range g.Params {
			p, grad, ok := o.grad(v)
			if !ok {
				continue
			}
			st := &o.slots[gi][pi]
			if o.momentum == 0 {
				for i, d := range grad {
					if wd != 0 {
						d += wd * p[i]
					}
					p[i] += nlr * d
				}
				continue
			}
			first := st.bufs[0] == nil
			buf := st.buf(0, v, 0)
			buf = buf[:len(grad)]
			for i, d := range grad {
				if wd != 0 {
					d += wd * p[i]
				}
				if first {
					buf[i] = d // PyTorch starts the buffer at the first gradient, undampened
				} else {
					buf[i] = buf[i]*mom + omd*d
				}
				if nesterov {
					d += mom * buf[i]
				} else {
					d = buf[i]
				}
				p[i] += nlr * d
			}
		}
	}
}
