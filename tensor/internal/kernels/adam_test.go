package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// adamNaive is optim.Adam's per-parameter loop as it was before AdamStep, the
// reference the kernel must match bit for bit; the float32 conversions only state the
// rounding the Go compiler applies on amd64 anyway.
func adamNaive(p, g, m, v []float32, c AdamCoeffs) {
	doDecay := c.Decoupled
	wd := c.WeightDecay
	if doDecay {
		wd = 0
	}
	for i, x := range g {
		if doDecay {
			p[i] *= c.Decay
		} else if wd != 0 {
			x += float32(wd * p[i])
		}
		m[i] = float32(m[i]*c.Beta1) + float32(c.OneMinusBeta1*x)
		v[i] = float32(v[i]*c.Beta2) + float32(float32(c.OneMinusBeta2*x)*x)
		d := float32(math.Sqrt(float64(v[i])))/c.BC2Sqrt + c.Eps
		p[i] += float32(c.NegStep*m[i]) / d
	}
}

// adamCoeffs returns the coefficients of step t with learning rate lr, computed as
// optim.Adam does.
func adamCoeffs(t int, lr, wd float64, decoupled bool) AdamCoeffs {
	const b1, b2 = 0.9, 0.999
	c := AdamCoeffs{
		Beta1: b1, OneMinusBeta1: float32(1 - b1), Beta2: b2, OneMinusBeta2: float32(1 - b2),
		NegStep:   float32(-(lr / (1 - math.Pow(b1, float64(t))))),
		BC2Sqrt:   float32(math.Sqrt(1 - math.Pow(b2, float64(t)))),
		Eps:       1e-8,
		Decoupled: decoupled,
	}
	if decoupled {
		c.Decay = float32(1 - lr*wd)
	} else {
		c.WeightDecay = float32(wd)
	}
	return c
}

// adamEdges are inputs at the edges of the arithmetic: signed zeros, subnormals, huge
// values, infinities and NaN.
var adamEdges = []float32{0, float32(math.Copysign(0, -1)), 1.4e-45, -1.4e-45, 1e-30, -3e38, 3e38, inf32, -inf32, nan32}

// adamFill fills s with normal(0, scale) values and, one in 50, an edge value; the
// second moment (nonneg) takes absolute values.
func adamFill(rng *rand.Rand, s []float32, scale float64, nonneg bool) {
	for i := range s {
		x := float32(rng.NormFloat64() * scale)
		if rng.IntN(50) == 0 {
			x = adamEdges[rng.IntN(len(adamEdges))]
		}
		if nonneg {
			x = float32(math.Abs(float64(x)))
		}
		s[i] = x
	}
}

// sameBits reports whether a and b are the same float32, any NaN equal to any NaN.
func sameBits(a, b float32) bool {
	if a != a || b != b {
		return a != a && b != b
	}
	return math.Float32bits(a) == math.Float32bits(b)
}

func TestAdamStepMatchesNaive(t *testing.T) {
	modes := []struct {
		name      string
		wd        float64
		decoupled bool
	}{
		{"adam", 0, false},
		{"adam-l2", 0.1, false},
		{"adamw", 0.01, true},
		{"adamw-nodecay", 0, true}, // Decay 1: p·1 must leave p as it is
	}
	lengths := []int{0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000, 2*adamGrain + 5, 100003}
	paths := []struct {
		name string
		vec  bool
	}{{"asm", true}, {"go", false}}
	for _, path := range paths {
		if path.vec && !hasVecMath() {
			continue
		}
		for _, mode := range modes {
			for _, n := range lengths {
				t.Run(fmt.Sprintf("%s/%s/n=%d", path.name, mode.name, n), func(t *testing.T) {
					defer func(old bool) { useVecMath = old }(useVecMath)
					useVecMath = path.vec
					rng := rand.New(rand.NewPCG(uint64(n), 7))
					var full [4][]float32
					var got, want [4][]float32
					for k, scale := range []float64{1, 0.1, 0.01, 1e-4} {
						got[k], full[k] = guardedSlice(rng, n, false)
						adamFill(rng, got[k], scale, k == 3)
						want[k] = append([]float32(nil), got[k]...)
					}
					for step := 1; step <= 3; step++ {
						c := adamCoeffs(step, 1e-3, mode.wd, mode.decoupled)
						AdamStep(got[0], got[1], got[2], got[3], c)
						adamNaive(want[0], want[1], want[2], want[3], c)
					}
					for k, name := range []string{"p", "g", "m", "v"} {
						for i := range n {
							if !sameBits(got[k][i], want[k][i]) {
								t.Fatalf("%s[%d] = %v (%#08x), want %v (%#08x)", name, i, got[k][i],
									math.Float32bits(got[k][i]), want[k][i], math.Float32bits(want[k][i]))
							}
						}
						requireGuards(t, full[k], n)
					}
				})
			}
		}
	}
}

func TestAdamStepShortSlicePanics(t *testing.T) {
	p := make([]float32, 9)
	require.Panics(t, func() { AdamStep(p, make([]float32, 9), make([]float32, 8), make([]float32, 9), AdamCoeffs{}) })
	require.Equal(t, make([]float32, 9), p, "nothing written before the panic")
}

func TestAdamStepAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops items under the race detector")
	}
	n := 4*adamGrain + 3
	p, g, m, v := make([]float32, n), make([]float32, n), make([]float32, n), make([]float32, n)
	c := adamCoeffs(1, 1e-3, 0.01, true)
	AdamStep(p, g, m, v, c)
	require.Zero(t, testing.AllocsPerRun(20, func() { AdamStep(p, g, m, v, c) }))
}

// BenchmarkAdamStep compares AdamStep (parallel, and on one goroutine) with the naive
// loop; the rate is parameters updated per second.
func BenchmarkAdamStep(b *testing.B) {
	for _, n := range []int{1 << 10, 1 << 14, 1 << 17, 1 << 20} {
		rng := rand.New(rand.NewPCG(1, 2))
		var s [4][]float32
		for k, scale := range []float64{1, 0.1, 0.01, 1e-4} {
			s[k] = make([]float32, n)
			for i := range s[k] {
				s[k][i] = float32(math.Abs(rng.NormFloat64() * scale))
			}
		}
		c := adamCoeffs(10, 1e-3, 0.01, true)
		impls := []struct {
			name string
			run  func()
		}{
			{"kernel", func() { AdamStep(s[0], s[1], s[2], s[3], c) }},
			{"serial", func() { adamStepSerial(s[0], s[1], s[2], s[3], &c) }},
			{"naive", func() { adamNaive(s[0], s[1], s[2], s[3], c) }},
		}
		for _, im := range impls {
			b.Run(fmt.Sprintf("%s/n=%d", im.name, n), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					im.run()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e6, "Mparams/s")
			})
		}
	}
}
