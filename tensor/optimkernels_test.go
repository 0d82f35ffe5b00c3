package tensor

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdamUpdate(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	cases := []struct {
		name string
		n    int
		c    AdamCoeffs
	}{
		{"adam", 37, AdamCoeffs{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, NegStep: -0.01, BC2Sqrt: 0.0316, Eps: 1e-8}},
		{"adam-l2", 100000, AdamCoeffs{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, NegStep: -0.01, BC2Sqrt: 0.0316, Eps: 1e-8, WeightDecay: 0.1}},
		{"adamw", 1000, AdamCoeffs{Beta1: 0.9, OneMinusBeta1: 0.1, Beta2: 0.999, OneMinusBeta2: 0.001, NegStep: -0.01, BC2Sqrt: 0.0316, Eps: 1e-8, Decay: 0.99, Decoupled: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var p, g, m, v [2][]float32
			for k := range 2 {
				p[k], g[k], m[k], v[k] = make([]float32, c.n), make([]float32, c.n), make([]float32, c.n), make([]float32, c.n)
			}
			for i := range c.n {
				p[0][i], g[0][i] = float32(rng.NormFloat64()), float32(rng.NormFloat64())
				m[0][i], v[0][i] = float32(rng.NormFloat64()*0.1), float32(rng.Float64()*0.01)
			}
			for _, s := range [][2][]float32{p, g, m, v} {
				copy(s[1], s[0])
			}
			AdamUpdate(p[0], g[0], m[0], v[0], c.c)
			// the update in float64, to about float32 precision
			for i := range c.n {
				pp, x := float64(p[1][i]), float64(g[1][i])
				if c.c.Decoupled {
					pp *= float64(c.c.Decay)
				} else {
					x += float64(c.c.WeightDecay) * pp
				}
				mm := float64(m[1][i])*float64(c.c.Beta1) + float64(c.c.OneMinusBeta1)*x
				vv := float64(v[1][i])*float64(c.c.Beta2) + float64(c.c.OneMinusBeta2)*x*x
				pp += float64(c.c.NegStep) * mm / (math.Sqrt(vv)/float64(c.c.BC2Sqrt) + float64(c.c.Eps))
				require.InDelta(t, mm, m[0][i], 1e-6*(1+math.Abs(mm)), "m[%d]", i)
				require.InDelta(t, vv, v[0][i], 1e-6*vv+1e-12, "v[%d]", i)
				require.InDelta(t, pp, p[0][i], 1e-5*(1+math.Abs(pp)), "p[%d]", i)
			}
			assert.Equal(t, g[1], g[0], "g is not written")
		})
	}
}

func TestAdamUpdatePanicsOnLengths(t *testing.T) {
	s := make([]float32, 4)
	err := Catch(func() { AdamUpdate(s, s, s[:3], s, AdamCoeffs{}) })
	require.EqualError(t, err, "tensor: AdamUpdate: lengths 4 (p), 4 (g), 3 (m) and 4 (v) differ")
}
