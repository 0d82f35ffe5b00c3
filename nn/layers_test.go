package nn

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func newStore() *VarStore { return NewVarStore(rand.New(rand.NewPCG(1, 2))) }

func TestLinearShapesAndNames(t *testing.T) {
	vs := newStore()
	l := NewLinear(vs.Root().Push("fc"), 4, 3, LinearConfig{})
	require.Equal(t, []string{"fc.weight", "fc.bias"}, vs.Names())
	require.Equal(t, []int{3, 4}, l.Weight.Shape())
	x := autograd.Const(tensor.Ones(2, 5, 4))
	require.Equal(t, []int{2, 5, 3}, l.Forward(x).Shape())
	err := tensor.Catch(func() { l.Forward(autograd.Const(tensor.Ones(2, 5))) })
	require.ErrorContains(t, err, "Linear: input shape (2,5), want (…,4)")
}

func TestLinearInitBounds(t *testing.T) {
	vs := newStore()
	l := NewLinear(vs.Root(), 100, 50, LinearConfig{})
	// PyTorch's default: U(-1/√in, 1/√in) for both weight and bias.
	for _, v := range append(l.Weight.Value().Data(), l.Bias.Value().Data()...) {
		require.LessOrEqual(t, v, float32(0.1))
		require.GreaterOrEqual(t, v, float32(-0.1))
	}
	w := l.Weight.Value()
	assert.InDelta(t, 0.01/3, tensor.Var(w, 0, false).Item(), 0.0005) // var of U(-b,b) is b²/3
}

// TestModuleGradients gradient-checks each module with respect to its input and every
// parameter.
func TestModuleGradients(t *testing.T) {
	cases := []struct {
		name  string
		build func(vb *VarBuilder) Module
		shape []int
	}{
		{"linear", func(vb *VarBuilder) Module { return NewLinear(vb, 4, 3, LinearConfig{}) }, []int{2, 4}},
		{"mlp", func(vb *VarBuilder) Module {
			return NewMLP(vb, []int{3, 5, 2}, MLPConfig{Activation: Tanh{}})
		}, []int{2, 3}},
		{"layernorm", func(vb *VarBuilder) Module { return NewLayerNorm(vb, []int{4}, LayerNormConfig{}) }, []int{3, 4}},
		{"layernorm2d", func(vb *VarBuilder) Module { return NewLayerNorm(vb, []int{2, 3}, LayerNormConfig{}) }, []int{2, 2, 3}},
		{"rmsnorm", func(vb *VarBuilder) Module { return NewRMSNorm(vb, 5, 0) }, []int{3, 5}},
		{"batchnorm1d", func(vb *VarBuilder) Module { return NewBatchNorm1d(vb, 3, BatchNormConfig{}) }, []int{4, 3}},
		{"batchnorm2d", func(vb *VarBuilder) Module { return NewBatchNorm2d(vb, 2, BatchNormConfig{}) }, []int{3, 2, 2, 2}},
		{"groupnorm", func(vb *VarBuilder) Module { return NewGroupNorm(vb, 2, 4, 0) }, []int{2, 4, 2, 2}},
		{"gelu", func(vb *VarBuilder) Module { return GELU{} }, []int{3, 4}},
		{"silu", func(vb *VarBuilder) Module { return SiLU{} }, []int{3, 4}},
		{"flatten", func(vb *VarBuilder) Module { return NewFlatten() }, []int{2, 3, 2}},
		{"unflatten", func(vb *VarBuilder) Module { return Unflatten{Axis: 1, Shape: []int{2, 3}} }, []int{2, 6}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := newStore()
			m := c.build(vs.Root())
			rng := rand.New(rand.NewPCG(5, 6))
			x := autograd.Param(tensor.Randn(rng, c.shape...))
			vars := []*autograd.Var{x}
			for _, p := range vs.Params() {
				// Move away from the init (ones/zeros) so every term matters.
				p.Value().AddInPlace(tensor.Randn(rng, p.Shape()...).MulScalar(0.3))
				vars = append(vars, p)
			}
			f := func() *autograd.Var { return m.Forward(x) }
			require.NoError(t, autograd.GradCheckVars(f, vars, autograd.GradCheckConfig{}))
		})
	}
}

