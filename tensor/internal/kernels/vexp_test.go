package kernels

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

var inf32 = float32(math.Inf(1))

// vecEdges are inputs at the boundaries of the fast paths: zeros, tiny values, Expf's
// clamps and overflow threshold, tanh's polynomial switch, infinities and NaN.
var vecEdges = []float32{
	0, float32(math.Copysign(0, -1)), 1e-30, -1e-30, 1.4e-45, -1.4e-45,
	88.7, -88.7, 88.72, 88.73, 88.8, 89, -89, 104, -104, -103.9, -110,
	0.625, -0.625, 0.6249999, -0.6249999, 0.4142135, 0.4142136, -0.8813736, 9.1, -9.1,
	20, -20, 1e13, -1e13, inf32, -inf32, nan32,
}

// vecInputs returns n inputs: normal(0, 6) values mixed with uniform values in
// [-110, 110] and, at random positions, the edge values.
func vecInputs(rng *rand.Rand, src []float32) {
	for i := range src {
		switch rng.IntN(4) {
		case 0:
			src[i] = vecEdges[rng.IntN(len(vecEdges))]
		case 1:
			src[i] = float32(rng.Float64()*220 - 110)
		default:
			src[i] = float32(rng.NormFloat64() * 6)
		}
	}
}

// ulpOf returns the float32 spacing at |w| (the smallest subnormal below the normals).
func ulpOf(w float64) float64 {
	a := float32(math.Abs(w))
	if math.IsInf(float64(a), 0) {
		return math.Inf(1)
	}
	return float64(math.Nextafter32(a, inf32) - a)
}

// closeTo reports whether got is within ulp units of float32 spacing of want, plus
// abs, treating NaN as equal to NaN and an infinity as equal only to itself.
func closeTo(got float32, want float64, ulp, abs float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(want) || math.IsNaN(g):
		return math.IsNaN(want) && math.IsNaN(g)
	case math.IsInf(float64(float32(want)), 0) || math.IsInf(g, 0):
		return float32(want) == got
	}
	return math.Abs(g-want) <= ulp*ulpOf(want)+abs
}

func sigmoid64(x float64) float64 {
	if x >= 0 {
		return 1 / (1 + math.Exp(-x))
	}
	e := math.Exp(x)
	return e / (1 + e)
}

// vecCase is one vector kernel with its float64 reference: want(x, t, g) for one
// element, and the allowed error in ulp of the result plus an absolute term (in
// units of 2⁻²⁴, scaled by the size of the terms that can cancel).
type vecCase struct {
	name string
	args int // 1: dst, src; 2: dst, x, g (or x, t); 3: dst, x, t, g
	run  func(dst []float32, in [][]float32)
	want func(x, t, g float64) float64
	ulp  float64
	abs  func(x, t, g float64) float64
	// input, if set, maps the random inputs to the values the kernel takes (the
	// forward output y for the gradients computed from it); want then takes those.
	input func(x float64) float64
}

// prepare applies c.input to the first input slice.
func (c vecCase) prepare(x []float32) {
	if c.input == nil {
		return
	}
	for i, v := range x {
		x[i] = float32(c.input(float64(v)))
	}
}

