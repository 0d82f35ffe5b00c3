package optim

import (
	"fmt"
	"slices"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// EMA keeps an exponential moving average of parameters ("shadow" weights), as
// diffusion models and GANs use for sampling:
//
//	shadow = decay·shadow + (1-decay)·p
//
// computed in float32 after each optimizer step by Update. Apply swaps the averages
// into the parameters for sampling or evaluation and Restore swaps the training values
// back; CopyTo writes the averages into another set of parameters (a separate sampling
// model). StateDict exports the shadows for checkpoints.
type EMA struct {
	params []*autograd.Var
	shadow []*tensor.Tensor
	backup []*tensor.Tensor // training values saved by Apply, allocated on first use
	saved  bool             // whether the parameters hold the averages
	decay  float64
}

// NewEMA returns an EMA of params whose shadows start as copies of the current
// values. It panics if decay is not in [0,1] or a parameter appears twice.
func NewEMA(params []*autograd.Var, decay float64) *EMA {
	if !(decay >= 0 && decay <= 1) {
		tensor.Panicf("optim.NewEMA", "decay %g; want a value in [0,1]", decay)
	}
	e := &EMA{params: slices.Clone(params), decay: decay}
	seen := map[*autograd.Var]bool{}
	for _, p := range params {
		if seen[p] {
			tensor.Panicf("optim.NewEMA", "parameter %s appears twice", p)
		}
		seen[p] = true
		e.shadow = append(e.shadow, p.Value().Clone())
	}
	return e
}

// Decay returns the decay factor.
func (e *EMA) Decay() float64 { return e.decay }

// SetDecay changes the decay factor, for decay warmup schedules. It panics if decay is
// not in [0,1].
func (e *EMA) SetDecay(decay float64) {
	if !(decay >= 0 && decay <= 1) {
		tensor.Panicf("optim.EMA.SetDecay", "decay %g; want a value in [0,1]", decay)
	}
	e.decay = decay
}

// Update moves every shadow towards its parameter's current value. It panics between
// Apply and Restore, when the parameters hold the averages.
func (e *EMA) Update() {
	if e.saved {
		tensor.Panicf("optim.EMA.Update", "called between Apply and Restore")
	}
	d, omd := float32(e.decay), float32(1-e.decay)
	for i, p := range e.params {
		s, v := e.shadow[i].Data(), p.Value().Data()
		for j, x := range v {
			s[j] = s[j]*d + omd*x
		}
	}
}

// CopyTo writes the averages into params, which must match the EMA's parameters in
// number and shapes (for example the same model built twice). It panics otherwise.
func (e *EMA) CopyTo(params []*autograd.Var) {
	if len(params) != len(e.shadow) {
		tensor.Panicf("optim.EMA.CopyTo", "%d parameters for %d averages", len(params), len(e.shadow))
	}
	for i, p := range params {
		if !tensor.SameShape(p.Value(), e.shadow[i]) {
			tensor.Panicf("optim.EMA.CopyTo", "parameter %s for an average of shape %s", p,
				tensor.ShapeString(e.shadow[i].Shape()))
		}
	}
	for i, p := range params {
		copy(p.Value().Data(), e.shadow[i].Data())
	}
}

// Apply saves the parameters' values and replaces them with the averages, until
// Restore. It panics if already applied.
func (e *EMA) Apply() {
	if e.saved {
		tensor.Panicf("optim.EMA.Apply", "already applied; call Restore first")
	}
	if e.backup == nil {
		for _, s := range e.shadow {
			e.backup = append(e.backup, tensor.New(s.Shape()...))
		}
	}
	for i, p := range e.params {
		copy(e.backup[i].Data(), p.Value().Data())
		copy(p.Value().Data(), e.shadow[i].Data())
	}
	e.saved = true
}

// Restore puts back the values Apply saved. It panics if Apply was not called.
func (e *EMA) Restore() {
	if !e.saved {
		tensor.Panicf("optim.EMA.Restore", "Apply was not called")
	}
	for i, p := range e.params {
		copy(p.Value().Data(), e.backup[i].Data())
	}
	e.saved = false
}

// StateDict returns copies of the averages keyed by parameter name (the parameter's
// index if it has none), so it is itself a model state dict of the averaged weights.
func (e *EMA) StateDict() map[string]*tensor.Tensor {
	sd := make(map[string]*tensor.Tensor, len(e.shadow))
	for i, p := range e.params {
		sd[paramKey(p, i)] = e.shadow[i].Clone()
	}
	return sd
}

// LoadStateDict replaces the averages with those in sd. It returns an error, and
// changes nothing, unless sd has exactly one tensor of the right shape for every
// parameter.
func (e *EMA) LoadStateDict(sd map[string]*tensor.Tensor) error {
	var problems []string
	want := map[string]bool{}
	for i, p := range e.params {
		k := paramKey(p, i)
		want[k] = true
		t, ok := sd[k]
		switch {
		case !ok || t == nil:
			problems = append(problems, fmt.Sprintf("missing %q", k))
		case !tensor.SameShape(t, e.shadow[i]):
			problems = append(problems, fmt.Sprintf("%s: shape %s, parameter %s", k,
				tensor.ShapeString(t.Shape()), tensor.ShapeString(e.shadow[i].Shape())))
		}
	}
	for k := range sd {
		if !want[k] {
			problems = append(problems, fmt.Sprintf("unexpected key %q", k))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("optim: EMA: state dict does not match: %s", strings.Join(problems, "; "))
	}
	for i, p := range e.params {
		copy(e.shadow[i].Data(), sd[paramKey(p, i)].Data())
	}
	return nil
}