func TestBatchNormTrainEval(t *testing.T) {
	vs := newStore()
	bn := NewBatchNorm2d(vs.Root(), 2, BatchNormConfig{})
	rng := rand.New(rand.NewPCG(1, 1))
	x := tensor.Add(tensor.Randn(rng, 8, 2, 3, 3).MulScalar(2), tensor.Scalar(5))
	y := bn.Forward(autograd.Const(x)).Value()
	// Training mode: batch statistics, so each channel of y has mean 0 and variance 1.
	m := tensor.Mean(y, false, 0, 2, 3)
	v := tensor.Var(y, 0, false, 0, 2, 3)
	assert.InDeltaSlice(t, []float32{0, 0}, m.Data(), 1e-5)
	assert.InDeltaSlice(t, []float32{1, 1}, v.Data(), 1e-3)
	// Running statistics moved 10% of the way towards the batch's (unbiased) stats.
	bm := tensor.Mean(x, false, 0, 2, 3).Data()
	bv := tensor.Var(x, 1, false, 0, 2, 3).Data()
	for c := 0; c < 2; c++ {
		assert.InDelta(t, 0.1*bm[c], bn.RunningMean.Data()[c], 1e-5)
		assert.InDelta(t, 0.9+0.1*bv[c], bn.RunningVar.Data()[c], 1e-4)
	}
	assert.Equal(t, float32(1), bn.NumBatches.Item())
	// Evaluation mode: running statistics, so the output is not normalised to mean 0.
	vs.SetTraining(false)
	ye := bn.Forward(autograd.Const(x)).Value()
	me := tensor.Mean(ye, false, 0, 2, 3).Data()
	for c := 0; c < 2; c++ {
		want := (bm[c] - bn.RunningMean.Data()[c]) / float32(sqrt(float64(bn.RunningVar.Data()[c])+1e-5))
		assert.InDelta(t, want, me[c], 1e-3)
	}
	assert.Equal(t, float32(1), bn.NumBatches.Item(), "eval mode must not update statistics")
}

func TestDropoutTrainEval(t *testing.T) {
	vs := newStore()
	d := NewDropout(vs.Root(), 0.25)
	x := autograd.Const(tensor.Ones(100, 100))
	y := d.Forward(x).Value().Data()
	zeros := 0
	for _, v := range y {
		if v == 0 {
			zeros++
		} else {
			require.InDelta(t, 1/0.75, v, 1e-6)
		}
	}
	// 10,000 Bernoulli(0.25) draws: the share is within 0.25 ± 0.02 (4.6 standard errors).
	assert.InDelta(t, 0.25, float64(zeros)/1e4, 0.02)
	vs.SetTraining(false)
	require.Same(t, x, d.Forward(x))
}

func TestGroupNormNormalises(t *testing.T) {
	vs := newStore()
	gn := NewGroupNorm(vs.Root(), 2, 4, 0)
	rng := rand.New(rand.NewPCG(3, 3))
	x := tensor.Add(tensor.Randn(rng, 2, 4, 3, 3), tensor.Scalar(3))
	y := gn.Forward(autograd.Const(x)).Value().Reshape(2, 2, 18)
	assert.InDeltaSlice(t, []float32{0, 0, 0, 0}, tensor.Mean(y, false, 2).Data(), 1e-5)
	assert.InDeltaSlice(t, []float32{1, 1, 1, 1}, tensor.Var(y, 0, false, 2).Data(), 1e-3)
	require.Panics(t, func() { NewGroupNorm(vs.Root().Push("x"), 3, 4, 0) })
}

