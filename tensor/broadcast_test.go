package tensor_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBroadcastShapes(t *testing.T) {
	cases := []struct {
		in   [][]int
		want []int // nil: incompatible
	}{
		{[][]int{{2, 3}, {2, 3}}, []int{2, 3}},
		{[][]int{{2, 3, 4}, {3, 1}}, []int{2, 3, 4}},
		{[][]int{{4, 1, 3}, {1, 5, 1}}, []int{4, 5, 3}},
		{[][]int{{}, {3}}, []int{3}},
		{[][]int{{3}, {}}, []int{3}},
		{[][]int{{}, {}}, []int{}},
		{[][]int{{1}, {5, 4}}, []int{5, 4}},
		{[][]int{{8, 1, 6, 1}, {7, 1, 5}}, []int{8, 7, 6, 5}}, // NumPy docs example
		{[][]int{{0, 1}, {1, 4}}, []int{0, 4}},
		{[][]int{{2, 1, 4}, {1, 3, 1}, {3, 4}}, []int{2, 3, 4}},
		{[][]int{{2, 3}, {3, 2}}, nil},
		{[][]int{{3}, {4}}, nil},
		{[][]int{{2, 1}, {8, 4, 3}}, nil},
		{[][]int{{0}, {2}}, nil},
		{[][]int{{2, 3}, {3}, {2, 1, 4}}, nil},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.in), func(t *testing.T) {
			if c.want == nil {
				err := tensor.Catch(func() { tensor.BroadcastShapes("Op", c.in...) })
				require.Error(t, err)
				var te *tensor.Error
				require.ErrorAs(t, err, &te)
				assert.Equal(t, "Op", te.Op)
				for _, s := range c.in {
					assert.Contains(t, err.Error(), tensor.ShapeString(s))
				}
				return
			}
			assert.Equal(t, c.want, tensor.BroadcastShapes("Op", c.in...))
		})
	}
}

// bcastIndex maps a multi-index of out to the flat index of shape broadcast to out.
func bcastIndex(idx, shape, out []int) int {
	off := len(out) - len(shape)
	flat := 0
	for i, d := range shape {
		v := idx[off+i]
		if d == 1 {
			v = 0
		}
		flat = flat*d + v
	}
	return flat
}

// naiveBroadcast computes f elementwise over inputs broadcast to out, one index at a time.
func naiveBroadcast(out []int, f func(vals []float32) float32, ins ...*tensor.Tensor) []float32 {
	n := 1
	for _, d := range out {
		n *= d
	}
	res := make([]float32, n)
	idx := make([]int, len(out))
	vals := make([]float32, len(ins))
	for k := 0; k < n; k++ {
		for j, in := range ins {
			vals[j] = in.Data()[bcastIndex(idx, in.Shape(), out)]
		}
		res[k] = f(vals)
		for ax := len(out) - 1; ax >= 0; ax-- {
			idx[ax]++
			if idx[ax] < out[ax] {
				break
			}
			idx[ax] = 0
		}
	}
	return res
}

func b2f(b bool) float32 {
	if b {
		return 1
	}
	return 0
}

func TestBinaryOpsBroadcast(t *testing.T) {
	ops := []struct {
		name string
		f    func(a, b *tensor.Tensor) *tensor.Tensor
		ref  func(a, b float32) float32
	}{
		{"Add", tensor.Add, func(a, b float32) float32 { return a + b }},
		{"Sub", tensor.Sub, func(a, b float32) float32 { return a - b }},
		{"Mul", tensor.Mul, func(a, b float32) float32 { return a * b }},
		{"Div", tensor.Div, func(a, b float32) float32 { return a / b }},
		{"Pow", func(a, b *tensor.Tensor) *tensor.Tensor { return tensor.Pow(tensor.Abs(a), b) },
			func(a, b float32) float32 { return float32(math.Pow(math.Abs(float64(a)), float64(b))) }},
		{"Maximum", tensor.Maximum, func(a, b float32) float32 { return max(a, b) }},
		{"Minimum", tensor.Minimum, func(a, b float32) float32 { return min(a, b) }},
		{"Eq", tensor.Eq, func(a, b float32) float32 { return b2f(a == b) }},
		{"Ne", tensor.Ne, func(a, b float32) float32 { return b2f(a != b) }},
		{"Lt", tensor.Lt, func(a, b float32) float32 { return b2f(a < b) }},
		{"Le", tensor.Le, func(a, b float32) float32 { return b2f(a <= b) }},
		{"Gt", tensor.Gt, func(a, b float32) float32 { return b2f(a > b) }},
		{"Ge", tensor.Ge, func(a, b float32) float32 { return b2f(a >= b) }},
	}
	pairs := [][2][]int{
		{{2, 3, 4}, {2, 3, 4}},
		{{2, 3, 4}, {3, 1}},
		{{3, 1}, {2, 3, 4}},
		{{4, 1, 3}, {1, 5, 1}},
		{{}, {3}},
		{{2, 3}, {}},
		{{2, 1, 3, 1}, {4, 1, 5}},
		{{5}, {3, 1}},
		{{1, 1}, {1}},
		{{0, 3}, {3}},
		{{2, 1, 7}, {2, 5, 7}},
	}
	rng := rand.New(rand.NewPCG(1, 1))
	for _, p := range pairs {
		// Small integers so that comparisons see ties.
		a := tensor.Map(tensor.Rand(rng, -3, 3, p[0]...), func(v float32) float32 { return float32(math.Round(float64(v))) })
		b := tensor.Map(tensor.Rand(rng, -3, 3, p[1]...), func(v float32) float32 { return float32(math.Round(float64(v))) + 0.5 })
		b.Data()[0] = 1 // at least one tie with an integer
		out := tensor.BroadcastShapes("test", p[0], p[1])
		for _, op := range ops {
			t.Run(fmt.Sprintf("%s%v%v", op.name, p[0], p[1]), func(t *testing.T) {
				got := op.f(a, b)
				require.Equal(t, out, shape(got))
				want := naiveBroadcast(out, func(v []float32) float32 { return op.ref(v[0], v[1]) }, a, b)
				assert.InDeltaSlice(t, toF64(want), f64(got), 1e-6)
			})
		}
	}
}

