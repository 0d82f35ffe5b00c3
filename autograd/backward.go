package autograd

import (
	"github.com/genblocks/genblocks/tensor"
)

// topo returns every recorded Var reachable from outs, inputs before outputs.
func topo(outs []*Var) []*Var {
	var order []*Var
	seen := map[*Var]bool{}
	type frame struct {
		v    *Var
		next int
	}
	for _, o := range outs {
		if o.node == nil || seen[o] {
			continue
		}
		stack := []frame{{v: o}}
		seen[o] = true
		for len(stack) > 0 {
			f := &stack[len(stack)-1]
			if f.next < len(f.v.node.inputs) {
				in := f.v.node.inputs[f.next]
				f.next++
				if in.node != nil && !seen[in] {
					seen[in] = true
					stack = append(stack, frame{v: in})
				}
				continue
			}
			order = append(order, f.v)
			stack = stack[:len(stack)-1]
		}
	}
	return order
}

// propagate runs the backward rules from outs seeded with seeds and returns the
// gradient reaching every Var that requires one.
func propagate(outs, seeds []*Var) map[*Var]*Var {
	grads := make(map[*Var]*Var, 64)
	for i, o := range outs {
		accumulate(grads, o, seeds[i])
	}
	order := topo(outs)
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		g := grads[v]
		if g == nil {
			continue
		}
		gin := v.node.backward(g)
		for j, in := range v.node.inputs {
			if j >= len(gin) || gin[j] == nil || !in.requiresGrad {
				continue
			}
			if !tensor.SameShape(gin[j].value, in.value) {
				tensor.Panicf("Backward", "op %s returned gradient of shape %s for input %d of shape %s",
					v.node.op, tensor.ShapeString(gin[j].value.Shape()), j, tensor.ShapeString(in.value.Shape()))
			}
			accumulate(grads, in, gin[j])
		}
	}
	return grads
}

func accumulate(grads map[*Var]*Var, v, g *Var) {
	if old := grads[v]; old != nil {
		grads[v] = Add(old, g)
		return
	}
	grads[v] = g
}

func seedFor(op string, out *Var, seed *tensor.Tensor, createGraph bool) *Var {
	if seed == nil {
		if out.value.Numel() != 1 {
			tensor.Panicf(op, "output of shape %s is not a scalar; give a seed gradient", tensor.ShapeString(out.value.Shape()))
		}
		seed = tensor.Ones(out.value.Shape()...)
	} else if !tensor.SameShape(seed, out.value) {
		tensor.Panicf(op, "seed of shape %s for output of shape %s", tensor.ShapeString(seed.Shape()), tensor.ShapeString(out.value.Shape()))
	}
	if createGraph {
		return Const(seed)
	}
	return NoGrad(seed)
}

// Backward computes the gradient of the scalar v with respect to every leaf that
// requires one, adding it to the leaf's Grad. It panics if v is not a scalar.
func (v *Var) Backward() { v.BackwardWith(nil) }

// BackwardWith is Backward for a non-scalar v, with seed as ∂L/∂v.
func (v *Var) BackwardWith(seed *tensor.Tensor) {
	if !v.requiresGrad {
		tensor.Panicf("Backward", "%s does not require gradients", v)
	}
	s := seedFor("Backward", v, seed, false)
	grads := propagate([]*Var{v}, []*Var{s})
	for w, g := range grads {
		if w.node != nil || !w.requiresGrad {
			continue
		}
		if w.grad == nil {
			w.grad = g.value.Clone()
		} else {
			w.grad.AddInPlace(g.value)
		}
	}
}

// Grad returns the gradients of the sum of outputs with respect to inputs, like
// torch.autograd.grad. Seeds give ∂L/∂output for non-scalar outputs (nil seeds mean
// every output is a scalar with seed 1). Leaves' Grad fields are not touched. With
// createGraph the returned gradients are themselves recorded, so a loss can contain
// them and be differentiated again (gradient penalties). An input no gradient reaches
// gets a zero gradient.
func Grad(outputs, inputs []*Var, seeds []*tensor.Tensor, createGraph bool) []*Var {
	ss := make([]*Var, len(outputs))
	for i, o := range outputs {
		var s *tensor.Tensor
		if seeds != nil {
			s = seeds[i]
		}
		ss[i] = seedFor("Grad", o, s, createGraph)
	}
	grads := propagate(outputs, ss)
	res := make([]*Var, len(inputs))
	for i, in := range inputs {
		g := grads[in]
		if g == nil {
			g = Const(tensor.New(in.value.Shape()...))
		}
		if !createGraph {
			g = Const(g.value)
		}
		res[i] = g
	}
	return res
}