// TestGroupNormForwardSiLU checks the fused inference path against the recorded one,
// value for value, with non-trivial weights, odd spatial sizes and NaN guards around
// the output storage (the fused kernel must write every value of its output and
// nothing else).
func TestGroupNormForwardSiLU(t *testing.T) {
	vs := newStore()
	gn := NewGroupNorm(vs.Root(), 3, 6, 0)
	rng := rand.New(rand.NewPCG(4, 4))
	copy(gn.Weight.Value().Data(), tensor.Randn(rng, 6).Data())
	copy(gn.Bias.Value().Data(), tensor.Randn(rng, 6).Data())
	for _, shape := range [][]int{{5, 6, 17, 9}, {1, 6, 1, 1}, {3, 6, 33}} {
		x := tensor.Randn(rng, shape...)
		want := autograd.SiLU(gn.Forward(autograd.Const(x))).Value()
		for range 2 { // the second time on recycled storage
			tensor.Full(float32(math.NaN()), want.Numel()).Release()
			got := gn.ForwardSiLU(autograd.NoGrad(x))
			require.True(t, got.IsNoGrad())
			require.Equal(t, want.Shape(), got.Shape())
			require.Equal(t, want.Data(), got.Value().Data(), "shape %v", shape)
		}
		graph := gn.ForwardSiLU(autograd.Const(x))
		require.Equal(t, want.Data(), graph.Value().Data())
	}
	require.Panics(t, func() { gn.ForwardSiLU(autograd.NoGrad(tensor.New(2, 4, 3, 3))) })
}

func sqrt(x float64) float64 {
	r := x
	for i := 0; i < 50; i++ {
		r = 0.5 * (r + x/r)
	}
	return r
}

func TestConvLayers(t *testing.T) {
	cases := []struct {
		name  string
		build func(vb *VarBuilder) Module
		shape []int
		out   []int
	}{
		{"conv", func(vb *VarBuilder) Module {
			return NewConv2d(vb, 2, 4, 3, Conv2dConfig{Stride: 2, Padding: 1, Groups: 2})
		}, []int{1, 2, 5, 5}, []int{1, 4, 3, 3}},
		{"conv_sn", func(vb *VarBuilder) Module { return NewConv2d(vb, 2, 3, 3, Conv2dConfig{SpectralNorm: true}) }, []int{1, 2, 4, 4}, []int{1, 3, 2, 2}},
		{"convT", func(vb *VarBuilder) Module {
			return NewConvTranspose2d(vb, 2, 3, 4, Conv2dConfig{Stride: 2, Padding: 1})
		}, []int{1, 2, 3, 3}, []int{1, 3, 6, 6}},
		{"maxpool", func(vb *VarBuilder) Module { return MaxPool2d{Kernel: 2} }, []int{1, 2, 4, 4}, []int{1, 2, 2, 2}},
		{"avgpool", func(vb *VarBuilder) Module { return AvgPool2d{Kernel: 3, Stride: 1, Padding: 1} }, []int{1, 1, 3, 3}, []int{1, 1, 3, 3}},
		{"adaptive", func(vb *VarBuilder) Module { return AdaptiveAvgPool2d{H: 2, W: 2} }, []int{1, 1, 5, 5}, []int{1, 1, 2, 2}},
		{"upsample", func(vb *VarBuilder) Module { return Upsample{Scale: 2} }, []int{1, 1, 2, 3}, []int{1, 1, 4, 6}},
		{"bilinear", func(vb *VarBuilder) Module { return Upsample{Size: [2]int{5, 4}, Bilinear: true} }, []int{1, 1, 2, 3}, []int{1, 1, 5, 4}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			vs := newStore()
			m := c.build(vs.Root())
			vs.SetTraining(false) // hold spectral-norm vectors fixed during the check
			rng := rand.New(rand.NewPCG(5, 7))
			x := autograd.Param(tensor.Randn(rng, c.shape...))
			require.Equal(t, c.out, m.Forward(x).Shape())
			vars := append([]*autograd.Var{x}, vs.Params()...)
			require.NoError(t, autograd.GradCheckVars(func() *autograd.Var { return m.Forward(x) }, vars, autograd.GradCheckConfig{}))
		})
	}
}

func TestConvNamesAndShapesFollowPyTorch(t *testing.T) {
	vs := newStore()
	NewConv2d(vs.Root().Push("c"), 4, 6, 3, Conv2dConfig{Groups: 2})
	NewConvTranspose2d(vs.Root().Push("t"), 4, 6, 3, Conv2dConfig{Groups: 2})
	sd := vs.StateDict()
	require.Equal(t, []int{6, 2, 3, 3}, sd["c.weight"].Shape())
	require.Equal(t, []int{4, 3, 3, 3}, sd["t.weight"].Shape())
	require.Equal(t, []int{6}, sd["t.bias"].Shape())
}
