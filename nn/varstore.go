package nn

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Init makes the initial value of a parameter of the given shape.
type Init func(rng *rand.Rand, shape []int) *tensor.Tensor

// VarStore owns the parameters and buffers of a model, named like the keys of a
// PyTorch state_dict ("h.0.attn.c_attn.weight"), and its training flag. Build a model
// by passing the store's root VarBuilder to layer constructors; the store then lists,
// saves and loads every parameter. A VarStore is safe for concurrent reads once built.
type VarStore struct {
	mu       sync.Mutex
	params   map[string]*autograd.Var
	buffers  map[string]*tensor.Tensor
	order    []string // creation order of params and buffers
	training atomic.Bool
	rng      *rand.Rand
}

// NewVarStore returns an empty store whose initialisers draw from rng. The store starts
// in training mode.
func NewVarStore(rng *rand.Rand) *VarStore {
	vs := &VarStore{params: map[string]*autograd.Var{}, buffers: map[string]*tensor.Tensor{}, rng: rng}
	vs.training.Store(true)
	return vs
}

// Root returns the builder for top-level names.
func (vs *VarStore) Root() *VarBuilder { return &VarBuilder{store: vs} }

// SetTraining switches every module built from the store between training mode
// (dropout active, batch norm using batch statistics) and evaluation mode, like
// PyTorch's model.train() and model.eval(). Do not call it while another goroutine runs
// the model.
func (vs *VarStore) SetTraining(on bool) { vs.training.Store(on) }

// Training reports whether the store is in training mode.
func (vs *VarStore) Training() bool { return vs.training.Load() }

// NamedVar is a parameter with its state_dict name.
type NamedVar struct {
	Name string
	Var  *autograd.Var
}

// NamedParams returns the parameters in creation order with their names.
func (vs *VarStore) NamedParams() []NamedVar {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	var out []NamedVar
	for _, n := range vs.order {
		if v, ok := vs.params[n]; ok {
			out = append(out, NamedVar{n, v})
		}
	}
	return out
}

// Params returns the parameters in creation order.
func (vs *VarStore) Params() []*autograd.Var {
	var out []*autograd.Var
	for _, nv := range vs.NamedParams() {
		out = append(out, nv.Var)
	}
	return out
}

// Param returns the parameter with the given full name, or nil.
func (vs *VarStore) Param(name string) *autograd.Var {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return vs.params[name]
}

// NumParams returns the total number of parameter elements.
func (vs *VarStore) NumParams() int {
	n := 0
	for _, p := range vs.Params() {
		n += p.Value().Numel()
	}
	return n
}

// StateDict returns every parameter and buffer by name. The tensors are the live
// values, not copies.
func (vs *VarStore) StateDict() map[string]*tensor.Tensor {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	sd := make(map[string]*tensor.Tensor, len(vs.order))
	for n, v := range vs.params {
		sd[n] = v.Value()
	}
	for n, b := range vs.buffers {
		sd[n] = b
	}
	return sd
}

// Names returns the state_dict names in creation order.
func (vs *VarStore) Names() []string {
	vs.mu.Lock()
	defer vs.mu.Unlock()
	return slices.Clone(vs.order)
}

// ZeroGrad clears the gradients of every parameter.
func (vs *VarStore) ZeroGrad() {
	for _, p := range vs.Params() {
		p.ZeroGrad()
	}
}

// SetRequiresGrad turns gradient tracking on or off for every parameter (off freezes
// the model, for inference or fine-tuning part of it).
func (vs *VarStore) SetRequiresGrad(on bool) {
	for _, p := range vs.Params() {
		p.SetRequiresGrad(on)
	}
}

// LoadStateDict copies values from sd into the store's parameters and buffers. With
// strict, every missing, unexpected and wrongly shaped key is reported in one
// *StateDictError and nothing is changed; without it, matching keys are copied and
// the others ignored (a shape mismatch is still an error).
func (vs *VarStore) LoadStateDict(sd map[string]*tensor.Tensor, strict bool) error {
	own := vs.StateDict()
	e := &StateDictError{}
	for name, t := range own {
		src, ok := sd[name]
		if !ok {
			e.Missing = append(e.Missing, name)
			continue
		}
		if !tensor.SameShape(src, t) && !(src.Numel() == t.Numel() && src.Numel() == 1) {
			e.Mismatched = append(e.Mismatched, fmt.Sprintf("%s: checkpoint %s, model %s",
				name, tensor.ShapeString(src.Shape()), tensor.ShapeString(t.Shape())))
		}
	}
	for name := range sd {
		if _, ok := own[name]; !ok {
			e.Unexpected = append(e.Unexpected, name)
		}
	}
	slices.Sort(e.Missing)
	slices.Sort(e.Unexpected)
	slices.Sort(e.Mismatched)
	if len(e.Mismatched) > 0 || (strict && (len(e.Missing) > 0 || len(e.Unexpected) > 0)) {
		return e
	}
	for name, t := range own {
		if src, ok := sd[name]; ok {
			copy(t.Data(), src.Data())
		}
	}
	return nil
}

