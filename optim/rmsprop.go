package optim

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
)

// RMSpropConfig configures RMSprop. Zero fields select PyTorch's defaults; Zero selects
// exactly 0.
type RMSpropConfig struct {
	LR          float64 // learning rate; 0 means 1e-2
	Alpha       float64 // smoothing constant of the squared-gradient average; 0 means 0.99
	Eps         float64 // added to the denominator; 0 means 1e-8
	WeightDecay float64 // L2 penalty added to the gradient; 0 means none
	Momentum    float64 // momentum factor; 0 means none
	Centered    bool    // normalise by the variance estimate instead of the second moment
}

// RMSprop is RMSprop (Hinton, Lecture 6e; centered variant from Graves 2013,
// https://arxiv.org/abs/1308.0850) with exactly torch.optim.RMSprop's semantics in
// float32:
//
//	g = g + wd·p
//	v = α·v + (1-α)·g²
//	c = √(v - ḡ²) + eps with ḡ = α·ḡ + (1-α)·g (centered), else √v + eps
//	buf = momentum·buf + g/c, p = p - lr·buf (momentum > 0), else p = p - lr·g/c
//
// Its state per parameter is "step", "square_avg" and, as configured,
// "momentum_buffer" and "grad_avg".
type RMSprop struct {
	base
	alpha, eps, momentum float64
	centered             bool
}

// NewRMSprop returns an RMSprop optimizer for params, as one group with cfg's learning
// rate and weight decay. It panics on an invalid config.
func NewRMSprop(params []*autograd.Var, cfg RMSpropConfig) *RMSprop {
	const op = "optim.NewRMSprop"
	return newRMSprop(op, single(params, pick(op, "LR", cfg.LR, 1e-2), pick(op, "WeightDecay", cfg.WeightDecay, 0)), cfg)
}

// NewRMSpropGroups returns an RMSprop optimizer for parameter groups (see Group for how
// a group's zero fields are read). It panics on an invalid config.
func NewRMSpropGroups(groups []*Group, cfg RMSpropConfig) *RMSprop {
	return newRMSprop("optim.NewRMSpropGroups", groups, cfg)
}

// newRMSprop validates cfg and builds the optimizer; op names the constructor in panics.
func newRMSprop(op string, groups []*Group, cfg RMSpropConfig) *RMSprop {
	o := &RMSprop{
		alpha:    pick(op, "Alpha", cfg.Alpha, 0.99),
		eps:      pick(op, "Eps", cfg.Eps, 1e-8),
		momentum: pick(op, "Momentum", cfg.Momentum, 0),
		centered: cfg.Centered,
	}
	checkBeta(op, "Alpha", o.alpha)
	o.init(op, groups, pick(op, "LR", cfg.LR, 1e-2), []string{"square_avg", "momentum_buffer", "grad_avg"}, true)
	o.required = func(name string) bool {
		return name == "square_avg" || (name == "momentum_buffer" && o.momentum > 0) || (name == "grad_avg" && o.centered)
	}
	o.op = "optim.RMSprop"
	return o
}

// SetMomentum sets the momentum factor. It panics if m is not in [0,1).
func (o *RMSprop) SetMomentum(m float64) {
	if !(m >= 0 && m < 1) {
		checkBeta(o.op+".SetMomentum", "momentum", m)
	}
	o.momentum = m
}

// Step updates every parameter that has a gradient.
func (o *RMSprop) Step() {
	alpha, oma := float32(o.alpha), float32(1-o.alpha)
	eps, mom := float32(o.eps), float32(o.momentum)
	centered, useMom := o.centered, o.momentum > 0
	for gi, g := range o.groups {
		nlr := float32(-g.LR)
		wd := float32(g.WeightDecay)
		for pi, v := range g.Params {
			p, grad, ok := o.grad(v)
			if !ok {
				continue
			}
			st := &o.slots[gi][pi]
			st.step++
			sq := st.buf(0, v, 0)
			var buf, avg []float32
			if useMom {
				buf = st.buf(1, v, 0)
			}
			if centered {
				avg = st.buf(2, v, 0)
			}
			for i, x := range grad {
				if wd != 0 {
					x += wd * p[i]
				}
				sq[i] = sq[i]*alpha + (oma*x)*x
				var c float32
				if centered {
					avg[i] = avg[i]*alpha + oma*x
					c = float32(math.Sqrt(float64(sq[i] - avg[i]*avg[i])))
				} else {
					c = float32(math.Sqrt(float64(sq[i])))
				}
				c += eps
				if useMom {
					buf[i] = buf[i]*mom + x/c
					p[i] += nlr * buf[i]
				} else {
					p[i] += (nlr * x) / c
				}
			}
		}
	}
}