func toF64(x []float32) []float64 {
	out := make([]float64, len(x))
	for i, v := range x {
		out[i] = float64(v)
	}
	return out
}

func TestMaximumMinimumNaN(t *testing.T) {
	nan := float32(math.NaN())
	a := tensor.FromSlice([]float32{nan, 1, 2}, 3)
	b := tensor.FromSlice([]float32{0, nan, 1}, 3)
	for name, got := range map[string]*tensor.Tensor{"Maximum": tensor.Maximum(a, b), "Minimum": tensor.Minimum(a, b)} {
		d := got.Data()
		assert.True(t, math.IsNaN(float64(d[0])), name)
		assert.True(t, math.IsNaN(float64(d[1])), name)
	}
	assert.Equal(t, float32(2), tensor.Maximum(a, b).At(2))
	assert.Equal(t, float32(1), tensor.Minimum(a, b).At(2))
}

func TestScalarOps(t *testing.T) {
	x := tensor.FromSlice([]float32{1, -2, 3}, 3)
	assert.Equal(t, []float32{3.5, 0.5, 5.5}, x.AddScalar(2.5).Data())
	assert.Equal(t, []float32{-2, 4, -6}, x.MulScalar(-2).Data())
	assert.Equal(t, []float32{1, -2, 3}, x.Data())
}

func TestWhere(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	cases := [][3][]int{
		{{2, 3}, {2, 3}, {2, 3}},
		{{2, 1, 4}, {3, 4}, {2, 3, 1}},
		{{}, {3}, {2, 1}},
		{{4}, {}, {}},
	}
	for _, c := range cases {
		cond := tensor.Bernoulli(rng, 0.5, c[0]...)
		a, b := tensor.Randn(rng, c[1]...), tensor.Randn(rng, c[2]...)
		got := tensor.Where(cond, a, b)
		out := tensor.BroadcastShapes("test", c[0], c[1], c[2])
		require.Equal(t, out, shape(got))
		want := naiveBroadcast(out, func(v []float32) float32 {
			if v[0] != 0 {
				return v[1]
			}
			return v[2]
		}, cond, a, b)
		assert.Equal(t, want, got.Data(), "%v", c)
	}
	// Any nonzero condition, including NaN and negative values, selects a.
	cond := tensor.FromSlice([]float32{-1, 0, float32(math.NaN()), 0.5}, 4)
	assert.Equal(t, []float32{1, 0, 1, 1}, tensor.Where(cond, tensor.Ones(4), tensor.Zeros(4)).Data())
}

func TestBroadcastToExpand(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3}, 3, 1)
	got := x.BroadcastTo(2, 3, 2)
	require.Equal(t, []int{2, 3, 2}, got.Shape())
	assert.Equal(t, []float32{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}, got.Data())
	assert.Equal(t, []int{3, 4}, x.Expand(-1, 4).Shape())
	assert.Equal(t, []int{2, 3, 4}, x.Expand(2, -1, 4).Shape())
	assert.Equal(t, x.Data(), x.BroadcastTo(3, 1).Data())

	for _, bad := range [][]int{{2, 2}, {1}, {3, 0, 2}} {
		err := tensor.Catch(func() { x.BroadcastTo(bad...) })
		require.Error(t, err, "BroadcastTo%v", bad)
		var te *tensor.Error
		require.ErrorAs(t, err, &te)
	}
	require.Error(t, tensor.Catch(func() { x.Expand(-1, 3, 1) }))
}

