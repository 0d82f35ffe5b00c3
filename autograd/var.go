package autograd

import (
	"fmt"
	"slices"
	"sync"

	"github.com/genblocks/genblocks/tensor"
)

// Var is a node of the computation graph: a tensor value, whether gradients flow to it,
// and, for values computed by an op, the op that made it. Leaves that require gradients
// (parameters) accumulate their gradient in Grad after Backward.
type Var struct {
	value        *tensor.Tensor
	grad         *tensor.Tensor
	requiresGrad bool
	noGrad       bool // nothing computed from this Var is recorded
	node         *node
	name         string
}

// node records how a Var was computed.
type node struct {
	op       string
	inputs   []*Var
	backward func(g *Var) []*Var // gradients for inputs, nil where none flows
	custom   bool                // a user-defined Function (Apply)
	saved    []*tensor.Tensor    // op-owned tensors kept for backward; ReleaseGraph frees them
}

// NewVar wraps t as a leaf. With requiresGrad, Backward accumulates its gradient.
func NewVar(t *tensor.Tensor, requiresGrad bool) *Var {
	return &Var{value: t, requiresGrad: requiresGrad}
}

// Param wraps t as a leaf that requires gradients: a trainable parameter.
func Param(t *tensor.Tensor) *Var { return NewVar(t, true) }

// Const wraps t as a leaf that needs no gradient.
func Const(t *tensor.Tensor) *Var { return NewVar(t, false) }

// NoGrad wraps t as an inference input: no op that has this Var, or anything computed
// from it, among its inputs records a graph, even when other inputs are parameters.
// Passing a NoGrad input through a model is the no-grad scope for inference: it
// allocates no tape and is safe to run from many goroutines on one shared model.
func NoGrad(t *tensor.Tensor) *Var { return &Var{value: t, noGrad: true} }

// IsNoGrad reports whether v is a NoGrad input or was computed from one. Modules whose
// parameters reach an op without passing through their input (an embedding lookup)
// check it to stay off the graph in inference.
func (v *Var) IsNoGrad() bool { return v.noGrad }

// Value returns the tensor the Var holds.
func (v *Var) Value() *tensor.Tensor { return v.value }

// Grad returns the gradient accumulated by Backward, or nil if none has been.
func (v *Var) Grad() *tensor.Tensor { return v.grad }

// SetGrad replaces the accumulated gradient (nil clears it).
func (v *Var) SetGrad(g *tensor.Tensor) { v.grad = g }

// ZeroGrad clears the accumulated gradient.
func (v *Var) ZeroGrad() { v.grad = nil }

// RequiresGrad reports whether gradients flow to v.
func (v *Var) RequiresGrad() bool { return v.requiresGrad }

// SetRequiresGrad turns gradient tracking on or off for a leaf, as PyTorch's
// requires_grad_. It panics on a Var computed by an op.
func (v *Var) SetRequiresGrad(b bool) {
	if v.node != nil {
		tensor.Panicf("SetRequiresGrad", "%s is not a leaf", v)
	}
	v.requiresGrad = b
}

// Detach returns a leaf holding the same tensor, with no history and no gradient.
func (v *Var) Detach() *Var { return &Var{value: v.value, noGrad: v.noGrad} }

// Shape returns the shape of the value.
func (v *Var) Shape() []int { return v.value.Shape() }

// Dim returns the number of dimensions of the value.
func (v *Var) Dim() int { return v.value.Dim() }

// Size returns the length of axis ax of the value.
func (v *Var) Size(ax int) int { return v.value.Size(ax) }

// Item returns the value of a one-element Var.
func (v *Var) Item() float32 { return v.value.Item() }

// Name returns the name given with SetName (parameters are named by nn).
func (v *Var) Name() string { return v.name }

// SetName names v; the name appears in messages.
func (v *Var) SetName(name string) { v.name = name }

// Op returns the name of the op that computed v, or "" for a leaf.
func (v *Var) Op() string {
	if v.node == nil {
		return ""
	}
	return v.node.op
}

// IsLeaf reports whether v was not computed by a recorded op.
func (v *Var) IsLeaf() bool { return v.node == nil }

// String describes v: its name or op and its shape.
func (v *Var) String() string {
	what := v.name
	if what == "" {
		what = v.Op()
	}
	if what == "" {
		what = "leaf"
	}
	return fmt.Sprintf("Var(%s %s)", what, tensor.ShapeString(v.value.Shape()))
}

var (
	registryMu sync.Mutex
	registry   []string
)

// register adds op names to the op table; it is called from the files that define
// ops, and the table drives the gradient-check test.
func register(names ...string) bool {
	registryMu.Lock()
	defer registryMu.Unlock()
	registry = append(registry, names...)
	return true
}

// Ops returns the names of every differentiable op in the package, sorted.
func Ops() []string {
	registryMu.Lock()
	defer registryMu.Unlock()
	s := slices.Clone(registry)
	slices.Sort(s)
	return slices.Compact(s)
}

// record builds the result of an op: a Var holding value that, when any input requires
// gradients and none is a NoGrad input, remembers backward.
func record(op string, value *tensor.Tensor, inputs []*Var, backward func(g *Var) []*Var) *Var {
	req := false
	for _, in := range inputs {
		if in.noGrad {
			return &Var{value: value, noGrad: true}
		}
		req = req || in.requiresGrad
	}
	if !req {
		return &Var{value: value}
	}
	return &Var{value: value, requiresGrad: true, node: &node{op: op, inputs: inputs, backward: backward}}
}

// Function is a user-defined differentiable op. Forward computes the output from the
// input values; Backward returns the gradient for each input given the output gradient
// g, written with this package's ops so that gradients of gradients work. Backward may
// return nil for inputs that need no gradient.
type Function interface {
	Name() string
	Forward(inputs ...*tensor.Tensor) *tensor.Tensor
	Backward(g *Var, inputs []*Var, output *Var) []*Var
}

// Apply runs a user-defined Function on inputs and records it on the graph.
func Apply(f Function, inputs ...*Var) *Var {
	vals := make([]*tensor.Tensor, len(inputs))
	for i, in := range inputs {
		vals[i] = in.value
	}
	var out *Var
	out = record(f.Name(), f.Forward(vals...), inputs, func(g *Var) []*Var {
		return f.Backward(g, inputs, out)
	})
	if out.node != nil {
		out.node.custom = true
	}
	return out
}
