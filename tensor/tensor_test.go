package tensor_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// f64 returns t's values as float64 for assert.InDeltaSlice.
func f64(t *tensor.Tensor) []float64 { return t.ToFloat64() }

// shape returns t's shape with a scalar's as []int{} (Shape may return nil for it).
func shape(t *tensor.Tensor) []int {
	if s := t.Shape(); s != nil {
		return s
	}
	return []int{}
}

func TestConstructors(t *testing.T) {
	cases := []struct {
		name  string
		got   *tensor.Tensor
		shape []int
		data  []float32
	}{
		{"Zeros", tensor.Zeros(2, 3), []int{2, 3}, []float32{0, 0, 0, 0, 0, 0}},
		{"New", tensor.New(3), []int{3}, []float32{0, 0, 0}},
		{"Ones", tensor.Ones(1, 2), []int{1, 2}, []float32{1, 1}},
		{"Full", tensor.Full(-2.5, 2, 1), []int{2, 1}, []float32{-2.5, -2.5}},
		{"Scalar", tensor.Scalar(7), []int{}, []float32{7}},
		{"NewScalar", tensor.New(), []int{}, []float32{0}},
		{"Empty", tensor.Zeros(2, 0, 3), []int{2, 0, 3}, []float32{}},
		{"FromSlice", tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 3, 2), []int{3, 2}, []float32{1, 2, 3, 4, 5, 6}},
		{"FromFloat64", tensor.FromFloat64([]float64{0.5, -1}, 2), []int{2}, []float32{0.5, -1}},
		{"Arange", tensor.Arange(0, 5, 1), []int{5}, []float32{0, 1, 2, 3, 4}},
		{"ArangeStep", tensor.Arange(1, 2, 0.25), []int{4}, []float32{1, 1.25, 1.5, 1.75}},
		{"ArangeNegativeStep", tensor.Arange(3, 0, -1), []int{3}, []float32{3, 2, 1}},
		{"ArangeEmpty", tensor.Arange(3, 0, 1), []int{0}, []float32{}},
		{"ArangeNonMultiple", tensor.Arange(0, 1, 0.3), []int{4}, []float32{0, 0.3, 0.6, 0.90000004}},
		{"Linspace", tensor.Linspace(0, 1, 5), []int{5}, []float32{0, 0.25, 0.5, 0.75, 1}},
		{"LinspaceDown", tensor.Linspace(2, -2, 3), []int{3}, []float32{2, 0, -2}},
		{"LinspaceOne", tensor.Linspace(3, 9, 1), []int{1}, []float32{3}},
		{"LinspaceZero", tensor.Linspace(3, 9, 0), []int{0}, []float32{}},
		{"Eye", tensor.Eye(3), []int{3, 3}, []float32{1, 0, 0, 0, 1, 0, 0, 0, 1}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			require.Equal(t, c.shape, shape(c.got))
			require.Equal(t, len(c.data), c.got.Numel())
			if len(c.data) > 0 {
				assert.Equal(t, c.data, c.got.Data())
			}
		})
	}
}

func TestLinspaceEndpointsExact(t *testing.T) {
	// The last value is stop itself, not start + (n-1)·step rounded.
	for _, n := range []int{2, 3, 7, 100, 1001} {
		l := tensor.Linspace(-0.3, 1.7, n)
		assert.Equal(t, float32(-0.3), l.At(0))
		assert.Equal(t, float32(1.7), l.At(-1), "n=%d", n)
	}
}

func TestFromSliceSharesStorage(t *testing.T) {
	d := []float32{1, 2, 3}
	x := tensor.FromSlice(d, 3)
	d[1] = 9
	assert.Equal(t, float32(9), x.At(1))
}

