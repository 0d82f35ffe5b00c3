package kernels

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAccumulateStrided checks every stride case against the reference loop
// dst[i*sd] += src[i], with NaN guards around both slices.
func TestAccumulateStrided(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, n := range []int{0, 1, 7, 64, 131} {
		for _, sd := range []int{0, 1, 3} {
			t.Run(fmt.Sprintf("n=%d/sd=%d", n, sd), func(t *testing.T) {
				dn := max((n-1)*sd+1, 1)
				src, sfull := guardedSlice(rng, n, true)
				dst, dfull := guardedSlice(rng, dn, true)
				want := append([]float32(nil), dst...)
				if sd == 0 {
					var s float64
					for _, v := range src {
						s += float64(v)
					}
					want[0] += float32(s)
				} else {
					for i, v := range src {
						want[i*sd] += v
					}
				}
				AccumulateStrided(dst, sd, src)
				require.Equal(t, want, dst)
				requireGuards(t, sfull, n)
				requireGuards(t, dfull, dn)
			})
		}
	}
}
