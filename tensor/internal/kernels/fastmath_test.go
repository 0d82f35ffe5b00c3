package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// ulps returns the distance from got to want in units of the float32 spacing at want.
func ulps(got float32, want float64) float64 {
	w := float32(want)
	sp := float64(math.Nextafter32(w, float32(math.Inf(1))) - w)
	return math.Abs(float64(got)-want) / sp
}

func TestExpfAccuracy(t *testing.T) {
	// A sweep over the normal range in 2¹⁸ steps of the bit pattern.
	for b := uint64(0); b < 1<<32; b += 1 << 14 {
		x := math.Float32frombits(uint32(b))
		if x != x || x > 88.7 || x < -87 {
			continue
		}
		require.LessOrEqual(t, ulps(Expf(x), math.Exp(float64(x))), 1.0, "Expf(%g)", x)
	}
	for _, c := range []struct{ x, want float32 }{
		{0, 1}, {float32(math.Inf(1)), float32(math.Inf(1))}, {float32(math.Inf(-1)), 0},
		{89, float32(math.Inf(1))}, {-104, 0},
	} {
		require.Equal(t, c.want, Expf(c.x), "Expf(%g)", c.x)
	}
	require.True(t, math.IsNaN(float64(Expf(float32(math.NaN())))))
	// Subnormal results are within one subnormal step.
	for _, x := range []float32{-88, -95, -100, -103.5} {
		require.InDelta(t, math.Exp(float64(x)), float64(Expf(x)), 1.5e-45, "Expf(%g)", x)
	}
}

// The float32 forms of the unary ops must match the float64 reference (Apply).
func TestUnaryFastMatchesApply(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, op := range []UnOp{Exp, Sigmoid, SiLU, Tanh, GELUTanh, LeakyReLU, Step, ReLU} {
		t.Run(fmt.Sprint(op), func(t *testing.T) {
			n := 1000
			src, _ := guardedSlice(rng, n, true)
			for i := range src {
				src[i] *= 6
			}
			src[0], src[1], src[2] = 0, 40, -40
			dst, full := guardedSlice(rng, n, false)
			Unary(op, dst, src, 0.1)
			requireGuards(t, full, n)
			for i, v := range src {
				want := float64(op.Apply(v, 0.1))
				require.InDelta(t, want, float64(dst[i]), 2e-7+3e-7*math.Abs(want), "%v(%g)", op, v)
			}
			if HasUnaryGrad(op) {
				g, _ := guardedSlice(rng, n, true)
				got, gfull := guardedSlice(rng, n, false)
				UnaryGrad(op, got, src, dst, g, 0.1)
				requireGuards(t, gfull, n)
				for i, v := range src {
					if v == 0 {
						continue // a kink for ReLU and LeakyReLU
					}
					// Central difference of the float64 reference.
					h := 1e-3
					d := (float64(op.Apply(float32(float64(v)+h), 0.1)) - float64(op.Apply(float32(float64(v)-h), 0.1))) / (2 * h)
					require.InDelta(t, float64(g[i])*d, float64(got[i]), 1e-3*(1+math.Abs(float64(g[i])*d)), "%v'(%g)", op, v)
				}
			}
		})
	}
}

func scaledSoftmaxRef(src []float32, scale float32, valid int) []float64 {
	n := len(src)
	out := make([]float64, n)
	if valid == 0 {
		for i := range out {
			out[i] = 1 / float64(n)
		}
		return out
	}
	m := math.Inf(-1)
	for _, v := range src[:valid] {
		m = math.Max(m, float64(scale)*float64(v))
	}
	var s float64
	for i, v := range src[:valid] {
		out[i] = math.Exp(float64(scale)*float64(v) - m)
		s += out[i]
	}
	for i := range out[:valid] {
		out[i] /= s
	}
	return out
}

func TestScaledSoftmaxRowMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 7, 64, 129} {
		for _, valid := range []int{0, 1, n / 2, n} {
			src, _ := guardedSlice(rng, n, true)
			dst, full := guardedSlice(rng, n, false)
			ScaledSoftmaxRow(dst, src, 0.7, valid)
			requireGuards(t, full, n)
			want := scaledSoftmaxRef(src, 0.7, valid)
			for i := range dst {
				require.InDelta(t, want[i], float64(dst[i]), 1e-6, "n=%d valid=%d i=%d", n, valid, i)
			}
			g, _ := guardedSlice(rng, n, true)
			dx, dfull := guardedSlice(rng, n, false)
			ScaledSoftmaxRowGrad(dx, dst, g, 0.7, valid)
			requireGuards(t, dfull, n)
			var dot float64
			for i := 0; i < valid; i++ {
				dot += want[i] * float64(g[i])
			}
			for i := range dx {
				w := 0.0
				if i < valid {
					w = 0.7 * want[i] * (float64(g[i]) - dot)
				}
				require.InDelta(t, w, float64(dx[i]), 1e-6, "grad n=%d valid=%d i=%d", n, valid, i)
			}
		}
	}
}

func TestAttendRowMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ d, ld, n int }{{4, 4, 1}, {8, 8, 13}, {32, 40, 100}, {5, 5, 0}} {
		q, _ := guardedSlice(rng, c.d, true)
		k, _ := guardedSlice(rng, max(c.n, 1)*c.ld, true)
		v, _ := guardedSlice(rng, max(c.n, 1)*c.ld, true)
		out, full := guardedSlice(rng, c.d, false)
		scores, sfull := guardedSlice(rng, c.n, false)
		AttendRow(out, q, k, v, c.ld, c.n, 0.3, scores)
		requireGuards(t, full, c.d)
		requireGuards(t, sfull, c.n)
		s := make([]float32, c.n)
		for j := range s {
			var acc float64
			for i := 0; i < c.d; i++ {
				acc += float64(q[i]) * float64(k[j*c.ld+i])
			}
			s[j] = float32(acc)
		}
		p := scaledSoftmaxRef(s, 0.3, c.n)
		for i := 0; i < c.d; i++ {
			var want float64
			for j := 0; j < c.n; j++ {
				want += p[j] * float64(v[j*c.ld+i])
			}
			require.InDelta(t, want, float64(out[i]), 2e-6, "%+v i=%d", c, i)
		}
	}
}

func TestParallelRangeCovers(t *testing.T) {
	for _, c := range []struct{ n, grain int }{{0, 1}, {1, 1}, {10, 1}, {1000, 7}, {5, 100}} {
		seen := make([]int32, c.n)
		ParallelRange(c.n, c.grain, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				seen[i]++
			}
		})
		for i, s := range seen {
			require.Equal(t, int32(1), s, "n=%d grain=%d index %d", c.n, c.grain, i)
		}
	}
}

func BenchmarkExp(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 4096)
	for i := range x {
		x[i] = float32(rng.NormFloat64() * 5)
	}
	y := make([]float32, len(x))
	b.Run("Expf", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Unary(Exp, y, x, 0)
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, v := range x {
				y[i] = Exp.Apply(v, 0)
			}
		}
	})
	b.Run("GELUTanh", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			Unary(GELUTanh, y, x, 0)
		}
	})
	b.Run("GELUTanh_naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, v := range x {
				y[i] = GELUTanh.Apply(v, 0)
			}
		}
	})
}

func BenchmarkScaledSoftmaxRow(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, 128)
	for i := range x {
		x[i] = float32(rng.NormFloat64())
	}
	y := make([]float32, len(x))
	b.Run("fused", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			ScaledSoftmaxRow(y, x, 0.2, 128)
		}
	})
	b.Run("naive", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for i, v := range x {
				y[i] = v * 0.2
			}
			SoftmaxStrided(y, y, 128, 1, false)
		}
	})
}