func TestRandomConstructors(t *testing.T) {
	const n = 200_000
	t.Run("Randn", func(t *testing.T) {
		x := tensor.Randn(rand.New(rand.NewPCG(1, 2)), n)
		mean := tensor.Mean(x, false).Item()
		v := tensor.Var(x, 0, false).Item()
		// Standard errors: 1/√n ≈ 0.0022 for the mean, √(2/n) ≈ 0.0032 for the variance.
		assert.InDelta(t, 0, mean, 0.01)
		assert.InDelta(t, 1, v, 0.015)
	})
	t.Run("Rand", func(t *testing.T) {
		x := tensor.Rand(rand.New(rand.NewPCG(3, 4)), -2, 6, n)
		lo, hi := tensor.Min(x, false).Item(), tensor.Max(x, false).Item()
		assert.GreaterOrEqual(t, lo, float32(-2))
		assert.Less(t, hi, float32(6))
		assert.InDelta(t, 2, tensor.Mean(x, false).Item(), 0.03)         // (lo+hi)/2
		assert.InDelta(t, 64.0/12, tensor.Var(x, 0, false).Item(), 0.05) // (hi-lo)²/12
	})
	t.Run("Bernoulli", func(t *testing.T) {
		for _, p := range []float32{0, 0.1, 0.5, 0.9, 1} {
			x := tensor.Bernoulli(rand.New(rand.NewPCG(5, 6)), p, n)
			ones, other := 0, 0
			for _, v := range x.Data() {
				switch v {
				case 1:
					ones++
				case 0:
				default:
					other++
				}
			}
			require.Zero(t, other, "values other than 0 and 1")
			// 5 standard errors of a rate: 5·√(p(1-p)/n) ≤ 0.0056.
			assert.InDelta(t, p, float64(ones)/n, 0.006, "p=%g", p)
		}
	})
	t.Run("Seeded", func(t *testing.T) {
		a := tensor.Randn(rand.New(rand.NewPCG(9, 9)), 4, 5)
		b := tensor.Randn(rand.New(rand.NewPCG(9, 9)), 4, 5)
		c := tensor.Randn(rand.New(rand.NewPCG(9, 10)), 4, 5)
		assert.Equal(t, a.Data(), b.Data())
		assert.NotEqual(t, a.Data(), c.Data())
	})
}

func TestCloneIndependent(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4}, 2, 2)
	c := x.Clone()
	c.Set(10, 0, 0)
	c.Data()[3] = 40
	assert.Equal(t, []float32{1, 2, 3, 4}, x.Data())
	assert.Equal(t, []float32{10, 2, 3, 40}, c.Data())
	// Shape is a copy too.
	s := x.Shape()
	s[0] = 7
	assert.Equal(t, []int{2, 2}, x.Shape())
}

func TestAccessors(t *testing.T) {
	x := tensor.Arange(0, 24, 1).Reshape(2, 3, 4)
	assert.Equal(t, 3, x.Dim())
	assert.Equal(t, 24, x.Numel())
	assert.Equal(t, 3, x.Size(1))
	assert.Equal(t, 4, x.Size(-1))
	assert.Equal(t, float32(23), x.At(1, 2, 3))
	assert.Equal(t, float32(23), x.At(-1, -1, -1))
	assert.Equal(t, float32(4), x.At(0, 1, 0))
	x.Set(-1, 1, 0, 2)
	assert.Equal(t, float32(-1), x.Data()[14])
	assert.Equal(t, float32(5), tensor.Full(5, 1, 1).Item())
	assert.True(t, tensor.SameShape(x, tensor.New(2, 3, 4)))
	assert.False(t, tensor.SameShape(x, tensor.New(2, 12)))
	assert.Equal(t, []float64{0, 1, 2}, tensor.Arange(0, 3, 1).ToFloat64())
	assert.Equal(t, []float32{3, 3}, tensor.New(2).Fill(3).Data())
}

func TestReshape(t *testing.T) {
	x := tensor.Arange(0, 24, 1)
	cases := []struct {
		in, want []int
	}{
		{[]int{2, 3, 4}, []int{2, 3, 4}},
		{[]int{-1, 4}, []int{6, 4}},
		{[]int{2, -1, 3}, []int{2, 4, 3}},
		{[]int{24, -1}, []int{24, 1}},
		{[]int{-1}, []int{24}},
		{[]int{1, 24, 1}, []int{1, 24, 1}},
	}
	for _, c := range cases {
		r := x.Reshape(c.in...)
		assert.Equal(t, c.want, r.Shape(), "Reshape%v", c.in)
		assert.Equal(t, x.Data(), r.Data())
	}
	// Reshape shares storage; View is Reshape.
	r := x.View(4, 6)
	r.Set(100, 0, 0)
	assert.Equal(t, float32(100), x.At(0))
	// A scalar and a one-element tensor reshape into each other.
	assert.Equal(t, []int{}, shape(tensor.Scalar(2).Reshape(1).Reshape()))
	// Zero elements.
	assert.Equal(t, []int{0, 3}, tensor.New(3, 0).Reshape(-1, 3).Shape())
}

