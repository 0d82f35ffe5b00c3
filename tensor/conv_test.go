package tensor

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveConv2d is the direct seven-loop convolution in float64.
func naiveConv2d(x, w, b *Tensor, c Conv2dConfig) *Tensor {
	c = c.withDefaults("naive")
	n, cin, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	cout, cing, kh, kw := w.shape[0], w.shape[1], w.shape[2], w.shape[3]
	coutg := cout / c.Groups
	oh := (h+2*c.Padding[0]-c.Dilation[0]*(kh-1)-1)/c.Stride[0] + 1
	ow := (wd+2*c.Padding[1]-c.Dilation[1]*(kw-1)-1)/c.Stride[1] + 1
	out := New(n, cout, oh, ow)
	_ = cin
	for b0 := 0; b0 < n; b0++ {
		for co := 0; co < cout; co++ {
			gr := co / coutg
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var s float64
					if b != nil {
						s = float64(b.data[co])
					}
					for ci := 0; ci < cing; ci++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								ih := i*c.Stride[0] - c.Padding[0] + ki*c.Dilation[0]
								iw := j*c.Stride[1] - c.Padding[1] + kj*c.Dilation[1]
								if ih < 0 || ih >= h || iw < 0 || iw >= wd {
									continue
								}
								s += float64(x.At(b0, gr*cing+ci, ih, iw)) * float64(w.At(co, ci, ki, kj))
							}
						}
					}
					out.Set(float32(s), b0, co, i, j)
				}
			}
		}
	}
	return out
}

// naiveConvTranspose2d scatters every input pixel times the kernel into the output.
func naiveConvTranspose2d(x, w, b *Tensor, c ConvTranspose2dConfig) *Tensor {
	cc := c.Conv().withDefaults("naive")
	n, cin, h, wd := x.shape[0], x.shape[1], x.shape[2], x.shape[3]
	coutg, kh, kw := w.shape[1], w.shape[2], w.shape[3]
	cout := coutg * cc.Groups
	cing := cin / cc.Groups
	oh := (h-1)*cc.Stride[0] - 2*cc.Padding[0] + cc.Dilation[0]*(kh-1) + c.OutputPadding[0] + 1
	ow := (wd-1)*cc.Stride[1] - 2*cc.Padding[1] + cc.Dilation[1]*(kw-1) + c.OutputPadding[1] + 1
	acc := make([]float64, n*cout*oh*ow)
	for b0 := 0; b0 < n; b0++ {
		for ci := 0; ci < cin; ci++ {
			gr := ci / cing
			for i := 0; i < h; i++ {
				for j := 0; j < wd; j++ {
					v := float64(x.At(b0, ci, i, j))
					for co := 0; co < coutg; co++ {
						for ki := 0; ki < kh; ki++ {
							for kj := 0; kj < kw; kj++ {
								oi := i*cc.Stride[0] - cc.Padding[0] + ki*cc.Dilation[0]
								oj := j*cc.Stride[1] - cc.Padding[1] + kj*cc.Dilation[1]
								if oi < 0 || oi >= oh || oj < 0 || oj >= ow {
									continue
								}
								acc[((b0*cout+gr*coutg+co)*oh+oi)*ow+oj] += v * float64(w.At(ci, co, ki, kj))
							}
						}
					}
				}
			}
		}
	}
	out := New(n, cout, oh, ow)
	for i, v := range acc {
		out.data[i] = float32(v)
		if b != nil {
			out.data[i] += b.data[(i/(oh*ow))%cout]
		}
	}
	return out
}

func dot64(a, b *Tensor) float64 {
	var s float64
	for i := range a.data {
		s += float64(a.data[i]) * float64(b.data[i])
	}
	return s
}

func convAssertClose(t *testing.T, want, got *Tensor, tol float64) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape())
	for i := range want.data {
		if math.Abs(float64(want.data[i]-got.data[i])) > tol*(1+math.Abs(float64(want.data[i]))) {
			t.Fatalf("element %d: got %g, want %g", i, got.data[i], want.data[i])
		}
	}
}

type convCase struct {
	x, w []int
	cfg  Conv2dConfig
}

