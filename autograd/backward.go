package autograd

import (
	"unsafe"

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
// gradient reaching every Var that requires one. With recycle, the storage of gradient
// temporaries is handed back to package tensor as soon as no gradient still held and
// no value of the graph shares it (see gradRefs), and the caller gets only the
// gradients of leaves.
func propagate(outs, seeds []*Var, recycle bool) (map[*Var]*Var, *gradRefs) {
	order := topo(outs)
	var rc *gradRefs
	if recycle {
		rc = newGradRefs(order, seeds)
	}
	grads := make(map[*Var]*Var, 64)
	for i, o := range outs {
		accumulate(grads, o, seeds[i], rc)
	}
	for i := len(order) - 1; i >= 0; i-- {
		v := order[i]
		g := grads[v]
		if g == nil {
			continue
		}
		gin := v.node.backward(g)
		for j, in := range v.node.inputs {
			if j >= len(gin) || gin[j] == nil {
				continue
			}
			if v.node.custom {
				rc.protect(gin[j].value) // a user's Backward may keep what it returns
			}
			if !in.requiresGrad {
				rc.unstored(gin[j].value)
				continue
			}
			if !tensor.SameShape(gin[j].value, in.value) {
				tensor.Panicf("Backward", "op %s returned gradient of shape %s for input %d of shape %s",
					v.node.op, tensor.ShapeString(gin[j].value.Shape()), j, tensor.ShapeString(in.value.Shape()))
			}
			accumulate(grads, in, gin[j], rc)
		}
		if rc != nil {
			delete(grads, v)
			rc.drop(g.value)
			rc.flush()
		}
	}
	return grads, rc
}

// accumulate adds g to the gradient held for v.
func accumulate(grads map[*Var]*Var, v, g *Var, rc *gradRefs) {
	old := grads[v]
	if old == nil {
		grads[v] = g
		rc.hold(g.value)
		return
	}
	if rc != nil && rc.exclusive(old.value) && storageKey(old.value) != storageKey(g.value) {
		// A plain Backward (nothing recorded) and a temporary only this entry holds:
		// add in place instead of allocating the sum (bit-identical: Axpy by 1).
		old.value.AddInPlace(g.value)
		rc.unstored(g.value)
		return
	}
	sum := Add(old, g)
	grads[v] = sum
	rc.hold(sum.value)
	rc.drop(old.value)
	rc.unstored(g.value)
}

// gradRefs tracks, during one Backward, which storage the gradients held in the
// propagation map use, so that a temporary is released (tensor.Release) once no held
// gradient and no value of the graph (inputs, outputs, parameters, seeds, whatever a
// user-defined Function's Backward returned) shares it. Storage is identified by its
// first element, which views (Reshape) share. All methods are no-ops on a nil
// *gradRefs.
type gradRefs struct {
	held      map[*float32]int
	protected map[*float32]bool
	released  map[*float32]bool
	pending   []*tensor.Tensor // candidates to release at the next flush
}

func storageKey(t *tensor.Tensor) *float32 {
	d := t.Data()
	if len(d) == 0 {
		return nil
	}
	return unsafe.SliceData(d)
}

func newGradRefs(order []*Var, seeds []*Var) *gradRefs {
	rc := &gradRefs{held: map[*float32]int{}, protected: map[*float32]bool{}, released: map[*float32]bool{}}
	for _, v := range order {
		rc.protect(v.value)
		for _, in := range v.node.inputs {
			rc.protect(in.value)
		}
	}
	for _, s := range seeds {
		rc.protect(s.value)
	}
	return rc
}

func (rc *gradRefs) protect(t *tensor.Tensor) {
	if rc != nil {
		if k := storageKey(t); k != nil {
			rc.protected[k] = true
		}
	}
}

// hold counts one more held gradient on t's storage.
func (rc *gradRefs) hold(t *tensor.Tensor) {
	if rc == nil {
		return
	}
	if k := storageKey(t); k != nil {
		rc.held[k]++
		delete(rc.released, k) // recycled storage in use again
	}
}

// drop counts one held gradient less on t's storage and queues t for release.
func (rc *gradRefs) drop(t *tensor.Tensor) {
	if rc == nil {
		return
	}
	if k := storageKey(t); k != nil {
		rc.held[k]--
		rc.pending = append(rc.pending, t)
	}
}

// unstored queues t, a gradient computed but not held, for release. t is live, so
// if its storage was released earlier in this Backward it has been recycled since:
// the mark that would skip it is cleared.
func (rc *gradRefs) unstored(t *tensor.Tensor) {
	if rc != nil {
		if k := storageKey(t); k != nil {
			delete(rc.released, k)
		}
		rc.pending = append(rc.pending, t)
	}
}

// exclusive reports whether t's storage is held by exactly one gradient and shared
// with no value of the graph.
func (rc *gradRefs) exclusive(t *tensor.Tensor) bool {
	k := storageKey(t)
	return k != nil && rc.held[k] == 1 && !rc.protected[k]
}

// flush releases the queued tensors whose storage nothing holds or protects.
func (rc *gradRefs) flush() {
	for _, t := range rc.pending {
		k := storageKey(t)
		if k == nil || rc.held[k] > 0 || rc.protected[k] || rc.released[k] {
			continue
		}
		delete(rc.held, k)
		rc.released[k] = true
		t.Release()
	}
	rc.pending = rc.pending[:0]
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
	grads, rc := propagate([]*Var{v}, []*Var{s}, true)
	for w, g := range grads {
		if w.node != nil || !w.requiresGrad {
			continue
		}
		switch {
		case w.grad == nil && rc.exclusive(g.value):
			w.grad = g.value // a temporary nothing else holds: adopt it
			rc.protect(g.value)
		case w.grad == nil:
			w.grad = g.value.Clone()
		default:
			w.grad.AddInPlace(g.value)
			rc.drop(g.value)
		}
	}
	rc.flush()
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
	grads, _ := propagate(outputs, ss, false)
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

// ReleaseGraph hands the storage of every value computed in v's graph, v's own
// included, and of what its ops saved for their backward passes back to package tensor
// for reuse (tensor.Release), so that the next training step allocates next to
// nothing: call it after the optimizer step, once nothing computed in the step is
// needed any more, as PyTorch frees a graph's buffers after backward. Leaves (parameters, inputs, constants) and anything sharing their
// storage are kept. Afterwards v and every Var of its graph are empty: using one, or
// calling Backward through the graph again, panics.
func (v *Var) ReleaseGraph() {
	order := topo([]*Var{v})
	keep := map[*float32]bool{}
	for _, u := range order {
		for _, in := range u.node.inputs {
			if in.node == nil {
				keep[storageKey(in.value)] = true
			}
		}
	}
	done := map[*float32]bool{}
	release := func(t *tensor.Tensor) {
		k := storageKey(t)
		if k == nil || keep[k] || done[k] {
			return
		}
		done[k] = true
		t.Release()
	}
	for _, u := range order {
		release(u.value)
		for _, t := range u.node.saved {
			release(t)
		}
	}
}
