package nn

import (
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// SinusoidalPositions returns the fixed positional encodings of Vaswani et al. 2017
// (https://arxiv.org/abs/1706.03762) for positions 0…n-1, shape (n,dim):
// PE[p,2i] = sin(p/10000^(2i/dim)), PE[p,2i+1] = cos(p/10000^(2i/dim)).
func SinusoidalPositions(n, dim int) *tensor.Tensor {
	pe := tensor.New(n, dim)
	d := pe.Data()
	for p := 0; p < n; p++ {
		for i := 0; i < dim; i += 2 {
			a := float64(p) / math.Pow(10000, float64(i)/float64(dim))
			d[p*dim+i] = float32(math.Sin(a))
			if i+1 < dim {
				d[p*dim+i+1] = float32(math.Cos(a))
			}
		}
	}
	return pe
}

// TimestepEmbedding returns sinusoidal embeddings of diffusion timesteps t (B) as
// (B,dim): the first half sin(t·f_i), the second half cos(t·f_i), with frequencies
// f_i = maxPeriod^(-i/half) for i < half = dim/2 (Ho et al. 2020; the layout of
// diffusers' get_timestep_embedding with downscale_freq_shift 0). maxPeriod 0 means
// 10000. It panics if dim is odd.
func TimestepEmbedding(t *tensor.Tensor, dim int, maxPeriod float64) *tensor.Tensor {
	if dim%2 != 0 {
		tensor.Panicf("TimestepEmbedding", "dimension %d is odd", dim)
	}
	if maxPeriod == 0 {
		maxPeriod = 10000
	}
	half := dim / 2
	b := t.Numel()
	out := tensor.New(b, dim)
	d := out.Data()
	for j, tv := range t.Data() {
		for i := 0; i < half; i++ {
			f := math.Exp(-math.Log(maxPeriod) * float64(i) / float64(half))
			a := float64(tv) * f
			d[j*dim+i] = float32(math.Sin(a))
			d[j*dim+half+i] = float32(math.Cos(a))
		}
	}
	return out
}