func vecCases() []vecCase {
	const eps = 1.0 / (1 << 24)
	const minNormal = 0x1p-126 // results below it may flush to 0
	none := func(x, t, g float64) float64 { return 0 }
	geluK := sqrt2overPi
	return []vecCase{
		{name: "exp", args: 1, run: func(d []float32, in [][]float32) { expSlice(d, in[0]) },
			want: func(x, _, _ float64) float64 { return math.Exp(x) }, ulp: 1,
			abs: func(x, _, _ float64) float64 { return 1.5e-45 }}, // subnormal results
		{name: "sigmoid", args: 1, run: func(d []float32, in [][]float32) { sigmoidSlice(d, in[0]) },
			want: func(x, _, _ float64) float64 { return sigmoid64(x) }, ulp: 3,
			abs: func(x, _, _ float64) float64 { return minNormal }}, // e**-x overflows below -88.7
		{name: "silu", args: 1, run: func(d []float32, in [][]float32) { siluSlice(d, in[0]) },
			want: func(x, _, _ float64) float64 { return x * sigmoid64(x) }, ulp: 3,
			abs: func(x, _, _ float64) float64 { return minNormal * math.Abs(x) }},
		{name: "tanh", args: 1, run: func(d []float32, in [][]float32) { tanhSlice(d, in[0]) },
			want: func(x, _, _ float64) float64 { return math.Tanh(x) }, ulp: 3, abs: none},
		{name: "gelutanh", args: 1, run: func(d []float32, in [][]float32) { geluTanhSlice(d, in[0]) },
			// 0.5x(1+tanh u) = x·σ(2u), which does not cancel for u ≪ 0.
			want: func(x, _, _ float64) float64 { return x * sigmoid64(2*geluK*(x+0.044715*x*x*x)) }, ulp: 4,
			// float32 u carries ~2 ulp, which e**-2u turns into |2u|·2 ulp relative.
			abs: func(x, _, _ float64) float64 {
				u2 := 2 * geluK * (x + 0.044715*x*x*x)
				return minNormal*math.Abs(x) + 4*eps*math.Abs(u2*x*sigmoid64(u2))
			}},
		{name: "silugrad", args: 2, run: func(d []float32, in [][]float32) { siluGradSlice(d, in[0], in[1]) },
			want: func(x, g, _ float64) float64 { s := sigmoid64(x); return g * s * (1 + x*(1-s)) }, ulp: 4,
			abs: func(x, g, _ float64) float64 { return 3 * eps * math.Abs(g) * (1 + math.Abs(x)*0.25) }},
		{name: "gelutanhgrad", args: 2, run: func(d []float32, in [][]float32) { geluTanhGradSlice(d, in[0], in[1]) },
			want: func(x, g, _ float64) float64 {
				u := geluK * (x + 0.044715*x*x*x)
				s, oms := sigmoid64(2*u), sigmoid64(-2*u) // (1±tanh u)/2
				return g * (s + 2*x*s*oms*geluK*(1+3*0.044715*x*x))
			}, ulp: 4,
			abs: func(x, g, _ float64) float64 { return 4 * eps * math.Abs(g) * (1 + math.Abs(x)) }},
		{name: "tanhgrad", args: 2, run: func(d []float32, in [][]float32) { tanhGradSlice(d, in[0], in[1]) },
			want: func(y, g, _ float64) float64 { return g * (1 - y*y) }, ulp: 2,
			abs: func(y, g, _ float64) float64 { return eps * math.Abs(g) }, input: math.Tanh},
		{name: "sigmoidgrad", args: 2, run: func(d []float32, in [][]float32) { sigmoidGradSlice(d, in[0], in[1]) },
			want: func(y, g, _ float64) float64 { return g * y * (1 - y) }, ulp: 2,
			abs: func(y, g, _ float64) float64 { return eps * math.Abs(g*y) }, input: sigmoid64},
		{name: "expgrad", args: 2, run: func(d []float32, in [][]float32) { expGradSlice(d, in[0], in[1]) },
			want: func(y, g, _ float64) float64 { return g * y }, ulp: 1, abs: none,
			input: func(x float64) float64 { return math.Exp(x / 8) }},
		{name: "bce", args: 2, run: func(d []float32, in [][]float32) { BCEWithLogits(d, in[0], in[1]) },
			want: func(x, t, _ float64) float64 { return math.Max(x, 0) - x*t + math.Log1p(math.Exp(-math.Abs(x))) }, ulp: 4,
			abs: func(x, t, _ float64) float64 { return 2 * eps * (math.Abs(x)*math.Abs(t) + math.Max(x, 0)) }},
		{name: "bcegrad", args: 3, run: func(d []float32, in [][]float32) { BCEWithLogitsGrad(d, in[0], in[1], in[2]) },
			want: func(x, t, g float64) float64 { return g * (sigmoid64(x) - t) }, ulp: 3,
			abs: func(x, t, g float64) float64 { return 2 * eps * math.Abs(g) }},
	}
}

// withVecMath runs f with the assembly loops switched on or off.
func withVecMath(on bool, f func()) {
	old := useVecMath
	useVecMath = on && hasVecMath()
	defer func() { useVecMath = old }()
	f()
}