var convCases = []convCase{
	{[]int{1, 1, 5, 5}, []int{1, 1, 3, 3}, Conv2dConfig{}},
	{[]int{2, 3, 7, 6}, []int{4, 3, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}}},
	{[]int{2, 3, 8, 8}, []int{5, 3, 1, 1}, Conv2dConfig{}}, // 1×1 fast path
	{[]int{1, 4, 6, 6}, []int{2, 4, 1, 1}, Conv2dConfig{Stride: [2]int{2, 2}}},
	{[]int{2, 4, 9, 7}, []int{6, 2, 3, 2}, Conv2dConfig{Stride: [2]int{2, 1}, Padding: [2]int{1, 0}, Groups: 2}},
	{[]int{1, 4, 10, 11}, []int{4, 2, 3, 3}, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, Dilation: [2]int{2, 2}, Groups: 2}},
	{[]int{2, 6, 8, 9}, []int{6, 1, 3, 3}, Conv2dConfig{Padding: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 6}}, // depthwise
	{[]int{1, 2, 5, 9}, []int{3, 2, 2, 4}, Conv2dConfig{Stride: [2]int{1, 3}, Padding: [2]int{0, 2}}},
	{[]int{1, 3, 4, 4}, []int{2, 3, 4, 4}, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}}, // DCGAN-style
	{[]int{3, 2, 3, 3}, []int{2, 2, 3, 3}, Conv2dConfig{Padding: [2]int{3, 3}}},                       // padding > kernel/2
	{[]int{2, 4, 9, 8}, []int{4, 2, 3, 2}, Conv2dConfig{Padding: [2]int{2, 1}, Dilation: [2]int{2, 1}, Groups: 2}},
	{[]int{1, 3, 6, 7}, []int{2, 3, 2, 3}, Conv2dConfig{Padding: [2]int{0, 3}}}, // backward padding below zero on one axis
	// Enough work per sample for the batch to be split over the worker pool, with
	// narrow (transposed products) and wide output channels.
	{[]int{4, 16, 16, 16}, []int{32, 16, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}}},
	{[]int{4, 16, 16, 16}, []int{70, 16, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}}},
	{[]int{3, 16, 12, 12}, []int{140, 8, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}, Groups: 2}},
}

func (c convCase) String() string {
	return fmt.Sprintf("x%v_w%v_s%v_p%v_d%v_g%d", c.x, c.w, c.cfg.Stride, c.cfg.Padding, c.cfg.Dilation, c.cfg.Groups)
}

func TestConv2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			x, w, b := Randn(rng, c.x...), Randn(rng, c.w...), Randn(rng, c.w[0])
			convAssertClose(t, naiveConv2d(x, w, b, c.cfg), Conv2d(x, w, b, c.cfg), 1e-5)
			convAssertClose(t, naiveConv2d(x, w, nil, c.cfg), Conv2d(x, w, nil, c.cfg), 1e-5)
		})
	}
}

// The backward kernels are the adjoints of Conv2d in each argument:
// <Conv2d(x,w), g> = <x, BackwardInput(g,w)> = <w, BackwardWeight(x,g)>.
func TestConv2dBackwardIsAdjoint(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 2))
	for _, c := range convCases {
		t.Run(c.String(), func(t *testing.T) {
			x, w := Randn(rng, c.x...), Randn(rng, c.w...)
			y := Conv2d(x, w, nil, c.cfg)
			g := Randn(rng, y.Shape()...)
			lhs := dot64(y, g)
			dx := Conv2dBackwardInput(g, w, c.x, c.cfg)
			dw := Conv2dBackwardWeight(x, g, c.w, c.cfg)
			require.Equal(t, c.x, dx.Shape())
			require.Equal(t, c.w, dw.Shape())
			tol := 1e-4 * (1 + math.Abs(lhs))
			assert.InDelta(t, lhs, dot64(x, dx), tol)
			assert.InDelta(t, lhs, dot64(w, dw), tol)
		})
	}
}

// The weight gradient also matches a naive loop, which pins down it being summed over
// the batch.
func TestConv2dBackwardWeightNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	c := convCases[5]
	x, w := Randn(rng, c.x...), Randn(rng, c.w...)
	g := Randn(rng, Conv2d(x, w, nil, c.cfg).Shape()...)
	dw := Conv2dBackwardWeight(x, g, c.w, c.cfg)
	// d<conv(x,w),g>/dw[i] by linearity: <conv(x, e_i), g>.
	want := New(c.w...)
	for i := range want.data {
		e := New(c.w...)
		e.data[i] = 1
		want.data[i] = float32(dot64(naiveConv2d(x, e, nil, c.cfg), g))
	}
	convAssertClose(t, want, dw, 1e-4)
}

type convTCase struct {
	x, w []int
	cfg  ConvTranspose2dConfig
}

