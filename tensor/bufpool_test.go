package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// poisonPool puts NaN-filled storage of n values in the pool, as a released tensor's
// would be, so that an op that leaves a value of an empty() result unwritten shows it.
func poisonPool(n int) {
	for range 4 {
		t := Full(float32(math.NaN()), n)
		t.Release()
	}
}

// Ops that build their result with empty() write every value of it.
func TestEmptyResultsAreFullyWritten(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := Randn(rng, 4, 8, 16, 16) // 8192 values, pooled
	w := Randn(rng, 8)
	cases := map[string]func() *Tensor{
		"relu":       func() *Tensor { return ReLU(x) },
		"exp":        func() *Tensor { return Exp(x) },
		"clamp":      func() *Tensor { return Clamp(x, -0.5, 0.5) },
		"unary_grad": func() *Tensor { return UnaryGrad("tanh", x, Tanh(x), x, 0) },
		"bce":        func() *Tensor { return BCEWithLogits(x, Sigmoid(x)) },
		"bce_grad":   func() *Tensor { return BCEWithLogitsGrad(x, Sigmoid(x), x) },
		"affine":     func() *Tensor { return ChannelAffine(x, w, w) },
		"affine_dx": func() *Tensor {
			dx, _, _ := ChannelAffineGrad(x, w, x, true, true, true)
			return dx
		},
		"conv3x3": func() *Tensor {
			return Conv2d(x, Randn(rng, 8, 8, 3, 3), nil, Conv2dConfig{Padding: [2]int{1, 1}})
		},
		"conv_s2": func() *Tensor {
			return Conv2d(Randn(rng, 4, 8, 32, 32), Randn(rng, 8, 8, 4, 4), nil, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}})
		},
		"matmul":         func() *Tensor { return MatMul(Randn(rng, 64, 96), Randn(rng, 96, 80)) },
		"matmul_batched": func() *Tensor { return MatMulT(Randn(rng, 3, 40, 20), Randn(rng, 3, 40, 50), true, false) },
		"linear":         func() *Tensor { return Linear(Randn(rng, 70, 30), Randn(rng, 64, 30), Randn(rng, 64)) },
		"normalize_last": func() *Tensor {
			y, _ := NormalizeLast(x, 2, 1e-5)
			return y
		},
		"normalize_last_grad": func() *Tensor {
			y, rstd := NormalizeLast(x, 2, 1e-5)
			return NormalizeLastGrad(y, rstd, x)
		},
		"group_norm_inference": func() *Tensor { return GroupNormInference(x, 4, w, w, 1e-5, true) },
		"group_norm_silu": func() *Tensor {
			out, _, _ := GroupNormSiLU(x, 4, w, w, 1e-5)
			return out
		},
		"group_norm_silu_saved": func() *Tensor {
			_, y, _ := GroupNormSiLU(x, 4, w, w, 1e-5)
			return y
		},
		"group_norm_silu_dx": func() *Tensor {
			_, y, rstd := GroupNormSiLU(x, 4, w, w, 1e-5)
			dx, _, _ := GroupNormSiLUGrad(y, rstd, w, w, x, true, true, true)
			return dx
		},
		"conv1x1_grouped": func() *Tensor {
			return Conv2d(x, Randn(rng, 8, 4, 1, 1), nil, Conv2dConfig{Groups: 2})
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			poisonPool(len(f().data))
			y := f()
			for i, v := range y.data {
				require.False(t, math.IsNaN(float64(v)), "value %d unwritten", i)
			}
		})
	}
}

func TestReleaseEmptiesTensor(t *testing.T) {
	x := New(64, 64)
	x.Release()
	require.Empty(t, x.Data())
	require.Panics(t, func() { x.At(0, 0) })
}

// BenchmarkChannelAffine compares the fused per-channel affine map with the broadcast
// multiply and add it replaces in batch and group norm.
func BenchmarkChannelAffine(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, bias := Randn(rng, 32, 64, 28, 28), Randn(rng, 64), Randn(rng, 64)
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			ChannelAffine(x, w, bias).Release()
		}
	})
	b.Run("broadcast", func(b *testing.B) {
		w4, b4 := w.Reshape(1, 64, 1, 1), bias.Reshape(1, 64, 1, 1)
		for b.Loop() {
			m := Mul(x, w4)
			Add(m, b4).Release()
			m.Release()
		}
	})
}

// BenchmarkGroupNormSiLU compares the fused group norm + SiLU (forward and backward)
// with the three ops it replaces in a diffusion residual block.
func BenchmarkGroupNormSiLU(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, w, bias, g := Randn(rng, 32, 32, 28, 28), Randn(rng, 32), Randn(rng, 32), Randn(rng, 32, 32, 28, 28)
	b.Run("fused", func(b *testing.B) {
		for b.Loop() {
			out, y, rstd := GroupNormSiLU(x, 8, w, bias, 1e-5)
			dx, _, _ := GroupNormSiLUGrad(y, rstd, w, bias, g, true, true, true)
			out.Release()
			y.Release()
			dx.Release()
		}
	})
	b.Run("separate", func(b *testing.B) {
		for b.Loop() {
			y, rstd := NormalizeLast(x.Reshape(32, 8, -1), 1, 1e-5)
			z := ChannelAffine(y.Reshape(x.Shape()...), w, bias)
			out := SiLU(z)
			dz := UnaryGrad("silu", z, out, g, 0)
			dy, _, _ := ChannelAffineGrad(y.Reshape(x.Shape()...), w, dz, true, true, true)
			dx := NormalizeLastGrad(y, rstd, dy.Reshape(32, 8, -1))
			for _, t := range []*Tensor{y, z, out, dz, dy, dx} {
				t.Release()
			}
		}
	})
}
