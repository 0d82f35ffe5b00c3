package autograd

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/tensor"
)

// GradCheckConfig sets the step and tolerances of GradCheck. Zero fields take the
// defaults in brackets.
type GradCheckConfig struct {
	Eps  float64 // central-difference step [1e-3]
	ATol float64 // absolute tolerance [1e-2]
	RTol float64 // relative tolerance [1e-2]
	Seed uint64  // seed for the random projection of the output [1]
}

// GradCheck compares the gradients that the tape computes for f at inputs with central
// differences, and returns an error naming the first input and element where they
// disagree beyond ATol + RTol·|numeric|. The output of f is reduced to a scalar with a
// fixed random projection, so every output element is checked. Use it to test custom
// Functions. Float32 rounding limits how tight the tolerances can be.
func GradCheck(f func(xs []*Var) *Var, inputs []*tensor.Tensor, cfg GradCheckConfig) error {
	xs := make([]*Var, len(inputs))
	for i, t := range inputs {
		xs[i] = Param(t)
	}
	return GradCheckVars(func() *Var { return f(xs) }, xs, cfg)
}

// GradCheckVars is GradCheck for a function of existing Vars — a module's input and
// parameters, say: f is evaluated as is, and each Var's value is perturbed in place
// (and restored) for the central differences. The Vars must require gradients.
func GradCheckVars(f func() *Var, vars []*Var, cfg GradCheckConfig) error {
	if cfg.Eps == 0 {
		cfg.Eps = 1e-3
	}
	if cfg.ATol == 0 {
		cfg.ATol = 1e-2
	}
	if cfg.RTol == 0 {
		cfg.RTol = 1e-2
	}
	if cfg.Seed == 0 {
		cfg.Seed = 1
	}
	out := f()
	rng := rand.New(rand.NewPCG(cfg.Seed, 0))
	w := tensor.Rand(rng, -1, 1, out.Shape()...)
	loss := Sum(Mul(out, Const(w)), false)
	analytic := Grad([]*Var{loss}, vars, nil, false)

	eval := func() float64 {
		o := f().value.Data()
		var s float64
		for i, v := range o {
			s += float64(v) * float64(w.Data()[i])
		}
		return s
	}
	for i, x := range vars {
		d := x.value.Data()
		ad := analytic[i].value.Data()
		for j := range d {
			orig := d[j]
			d[j] = orig + float32(cfg.Eps)
			up := eval()
			d[j] = orig - float32(cfg.Eps)
			down := eval()
			d[j] = orig
			step := float64(orig+float32(cfg.Eps)) - float64(orig-float32(cfg.Eps))
			num := (up - down) / step
			a := float64(ad[j])
			if math.IsNaN(a) || math.Abs(a-num) > cfg.ATol+cfg.RTol*math.Abs(num) {
				name := x.name
				if name == "" {
					name = fmt.Sprintf("input %d", i)
				}
				return fmt.Errorf("autograd: GradCheck: %s %s element %d: analytic %.6g, numeric %.6g",
					name, tensor.ShapeString(x.value.Shape()), j, a, num)
			}
		}
	}
	return nil
}
