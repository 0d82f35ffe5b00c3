package nn

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/tensor"
)

// Attend must give what Append followed by ScaledDotProductAttention gives, over a
// prefill and single tokens, through capacity growth and a switch from Append.
func TestKVCacheAttendMatchesAppend(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, causal := range []bool{true, false} {
		var fast, slow KVCache
		steps := []int{3, 1, 1, 5, 1, 9, 1, 2} // 23 positions: grows past 16
		for i, n := range steps {
			q := autograd.NoGrad(tensor.Randn(rng, 2, 3, n, 4))
			k := autograd.NoGrad(tensor.Randn(rng, 2, 3, n, 4))
			v := autograd.NoGrad(tensor.Randn(rng, 2, 3, n, 4))
			kk, vv := slow.Append(k, v)
			want := ScaledDotProductAttention(q, kk, vv, nil, causal)
			if i == 2 {
				// A cache filled by Append is taken over by Attend.
				fast = KVCache{}
				fast.Append(autograd.NoGrad(slow.K.Clone()), autograd.NoGrad(slow.V.Clone()))
				fast.K, fast.V = tensor.Narrow(fast.K, 2, 0, slow.Len()-n), tensor.Narrow(fast.V, 2, 0, slow.Len()-n)
			}
			got := fast.Attend(q, k, v, causal)
			require.True(t, got.IsNoGrad())
			require.Equal(t, slow.Len(), fast.Len())
			golden.Close(t, "attend", got.Value(), want.Value(), 1e-6, 1e-5)
		}
		fk, fv := fast.KV()
		golden.Close(t, "keys", fk, slow.K, 0, 0)
		golden.Close(t, "values", fv, slow.V, 0, 0)
		// And back to Append.
		k := autograd.NoGrad(tensor.Randn(rng, 2, 3, 1, 4))
		kk, _ := fast.Append(k, k)
		require.Equal(t, slow.Len()+1, kk.Size(2))
		fast.Reset()
		require.Equal(t, 0, fast.Len())
	}
}
