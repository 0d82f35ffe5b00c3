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

// naiveReduce folds x over the axes (all when none) in float64 with f, starting each
// output from init, and returns the kept-dimension shape and values.
func naiveReduce(x *tensor.Tensor, axes []int, init float64, f func(acc, v float64) float64) ([]int, []float64) {
	in := x.Shape()
	red := make([]bool, len(in))
	for _, a := range axes {
		if a < 0 {
			a += len(in)
		}
		red[a] = true
	}
	if len(axes) == 0 {
		for i := range red {
			red[i] = true
		}
	}
	ks := make([]int, len(in))
	n := 1
	for i, d := range in {
		ks[i] = d
		if red[i] {
			ks[i] = 1
		}
		n *= ks[i]
	}
	out := make([]float64, n)
	for i := range out {
		out[i] = init
	}
	idx := make([]int, len(in))
	for k := 0; k < x.Numel(); k++ {
		o := bcastIndex(idx, ks, in)
		out[o] = f(out[o], float64(x.Data()[k]))
		for ax := len(idx) - 1; ax >= 0; ax-- {
			idx[ax]++
			if idx[ax] < in[ax] {
				break
			}
			idx[ax] = 0
		}
	}
	return ks, out
}

func squeezed(ks []int, axes []int, nd int) []int {
	red := make([]bool, nd)
	for _, a := range axes {
		if a < 0 {
			a += nd
		}
		red[a] = true
	}
	s := []int{}
	for i, d := range ks {
		if !red[i] && len(axes) > 0 {
			s = append(s, d)
		}
	}
	return s
}

func TestReductions(t *testing.T) {
	x := tensor.Randn(rand.New(rand.NewPCG(4, 4)), 2, 3, 4)
	ops := []struct {
		name string
		f    func(x *tensor.Tensor, keep bool, axes ...int) *tensor.Tensor
		ref  func(x *tensor.Tensor, axes []int) ([]int, []float64)
	}{
		{"Sum", tensor.Sum, func(x *tensor.Tensor, axes []int) ([]int, []float64) {
			return naiveReduce(x, axes, 0, func(a, v float64) float64 { return a + v })
		}},
		{"Mean", tensor.Mean, func(x *tensor.Tensor, axes []int) ([]int, []float64) {
			ks, s := naiveReduce(x, axes, 0, func(a, v float64) float64 { return a + v })
			n := float64(x.Numel() / len(s))
			for i := range s {
				s[i] /= n
			}
			return ks, s
		}},
		{"Max", tensor.Max, func(x *tensor.Tensor, axes []int) ([]int, []float64) {
			return naiveReduce(x, axes, math.Inf(-1), math.Max)
		}},
		{"Min", tensor.Min, func(x *tensor.Tensor, axes []int) ([]int, []float64) {
			return naiveReduce(x, axes, math.Inf(1), math.Min)
		}},
		{"LogSumExp", tensor.LogSumExp, func(x *tensor.Tensor, axes []int) ([]int, []float64) {
			ks, s := naiveReduce(x, axes, 0, func(a, v float64) float64 { return a + math.Exp(v) })
			for i := range s {
				s[i] = math.Log(s[i])
			}
			return ks, s
		}},
	}
	axesList := [][]int{nil, {0}, {1}, {2}, {-1}, {0, 2}, {2, 0}, {0, 1, 2}, {-3, -2}}
	for _, op := range ops {
		for _, axes := range axesList {
			for _, keep := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s%v_keep%v", op.name, axes, keep), func(t *testing.T) {
					got := op.f(x, keep, axes...)
					ks, want := op.ref(x, axes)
					if keep {
						require.Equal(t, ks, got.Shape())
					} else {
						require.Equal(t, squeezed(ks, axes, 3), shape(got))
					}
					assert.InDeltaSlice(t, want, f64(got), 1e-5)
				})
			}
		}
	}
}