func TestSqueezeUnsqueezeFlatten(t *testing.T) {
	x := tensor.Arange(0, 6, 1).Reshape(1, 2, 1, 3)
	assert.Equal(t, []int{2, 3}, x.Squeeze().Shape())
	assert.Equal(t, []int{2, 1, 3}, x.Squeeze(0).Shape())
	assert.Equal(t, []int{1, 2, 3}, x.Squeeze(-2).Shape())
	assert.Equal(t, []int{2, 3}, x.Squeeze(0, 2).Shape())
	assert.Equal(t, 0, tensor.New(1, 1).Squeeze().Dim())
	assert.Equal(t, 0, tensor.New(1).Squeeze(0).Dim())

	y := tensor.New(2, 3)
	assert.Equal(t, []int{1, 2, 3}, y.Unsqueeze(0).Shape())
	assert.Equal(t, []int{2, 1, 3}, y.Unsqueeze(1).Shape())
	assert.Equal(t, []int{2, 3, 1}, y.Unsqueeze(2).Shape())
	assert.Equal(t, []int{2, 3, 1}, y.Unsqueeze(-1).Shape())
	assert.Equal(t, []int{2, 1, 3}, y.Unsqueeze(-2).Shape())
	assert.Equal(t, []int{1}, tensor.Scalar(1).Unsqueeze(0).Shape())

	z := tensor.New(2, 3, 4, 5)
	assert.Equal(t, []int{120}, z.Flatten(0, -1).Shape())
	assert.Equal(t, []int{2, 60}, z.Flatten(1, 3).Shape())
	assert.Equal(t, []int{2, 12, 5}, z.Flatten(1, 2).Shape())
	assert.Equal(t, []int{2, 3, 4, 5}, z.Flatten(2, 2).Shape())
	assert.Equal(t, []int{1}, tensor.Scalar(1).Flatten(0, -1).Shape())

	// All three share storage.
	x.Squeeze().Set(50, 1, 2)
	assert.Equal(t, float32(50), x.At(0, 1, 0, 2))
}

