package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var reduceSizes = []int{0, 1, 7, 8, 9, 31, 32, 33, 255, 256, 257, 784, 3136}

// TestReductionsMatchGo checks the vector sums (float32 lanes over chunks, the chunks
// added in float64) against the float64 reference loops. The inputs sit between NaN
// guards, so a read past either end turns the result into NaN.
func TestReductionsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for _, n := range reduceSizes {
		g, _ := guardedSlice(rng, n, true)
		y, _ := guardedSlice(rng, n, true)
		for i := range g {
			g[i] += 3 // a mean well away from 0
		}
		tol := 1e-6 * float64(n+1) * 4
		sg, sgy := sumAndDot(g, y)
		wg, wgy := sumAndDotGo(g, y)
		require.InDelta(t, wg, sg, tol, "sumAndDot Σg n=%d", n)
		require.InDelta(t, wgy, sgy, tol, "sumAndDot Σgy n=%d", n)
		require.InDelta(t, sumFloat64Go(g), sumFloat64(g), tol, "sumFloat64 n=%d", n)
		m := wg / float64(max(n, 1))
		require.InDelta(t, sumSqDevGo(g, m), sumSqDev(g, m), tol, "sumSqDev n=%d", n)
	}
}

// TestNormLoopsMatchGo checks AxpbyC, NormAffine and normGrad against their Go loops
// within a rounding or two, and that they write nothing outside their outputs.
func TestNormLoopsMatchGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	const a, b, c = 1.5, -0.75, 0.25
	for _, n := range reduceSizes {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			x, _ := guardedSlice(rng, n, true)
			y, _ := guardedSlice(rng, n, true)
			near := func(name string, want, got []float32) {
				t.Helper()
				for i := range want {
					require.InDelta(t, want[i], got[i], 2e-6*(1+math.Abs(float64(want[i]))), "%s i=%d", name, i)
				}
			}

			d, dfull := guardedSlice(rng, n, false)
			want := make([]float32, n)
			axpbycGo(want, x, y, a, b, c)
			AxpbyC(d, x, y, a, b, c)
			requireGuards(t, dfull, n)
			near("AxpbyC", want, d)

			// In place, as GroupNormSiLUGrad scales dz.
			copy(d, x)
			AxpbyC(d, d, d, a, 0, 0)
			axpbycGo(want, x, x, a, 0, 0)
			near("AxpbyC in place", want, d)

			o, ofull := guardedSlice(rng, n, false)
			wantY, wantO := make([]float32, n), make([]float32, n)
			normAffineGo(wantY, wantO, x, 0.3, 1.7, a, b)
			NormAffine(d, o, x, 0.3, 1.7, a, b)
			requireGuards(t, dfull, n)
			requireGuards(t, ofull, n)
			near("NormAffine y", wantY, d)
			near("NormAffine out", wantO, o)

			normGradGo(want, x, y, 0.3, -0.2, 1.7)
			normGrad(d, x, y, 0.3, -0.2, 1.7)
			requireGuards(t, dfull, n)
			near("normGrad", want, d)
		})
	}
}

func BenchmarkNormLoops(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 3136 // one (sample, group) row of GroupNorm(8) over 32 channels of 28×28
	x, _ := guardedSlice(rng, n, true)
	y, _ := guardedSlice(rng, n, true)
	d := make([]float32, n)
	for _, k := range []struct {
		name      string
		vec, ref  func()
		readWrite int
	}{
		{"sumAndDot", func() { sumAndDot(x, y) }, func() { sumAndDotGo(x, y) }, 2},
		{"sumSqDev", func() { sumSqDev(x, 0.1) }, func() { sumSqDevGo(x, 0.1) }, 1},
		{"AxpbyC", func() { AxpbyC(d, x, y, 1, 2, 3) }, func() { axpbycGo(d, x, y, 1, 2, 3) }, 3},
		{"NormAffine", func() { NormAffine(d, y, x, 0.1, 2, 3, 4) }, func() { normAffineGo(d, y, x, 0.1, 2, 3, 4) }, 3},
		{"normGrad", func() { normGrad(d, x, y, 0.1, 0.2, 3) }, func() { normGradGo(d, x, y, 0.1, 0.2, 3) }, 3},
	} {
		for _, impl := range []struct {
			name string
			f    func()
		}{{"kernel", k.vec}, {"naive", k.ref}} {
			b.Run(k.name+"/"+impl.name, func(b *testing.B) {
				for b.Loop() {
					impl.f()
				}
				b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds()/1e9, "Gelem/s")
			})
		}
	}
}