func TestVarStd(t *testing.T) {
	x := tensor.Randn(rand.New(rand.NewPCG(5, 5)), 3, 4, 5)
	for _, axes := range [][]int{nil, {1}, {-1}, {0, 2}} {
		for _, corr := range []int{0, 1} {
			t.Run(fmt.Sprintf("%v_c%d", axes, corr), func(t *testing.T) {
				ks, sum := naiveReduce(x, axes, 0, func(a, v float64) float64 { return a + v })
				n := x.Numel() / len(sum)
				mean := make([]float64, len(sum))
				for i := range sum {
					mean[i] = sum[i] / float64(n)
				}
				// Σ (x - mean)² with the mean of each x's group.
				sq := make([]float64, len(sum))
				idx := make([]int, 3)
				in := x.Shape()
				for k, v := range x.Data() {
					o := bcastIndex(idx, ks, in)
					d := float64(v) - mean[o]
					sq[o] += d * d
					for ax := 2; ax >= 0; ax-- {
						idx[ax]++
						if idx[ax] < in[ax] {
							break
						}
						idx[ax] = 0
					}
					_ = k
				}
				wantVar := make([]float64, len(sq))
				wantStd := make([]float64, len(sq))
				for i := range sq {
					wantVar[i] = sq[i] / float64(n-corr)
					wantStd[i] = math.Sqrt(wantVar[i])
				}
				v := tensor.Var(x, corr, true, axes...)
				require.Equal(t, ks, v.Shape())
				assert.InDeltaSlice(t, wantVar, f64(v), 1e-5)
				s := tensor.Std(x, corr, false, axes...)
				require.Equal(t, squeezed(ks, axes, 3), shape(s))
				assert.InDeltaSlice(t, wantStd, f64(s), 1e-5)
			})
		}
	}
	// A single element has variance 0 without and NaN with Bessel's correction, as
	// in PyTorch.
	one := tensor.Full(3, 1)
	assert.Equal(t, float32(0), tensor.Var(one, 0, false).Item())
	assert.True(t, math.IsNaN(float64(tensor.Var(one, 1, false).Item())))
}

func TestReduceSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	nan := float32(math.NaN())
	x := tensor.FromSlice([]float32{
		-inf, -inf, -inf,
		1, inf, 2,
		0, nan, 5,
	}, 3, 3)
	lse := tensor.LogSumExp(x, false, 1).Data()
	assert.True(t, math.IsInf(float64(lse[0]), -1), "logsumexp of all -Inf is -Inf")
	assert.True(t, math.IsInf(float64(lse[1]), 1), "logsumexp with +Inf is +Inf")
	assert.True(t, math.IsNaN(float64(lse[2])), "NaN propagates")
	mx := tensor.Max(x, false, 1).Data()
	assert.Equal(t, []float32{-inf, inf}, mx[:2])
	assert.True(t, math.IsNaN(float64(mx[2])), "Max: NaN wins")
	mn := tensor.Min(x, false, 1).Data()
	assert.True(t, math.IsNaN(float64(mn[2])), "Min: NaN wins")

	// Large but finite values: no overflow.
	big := tensor.FromSlice([]float32{1e4, 1e4, -1e4}, 3)
	assert.InDelta(t, 1e4+math.Ln2, float64(tensor.LogSumExp(big, false).Item()), 1e-3)
	assert.InDeltaSlice(t, []float64{0.5, 0.5, 0}, f64(tensor.Softmax(big, 0)), 1e-7)
	assert.InDeltaSlice(t, []float64{-math.Ln2, -math.Ln2, -2e4 - math.Ln2}, f64(tensor.LogSoftmax(big, 0)), 1e-3)
}

