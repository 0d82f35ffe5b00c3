package vae

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// The latent-space tools run the model without recording a graph and return the
// likelihood's mean, E[x|z], with the decoder's output shape.

// decodeMean decodes z (B,Latent) to E[x|z] without a graph.
func (m *Model) decodeMean(z *tensor.Tensor, labels *tensor.Tensor) *tensor.Tensor {
	return m.Likelihood.Mean(m.Decode(autograd.NoGrad(z), labels)).Value()
}

// Sample draws n latents from the prior N(0, I) with rng and returns their decoded
// means (n,…). labels is (n) for a conditional model and nil otherwise.
func (m *Model) Sample(n int, labels *tensor.Tensor, rng *rand.Rand) *tensor.Tensor {
	return m.decodeMean(tensor.Randn(rng, n, m.Latent), labels)
}

// DecodeMean returns E[x|z] for latents z (B,Latent).
func (m *Model) DecodeMean(z *tensor.Tensor, labels *tensor.Tensor) *tensor.Tensor {
	return m.decodeMean(z, labels)
}

// EncodeMean returns the posterior means μ(x) (B,Latent) of x (B,…), the usual
// deterministic code of an input.
func (m *Model) EncodeMean(x *tensor.Tensor, labels *tensor.Tensor) *tensor.Tensor {
	return m.Encode(autograd.NoGrad(x), labels).Mu.Value()
}

// Reconstruct returns E[x|z = μ(x)] for x (B,…): each input decoded from its
// posterior mean.
func (m *Model) Reconstruct(x *tensor.Tensor, labels *tensor.Tensor) *tensor.Tensor {
	return m.decodeMean(m.EncodeMean(x, labels), labels)
}

// checkPair panics unless a and b are latents of one shape (L) or (1,L).
func checkPair(op string, a, b *tensor.Tensor, n int) int {
	if !tensor.SameShape(a, b) || a.Numel() == 0 || a.Numel() != a.Size(-1) || n < 2 {
		tensor.Panicf(op, "latents %s and %s with n = %d, want two equal shapes (L) and n ≥ 2",
			tensor.ShapeString(a.Shape()), tensor.ShapeString(b.Shape()), n)
	}
	return a.Numel()
}

// Lerp returns n points evenly spaced on the segment from a to b (both (L) or (1,L)),
// ends included: (n,L). It panics on different shapes or n < 2.
func Lerp(a, b *tensor.Tensor, n int) *tensor.Tensor {
	l := checkPair("vae.Lerp", a, b, n)
	out := tensor.New(n, l)
	ad, bd, o := a.Data(), b.Data(), out.Data()
	for i := range n {
		t := float64(i) / float64(n-1)
		for j := range l {
			o[i*l+j] = float32((1-t)*float64(ad[j]) + t*float64(bd[j]))
		}
	}
	return out
}

// Slerp returns n points of the spherical interpolation from a to b (White 2016,
// "Sampling Generative Networks", https://arxiv.org/abs/1609.04468), ends included:
//
//	slerp(t) = sin((1-t)Ω)/sin Ω · a + sin(tΩ)/sin Ω · b,   cos Ω = a·b / (|a||b|)
//
// which keeps the norm typical of Gaussian samples where Lerp passes near the origin.
// It falls back to Lerp when a and b are (anti)parallel or zero. It panics on different
// shapes or n < 2.
func Slerp(a, b *tensor.Tensor, n int) *tensor.Tensor {
	l := checkPair("vae.Slerp", a, b, n)
	ad, bd := a.Data(), b.Data()
	var dot, na, nb float64
	for j := range l {
		dot += float64(ad[j]) * float64(bd[j])
		na += float64(ad[j]) * float64(ad[j])
		nb += float64(bd[j]) * float64(bd[j])
	}
	c := dot / math.Sqrt(na*nb)
	omega := math.Acos(max(-1, min(1, c)))
	so := math.Sin(omega)
	if !(so > 1e-6) {
		return Lerp(a, b, n)
	}
	out := tensor.New(n, l)
	o := out.Data()
	for i := range n {
		t := float64(i) / float64(n-1)
		wa, wb := math.Sin((1-t)*omega)/so, math.Sin(t*omega)/so
		for j := range l {
			o[i*l+j] = float32(wa*float64(ad[j]) + wb*float64(bd[j]))
		}
	}
	return out
}