// naivePermute is the reference: out[idx] = t[idx permuted back].
func naivePermute(x *tensor.Tensor, perm []int) []float32 {
	in := x.Shape()
	out := make([]int, len(perm))
	for i, p := range perm {
		out[i] = in[p]
	}
	res := make([]float32, 0, x.Numel())
	idx := make([]int, len(out))
	src := make([]int, len(in))
	for n := 0; n < x.Numel(); n++ {
		for i, p := range perm {
			src[p] = idx[i]
		}
		res = append(res, x.At(src...))
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

func TestPermuteTranspose(t *testing.T) {
	x := tensor.Arange(0, 120, 1).Reshape(2, 3, 4, 5)
	perms := [][]int{{0, 1, 2, 3}, {3, 2, 1, 0}, {0, 2, 1, 3}, {1, 0, 3, 2}, {2, 3, 0, 1}, {0, 1, 3, 2}, {-1, 0, 1, 2}}
	for _, p := range perms {
		got := tensor.Permute(x, p...)
		norm := make([]int, len(p))
		want := make([]int, len(p))
		for i, a := range p {
			if a < 0 {
				a += 4
			}
			norm[i] = a
			want[i] = x.Size(a)
		}
		require.Equal(t, want, got.Shape(), "perm %v", p)
		assert.Equal(t, naivePermute(x, norm), got.Data(), "perm %v", p)
	}
	// Permute copies.
	y := tensor.Permute(x, 1, 0, 2, 3)
	y.Set(-1, 0, 0, 0, 0)
	assert.Equal(t, float32(0), x.At(0, 0, 0, 0))

	m := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	assert.Equal(t, []int{3, 2}, m.T().Shape())
	assert.Equal(t, []float32{1, 4, 2, 5, 3, 6}, m.T().Data())
	assert.Equal(t, naivePermute(x, []int{0, 3, 2, 1}), tensor.Transpose(x, 1, -1).Data())
	assert.Equal(t, x.Data(), tensor.Transpose(x, 2, 2).Data())
	// Zero-size tensors permute to the right shape.
	assert.Equal(t, []int{3, 0}, tensor.Permute(tensor.New(0, 3), 1, 0).Shape())
}

func TestUnaryOps(t *testing.T) {
	x := tensor.FromSlice([]float32{-2, -0.5, 0, 0.5, 3}, 5)
	cases := []struct {
		name string
		got  *tensor.Tensor
		ref  func(float64) float64
	}{
		{"Neg", tensor.Neg(x), func(v float64) float64 { return -v }},
		{"Abs", tensor.Abs(x), math.Abs},
		{"Exp", tensor.Exp(x), math.Exp},
		{"Square", tensor.Square(x), func(v float64) float64 { return v * v }},
		{"Sin", tensor.Sin(x), math.Sin},
		{"Cos", tensor.Cos(x), math.Cos},
		{"Tanh", tensor.Tanh(x), math.Tanh},
		{"Sigmoid", tensor.Sigmoid(x), func(v float64) float64 { return 1 / (1 + math.Exp(-v)) }},
		{"ReLU", tensor.ReLU(x), func(v float64) float64 { return math.Max(v, 0) }},
		{"LeakyReLU", tensor.LeakyReLU(x, 0.1), func(v float64) float64 { return math.Max(v, 0.1*v) }},
		{"ELU", tensor.ELU(x, 2), func(v float64) float64 {
			if v > 0 {
				return v
			}
			return 2 * (math.Exp(v) - 1)
		}},
		{"SiLU", tensor.SiLU(x), func(v float64) float64 { return v / (1 + math.Exp(-v)) }},
		{"Softplus", tensor.Softplus(x, 1), func(v float64) float64 { return math.Log1p(math.Exp(v)) }},
		{"GELU", tensor.GELU(x), func(v float64) float64 { return 0.5 * v * (1 + math.Erf(v/math.Sqrt2)) }},
		{"Erf", tensor.Erf(x), math.Erf},
		{"Sign", tensor.Sign(x), func(v float64) float64 {
			switch {
			case v > 0:
				return 1
			case v < 0:
				return -1
			}
			return 0
		}},
		{"Step", tensor.Step(x), func(v float64) float64 {
			if v > 0 {
				return 1
			}
			return 0
		}},
		{"Clamp", tensor.Clamp(x, -1, 1), func(v float64) float64 { return math.Min(math.Max(v, -1), 1) }},
		{"Map", tensor.Map(x, func(v float32) float32 { return 2*v + 1 }), func(v float64) float64 { return 2*v + 1 }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := make([]float64, x.Numel())
			for i, v := range x.Data() {
				want[i] = c.ref(float64(v))
			}
			assert.InDeltaSlice(t, want, f64(c.got), 1e-6)
		})
	}
	p := tensor.FromSlice([]float32{0.25, 1, 4}, 3)
	assert.InDeltaSlice(t, []float64{-1.3862944, 0, 1.3862944}, f64(tensor.Log(p)), 1e-6)
	assert.InDeltaSlice(t, []float64{0.5, 1, 2}, f64(tensor.Sqrt(p)), 1e-7)
	assert.InDeltaSlice(t, []float64{2, 1, 0.5}, f64(tensor.Rsqrt(p)), 1e-7)
	// Ops do not modify their input.
	assert.Equal(t, []float32{-2, -0.5, 0, 0.5, 3}, x.Data())
}

func TestInPlace(t *testing.T) {
	x := tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	x.AddInPlace(tensor.FromSlice([]float32{10, 20, 30}, 3))
	assert.Equal(t, []float32{11, 22, 33, 14, 25, 36}, x.Data())
	x.AddInPlace(tensor.Ones(2, 3))
	assert.Equal(t, []float32{12, 23, 34, 15, 26, 37}, x.Data())
	x.ScaleInPlace(0.5)
	assert.Equal(t, []float32{6, 11.5, 17, 7.5, 13, 18.5}, x.Data())
	var err error
	require.NotPanics(t, func() { err = tensor.Catch(func() { x.AddInPlace(tensor.New(2, 2, 3)) }) })
	require.Error(t, err)
}