var convTCases = []convTCase{
	{[]int{1, 1, 3, 3}, []int{1, 1, 3, 3}, ConvTranspose2dConfig{}},
	{[]int{2, 3, 4, 5}, []int{3, 2, 4, 4}, ConvTranspose2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
	{[]int{1, 4, 3, 4}, []int{4, 3, 3, 3}, ConvTranspose2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}, OutputPadding: [2]int{1, 1}, Groups: 2}},
	{[]int{2, 2, 5, 3}, []int{2, 3, 3, 2}, ConvTranspose2dConfig{Stride: [2]int{3, 2}, Padding: [2]int{2, 0}, OutputPadding: [2]int{2, 1}, Dilation: [2]int{2, 1}}},
	{[]int{1, 6, 4, 4}, []int{6, 1, 3, 3}, ConvTranspose2dConfig{Stride: [2]int{2, 1}, Dilation: [2]int{1, 2}, Groups: 6}},
	{[]int{2, 3, 4, 4}, []int{3, 5, 1, 1}, ConvTranspose2dConfig{}}, // 1×1 fast path
	{[]int{2, 4, 5, 6}, []int{4, 3, 3, 3}, ConvTranspose2dConfig{Padding: [2]int{1, 1}, Groups: 2}},
	{[]int{1, 2, 5, 5}, []int{2, 3, 3, 2}, ConvTranspose2dConfig{Padding: [2]int{2, 0}, Dilation: [2]int{1, 2}}},
}

func (c convTCase) String() string {
	return fmt.Sprintf("x%v_w%v_s%v_p%v_op%v_d%v_g%d", c.x, c.w, c.cfg.Stride, c.cfg.Padding, c.cfg.OutputPadding, c.cfg.Dilation, c.cfg.Groups)
}

func TestConvTranspose2dMatchesNaive(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	for _, c := range convTCases {
		t.Run(c.String(), func(t *testing.T) {
			x, w := Randn(rng, c.x...), Randn(rng, c.w...)
			b := Randn(rng, c.w[1]*max(c.cfg.Groups, 1))
			want := naiveConvTranspose2d(x, w, b, c.cfg)
			require.Equal(t, want.Shape(), ConvTranspose2dOutputShape(c.x, c.w, c.cfg))
			convAssertClose(t, want, ConvTranspose2d(x, w, b, c.cfg), 1e-5)
		})
	}
}

// ConvTranspose2d's documented gradients are adjoints of it.
func TestConvTranspose2dGradients(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for _, c := range convTCases {
		t.Run(c.String(), func(t *testing.T) {
			x, w := Randn(rng, c.x...), Randn(rng, c.w...)
			y := ConvTranspose2d(x, w, nil, c.cfg)
			g := Randn(rng, y.Shape()...)
			lhs := dot64(y, g)
			dx := Conv2d(g, w, nil, c.cfg.Conv())
			dw := Conv2dBackwardWeight(g, x, c.w, c.cfg.Conv())
			tol := 1e-4 * (1 + math.Abs(lhs))
			assert.InDelta(t, lhs, dot64(x, dx), tol)
			assert.InDelta(t, lhs, dot64(w, dw), tol)
		})
	}
}

// convRequirePanic checks that f panics with a tensor *Error naming op.
func convRequirePanic(t *testing.T, op string, f func()) {
	t.Helper()
	err := Catch(f)
	require.Error(t, err)
	require.Contains(t, err.Error(), "tensor: "+op+":")
	t.Log(err)
}

