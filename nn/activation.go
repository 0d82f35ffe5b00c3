package nn

import "github.com/genblocks/genblocks/autograd"

// ReLU is max(x, 0) as a Module.
type ReLU struct{}

// Forward applies ReLU.
func (ReLU) Forward(x *autograd.Var) *autograd.Var { return autograd.ReLU(x) }

// LeakyReLU is x for x > 0 and Slope·x elsewhere. The zero value has slope 0.01, as
// PyTorch's default.
type LeakyReLU struct{ Slope float32 }

// Forward applies LeakyReLU.
func (l LeakyReLU) Forward(x *autograd.Var) *autograd.Var {
	s := l.Slope
	if s == 0 {
		s = 0.01
	}
	return autograd.LeakyReLU(x, s)
}

// ELU is x for x > 0 and Alpha·(eˣ-1) elsewhere; zero Alpha means 1.
type ELU struct{ Alpha float32 }

// Forward applies ELU.
func (e ELU) Forward(x *autograd.Var) *autograd.Var {
	a := e.Alpha
	if a == 0 {
		a = 1
	}
	return autograd.ELU(x, a)
}

// GELU is the Gaussian error linear unit; Tanh selects the tanh approximation
// (PyTorch's approximate="tanh", GPT-2's gelu_new).
type GELU struct{ Tanh bool }

// Forward applies GELU.
func (g GELU) Forward(x *autograd.Var) *autograd.Var {
	if g.Tanh {
		return autograd.GELUTanh(x)
	}
	return autograd.GELU(x)
}

// SiLU is x·sigmoid(x) (swish).
type SiLU struct{}

// Forward applies SiLU.
func (SiLU) Forward(x *autograd.Var) *autograd.Var { return autograd.SiLU(x) }

// Tanh is the hyperbolic tangent as a Module.
type Tanh struct{}

// Forward applies tanh.
func (Tanh) Forward(x *autograd.Var) *autograd.Var { return autograd.Tanh(x) }

// Sigmoid is the logistic function as a Module.
type Sigmoid struct{}

// Forward applies the sigmoid.
func (Sigmoid) Forward(x *autograd.Var) *autograd.Var { return autograd.Sigmoid(x) }

// Softplus is log(1+exp(Beta·x))/Beta; zero Beta means 1.
type Softplus struct{ Beta float32 }

// Forward applies softplus.
func (s Softplus) Forward(x *autograd.Var) *autograd.Var {
	b := s.Beta
	if b == 0 {
		b = 1
	}
	return autograd.Softplus(x, b)
}

// Flatten merges axes Start..End (inclusive) into one. NewFlatten gives PyTorch's
// defaults (1, -1); the zero value merges only axis 0 with itself.
type Flatten struct{ Start, End int }

// NewFlatten returns PyTorch's nn.Flatten(): axes 1..-1 merged.
func NewFlatten() Flatten { return Flatten{Start: 1, End: -1} }

// Forward flattens x.
func (f Flatten) Forward(x *autograd.Var) *autograd.Var { return autograd.Flatten(x, f.Start, f.End) }

// Unflatten splits axis Axis into Shape.
type Unflatten struct {
	Axis  int
	Shape []int
}

// Forward unflattens x. It panics if the axis length is not the product of Shape.
func (u Unflatten) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	ax := u.Axis
	if ax < 0 {
		ax += len(s)
	}
	out := append([]int{}, s[:ax]...)
	out = append(out, u.Shape...)
	out = append(out, s[ax+1:]...)
	return autograd.Reshape(x, out...)
}