func TestSumTo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	cases := []struct {
		from, to []int
	}{
		{[]int{2, 3, 4}, []int{2, 3, 4}},
		{[]int{2, 3, 4}, []int{3, 1}},
		{[]int{2, 3, 4}, []int{4}},
		{[]int{2, 3, 4}, []int{1, 3, 1}},
		{[]int{2, 3, 4}, []int{2, 1, 4}},
		{[]int{2, 3, 4}, []int{}},
		{[]int{2, 3, 4}, []int{1, 1, 1}},
		{[]int{4, 5, 3}, []int{4, 1, 3}},
		{[]int{4, 5, 3}, []int{5, 1}},
		{[]int{3}, []int{1}},
		{[]int{0, 3}, []int{3}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.from, "->", c.to), func(t *testing.T) {
			x := tensor.Randn(rng, c.from...)
			got := x.SumTo(c.to...)
			require.Equal(t, c.to, shape(got))
			// Reference: accumulate every element of x into its broadcast source.
			want := make([]float64, got.Numel())
			idx := make([]int, len(c.from))
			for k := 0; k < x.Numel(); k++ {
				want[bcastIndex(idx, c.to, c.from)] += float64(x.Data()[k])
				for ax := len(idx) - 1; ax >= 0; ax-- {
					idx[ax]++
					if idx[ax] < c.from[ax] {
						break
					}
					idx[ax] = 0
				}
			}
			assert.InDeltaSlice(t, want, f64(got), 1e-5)
			// SumTo of the same shape is a copy.
			if len(c.from) == len(c.to) && x.Numel() == got.Numel() {
				got.Data()[0]++
				assert.NotEqual(t, got.Data()[0], x.Data()[0])
			}
		})
	}
}

// SumTo to a shape that does not broadcast to t's shape must panic with a
// *tensor.Error naming both shapes, including when the target has more axes than t.
func TestSumToBadShape(t *testing.T) {
	cases := []struct {
		from, to []int
	}{
		{[]int{2, 3}, []int{3, 3}},
		{[]int{2, 3}, []int{2}},
		{[]int{3}, []int{1, 3}},
		{[]int{3}, []int{3, 3}}, // more axes than t whose leading size matches t's
		{[]int{2, 3}, []int{4, 2, 3}},
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.from, "->", c.to), func(t *testing.T) {
			var err error
			require.NotPanics(t, func() { err = tensor.Catch(func() { tensor.New(c.from...).SumTo(c.to...) }) })
			var te *tensor.Error
			require.ErrorAs(t, err, &te)
			assert.Equal(t, "SumTo", te.Op)
			assert.Contains(t, err.Error(), tensor.ShapeString(c.from))
			assert.Contains(t, err.Error(), tensor.ShapeString(c.to))
		})
	}
}

// TestSumToLarge covers the sums big enough to be split over the worker pool: by
// columns, by rows with outputs of their own, and into partial sums.
func TestSumToLarge(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	cases := []struct {
		from, to []int
	}{
		{[]int{512, 128}, []int{128}},         // bias gradient: partial sums
		{[]int{8, 256, 64}, []int{64}},        // partial sums, two reduced axes
		{[]int{2, 40000}, []int{1, 40000}},    // columns, wide output
		{[]int{256, 128}, []int{256, 1}},      // row sums: rows
		{[]int{64, 64, 16}, []int{64, 1, 1}},  // rows after merging axes
		{[]int{8, 64, 128}, []int{1, 64, 1}},  // partial sums
		{[]int{4, 20000, 2}, []int{20000, 1}}, // partial sums, large output
		{[]int{3, 20000, 2}, []int{20000, 1}}, // one goroutine: too large for partial sums
		{[]int{300, 300}, []int{}},            // everything
	}
	for _, c := range cases {
		t.Run(fmt.Sprint(c.from, "->", c.to), func(t *testing.T) {
			x := tensor.Randn(rng, c.from...)
			got := x.SumTo(c.to...)
			require.Equal(t, c.to, shape(got))
			want := make([]float64, got.Numel())
			idx := make([]int, len(c.from))
			for k := 0; k < x.Numel(); k++ {
				want[bcastIndex(idx, c.to, c.from)] += float64(x.Data()[k])
				for ax := len(idx) - 1; ax >= 0; ax-- {
					idx[ax]++
					if idx[ax] < c.from[ax] {
						break
					}
					idx[ax] = 0
				}
			}
			for i, w := range want {
				require.False(t, math.IsNaN(float64(got.Data()[i])), "NaN at %d", i)
				require.InDelta(t, w, float64(got.Data()[i]), 1e-3, "at %d", i)
			}
		})
	}
}
