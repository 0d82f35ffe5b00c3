package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type poolCase struct {
	x                       []int
	kernel, stride, padding [2]int
}

var poolCases = []poolCase{
	{[]int{1, 1, 4, 4}, [2]int{2, 2}, [2]int{}, [2]int{}},
	{[]int{2, 3, 7, 6}, [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}},
	{[]int{1, 2, 5, 8}, [2]int{2, 3}, [2]int{1, 2}, [2]int{1, 1}},
	{[]int{2, 1, 9, 5}, [2]int{4, 2}, [2]int{3, 1}, [2]int{2, 0}},
	{[]int{1, 2, 3, 3}, [2]int{3, 3}, [2]int{1, 1}, [2]int{1, 1}},
}

func (c poolCase) String() string {
	return fmt.Sprintf("x%v_k%v_s%v_p%v", c.x, c.kernel, c.stride, c.padding)
}

// naivePool evaluates f over the in-bounds values of every window and the padded and
// unpadded window sizes.
func naivePool(x *Tensor, c poolCase, f func(vals []float32, idx []int, padded, inside int) float32) *Tensor {
	st := c.stride
	for i := range 2 {
		if st[i] == 0 {
			st[i] = c.kernel[i]
		}
	}
	n, ch, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	oh := (h+2*c.padding[0]-c.kernel[0])/st[0] + 1
	ow := (w+2*c.padding[1]-c.kernel[1])/st[1] + 1
	out := New(n, ch, oh, ow)
	for b := 0; b < n; b++ {
		for cc := 0; cc < ch; cc++ {
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var vals []float32
					var idx []int
					padded := 0
					for ki := 0; ki < c.kernel[0]; ki++ {
						for kj := 0; kj < c.kernel[1]; kj++ {
							ih, iw := i*st[0]-c.padding[0]+ki, j*st[1]-c.padding[1]+kj
							if ih < h+c.padding[0] && iw < w+c.padding[1] {
								padded++
							}
							if ih < 0 || ih >= h || iw < 0 || iw >= w {
								continue
							}
							vals = append(vals, x.At(b, cc, ih, iw))
							idx = append(idx, ih*w+iw)
						}
					}
					out.Set(f(vals, idx, padded, len(vals)), b, cc, i, j)
				}
			}
		}
	}
	return out
}

func TestMaxPool2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range poolCases {
		t.Run(c.String(), func(t *testing.T) {
			x := Randn(rng, c.x...)
			out, arg := MaxPool2d(x, c.kernel, c.stride, c.padding)
			wantOut := naivePool(x, c, func(v []float32, _ []int, _, _ int) float32 {
				m := float32(math.Inf(-1))
				for _, e := range v {
					m = max(m, e)
				}
				return m
			})
			wantArg := naivePool(x, c, func(v []float32, idx []int, _, _ int) float32 {
				best := 0
				for k := range v {
					if v[k] > v[best] {
						best = k
					}
				}
				return float32(idx[best])
			})
			require.Equal(t, wantOut.Data(), out.Data())
			require.Equal(t, wantArg.Data(), arg.Data())
			require.Equal(t, out.Data(), MaxPool2dGather(x, arg).Data())

			// Scatter and gather are adjoint.
			g := Randn(rng, out.Shape()...)
			dx := MaxPool2dBackward(g, arg, c.x)
			assert.InDelta(t, dot64(MaxPool2dGather(x, arg), g), dot64(x, dx), 1e-4)
		})
	}
}

func TestMaxPool2dNaNAndTies(t *testing.T) {
	nan := float32(math.NaN())
	x := FromSlice([]float32{1, 1, nan, 2, 3, 3, 3, 3}, 1, 1, 2, 4)
	out, arg := MaxPool2d(x, [2]int{2, 2}, [2]int{}, [2]int{})
	require.Equal(t, []float32{4, 2}, arg.Data()) // first of tied maxima; NaN wins
	require.Equal(t, float32(3), out.Data()[0])
	require.True(t, math.IsNaN(float64(out.Data()[1])))
}

