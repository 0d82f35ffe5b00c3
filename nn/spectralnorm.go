package nn

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// SpectralNorm reparameterises a weight as W/σ(W), where σ is the largest singular
// value of W viewed as a (rows, rest) matrix, estimated by power iteration (Miyato et
// al. 2018, https://arxiv.org/abs/1802.05957). It follows
// torch.nn.utils.spectral_norm: the raw weight is the parameter "weight_orig", the
// singular-vector estimates are the buffers "weight_u" and "weight_v", one iteration
// runs per forward pass in training mode and none in evaluation mode, and the
// gradient treats u and v as constants.
type SpectralNorm struct {
	Orig  *autograd.Var  // the raw weight
	Dim   int            // the axis of Orig that indexes the matrix rows (1 for transposed convs)
	U, V  *tensor.Tensor // (rows), (rest)
	Iters int
	Eps   float32
	store *VarStore
}

// NewSpectralNorm creates the parameter weight_orig of the given shape (initialised by
// init) and its power-iteration buffers under vb, with the rows of the matrix along
// axis 0.
func NewSpectralNorm(vb *VarBuilder, init Init, shape ...int) *SpectralNorm {
	return NewSpectralNormDim(vb, init, 0, shape...)
}

// NewSpectralNormDim is NewSpectralNorm with the rows along axis dim, which is 1 for a
// ConvTranspose2d weight (in,out,k,k), as torch.nn.utils.spectral_norm chooses. It
// panics unless dim is 0 or 1.
func NewSpectralNormDim(vb *VarBuilder, init Init, dim int, shape ...int) *SpectralNorm {
	if dim != 0 && dim != 1 || len(shape) < 2 {
		tensor.Panicf("NewSpectralNorm", "axis %d for weight shape %s", dim, tensor.ShapeString(shape))
	}
	orig := vb.Param("weight_orig", init, shape...)
	rows := shape[dim]
	rest := orig.Value().Numel() / rows
	rng := vb.Rand()
	u := tensor.Randn(rng, rows)
	v := tensor.Randn(rng, rest)
	normalizeInPlace(u.Data(), 1e-12)
	normalizeInPlace(v.Data(), 1e-12)
	return &SpectralNorm{Orig: orig, Dim: dim, U: vb.Buffer("weight_u", u), V: vb.Buffer("weight_v", v),
		Iters: 1, Eps: 1e-12, store: vb.Store()}
}

func normalizeInPlace(x []float32, eps float32) {
	var s float64
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	n := float32(math.Max(math.Sqrt(s), float64(eps)))
	for i := range x {
		x[i] /= n
	}
}

// Weight returns W/σ(W), updating the singular-vector estimates first in training mode.
func (sn *SpectralNorm) Weight() *autograd.Var {
	rows := sn.Orig.Size(sn.Dim)
	wv := sn.Orig
	if sn.Dim == 1 {
		wv = autograd.Transpose(wv, 0, 1) // (in,out,k,k) -> (out,in,k,k)
	}
	w := wv.Value().Reshape(rows, -1) // (rows,rest)
	if sn.store.Training() {
		for i := 0; i < sn.Iters; i++ {
			// v = normalize(Wᵀu), u = normalize(Wv)
			v := tensor.MatMulT(w, sn.U.Reshape(rows, 1), true, false) // (rest,1)
			normalizeInPlace(v.Data(), sn.Eps)
			copy(sn.V.Data(), v.Data())
			u := tensor.MatMul(w, sn.V.Reshape(-1, 1)) // (rows,1)
			normalizeInPlace(u.Data(), sn.Eps)
			copy(sn.U.Data(), u.Data())
		}
	}
	// σ = uᵀ W v, differentiable in W with u and v held constant.
	u := autograd.Const(sn.U.Clone().Reshape(1, rows))
	v := autograd.Const(sn.V.Clone().Reshape(-1, 1))
	sigma := autograd.MatMul(autograd.MatMul(u, autograd.Reshape(wv, rows, -1)), v) // (1,1)
	return autograd.Div(sn.Orig, autograd.Reshape(sigma, 1))
}
