package nn

import (
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// LayerNormConfig configures LayerNorm; the zero value is PyTorch's default: eps 1e-5
// with a learned gain ("weight", ones) and bias ("bias", zeros).
type LayerNormConfig struct {
	Eps    float32 // 0: 1e-5
	NoBias bool    // leave out the bias (gain only)
	NoGain bool    // leave out the gain and the bias (elementwise_affine=False)
}

// LayerNorm normalises over the trailing axes given by its normalised shape:
// y = (x-mean)/sqrt(var+eps)·weight + bias, with the population variance.
type LayerNorm struct {
	Shape  []int
	Eps    float32
	Weight *autograd.Var // Shape, or nil
	Bias   *autograd.Var // Shape, or nil
}

// NewLayerNorm creates a LayerNorm over the trailing axes shape.
func NewLayerNorm(vb *VarBuilder, shape []int, cfg LayerNormConfig) *LayerNorm {
	ln := &LayerNorm{Shape: slices.Clone(shape), Eps: cfg.Eps}
	if ln.Eps == 0 {
		ln.Eps = 1e-5
	}
	if !cfg.NoGain {
		ln.Weight = vb.Param("weight", Ones, shape...)
		if !cfg.NoBias {
			ln.Bias = vb.Param("bias", Zeros, shape...)
		}
	}
	return ln
}

// Forward normalises x, whose trailing axes must equal the normalised shape.
func (ln *LayerNorm) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	k := len(ln.Shape)
	if len(s) < k || !slices.Equal(s[len(s)-k:], ln.Shape) {
		tensor.Panicf("LayerNorm", "input shape %s does not end in %s", tensor.ShapeString(s), tensor.ShapeString(ln.Shape))
	}
	y := autograd.Normalize(x, k, ln.Eps)
	if ln.Weight != nil {
		y = autograd.Mul(y, ln.Weight)
	}
	if ln.Bias != nil {
		y = autograd.Add(y, ln.Bias)
	}
	return y
}

// RMSNorm is y = x/sqrt(mean(x²)+eps)·weight over the last axis (Zhang & Sennrich
// 2019, https://arxiv.org/abs/1910.07467).
type RMSNorm struct {
	Eps    float32
	Weight *autograd.Var // (dim)
}

// NewRMSNorm creates an RMSNorm over a last axis of length dim; eps 0 means 1e-6.
func NewRMSNorm(vb *VarBuilder, dim int, eps float32) *RMSNorm {
	if eps == 0 {
		eps = 1e-6
	}
	return &RMSNorm{Eps: eps, Weight: vb.Param("weight", Ones, dim)}
}

// Forward normalises x over its last axis.
func (r *RMSNorm) Forward(x *autograd.Var) *autograd.Var {
	if x.Dim() == 0 || x.Size(-1) != r.Weight.Size(0) {
		tensor.Panicf("RMSNorm", "input shape %s, want (…,%d)", tensor.ShapeString(x.Shape()), r.Weight.Size(0))
	}
	ms := autograd.Mean(autograd.Square(x), true, -1)
	return autograd.Mul(autograd.Mul(x, autograd.Rsqrt(autograd.AddScalar(ms, r.Eps))), r.Weight)
}