func TestAvgPool2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range poolCases {
		for _, incl := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s_incl%v", c, incl), func(t *testing.T) {
				x := Randn(rng, c.x...)
				got := AvgPool2d(x, c.kernel, c.stride, c.padding, incl)
				want := naivePool(x, c, func(v []float32, _ []int, padded, inside int) float32 {
					var s float64
					for _, e := range v {
						s += float64(e)
					}
					if incl {
						return float32(s / float64(padded))
					}
					return float32(s / float64(inside))
				})
				convAssertClose(t, want, got, 1e-6)
				g := Randn(rng, got.Shape()...)
				dx := AvgPool2dBackward(g, c.x, c.kernel, c.stride, c.padding, incl)
				assert.InDelta(t, dot64(got, g), dot64(x, dx), 1e-4)
			})
		}
	}
}

func TestAdaptiveAvgPool2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, c := range []struct{ x, out []int }{
		{[]int{1, 1, 4, 4}, []int{2, 2}},
		{[]int{2, 3, 7, 5}, []int{3, 2}},
		{[]int{1, 2, 5, 6}, []int{1, 1}},
		{[]int{1, 2, 3, 4}, []int{5, 7}}, // larger than the input: windows overlap
	} {
		t.Run(fmt.Sprintf("x%v_out%v", c.x, c.out), func(t *testing.T) {
			x := Randn(rng, c.x...)
			got := AdaptiveAvgPool2d(x, c.out[0], c.out[1])
			n, ch, h, w := c.x[0], c.x[1], c.x[2], c.x[3]
			want := New(n, ch, c.out[0], c.out[1])
			for b := 0; b < n; b++ {
				for cc := 0; cc < ch; cc++ {
					for i := 0; i < c.out[0]; i++ {
						h0 := int(math.Floor(float64(i*h) / float64(c.out[0])))
						h1 := int(math.Ceil(float64((i+1)*h) / float64(c.out[0])))
						for j := 0; j < c.out[1]; j++ {
							w0 := int(math.Floor(float64(j*w) / float64(c.out[1])))
							w1 := int(math.Ceil(float64((j+1)*w) / float64(c.out[1])))
							var s float64
							for r := h0; r < h1; r++ {
								for q := w0; q < w1; q++ {
									s += float64(x.At(b, cc, r, q))
								}
							}
							want.Set(float32(s/float64((h1-h0)*(w1-w0))), b, cc, i, j)
						}
					}
				}
			}
			convAssertClose(t, want, got, 1e-6)
			g := Randn(rng, got.Shape()...)
			assert.InDelta(t, dot64(got, g), dot64(x, AdaptiveAvgPool2dBackward(g, c.x)), 1e-4)
		})
	}
}

func TestUpsampleNearest2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, c := range []struct{ x, out []int }{
		{[]int{1, 1, 2, 3}, []int{4, 6}},
		{[]int{2, 2, 3, 3}, []int{9, 6}},
		{[]int{1, 2, 4, 5}, []int{7, 3}}, // non-integer ratios, downsampling
		{[]int{1, 1, 3, 4}, []int{3, 4}},
	} {
		t.Run(fmt.Sprintf("x%v_out%v", c.x, c.out), func(t *testing.T) {
			x := Randn(rng, c.x...)
			got := UpsampleNearest2dSize(x, c.out[0], c.out[1])
			n, ch, h, w := c.x[0], c.x[1], c.x[2], c.x[3]
			want := New(n, ch, c.out[0], c.out[1])
			for b := 0; b < n; b++ {
				for cc := 0; cc < ch; cc++ {
					for i := 0; i < c.out[0]; i++ {
						for j := 0; j < c.out[1]; j++ {
							want.Set(x.At(b, cc, min(i*h/c.out[0], h-1), min(j*w/c.out[1], w-1)), b, cc, i, j)
						}
					}
				}
			}
			require.Equal(t, want.Data(), got.Data())
			if c.out[0]%h == 0 && c.out[1]%w == 0 {
				require.Equal(t, got.Data(), UpsampleNearest2d(x, c.out[0]/h, c.out[1]/w).Data())
			}
			g := Randn(rng, got.Shape()...)
			assert.InDelta(t, dot64(got, g), dot64(x, UpsampleNearest2dBackward(g, c.x)), 1e-4)
		})
	}
}

