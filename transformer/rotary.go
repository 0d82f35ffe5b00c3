package transformer

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Rotary holds the rotary position embedding tables of RoFormer (Su et al. 2021,
// https://arxiv.org/abs/2104.09864) in the "rotate half" layout of GPT-NeoX and LLaMA:
// for a head vector x of size hs split into halves (x₁, x₂), the vector at position p is
// x·cos(pθ) + (-x₂, x₁)·sin(pθ) with θᵢ = base^(-2i/hs) repeated over both halves.
type Rotary struct {
	Cos, Sin *tensor.Tensor // (MaxLen,hs)
}

// NewRotary builds the tables for head size hs and positions 0…maxLen-1; base 0 means
// 10000. It panics if hs is odd.
func NewRotary(hs, maxLen int, base float64) *Rotary {
	if hs%2 != 0 {
		tensor.Panicf("NewRotary", "head size %d is odd", hs)
	}
	if base == 0 {
		base = 10000
	}
	half := hs / 2
	c, s := tensor.New(maxLen, hs), tensor.New(maxLen, hs)
	cd, sd := c.Data(), s.Data()
	for p := 0; p < maxLen; p++ {
		for i := 0; i < half; i++ {
			a := float64(p) * math.Pow(base, -2*float64(i)/float64(hs))
			cs, sn := float32(math.Cos(a)), float32(math.Sin(a))
			cd[p*hs+i], cd[p*hs+half+i] = cs, cs
			sd[p*hs+i], sd[p*hs+half+i] = sn, sn
		}
	}
	return &Rotary{Cos: c, Sin: s}
}

// MaxLen returns the number of positions the tables cover.
func (r *Rotary) MaxLen() int { return r.Cos.Size(0) }

// Apply rotates x (B,nh,T,hs) by positions pos, (T) or (B,T) (nil means 0…T-1). It
// panics if a position is past MaxLen or hs does not match.
func (r *Rotary) Apply(x *autograd.Var, pos *tensor.Tensor) *autograd.Var {
	b, t, hs := x.Size(0), x.Size(2), x.Size(3)
	if hs != r.Cos.Size(1) {
		tensor.Panicf("Rotary", "input %s, want head size %d", tensor.ShapeString(x.Shape()), r.Cos.Size(1))
	}
	if pos == nil {
		pos = tensor.Arange(0, float32(t), 1)
	}
	flat := pos.Reshape(-1)
	if m := int(tensor.Max(flat, false).Item()); m >= r.MaxLen() {
		tensor.Panicf("Rotary", "position %d past the %d the tables cover", m, r.MaxLen())
	}
	shape := []int{1, 1, t, hs} // (T) positions broadcast over the batch
	if pos.Dim() == 2 {
		shape = []int{b, 1, t, hs}
	}
	cos := autograd.Const(tensor.IndexSelect(r.Cos, 0, flat).Reshape(shape...))
	sin := autograd.Const(tensor.IndexSelect(r.Sin, 0, flat).Reshape(shape...))
	halves := autograd.Split(x, 3, hs/2, hs/2)
	rot := autograd.Concat(3, autograd.Neg(halves[1]), halves[0]) // (-x₂, x₁)
	return autograd.Add(autograd.Mul(x, cos), autograd.Mul(rot, sin))
}
