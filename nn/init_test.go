package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestInitialisersMatchTheirDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	shape := []int{200, 100, 3, 3} // fan-in 900, fan-out 1800
	cases := []struct {
		name    string
		init    Init
		wantVar float64
	}{
		{"kaiming_uniform_sqrt5", KaimingUniform(math.Sqrt(5)), 1.0 / (3 * 900)}, // U(-1/√fanIn, 1/√fanIn)
		{"kaiming_normal_0", KaimingNormal(0), 2.0 / 900},
		{"xavier_uniform", XavierUniform(1), 2.0 / (900 + 1800)},
		{"xavier_normal", XavierNormal(2), 4 * 2.0 / (900 + 1800)},
		{"normal", Normal(0, 0.02), 0.0004},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := c.init(rng, shape)
			require.Equal(t, shape, w.Shape())
			// 180,000 draws: the sample variance is within 2% of the truth.
			assert.InEpsilon(t, c.wantVar, float64(tensor.Var(w, 0, false).Item()), 0.02)
			assert.InDelta(t, 0, float64(tensor.Mean(w, false).Item()), 3*math.Sqrt(c.wantVar/180000))
		})
	}
}

func TestOrthogonalIsOrthogonal(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, shape := range [][]int{{6, 4}, {4, 6}, {3, 2, 2, 2}} {
		w := Orthogonal(1.5)(rng, shape)
		rows := shape[0]
		m := w.Reshape(rows, -1)
		var g *tensor.Tensor // the Gram matrix of the shorter side is 1.5²·I
		if rows <= m.Size(1) {
			g = tensor.MatMulT(m, m, false, true)
		} else {
			g = tensor.MatMulT(m, m, true, false)
		}
		n := g.Size(0)
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				want := 0.0
				if i == j {
					want = 2.25
				}
				assert.InDelta(t, want, g.At(i, j), 1e-5, "shape %v (%d,%d)", shape, i, j)
			}
		}
	}
}

func TestEmbeddingAndAttentionGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 6))
	vs := newStore()
	emb := NewEmbedding(vs.Root().Push("emb"), 5, 3, nil)
	ids := autograd.Const(tensor.FromSlice([]float32{1, 4, 1, 0}, 2, 2))
	require.NoError(t, autograd.GradCheckVars(func() *autograd.Var { return emb.Forward(ids) },
		[]*autograd.Var{emb.Weight}, autograd.GradCheckConfig{}))

	vs = newStore()
	mha := NewMultiHeadAttention(vs.Root(), 4, 2, MultiHeadAttentionConfig{KVDim: 3})
	x := autograd.Param(tensor.Randn(rng, 2, 3, 4))
	src := autograd.Param(tensor.Randn(rng, 2, 5, 3))
	mask := PaddingMask([]int{5, 3}, 5)
	vars := append([]*autograd.Var{x, src}, vs.Params()...)
	require.NoError(t, autograd.GradCheckVars(func() *autograd.Var { return mha.Forward(x, src, mask, false, nil) },
		vars, autograd.GradCheckConfig{}))
	// Causal self-attention.
	require.NoError(t, autograd.GradCheckVars(func() *autograd.Var {
		return ScaledDotProductAttention(SplitHeads(x, 2), SplitHeads(x, 2), SplitHeads(x, 2), nil, true)
	}, []*autograd.Var{x}, autograd.GradCheckConfig{}))
}

func TestKVCacheDecodingEqualsFullAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	vs := newStore()
	mha := NewMultiHeadAttention(vs.Root(), 8, 2, MultiHeadAttentionConfig{})
	x := tensor.Randn(rng, 1, 6, 8)
	full := mha.Forward(autograd.NoGrad(x), autograd.NoGrad(x), nil, true, nil).Value()
	cache := &KVCache{}
	for i := 0; i < 6; i++ {
		xi := autograd.NoGrad(tensor.Narrow(x, 1, i, 1))
		yi := mha.Forward(xi, xi, nil, true, cache).Value()
		want := tensor.Narrow(full, 1, i, 1)
		assert.InDeltaSlice(t, want.Data(), yi.Data(), 1e-5, "position %d", i)
	}
	require.Equal(t, 6, cache.Len())
}