func TestConvPanics(t *testing.T) {
	x := New(1, 4, 5, 5)
	w := New(2, 4, 3, 3)
	cases := []struct {
		name, op string
		f        func()
	}{
		{"x 3-D", "Conv2d", func() { Conv2d(New(4, 5, 5), w, nil, Conv2dConfig{}) }},
		{"channels", "Conv2d", func() { Conv2d(x, New(2, 3, 3, 3), nil, Conv2dConfig{}) }},
		{"groups", "Conv2d", func() { Conv2d(x, New(3, 2, 3, 3), nil, Conv2dConfig{Groups: 2}) }},
		{"groups not dividing", "Conv2d", func() { Conv2d(x, New(2, 4, 3, 3), nil, Conv2dConfig{Groups: 3}) }},
		{"kernel too big", "Conv2d", func() { Conv2d(x, New(2, 4, 6, 3), nil, Conv2dConfig{}) }},
		{"dilated kernel too big", "Conv2d", func() { Conv2d(x, w, nil, Conv2dConfig{Dilation: [2]int{3, 1}}) }},
		{"bias", "Conv2d", func() { Conv2d(x, w, New(3), Conv2dConfig{}) }},
		{"negative stride", "Conv2d", func() { Conv2d(x, w, nil, Conv2dConfig{Stride: [2]int{-1, 1}}) }},
		{"grad shape", "Conv2dBackwardInput", func() { Conv2dBackwardInput(New(1, 2, 4, 4), w, x.Shape(), Conv2dConfig{}) }},
		{"weight grad shape", "Conv2dBackwardWeight", func() { Conv2dBackwardWeight(x, New(1, 3, 3, 3), w.Shape(), Conv2dConfig{}) }},
		{"transpose channels", "ConvTranspose2d", func() { ConvTranspose2d(x, New(3, 2, 3, 3), nil, ConvTranspose2dConfig{}) }},
		{"transpose output padding", "ConvTranspose2d", func() {
			ConvTranspose2d(x, New(4, 2, 3, 3), nil, ConvTranspose2dConfig{Stride: [2]int{2, 2}, OutputPadding: [2]int{2, 0}})
		}},
		{"transpose bias", "ConvTranspose2d", func() { ConvTranspose2d(x, New(4, 2, 3, 3), New(4), ConvTranspose2dConfig{}) }},
		{"transpose empty", "ConvTranspose2d", func() {
			ConvTranspose2d(New(1, 4, 1, 1), New(4, 2, 1, 1), nil, ConvTranspose2dConfig{Padding: [2]int{1, 1}})
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { convRequirePanic(t, c.op, c.f) })
	}
}

func BenchmarkConv2d(b *testing.B) {
	for _, c := range []struct {
		x, w []int
		cfg  Conv2dConfig
	}{
		{[]int{8, 64, 32, 32}, []int{64, 64, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}}},
		{[]int{8, 64, 32, 32}, []int{128, 64, 4, 4}, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		// The unet workload's main convolution and the dcgan discriminator's second one.
		{[]int{32, 32, 28, 28}, []int{32, 32, 3, 3}, Conv2dConfig{Padding: [2]int{1, 1}}},
		{[]int{64, 64, 14, 14}, []int{128, 64, 4, 4}, Conv2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 1}}},
		{[]int{8, 128, 16, 16}, []int{128, 128, 1, 1}, Conv2dConfig{}},
	} {
		rng := rand.New(rand.NewPCG(1, 1))
		x, w := Randn(rng, c.x...), Randn(rng, c.w...)
		y := Conv2d(x, w, nil, c.cfg)
		flops := 2 * float64(y.Numel()) * float64(c.w[1]*c.w[2]*c.w[3])
		g := Randn(rng, y.Shape()...)
		name := fmt.Sprintf("x%v_w%v", c.x, c.w)
		b.Run("fwd_"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2d(x, w, nil, c.cfg)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("bwd_input_"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dBackwardInput(g, w, c.x, c.cfg)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
		b.Run("bwd_weight_"+name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Conv2dBackwardWeight(x, g, c.w, c.cfg)
			}
			b.ReportMetric(flops*float64(b.N)/b.Elapsed().Seconds()/1e9, "GFLOP/s")
		})
	}
}

func ExampleConv2d() {
	x := Arange(0, 16, 1).Reshape(1, 1, 4, 4) // x[i,j] = 4i+j
	w := FromSlice([]float32{1, 0, 0, -1}, 1, 1, 2, 2)
	y := Conv2d(x, w, nil, Conv2dConfig{Stride: [2]int{2, 2}}) // x[i,j] - x[i+1,j+1]
	fmt.Println(y.Shape(), y.Data())
	// Output: [1 1 2 2] [-5 -5 -5 -5]
}

func ExampleMaxPool2d() {
	x := FromSlice([]float32{1, 5, 2, 0, 3, 4, 8, 1, 0, 2, 6, 7, 9, 1, 3, 2}, 1, 1, 4, 4)
	y, argmax := MaxPool2d(x, [2]int{2, 2}, [2]int{}, [2]int{})
	fmt.Println(y.Data(), argmax.Data())
	// Output: [5 8 9 7] [1 6 12 11]
}

// An empty batch gives empty results and a zero weight gradient.
func TestConvEmptyBatch(t *testing.T) {
	x, w := New(0, 2, 5, 5), Ones(3, 2, 3, 3)
	cfg := Conv2dConfig{Padding: [2]int{1, 1}}
	require.Equal(t, []int{0, 3, 5, 5}, Conv2d(x, w, nil, cfg).Shape())
	g := New(0, 3, 5, 5)
	require.Equal(t, []int{0, 2, 5, 5}, Conv2dBackwardInput(g, w, x.Shape(), cfg).Shape())
	require.Equal(t, make([]float32, 54), Conv2dBackwardWeight(x, g, w.Shape(), cfg).Data())
}
