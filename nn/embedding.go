package nn

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Embedding maps integer ids to learned vectors: a (num,dim) table named "weight",
// initialised from N(0,1) as PyTorch's nn.Embedding.
type Embedding struct {
	Weight *autograd.Var // (num,dim)
}

// NewEmbedding creates an Embedding of num vectors of size dim; init nil means N(0,1).
func NewEmbedding(vb *VarBuilder, num, dim int, init Init) *Embedding {
	if init == nil {
		init = Normal(0, 1)
	}
	return &Embedding{Weight: vb.Param("weight", init, num, dim)}
}

// Forward looks up ids (any shape, integer values stored as float32) and returns
// (ids…,dim). It panics on an id out of range. When ids is a NoGrad Var, the lookup
// records nothing.
func (e *Embedding) Forward(ids *autograd.Var) *autograd.Var {
	w := e.Weight
	if ids.IsNoGrad() {
		w = autograd.NoGrad(w.Value())
	}
	shape := append(ids.Shape(), w.Size(1))
	flat := ids.Value().Reshape(-1)
	return autograd.Reshape(autograd.IndexSelect(w, 0, flat), shape...) // (n,dim) -> (ids…,dim)
}

// Lookup is Forward for a plain tensor of ids.
func (e *Embedding) Lookup(ids *tensor.Tensor) *autograd.Var { return e.Forward(autograd.Const(ids)) }