// Interpolate encodes x0 and x1 (each one example, (1,…)) to their posterior means,
// joins them with interp (Lerp or Slerp) in n steps and decodes: (n,…). label is the
// class of every step for a conditional model and ignored otherwise.
func (m *Model) Interpolate(x0, x1 *tensor.Tensor, label int, n int, interp func(a, b *tensor.Tensor, n int) *tensor.Tensor) *tensor.Tensor {
	var l1, ln *tensor.Tensor
	if m.Classes > 0 {
		l1, ln = tensor.Full(float32(label), 1), tensor.Full(float32(label), n)
	}
	a, b := m.EncodeMean(x0, l1), m.EncodeMean(x1, l1)
	return m.decodeMean(interp(a, b, n), ln)
}

// TraverseConfig configures Traverse2D. The zero value traverses dimensions 0 and 1
// around the origin over the prior's 5% to 95% quantiles.
type TraverseConfig struct {
	Dims [2]int         // the two latent dimensions to vary; zero value: 0 and 1
	Base *tensor.Tensor // (L) latent the others are held at; nil: zeros
	// Span, when positive, places the grid on [-Span, Span] in each dimension; 0 uses
	// the standard normal quantiles of 0.05…0.95, as the manifold figures of Kingma &
	// Welling do.
	Span  float64
	Label int // class for a conditional model
}

// Traverse2D decodes an n×n grid of latents that vary two dimensions (see
// TraverseConfig) and returns the means (n·n,…), row by row: the row index moves the
// first dimension from high to low (top to bottom), the column index the second from
// low to high. For a 2-d latent it is the learned data manifold. It panics if n < 2, a
// dimension is out of range, the two are equal (so a 1-d latent cannot be traversed)
// or Base is not (L).
func (m *Model) Traverse2D(n int, cfg TraverseConfig) *tensor.Tensor {
	d0, d1 := cfg.Dims[0], cfg.Dims[1]
	if cfg.Dims == [2]int{} {
		d1 = min(1, m.Latent-1)
	}
	if n < 2 || d0 < 0 || d1 < 0 || d0 >= m.Latent || d1 >= m.Latent || d0 == d1 {
		tensor.Panicf("vae.Traverse2D", "n = %d, dims %v for a %d-d latent", n, cfg.Dims, m.Latent)
	}
	if cfg.Base != nil && cfg.Base.Numel() != m.Latent {
		tensor.Panicf("vae.Traverse2D", "base shape %s, want (%d)", tensor.ShapeString(cfg.Base.Shape()), m.Latent)
	}
	vals := make([]float32, n)
	for i := range vals {
		p := 0.05 + 0.9*float64(i)/float64(n-1)
		v := math.Sqrt2 * math.Erfinv(2*p-1)
		if cfg.Span > 0 {
			v = cfg.Span * (2*float64(i)/float64(n-1) - 1)
		}
		vals[i] = float32(v)
	}
	z := tensor.New(n*n, m.Latent)
	zd := z.Data()
	for r := range n {
		for c := range n {
			row := zd[(r*n+c)*m.Latent : (r*n+c+1)*m.Latent]
			if cfg.Base != nil {
				copy(row, cfg.Base.Data())
			}
			row[d0] = vals[n-1-r]
			row[d1] = vals[c]
		}
	}
	var labels *tensor.Tensor
	if m.Classes > 0 {
		labels = tensor.Full(float32(cfg.Label), n*n)
	}
	return m.decodeMean(z, labels)
}
