package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// naiveAttention is softmax(scale·q·kᵀ, causally masked)·v in float64, and its gradients
// for the output gradient g, one (batch, head) pair at a time.
func naiveAttention(q, k, v, g []float32, nb, tq, tk, d, dv int, scale float64, causal bool) (out, dq, dk, dvv []float64) {
	out, dq, dk, dvv = make([]float64, nb*tq*dv), make([]float64, nb*tq*d), make([]float64, nb*tk*d), make([]float64, nb*tk*dv)
	for b := range nb {
		for i := range tq {
			valid := tk
			if causal {
				valid = min(max(i+tk-tq+1, 0), tk)
			}
			p := make([]float64, tk)
			if valid == 0 {
				for j := range p {
					p[j] = 1 / float64(tk)
				}
			} else {
				m := math.Inf(-1)
				for j := range valid {
					var s float64
					for c := range d {
						s += float64(q[(b*tq+i)*d+c]) * float64(k[(b*tk+j)*d+c])
					}
					p[j] = scale * s
					m = max(m, p[j])
				}
				var sum float64
				for j := range valid {
					p[j] = math.Exp(p[j] - m)
					sum += p[j]
				}
				for j := range valid {
					p[j] /= sum
				}
			}
			// dp_j = Σ_c g·v; ds_j = scale·p_j·(dp_j − Σ p·dp) over the unmasked keys.
			dp := make([]float64, tk)
			var dot float64
			for j := range tk {
				for c := range dv {
					out[(b*tq+i)*dv+c] += p[j] * float64(v[(b*tk+j)*dv+c])
					dp[j] += float64(g[(b*tq+i)*dv+c]) * float64(v[(b*tk+j)*dv+c])
					dvv[(b*tk+j)*dv+c] += p[j] * float64(g[(b*tq+i)*dv+c])
				}
				if j < valid {
					dot += p[j] * dp[j]
				}
			}
			for j := range valid {
				ds := scale * p[j] * (dp[j] - dot)
				for c := range d {
					dq[(b*tq+i)*d+c] += ds * float64(k[(b*tk+j)*d+c])
					dk[(b*tk+j)*d+c] += ds * float64(q[(b*tq+i)*d+c])
				}
			}
		}
	}
	return out, dq, dk, dvv
}

func requireCloseNoNaN(t *testing.T, name string, want []float64, got *tensor.Tensor, tol float64) {
	t.Helper()
	require.Len(t, got.Data(), len(want), name)
	for i, w := range want {
		v := float64(got.Data()[i])
		require.False(t, math.IsNaN(v), "%s: NaN at %d", name, i)
		require.InDelta(t, w, v, tol*(1+math.Abs(w)), "%s at %d", name, i)
	}
}

func TestScaledDotProductAttention(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	cases := []struct {
		lead          []int
		tq, tk, d, dv int
		causal        bool
	}{
		{[]int{2, 3}, 4, 6, 5, 2, false},
		{[]int{2, 2}, 5, 5, 3, 3, true},
		{[]int{3}, 3, 6, 4, 4, true}, // Tk > Tq: the queries are the last positions
		{[]int{1}, 5, 3, 2, 2, true}, // Tk < Tq: the first rows see nothing
		{nil, 7, 7, 16, 16, true},    // no leading axes
		{[]int{1, 2}, 128, 128, 32, 32, true},
		{[]int{2}, 40, 70, 8, 4, true},  // several row blocks, Tk > Tq
		{[]int{2}, 70, 40, 8, 4, true},  // several row blocks, the first rows see nothing
		{[]int{2}, 70, 40, 8, 4, false}, // several row blocks, every key

	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.lead, c.tq, c.tk, c.d, c.dv, c.causal), func(t *testing.T) {
			nb := 1
			for _, s := range c.lead {
				nb *= s
			}
			shape := func(a, b int) []int { return append(append([]int{}, c.lead...), a, b) }
			q, k, v := tensor.Randn(rng, shape(c.tq, c.d)...), tensor.Randn(rng, shape(c.tk, c.d)...), tensor.Randn(rng, shape(c.tk, c.dv)...)
			g := tensor.Randn(rng, shape(c.tq, c.dv)...)
			out, dq, dk, dv := naiveAttention(q.Data(), k.Data(), v.Data(), g.Data(), nb, c.tq, c.tk, c.d, c.dv, 0.4, c.causal)
			got := tensor.ScaledDotProductAttention(q, k, v, 0.4, c.causal)
			require.Equal(t, shape(c.tq, c.dv), got.Shape())
			requireCloseNoNaN(t, "out", out, got, 1e-4)
			gq, gk, gv := tensor.ScaledDotProductAttentionGrad(q, k, v, g, 0.4, c.causal)
			requireCloseNoNaN(t, "dq", dq, gq, 1e-4)
			requireCloseNoNaN(t, "dk", dk, gk, 1e-4)
			requireCloseNoNaN(t, "dv", dv, gv, 1e-4)
		})
	}
	require.Error(t, tensor.Catch(func() {
		tensor.ScaledDotProductAttention(tensor.New(2, 3, 4), tensor.New(3, 3, 4), tensor.New(3, 3, 4), 1, false)
	}))
	require.Error(t, tensor.Catch(func() {
		tensor.ScaledDotProductAttentionGrad(tensor.New(3, 4), tensor.New(3, 4), tensor.New(3, 4), tensor.New(3, 5), 1, false)
	}))
}

// BenchmarkScaledDotProductAttention compares the fused op with MatMul, ScaledSoftmax
// and MatMul at the gpt workload's shape, forward and backward.
func BenchmarkScaledDotProductAttention(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	q, k, v, g := tensor.Randn(rng, 16, 4, 128, 32), tensor.Randn(rng, 16, 4, 128, 32), tensor.Randn(rng, 16, 4, 128, 32), tensor.Randn(rng, 16, 4, 128, 32)
	b.Run("impl=fused", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tensor.ScaledDotProductAttention(q, k, v, 0.2, true)
			tensor.ScaledDotProductAttentionGrad(q, k, v, g, 0.2, true)
		}
	})
	b.Run("impl=composed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			s := tensor.MatMulT(q, k, false, true)
			p := tensor.ScaledSoftmax(s, 0.2, true)
			tensor.MatMul(p, v)
			dv := tensor.MatMulT(p, g, true, false)
			dp := tensor.MatMulT(g, v, false, true)
			ds := tensor.ScaledSoftmaxGrad(p, dp, 0.2, true)
			tensor.MatMul(ds, k)
			tensor.MatMulT(ds, q, true, false)
			_ = dv
		}
	})
}
