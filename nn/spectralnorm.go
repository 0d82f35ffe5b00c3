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
	U, V  *tensor.Tensor // (rows), (rest)
	Iters int
	Eps   float32
	store *VarStore
}

// NewSpectralNorm creates the parameter weight_orig of the given shape (initialised by
// init) and its power-iteration buffers under vb.
func NewSpectralNorm(vb *VarBuilder, init Init, shape ...int) *SpectralNorm {
	orig := vb.Param("weight_orig", init, shape...)
	rows := shape[0]
	rest := orig.Value().Numel() / rows
	rng := vb.Rand()
	u := tensor.Randn(rng, rows)
	v := tensor.Randn(rng, rest)
	normalizeInPlace(u.Data(), 1e-12)
	normalizeInPlace(v.Data(), 1e-12)
	return &SpectralNorm{Orig: orig, U: vb.Buffer("weight_u", u), V: vb.Buffer("weight_v", v),
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
	rows := sn.Orig.Size(0)
	w := sn.Orig.Value().Reshape(rows, -1) // (rows,rest)
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
	sigma := autograd.MatMul(autograd.MatMul(u, autograd.Reshape(sn.Orig, rows, -1)), v) // (1,1)
	return autograd.Div(sn.Orig, autograd.Reshape(sigma, 1))
}