// StateDictError lists every key that kept a state dict from loading.
type StateDictError struct {
	Missing    []string // in the model, not in the checkpoint
	Unexpected []string // in the checkpoint, not in the model
	Mismatched []string // in both with different shapes
}

// Error lists the missing, unexpected and mismatched keys.
func (e *StateDictError) Error() string {
	var parts []string
	if len(e.Missing) > 0 {
		parts = append(parts, "missing keys: "+strings.Join(e.Missing, ", "))
	}
	if len(e.Unexpected) > 0 {
		parts = append(parts, "unexpected keys: "+strings.Join(e.Unexpected, ", "))
	}
	if len(e.Mismatched) > 0 {
		parts = append(parts, "shape mismatches: "+strings.Join(e.Mismatched, "; "))
	}
	return "nn: state dict does not match the model: " + strings.Join(parts, "; ")
}

// VarBuilder creates named parameters in a VarStore under a dotted prefix, the way
// PyTorch names submodules: vb.Push("h").Push("0").Push("attn") creates
// "h.0.attn.<name>".
type VarBuilder struct {
	store  *VarStore
	prefix string
}

// Push returns a builder for the submodule called name.
func (vb *VarBuilder) Push(name string) *VarBuilder {
	return &VarBuilder{store: vb.store, prefix: vb.Path(name)}
}

// PushIndex returns a builder for the i-th element of a module list ("h.3").
func (vb *VarBuilder) PushIndex(i int) *VarBuilder { return vb.Push(strconv.Itoa(i)) }

// Path returns the full name of name under the builder's prefix.
func (vb *VarBuilder) Path(name string) string {
	if vb.prefix == "" {
		return name
	}
	return vb.prefix + "." + name
}

// Prefix returns the builder's dotted prefix.
func (vb *VarBuilder) Prefix() string { return vb.prefix }

// Store returns the VarStore the builder writes to.
func (vb *VarBuilder) Store() *VarStore { return vb.store }

// Rand returns the random source of the store, for initialisers and dropout.
func (vb *VarBuilder) Rand() *rand.Rand { return vb.store.rng }

// Training reports whether the store is in training mode.
func (vb *VarBuilder) Training() bool { return vb.store.Training() }

// Param creates the parameter name with the given shape, initialised by init. It
// panics if the name is taken.
func (vb *VarBuilder) Param(name string, init Init, shape ...int) *autograd.Var {
	full := vb.Path(name)
	t := init(vb.store.rng, shape)
	if !slices.Equal(t.Shape(), shape) {
		tensor.Panicf("VarBuilder.Param", "initialiser for %s made shape %s, want %s", full,
			tensor.ShapeString(t.Shape()), tensor.ShapeString(shape))
	}
	v := autograd.Param(t)
	v.SetName(full)
	vb.store.mu.Lock()
	defer vb.store.mu.Unlock()
	vb.store.checkFree(full)
	vb.store.params[full] = v
	vb.store.order = append(vb.store.order, full)
	return v
}

// Buffer registers t as the persistent non-trainable state name (batch norm's running
// statistics) and returns it; modules update it in place.
func (vb *VarBuilder) Buffer(name string, t *tensor.Tensor) *tensor.Tensor {
	full := vb.Path(name)
	vb.store.mu.Lock()
	defer vb.store.mu.Unlock()
	vb.store.checkFree(full)
	vb.store.buffers[full] = t
	vb.store.order = append(vb.store.order, full)
	return t
}

func (vs *VarStore) checkFree(full string) {
	if _, ok := vs.params[full]; ok {
		tensor.Panicf("VarBuilder", "name %q is already used", full)
	}
	if _, ok := vs.buffers[full]; ok {
		tensor.Panicf("VarBuilder", "name %q is already used", full)
	}
}
