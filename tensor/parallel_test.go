package tensor_test

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/genblocks/genblocks/tensor"
)

// Large broadcasting ops and permutes are split over the worker pool by inner rows;
// each piece must start at the right offsets.
func TestParallelSplitsMatchElementwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	a := tensor.Randn(rng, 64, 33, 40)
	b := tensor.Randn(rng, 33, 1)
	sum := tensor.Add(a, b)
	for i := 0; i < 64; i++ {
		for j := 0; j < 33; j++ {
			for k := 0; k < 40; k++ {
				require.Equal(t, a.At(i, j, k)+b.At(j, 0), sum.At(i, j, k))
			}
		}
	}
	cond := tensor.Gt(b, tensor.Scalar(0))
	w := tensor.Where(cond, a, tensor.Scalar(-1))
	p := tensor.Permute(a, 2, 0, 1)
	for i := 0; i < 64; i++ {
		for j := 0; j < 33; j++ {
			for k := 0; k < 40; k++ {
				want := float32(-1)
				if b.At(j, 0) > 0 {
					want = a.At(i, j, k)
				}
				require.Equal(t, want, w.At(i, j, k))
				require.Equal(t, a.At(i, j, k), p.At(k, i, j))
			}
		}
	}
}
