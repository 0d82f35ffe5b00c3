package optim

import (
	"math"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Optimizer updates parameters from their accumulated gradients. Step applies one
// update to every parameter that has a gradient (parameters whose Grad is nil are
// skipped, and their state does not advance); ZeroGrad clears the gradients. LR reports
// the first group's learning rate and SetLR sets every group's. Groups returns the live
// parameter groups: changing a group's LR or WeightDecay takes effect at the next Step.
//
// StateDict returns a copy of the optimizer state (moment buffers and step counts,
// under keys "state.<param>.<buffer>", see the package documentation) and
// LoadStateDict replaces the state with one from a checkpoint, so that a run resumed
// from saved parameters and optimizer state continues bitwise as if uninterrupted.
// Learning rates and other hyperparameters are not part of the state: they come from
// the config, or from a Scheduler, which saves its own step count.
type Optimizer interface {
	Step()
	ZeroGrad()
	LR() float64
	SetLR(lr float64)
	Groups() []*Group
	StateDict() map[string]*tensor.Tensor
	LoadStateDict(sd map[string]*tensor.Tensor) error
}

// MomentumSetter is implemented by optimizers with a momentum-like coefficient that a
// schedule may cycle: SGD and RMSprop (momentum) and Adam and AdamW (beta1).
// SetMomentum panics if m is not in [0,1).
type MomentumSetter interface {
	SetMomentum(m float64)
}

// Group is a set of parameters sharing a learning rate and weight decay, like a
// PyTorch param_group. Params must not be changed after the group is given to an
// optimizer; LR and WeightDecay may be.
//
// When groups are passed to a New…Groups constructor, a zero LR means the config's
// learning rate and WeightDecay is used as given (0, or Zero, means none); the
// config's WeightDecay applies only to the single group that New… builds.
type Group struct {
	Params      []*autograd.Var
	LR          float64
	WeightDecay float64
}

// DecayGroups splits params into the two groups commonly used with AdamW: weights of
// rank ≥ 2 (matrices, convolution kernels, embeddings) with weight decay wd, and
// parameters of rank < 2 (biases, normalisation gains) without. Both groups get lr.
// The order of params is kept within each group; an empty group is still returned, so
// the result always has two groups, decayed first.
func DecayGroups(params []*autograd.Var, lr, wd float64) []*Group {
	decay := &Group{LR: lr, WeightDecay: wd}
	noDecay := &Group{LR: lr}
	for _, p := range params {
		if p.Dim() >= 2 {
			decay.Params = append(decay.Params, p)
		} else {
			noDecay.Params = append(noDecay.Params, p)
		}
	}
	return []*Group{decay, noDecay}
}

// Zero is a config value that means exactly 0 for a field whose zero value selects a
// nonzero default, for example AdamConfig{Beta1: optim.Zero} (as GANs often use) or
// AdamConfig{WeightDecay: optim.Zero} for AdamW without decay. It is accepted by every
// config field and by Group fields.
const Zero = -1.0

// pick resolves a config field: 0 selects def, Zero selects 0, and any other negative
// or NaN value panics.
func pick(op, field string, v, def float64) float64 {
	switch {
	case v == 0:
		return def
	case v == Zero:
		return 0
	case v < 0 || math.IsNaN(v) || math.IsInf(v, 0):
		tensor.Panicf(op, "%s is %g; want a finite value ≥ 0 (or optim.Zero for exactly 0)", field, v)
	}
	return v
}

// checkBeta panics unless 0 ≤ b < 1.
func checkBeta(op, field string, b float64) {
	if !(b >= 0 && b < 1) {
		tensor.Panicf(op, "%s is %g; want a value in [0,1)", field, b)
	}
}

// slot is the state of one parameter: its step count and up to three buffers, named
// by the optimizer's bufNames. A nil buffer has not been allocated yet.
type slot struct {
	step int
	bufs [3]*tensor.Tensor
}

// buf returns buffer i of the slot, allocating it for v filled with fill if needed.
func (s *slot) buf(i int, v *autograd.Var, fill float32) []float32 {
	if s.bufs[i] == nil {
		s.bufs[i] = tensor.Full(fill, v.Value().Shape()...)
	}
	return s.bufs[i].Data()
}

// base holds what every optimizer shares: the groups, the per-parameter state and the
// description of that state for StateDict.
type base struct {
	op       string
	groups   []*Group
	slots    [][]slot
	bufNames []string               // state buffer names, index = slot.bufs index
	hasStep  bool                   // whether the state includes a step count
	required func(name string) bool // buffers a stepped parameter must have; nil: none
}

// init copies groups (so the caller's Group values are not changed), resolves each
// group's LR against defLR and validates the parameters: each must appear once and
// names must be unique.
func (b *base) init(op string, groups []*Group, defLR float64, bufNames []string, hasStep bool) {
	b.op, b.bufNames, b.hasStep = op, bufNames, hasStep
	seen := map[*autograd.Var]bool{}
	names := map[string]bool{}
	for gi, g := range groups {
		if g == nil {
			tensor.Panicf(op, "group %d is nil", gi)
		}
		ng := &Group{
			Params:      slices.Clone(g.Params),
			LR:          pick(op, "group LR", g.LR, defLR),
			WeightDecay: pick(op, "group WeightDecay", g.WeightDecay, 0),
		}
		for _, p := range ng.Params {
			if p == nil {
				tensor.Panicf(op, "group %d holds a nil parameter", gi)
			}
			if seen[p] {
				tensor.Panicf(op, "parameter %s appears twice", p)
			}
			seen[p] = true
			if n := p.Name(); n != "" {
				if names[n] {
					tensor.Panicf(op, "two parameters are named %q", n)
				}
				names[n] = true
			}
		}
		b.groups = append(b.groups, ng)
		b.slots = append(b.slots, make([]slot, len(ng.Params)))
	}
}

// single is the one group New… builds from a parameter list.
func single(params []*autograd.Var, lr, wd float64) []*Group {
	return []*Group{{Params: params, LR: lr, WeightDecay: wd}}
}

// grad returns the parameter's value and gradient data, or ok=false if it has no
// gradient. It panics if the gradient's size does not match the parameter's.
func (b *base) grad(v *autograd.Var) (p, g []float32, ok bool) {
	gt := v.Grad()
	if gt == nil {
		return nil, nil, false
	}
	p, g = v.Value().Data(), gt.Data()
	if len(p) != len(g) {
		tensor.Panicf(b.op+".Step", "gradient of shape %s for parameter %s",
			tensor.ShapeString(gt.Shape()), v)
	}
	return p, g, true
}

// ZeroGrad clears the gradient of every parameter.
func (b *base) ZeroGrad() {
	for _, g := range b.groups {
		for _, p := range g.Params {
			p.ZeroGrad()
		}
	}
}

// LR returns the first group's learning rate, or 0 if there are no groups.
func (b *base) LR() float64 {
	if len(b.groups) == 0 {
		return 0
	}
	return b.groups[0].LR
}

// SetLR sets every group's learning rate. It panics if lr is negative or NaN.
func (b *base) SetLR(lr float64) {
	if !(lr >= 0) {
		tensor.Panicf(b.op+".SetLR", "learning rate %g; want ≥ 0", lr)
	}
	for _, g := range b.groups {
		g.LR = lr
	}
}

// Groups returns the live parameter groups.
func (b *base) Groups() []*Group { return b.groups }
