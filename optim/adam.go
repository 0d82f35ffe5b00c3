package optim

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// AdamConfig configures Adam and AdamW. Zero fields select PyTorch's defaults; Zero
// selects exactly 0 (for example Beta1: optim.Zero, as many GANs use).
type AdamConfig struct {
	LR          float64 // learning rate; 0 means 1e-3
	Beta1       float64 // decay of the first moment; 0 means 0.9
	Beta2       float64 // decay of the second moment; 0 means 0.999
	Eps         float64 // added to the denominator; 0 means 1e-8
	WeightDecay float64 // 0 means none for Adam (an L2 term) and 0.01 for AdamW (decoupled)
	AMSGrad     bool    // use the running maximum of the second moment (Reddi et al. 2018)
}

// Adam is the Adam optimizer (Kingma & Ba, https://arxiv.org/abs/1412.6980) and, built
// with NewAdamW, AdamW with decoupled weight decay (Loshchilov & Hutter,
// https://arxiv.org/abs/1711.05101), with exactly torch.optim.Adam's and AdamW's
// single-tensor semantics in float32:
//
//	g = g + wd·p                     (Adam)       p = p·(1 - lr·wd)   (AdamW)
//	m = β1·m + (1-β1)·g
//	v = β2·v + (1-β2)·g²             (AMSGrad: vmax = max(vmax, v), used for v below)
//	p = p - lr/(1-β1^t) · m / (√v/√(1-β2^t) + eps)
//
// with the bias corrections computed in float64. Its state per parameter is "step",
// "exp_avg", "exp_avg_sq" and, with AMSGrad, "max_exp_avg_sq".
type Adam struct {
	base
	beta1, beta2, eps float64
	amsgrad           bool
	decoupled         bool
}

// NewAdam returns an Adam optimizer for params, as one group with cfg's learning rate
// and weight decay (added to the gradient, an L2 penalty). It panics on an invalid
// config.
func NewAdam(params []*autograd.Var, cfg AdamConfig) *Adam {
	const op = "optim.NewAdam"
	return newAdam(op, single(params, pick(op, "LR", cfg.LR, 1e-3), pick(op, "WeightDecay", cfg.WeightDecay, 0)), cfg, false)
}

// NewAdamGroups returns an Adam optimizer for parameter groups (see Group for how a
// group's zero fields are read). It panics on an invalid config.
func NewAdamGroups(groups []*Group, cfg AdamConfig) *Adam {
	return newAdam("optim.NewAdamGroups", groups, cfg, false)
}

// NewAdamW returns an AdamW optimizer for params, as one group with cfg's learning rate
// and decoupled weight decay (0 means PyTorch's 0.01; use Zero for none). It panics on
// an invalid config.
func NewAdamW(params []*autograd.Var, cfg AdamConfig) *Adam {
	const op = "optim.NewAdamW"
	return newAdam(op, single(params, pick(op, "LR", cfg.LR, 1e-3), pick(op, "WeightDecay", cfg.WeightDecay, 0.01)), cfg, true)
}

// NewAdamWGroups returns an AdamW optimizer for parameter groups, for example from
// DecayGroups (see Group for how a group's zero fields are read). It panics on an
// invalid config.
func NewAdamWGroups(groups []*Group, cfg AdamConfig) *Adam {
	return newAdam("optim.NewAdamWGroups", groups, cfg, true)
}

// newAdam validates cfg and builds Adam or, when decoupled, AdamW; op names the
// constructor in panics.
func newAdam(op string, groups []*Group, cfg AdamConfig, decoupled bool) *Adam {
	o := &Adam{
		beta1:     pick(op, "Beta1", cfg.Beta1, 0.9),
		beta2:     pick(op, "Beta2", cfg.Beta2, 0.999),
		eps:       pick(op, "Eps", cfg.Eps, 1e-8),
		amsgrad:   cfg.AMSGrad,
		decoupled: decoupled,
	}
	checkBeta(op, "Beta1", o.beta1)
	checkBeta(op, "Beta2", o.beta2)
	o.init(op, groups, pick(op, "LR", cfg.LR, 1e-3), []string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq"}, true)
	o.required = func(name string) bool { return name != "max_exp_avg_sq" || o.amsgrad }
	o.op = "optim.Adam"
	if decoupled {
		o.op = "optim.AdamW"
	}
	return o
}

// SetMomentum sets β1, the decay of the first moment (what OneCycle cycles). It
// panics if m is not in [0,1).
func (o *Adam) SetMomentum(m float64) {
	if !(m >= 0 && m < 1) {
		checkBeta(o.op+".SetMomentum", "beta1", m)
	}
	o.beta1 = m
}

// Step updates every parameter that has a gradient. Without AMSGrad each parameter
// goes through tensor.AdamUpdate (AVX2, split over the worker pool when large), with
// the same results bit for bit as the scalar loop AMSGrad runs.
func (o *Adam) Step() {
	b1, omb1 := float32(o.beta1), float32(1-o.beta1)
	b2, omb2 := float32(o.beta2), float32(1-o.beta2)
	eps := float32(o.eps)
	decoupled, amsgrad := o.decoupled, o.amsgrad
	for gi, g := range o.groups {
		for pi, v := range g.Params {
			p, grad, ok := o.grad(v)
			if !ok {
				continue
			}
			st := &o.slots[gi][pi]
			st.step++
			m := st.buf(0, v, 0)
			s := st.buf(1, v, 0)
			den := s
			if amsgrad {
				den = st.buf(2, v, 0)
			}
			t := float64(st.step)
			bc1 := 1 - math.Pow(o.beta1, t)
			bc2 := 1 - math.Pow(o.beta2, t)
			nstep := float32(-(g.LR / bc1))
			bc2sqrt := float32(math.Sqrt(bc2))
			var wd, decay float32 // L2 term (Adam) or decoupled decay factor (AdamW)
			if decoupled {
				decay = float32(1 - g.LR*g.WeightDecay)
			} else {
				wd = float32(g.WeightDecay)
			}
			doDecay := decoupled && g.WeightDecay != 0
			m, s, den = m[:len(grad)], s[:len(grad)], den[:len(grad)]
			if !amsgrad {
				// The same loop as below without AMSGrad, in AVX2 and split over the
				// worker pool for long tensors, bit for bit.
				tensor.AdamUpdate(p, grad, m, s, tensor.AdamCoeffs{
					Beta1: b1, OneMinusBeta1: omb1, Beta2: b2, OneMinusBeta2: omb2,
					NegStep: nstep, BC2Sqrt: bc2sqrt, Eps: eps,
					WeightDecay: wd, Decay: decay, Decoupled: doDecay,
				})
				continue
			}
			for i, x := range grad {
				if doDecay {
					p[i] *= decay
				} else if wd != 0 {
					x += wd * p[i]
				}
				m[i] = m[i]*b1 + omb1*x
				s[i] = s[i]*b2 + (omb2*x)*x
				if amsgrad && s[i] > den[i] {
					den[i] = s[i]
				}
				d := float32(math.Sqrt(float64(den[i])))/bc2sqrt + eps
				p[i] += (nstep * m[i]) / d
			}
		}
	}
}