// TestVecMathMatchesReference checks every vector kernel, and its Go twin, against the
// float64 formula over random and edge inputs, at lengths 0..37 (every tail) and
// longer, with NaN guards around all slices.
func TestVecMathMatchesReference(t *testing.T) {
	lengths := []int{1000, 4099}
	for n := 0; n <= 37; n++ {
		lengths = append(lengths, n)
	}
	for _, vec := range []bool{true, false} {
		for _, c := range vecCases() {
			t.Run(fmt.Sprintf("%s/vec=%v", c.name, vec), func(t *testing.T) {
				rng := rand.New(rand.NewPCG(11, uint64(len(c.name))))
				for _, n := range lengths {
					in := make([][]float32, c.args+1)
					fulls := make([][]float32, c.args+1)
					for a := range in {
						in[a], fulls[a] = guardedSlice(rng, n, true)
					}
					vecInputs(rng, in[0])
					c.prepare(in[0])
					if c.name == "bce" || c.name == "bcegrad" {
						for i := range in[1] {
							in[1][i] = rng.Float32() // targets in [0, 1]
						}
					}
					dst, full := in[c.args], fulls[c.args]
					withVecMath(vec, func() { c.run(dst, in[:c.args]) })
					for a := range fulls {
						requireGuards(t, fulls[a], n)
					}
					for i, x := range in[0] {
						var t2, t3 float64
						if c.args > 1 {
							t2 = float64(in[1][i])
						}
						if c.args > 2 {
							t3 = float64(in[2][i])
						}
						want := c.want(float64(x), t2, t3)
						if !closeTo(dst[i], want, c.ulp, c.abs(float64(x), t2, t3)) {
							t.Fatalf("n=%d: %s(%g, %g, %g) = %g, want %g (%.1f ulp)", n, c.name, x, t2, t3, dst[i], want,
								math.Abs(float64(dst[i])-want)/ulpOf(want))
						}
					}
					_ = full
				}
			})
		}
	}
}

// The vector exp is Expf up to the rounding of its FMAs: at most one ulp apart, and
// equal at the special values.
func TestVexpMatchesExpf(t *testing.T) {
	if !hasVecMath() {
		t.Skip("no AVX2+FMA kernels")
	}
	var xs []float32
	for b := uint64(0); b < 1<<32; b += 1 << 13 {
		xs = append(xs, math.Float32frombits(uint32(b)))
	}
	xs = append(xs, vecEdges...)
	got := make([]float32, len(xs))
	expSlice(got, xs)
	for i, x := range xs {
		want := Expf(x)
		if got[i] == want {
			continue
		}
		if math.IsNaN(float64(want)) {
			require.True(t, math.IsNaN(float64(got[i])), "vexp(%g)", x)
			continue
		}
		d := math.Abs(float64(got[i]) - float64(want))
		require.LessOrEqual(t, d, ulpOf(float64(want)), "vexp(%g) = %g, Expf %g", x, got[i], want)
	}
	for _, c := range []struct{ x, want float32 }{{0, 1}, {inf32, inf32}, {-inf32, 0}, {89, inf32}, {-104, 0}} {
		out := []float32{0}
		expSlice(out, []float32{c.x})
		require.Equal(t, c.want, out[0], "vexp(%g)", c.x)
	}
}

// log1pf over [0, 1], against math.Log1p.
func TestLog1pf(t *testing.T) {
	for b := math.Float32bits(1e-30); b <= math.Float32bits(1); b += 97 {
		x := math.Float32frombits(b)
		if !closeTo(log1pf(x), math.Log1p(float64(x)), 2, 0) {
			t.Fatalf("log1pf(%g) = %g, want %g", x, log1pf(x), math.Log1p(float64(x)))
		}
	}
	require.Equal(t, float32(0), log1pf(0))
	require.True(t, math.IsNaN(float64(log1pf(nan32))))
}

func TestExpSumMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 14))
	for _, vec := range []bool{true, false} {
		for n := 0; n <= 40; n++ {
			src, sfull := guardedSlice(rng, n, true)
			dst, dfull := guardedSlice(rng, n, false)
			var sum float64
			withVecMath(vec, func() { sum = expSum(dst, src, 0.7, 0.3) })
			requireGuards(t, sfull, n)
			requireGuards(t, dfull, n)
			var want float64
			for i, v := range src {
				e := math.Exp(float64(float32(0.7))*float64(v) - float64(float32(0.3)))
				want += float64(float32(e))
				require.True(t, closeTo(dst[i], e, 3, 0), "vec=%v n=%d exp(0.7·%g-0.3) = %g, want %g", vec, n, v, dst[i], e)
			}
			require.InDelta(t, want, sum, 1e-6*want+1e-12, "vec=%v n=%d sum", vec, n)
		}
	}
}

