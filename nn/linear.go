package nn

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// LinearConfig configures a Linear layer. The zero value is PyTorch's nn.Linear: a bias,
// Kaiming-uniform (a=√5) weights and U(-1/√in, 1/√in) biases.
type LinearConfig struct {
	NoBias bool // leave out the bias
	// SpectralNorm reparameterises the weight with spectral normalisation; the raw
	// weight is then named "weight_orig", as with torch.nn.utils.spectral_norm.
	SpectralNorm bool
	WeightInit   Init // nil: KaimingUniform(√5)
	BiasInit     Init // nil: BiasUniform(in)
}

// Linear is y = x·Wᵀ + b over the last axis, with weight (out,in) and bias (out) named
// "weight" and "bias" as in PyTorch.
type Linear struct {
	Weight *autograd.Var // (out,in); with spectral normalisation, the raw weight
	Bias   *autograd.Var // (out) or nil
	SN     *SpectralNorm // nil unless spectrally normalised
}

// NewLinear creates a Linear layer from in to out features under vb.
func NewLinear(vb *VarBuilder, in, out int, cfg LinearConfig) *Linear {
	wi := cfg.WeightInit
	if wi == nil {
		wi = KaimingUniform(math.Sqrt(5))
	}
	l := &Linear{}
	if cfg.SpectralNorm {
		l.SN = NewSpectralNorm(vb, wi, out, in)
		l.Weight = l.SN.Orig
	} else {
		l.Weight = vb.Param("weight", wi, out, in)
	}
	if !cfg.NoBias {
		bi := cfg.BiasInit
		if bi == nil {
			bi = BiasUniform(in)
		}
		l.Bias = vb.Param("bias", bi, out)
	}
	return l
}

// Forward maps (…,in) to (…,out). It panics if the last axis of x is not in.
func (l *Linear) Forward(x *autograd.Var) *autograd.Var {
	in := l.Weight.Size(1)
	if x.Dim() == 0 || x.Size(-1) != in {
		tensor.Panicf("Linear", "input shape %s, want (…,%d)", tensor.ShapeString(x.Shape()), in)
	}
	shape := x.Shape()
	x2 := x
	if x.Dim() != 2 {
		x2 = autograd.Reshape(x, -1, in) // (…,in) -> (M,in)
	}
	w := l.Weight
	if l.SN != nil {
		w = l.SN.Weight()
	}
	y := autograd.Linear(x2, w, l.Bias) // (M,in)·(out,in)ᵀ + (out) -> (M,out)
	if x.Dim() != 2 {
		shape[len(shape)-1] = l.Weight.Size(0)
		y = autograd.Reshape(y, shape...)
	}
	return y
}

// MLPConfig configures NewMLP. The zero value uses ReLU between layers and none after
// the last.
type MLPConfig struct {
	Activation Module // between hidden layers; nil: ReLU
	Output     Module // after the last layer; nil: none
}

// NewMLP builds a Sequential of Linear layers with sizes[0]→sizes[1]→…, named "0", "2",
// "4", … with the activations between them at the odd indices, as nn.Sequential numbers
// them in PyTorch. It panics with fewer than two sizes.
func NewMLP(vb *VarBuilder, sizes []int, cfg MLPConfig) Sequential {
	if len(sizes) < 2 {
		tensor.Panicf("NewMLP", "need at least 2 sizes, got %v", sizes)
	}
	act := cfg.Activation
	if act == nil {
		act = ReLU{}
	}
	var s Sequential
	for i := 0; i+1 < len(sizes); i++ {
		s = append(s, NewLinear(vb.PushIndex(len(s)), sizes[i], sizes[i+1], LinearConfig{}))
		if i+2 < len(sizes) {
			s = append(s, act)
		}
	}
	if cfg.Output != nil {
		s = append(s, cfg.Output)
	}
	return s
}