// naiveBilinear follows the definition in float64.
func naiveBilinear(x *Tensor, oh, ow int, align bool) *Tensor {
	n, ch, h, w := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	src := func(o, in, out int) (int, int, float64) {
		var s float64
		if align {
			if out > 1 {
				s = float64(o) * float64(in-1) / float64(out-1)
			}
		} else {
			s = max((float64(o)+0.5)*float64(in)/float64(out)-0.5, 0)
		}
		i0 := min(int(s), in-1)
		i1 := min(i0+1, in-1)
		return i0, i1, s - float64(i0)
	}
	out := New(n, ch, oh, ow)
	for b := 0; b < n; b++ {
		for cc := 0; cc < ch; cc++ {
			for i := 0; i < oh; i++ {
				h0, h1, lh := src(i, h, oh)
				for j := 0; j < ow; j++ {
					w0, w1, lw := src(j, w, ow)
					at := func(r, q int) float64 { return float64(x.At(b, cc, r, q)) }
					v := (1-lh)*((1-lw)*at(h0, w0)+lw*at(h0, w1)) + lh*((1-lw)*at(h1, w0)+lw*at(h1, w1))
					out.Set(float32(v), b, cc, i, j)
				}
			}
		}
	}
	return out
}

func TestUpsampleBilinear2d(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for _, c := range []struct{ x, out []int }{
		{[]int{1, 1, 2, 2}, []int{4, 4}},
		{[]int{2, 2, 3, 5}, []int{7, 4}},
		{[]int{1, 1, 4, 4}, []int{2, 3}},
		{[]int{1, 2, 1, 3}, []int{3, 1}},
		{[]int{1, 1, 3, 4}, []int{3, 8}},
	} {
		for _, align := range []bool{false, true} {
			t.Run(fmt.Sprintf("x%v_out%v_align%v", c.x, c.out, align), func(t *testing.T) {
				x := Randn(rng, c.x...)
				got := UpsampleBilinear2d(x, c.out[0], c.out[1], align)
				convAssertClose(t, naiveBilinear(x, c.out[0], c.out[1], align), got, 1e-5)
				g := Randn(rng, got.Shape()...)
				assert.InDelta(t, dot64(got, g), dot64(x, UpsampleBilinear2dBackward(g, c.x, align)), 1e-4)
			})
		}
	}
}

func TestPoolPanics(t *testing.T) {
	x := New(1, 2, 4, 4)
	k := [2]int{2, 2}
	cases := []struct {
		name, op string
		f        func()
	}{
		{"max 3-D", "MaxPool2d", func() { MaxPool2d(New(2, 4, 4), k, k, [2]int{}) }},
		{"max zero kernel", "MaxPool2d", func() { MaxPool2d(x, [2]int{0, 2}, k, [2]int{}) }},
		{"max big padding", "MaxPool2d", func() { MaxPool2d(x, k, k, [2]int{2, 0}) }},
		{"max kernel too big", "MaxPool2d", func() { MaxPool2d(x, [2]int{5, 5}, k, [2]int{}) }},
		{"max backward shape", "MaxPool2dBackward", func() { MaxPool2dBackward(New(1, 2, 2, 2), New(1, 2, 2, 3), x.Shape()) }},
		{"max backward index", "MaxPool2dBackward", func() { MaxPool2dBackward(New(1, 2, 1, 1), Full(16, 1, 2, 1, 1), x.Shape()) }},
		{"gather channels", "MaxPool2dGather", func() { MaxPool2dGather(x, New(1, 3, 2, 2)) }},
		{"avg negative stride", "AvgPool2d", func() { AvgPool2d(x, k, [2]int{-1, 1}, [2]int{}, true) }},
		{"avg backward shape", "AvgPool2dBackward", func() { AvgPool2dBackward(New(1, 2, 3, 2), x.Shape(), k, k, [2]int{}, true) }},
		{"adaptive size", "AdaptiveAvgPool2d", func() { AdaptiveAvgPool2d(x, 0, 2) }},
		{"adaptive backward", "AdaptiveAvgPool2dBackward", func() { AdaptiveAvgPool2dBackward(New(1, 3, 2, 2), x.Shape()) }},
		{"nearest scale", "UpsampleNearest2d", func() { UpsampleNearest2d(x, 0, 2) }},
		{"nearest 2-D", "UpsampleNearest2dSize", func() { UpsampleNearest2dSize(New(4, 4), 8, 8) }},
		{"nearest backward", "UpsampleNearest2dBackward", func() { UpsampleNearest2dBackward(New(2, 2, 8, 8), x.Shape()) }},
		{"bilinear size", "UpsampleBilinear2d", func() { UpsampleBilinear2d(x, 3, -1, false) }},
		{"bilinear backward", "UpsampleBilinear2dBackward", func() { UpsampleBilinear2dBackward(New(1, 2, 8), x.Shape(), true) }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { convRequirePanic(t, c.op, c.f) })
	}
}
