package nn

import "github.com/genblocks/genblocks/autograd"

// Module is a layer or a model: a function of one input with parameters held in a
// VarStore. Modules with several inputs (attention, for example) have their own
// Forward signatures and do not implement Module.
type Module interface {
	Forward(x *autograd.Var) *autograd.Var
}

// Func adapts a function to a Module.
type Func func(x *autograd.Var) *autograd.Var

// Forward calls f.
func (f Func) Forward(x *autograd.Var) *autograd.Var { return f(x) }

// Sequential applies its modules in order.
type Sequential []Module

// Forward runs x through every module in order.
func (s Sequential) Forward(x *autograd.Var) *autograd.Var {
	for _, m := range s {
		x = m.Forward(x)
	}
	return x
}

// Identity returns its input unchanged.
type Identity struct{}

// Forward returns x.
func (Identity) Forward(x *autograd.Var) *autograd.Var { return x }
