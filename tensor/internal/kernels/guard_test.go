package kernels

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// guard is the length of the NaN regions around slices handed to kernels in tests.
const guard = 16

// guardedSlice returns a slice of n values with NaN guard regions on both sides, and the
// full backing slice.
func guardedSlice(rng *rand.Rand, n int, fill bool) (s, full []float32) {
	full = make([]float32, n+2*guard)
	for i := range full {
		full[i] = float32(math.NaN())
	}
	s = full[guard : guard+n : guard+n]
	for i := range s {
		if fill {
			s[i] = float32(rng.NormFloat64())
		} else {
			s[i] = 0
		}
	}
	return s, full
}

func requireGuards(t *testing.T, full []float32, n int) {
	t.Helper()
	for i := 0; i < guard; i++ {
		require.True(t, math.IsNaN(float64(full[i])), "guard before slice written at %d", i)
		require.True(t, math.IsNaN(float64(full[guard+n+i])), "guard after slice written at %d", i)
	}
}