func TestArgMaxArgMin(t *testing.T) {
	nan := float32(math.NaN())
	cases := []struct {
		name     string
		x        *tensor.Tensor
		axis     int
		max, min []float32
		shape    []int
	}{
		{"row", tensor.FromSlice([]float32{3, 1, 4, 1, 5, 9, 2, 6}, 8), 0, []float32{5}, []float32{1}, []int{}},
		{"ties_first", tensor.FromSlice([]float32{2, 7, 7, 0, 0, 1}, 6), 0, []float32{1}, []float32{3}, []int{}},
		{"nan_first_wins", tensor.FromSlice([]float32{1, nan, 3, nan}, 4), 0, []float32{1}, []float32{1}, []int{}},
		{"nan_at_start", tensor.FromSlice([]float32{nan, 5, -5}, 3), 0, []float32{0}, []float32{0}, []int{}},
		{"axis0", tensor.FromSlice([]float32{1, 5, 3, 4, 2, 3}, 2, 3), 0, []float32{1, 0, 0}, []float32{0, 1, 0}, []int{3}},
		{"axis1", tensor.FromSlice([]float32{1, 5, 3, 4, 2, 6}, 2, 3), 1, []float32{1, 2}, []float32{0, 1}, []int{2}},
		{"axis_neg", tensor.FromSlice([]float32{1, 5, 3, 4, 2, 6}, 2, 3), -1, []float32{1, 2}, []float32{0, 1}, []int{2}},
		{"middle_axis", tensor.FromSlice([]float32{
			0, 9, 1, 1,
			5, 2, 1, 3,
			5, 2, 0, 3,
		}, 1, 3, 4), 1, []float32{1, 0, 0, 1}, []float32{0, 1, 2, 0}, []int{1, 4}},
		{"inf", tensor.FromSlice([]float32{float32(math.Inf(-1)), float32(math.Inf(1)), 0}, 3), 0, []float32{1}, []float32{0}, []int{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			am := tensor.ArgMax(c.x, c.axis, false)
			require.Equal(t, c.shape, shape(am))
			assert.Equal(t, c.max, am.Data(), "ArgMax")
			an := tensor.ArgMin(c.x, c.axis, false)
			assert.Equal(t, c.min, an.Data(), "ArgMin")
			kept := tensor.ArgMax(c.x, c.axis, true)
			ks := c.x.Shape()
			ax := c.axis
			if ax < 0 {
				ax += len(ks)
			}
			ks[ax] = 1
			assert.Equal(t, ks, kept.Shape())
		})
	}
}

func TestSoftmax(t *testing.T) {
	x := tensor.Randn(rand.New(rand.NewPCG(6, 6)), 2, 3, 4)
	for _, axis := range []int{0, 1, 2, -1} {
		ax := axis
		if ax < 0 {
			ax += 3
		}
		s := tensor.Softmax(x, axis)
		ls := tensor.LogSoftmax(x, axis)
		lse := tensor.LogSumExp(x, true, axis)
		// softmax = exp(x - lse), log_softmax = x - lse, and softmax sums to 1.
		assert.InDeltaSlice(t, f64(tensor.Exp(tensor.Sub(x, lse))), f64(s), 1e-6, "axis %d", axis)
		assert.InDeltaSlice(t, f64(tensor.Sub(x, lse)), f64(ls), 1e-6, "axis %d", axis)
		ones := tensor.Sum(s, false, ax)
		assert.InDeltaSlice(t, f64(tensor.Ones(ones.Shape()...)), f64(ones), 1e-6, "axis %d", axis)
	}
}

// LogSoftmax must be as accurate for inputs near 1e4 as for inputs near 0: the result
// depends only on the differences x - max, which are exact in float32. Computing
// x - (max + log Σ) instead rounds max + log Σ to the ulp of 1e4 (~1e-3).
func TestLogSoftmaxLargeOffsetAccuracy(t *testing.T) {
	base := []float32{0.3, -1.1, 2.2, 0.05, -0.7}
	for _, off := range []float32{0, 1e3, 1e4, -1e4} {
		x := tensor.New(len(base))
		for i, v := range base {
			x.Data()[i] = v + off
		}
		// float64 reference from the float32 inputs themselves.
		m := math.Inf(-1)
		for _, v := range x.Data() {
			m = math.Max(m, float64(v))
		}
		var s float64
		for _, v := range x.Data() {
			s += math.Exp(float64(v) - m)
		}
		want := make([]float64, len(base))
		for i, v := range x.Data() {
			want[i] = float64(v) - m - math.Log(s)
		}
		assert.InDeltaSlice(t, want, f64(tensor.LogSoftmax(x, 0)), 2e-6, "offset %g", off)
	}
}