// Softmax and log-softmax rows (contiguous, so through expSum) against float64.
func TestSoftmaxRowsMatchReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(15, 16))
	for _, n := range []int{1, 5, 8, 65, 300, 700} {
		for _, log := range []bool{false, true} {
			src, sfull := guardedSlice(rng, n, true)
			for i := range src {
				src[i] *= 4
			}
			dst, dfull := guardedSlice(rng, n, false)
			SoftmaxStrided(dst, src, n, 1, log)
			requireGuards(t, sfull, n)
			requireGuards(t, dfull, n)
			m := math.Inf(-1)
			for _, v := range src {
				m = math.Max(m, float64(v))
			}
			var s float64
			for _, v := range src {
				s += math.Exp(float64(v) - m)
			}
			for i, v := range src {
				want := math.Exp(float64(v)-m) / s
				if log {
					want = float64(v) - m - math.Log(s)
					require.InDelta(t, want, float64(dst[i]), 4e-6*(1+math.Abs(want)), "log n=%d i=%d", n, i)
					continue
				}
				require.InDelta(t, want, float64(dst[i]), 2e-7*want+1e-9, "n=%d i=%d", n, i)
			}
			// In place, as callers may pass dst == src.
			cp := append([]float32(nil), src...)
			SoftmaxStrided(cp, cp, n, 1, log)
			require.Equal(t, dst, cp, "in place n=%d log=%v", n, log)
			if log {
				g, _ := guardedSlice(rng, n, true)
				dx, xfull := guardedSlice(rng, n, false)
				SoftmaxGrad(dx, dst, g, n, 1, true)
				requireGuards(t, xfull, n)
				var gs float64
				for _, v := range g {
					gs += float64(v)
				}
				for i := range dx {
					want := float64(g[i]) - math.Exp(float64(dst[i]))*gs
					require.InDelta(t, want, float64(dx[i]), 1e-5*(1+math.Abs(gs)), "log grad n=%d i=%d", n, i)
				}
			}
		}
	}
}

// benchVec reports ns per element for f over n elements.
func benchVec(b *testing.B, n int, f func()) {
	b.ReportAllocs()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/elem")
}

// BenchmarkVecMath compares each vector kernel with its scalar float32 Go loop over
// 64K elements: BenchmarkVecMath/silu/{scalar,vector}.
func BenchmarkVecMath(b *testing.B) {
	const n = 1 << 16
	rng := rand.New(rand.NewPCG(1, 2))
	in := make([][]float32, 3)
	for a := range in {
		in[a] = make([]float32, n)
		for i := range in[a] {
			in[a][i] = float32(rng.NormFloat64() * 3)
		}
	}
	for i := range in[1] {
		in[1][i] = rng.Float32()
	}
	dst := make([]float32, n)
	x := in[0]
	for _, c := range vecCases() {
		in[0] = append([]float32(nil), x...)
		c.prepare(in[0])
		for _, vec := range []bool{false, true} {
			name := map[bool]string{false: "scalar", true: "vector"}[vec]
			b.Run(c.name+"/"+name, func(b *testing.B) {
				if vec && !hasVecMath() {
					b.Skip("no AVX2+FMA kernels")
				}
				withVecMath(vec, func() { benchVec(b, n, func() { c.run(dst, in[:c.args]) }) })
			})
		}
	}
	for _, cols := range []int{65, 128, 1024} {
		for _, vec := range []bool{false, true} {
			name := map[bool]string{false: "scalar", true: "vector"}[vec]
			b.Run(fmt.Sprintf("softmax%d/%s", cols, name), func(b *testing.B) {
				if vec && !hasVecMath() {
					b.Skip("no AVX2+FMA kernels")
				}
				withVecMath(vec, func() {
					benchVec(b, n, func() {
						for r := 0; r < n; r += cols {
							hi := min(r+cols, n)
							SoftmaxStrided(dst[r:hi], in[0][r:hi], hi-r, 1, false)
						}
					})
				})
			})
		}
	}
}
