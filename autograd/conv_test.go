package autograd

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// convLift makes an input that GradCheck passes as NoGrad (its numeric evaluations)
// into a parameter, so that a function calling Grad inside still has a graph to
// differentiate; parameters are returned unchanged.
func convLift(v *Var) *Var {
	if v.noGrad {
		return Param(v.value)
	}
	return v
}

// convGradOfGrad turns f into the squared norm of the gradient of Σ r·f(xs)² with
// respect to every input, computed with createGraph, for a fixed random r. A gradient
// check of it checks the second derivatives of the ops in f.
func convGradOfGrad(f func(xs []*Var) *Var) func(xs []*Var) *Var {
	return func(xs []*Var) *Var {
		in := make([]*Var, len(xs))
		for i, x := range xs {
			in[i] = convLift(x)
		}
		y := f(in)
		r := tensor.Rand(rand.New(rand.NewPCG(11, 12)), -1, 1, y.Shape()...)
		loss := Sum(Mul(Square(y), Const(r)), false)
		gs := Grad([]*Var{loss}, in, nil, true)
		var norm *Var
		for _, g := range gs {
			s := Sum(Square(g), false)
			if norm == nil {
				norm = s
			} else {
				norm = Add(norm, s)
			}
		}
		return norm
	}
}

// convScaled returns normal inputs of the given shapes scaled by s, which keeps the
// higher-order checks in a range where float32 central differences are accurate.
func convScaled(s float32, shapes ...[]int) func(rng *rand.Rand) []*tensor.Tensor {
	return func(rng *rand.Rand) []*tensor.Tensor {
		var in []*tensor.Tensor
		for _, sh := range shapes {
			in = append(in, tensor.Randn(rng, sh...).MulScalar(s))
		}
		return in
	}
}

// convDistinct returns an input of the given shape whose values are a shuffled
// arithmetic sequence with step 0.1, so max pooling has no near-ties that a
// finite-difference step could flip.
func convDistinct(shape ...int) func(rng *rand.Rand) []*tensor.Tensor {
	return func(rng *rand.Rand) []*tensor.Tensor {
		t := tensor.New(shape...)
		d := t.Data()
		for i, p := range rng.Perm(len(d)) {
			d[i] = 0.1*float32(p) - 0.05*float32(len(d))
		}
		return []*tensor.Tensor{t}
	}
}

var (
	convCfg  = tensor.Conv2dConfig{Stride: [2]int{2, 1}, Padding: [2]int{1, 1}, Dilation: [2]int{1, 2}, Groups: 2}
	convTCfg = tensor.ConvTranspose2dConfig{Stride: [2]int{2, 2}, Padding: [2]int{1, 0},
		OutputPadding: [2]int{1, 1}, Groups: 2}
	convX = []int{2, 4, 5, 6}
	convW = []int{4, 2, 3, 2}
	// The output of convX with convW and convCfg.
	convY = tensor.Conv2d(tensor.New(convX...), tensor.New(convW...), nil, convCfg).Shape()
)

func init() {
	k3, s2, p1 := [2]int{3, 3}, [2]int{2, 2}, [2]int{1, 1}
	addGradCase("conv2d", gradCase{name: "conv2d_bias", shapes: [][]int{convX, convW, {4}},
		f: func(x []*Var) *Var { return Conv2d(x[0], x[1], x[2], convCfg) }})
	addGradCase("conv2d", gradCase{name: "conv2d_plain", shapes: [][]int{{1, 2, 4, 4}, {3, 2, 3, 3}},
		f: func(x []*Var) *Var { return Conv2d(x[0], x[1], nil, tensor.Conv2dConfig{}) }})
	addGradCase("conv2d", gradCase{name: "conv2d_1x1", shapes: [][]int{{2, 3, 3, 2}, {2, 3, 1, 1}, {2}},
		f: func(x []*Var) *Var { return Conv2d(x[0], x[1], x[2], tensor.Conv2dConfig{}) }})
	addGradCase("conv2d", gradCase{name: "conv2d_grad_of_grad", gen: convScaled(0.3, convX, convW, []int{4}),
		f: convGradOfGrad(func(x []*Var) *Var { return Conv2d(x[0], x[1], x[2], convCfg) })})

	addGradCase("conv2d_input_grad", gradCase{shapes: [][]int{convY, convW},
		f: func(x []*Var) *Var { return conv2dInputGrad(x[0], x[1], convX, convCfg) }})
	addGradCase("conv2d_input_grad", gradCase{name: "conv2d_input_grad_grad_of_grad", gen: convScaled(0.3, convY, convW),
		f: convGradOfGrad(func(x []*Var) *Var { return conv2dInputGrad(x[0], x[1], convX, convCfg) })})
	addGradCase("conv2d_weight_grad", gradCase{shapes: [][]int{convX, convY},
		f: func(x []*Var) *Var { return conv2dWeightGrad(x[0], x[1], convW, convCfg) }})
	addGradCase("conv2d_weight_grad", gradCase{name: "conv2d_weight_grad_grad_of_grad", gen: convScaled(0.3, convX, convY),
		f: convGradOfGrad(func(x []*Var) *Var { return conv2dWeightGrad(x[0], x[1], convW, convCfg) })})

	addGradCase("conv_transpose2d", gradCase{shapes: [][]int{{2, 4, 3, 2}, {4, 2, 3, 2}, {4}},
		f: func(x []*Var) *Var { return ConvTranspose2d(x[0], x[1], x[2], convTCfg) }})
	addGradCase("conv_transpose2d", gradCase{name: "conv_transpose2d_grad_of_grad", gen: convScaled(0.3, []int{1, 4, 3, 2}, []int{4, 1, 3, 2}, []int{2}),
		f: convGradOfGrad(func(x []*Var) *Var { return ConvTranspose2d(x[0], x[1], x[2], convTCfg) })})

	// Max pooling: the argmax of a fixed input drives the scatter and gather ops.
	poolX := []int{2, 2, 5, 6}
	fixed := convDistinct(poolX...)(rand.New(rand.NewPCG(5, 5)))[0]
	pooled, argmax := tensor.MaxPool2d(fixed, k3, s2, p1)
	addGradCase("max_pool2d", gradCase{gen: convDistinct(poolX...),
		f: func(x []*Var) *Var { return MaxPool2d(x[0], k3, s2, p1) }})
	addGradCase("max_pool2d", gradCase{name: "max_pool2d_default_stride", gen: convDistinct(1, 2, 4, 6),
		f: func(x []*Var) *Var { return MaxPool2d(x[0], [2]int{2, 3}, [2]int{}, [2]int{}) }})
	addGradCase("max_pool2d", gradCase{name: "max_pool2d_grad_of_grad", gen: convDistinct(poolX...),
		f: convGradOfGrad(func(x []*Var) *Var { return MaxPool2d(x[0], k3, s2, p1) })})
	addGradCase("max_pool2d_backward", gradCase{shapes: [][]int{pooled.Shape()},
		f: func(x []*Var) *Var { return maxPoolScatter(x[0], argmax, poolX) }})
	addGradCase("max_pool2d_gather", gradCase{shapes: [][]int{poolX},
		f: func(x []*Var) *Var { return maxPoolGather(x[0], argmax) }})

	for _, incl := range []bool{true, false} {
		name := map[bool]string{true: "_include_pad", false: "_exclude_pad"}[incl]
		addGradCase("avg_pool2d", gradCase{name: "avg_pool2d" + name, shapes: [][]int{poolX},
			f: func(x []*Var) *Var { return AvgPool2d(x[0], k3, s2, p1, incl) }})
		addGradCase("avg_pool2d_backward", gradCase{name: "avg_pool2d_backward" + name, shapes: [][]int{pooled.Shape()},
			f: func(x []*Var) *Var { return avgPoolBackward(x[0], poolX, k3, s2, p1, incl) }})
	}
	addGradCase("avg_pool2d", gradCase{name: "avg_pool2d_grad_of_grad", shapes: [][]int{poolX},
		f: convGradOfGrad(func(x []*Var) *Var { return AvgPool2d(x[0], k3, s2, p1, false) })})

	addGradCase("adaptive_avg_pool2d", gradCase{shapes: [][]int{{2, 2, 5, 7}},
		f: func(x []*Var) *Var { return AdaptiveAvgPool2d(x[0], 3, 2) }})
	addGradCase("adaptive_avg_pool2d_backward", gradCase{shapes: [][]int{{2, 2, 3, 2}},
		f: func(x []*Var) *Var { return adaptiveAvgPoolBackward(x[0], []int{2, 2, 5, 7}) }})
	addGradCase("adaptive_avg_pool2d", gradCase{name: "adaptive_avg_pool2d_grad_of_grad", shapes: [][]int{{1, 2, 5, 7}},
		f: convGradOfGrad(func(x []*Var) *Var { return AdaptiveAvgPool2d(x[0], 3, 2) })})

	addGradCase("upsample_nearest2d", gradCase{shapes: [][]int{{2, 2, 3, 2}},
		f: func(x []*Var) *Var { return UpsampleNearest2d(x[0], 2, 3) }})
	addGradCase("upsample_nearest2d", gradCase{name: "upsample_nearest2d_size", shapes: [][]int{{1, 2, 4, 3}},
		f: func(x []*Var) *Var { return UpsampleNearest2dSize(x[0], 7, 5) }})
	addGradCase("upsample_nearest2d_backward", gradCase{shapes: [][]int{{1, 2, 7, 5}},
		f: func(x []*Var) *Var { return upsampleNearestBackward(x[0], []int{1, 2, 4, 3}) }})
	addGradCase("upsample_nearest2d", gradCase{name: "upsample_nearest2d_grad_of_grad", shapes: [][]int{{1, 2, 3, 2}},
		f: convGradOfGrad(func(x []*Var) *Var { return UpsampleNearest2d(x[0], 2, 2) })})

	for _, align := range []bool{false, true} {
		name := map[bool]string{false: "", true: "_align_corners"}[align]
		addGradCase("upsample_bilinear2d", gradCase{name: "upsample_bilinear2d" + name, shapes: [][]int{{2, 2, 3, 4}},
			f: func(x []*Var) *Var { return UpsampleBilinear2d(x[0], 5, 7, align) }})
		addGradCase("upsample_bilinear2d_backward", gradCase{name: "upsample_bilinear2d_backward" + name, shapes: [][]int{{2, 2, 5, 7}},
			f: func(x []*Var) *Var { return upsampleBilinearBackward(x[0], []int{2, 2, 3, 4}, align) }})
	}
	addGradCase("upsample_bilinear2d", gradCase{name: "upsample_bilinear2d_grad_of_grad", shapes: [][]int{{1, 2, 3, 3}},
		f: convGradOfGrad(func(x []*Var) *Var { return UpsampleBilinear2d(x[0], 4, 5, false) })})
}

// A parameter-free leaf, a NoGrad input and a nil bias all go through Conv2d.
func TestConv2dGradientsReachOnlyWhatNeedsThem(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := Const(tensor.Randn(rng, 1, 2, 4, 4))
	w := Param(tensor.Randn(rng, 3, 2, 3, 3))
	y := Conv2d(x, w, nil, tensor.Conv2dConfig{Padding: [2]int{1, 1}})
	require.Equal(t, "conv2d", y.Op())
	Sum(y, false).Backward()
	require.NotNil(t, w.Grad())
	require.Nil(t, x.Grad())

	out := Conv2d(NoGrad(x.Value()), w, nil, tensor.Conv2dConfig{})
	require.True(t, out.IsLeaf())
	require.False(t, out.RequiresGrad())
}

// The recorded input- and weight-gradient ops give the same values as the tensor
// backward kernels, and the tape's gradient matches them.
func TestConv2dTapeMatchesKernels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	x, w, b := Param(tensor.Randn(rng, convX...)), Param(tensor.Randn(rng, convW...)), Param(tensor.Randn(rng, 4))
	y := Conv2d(x, w, b, convCfg)
	g := tensor.Randn(rng, y.Shape()...)
	y.BackwardWith(g)
	require.InDeltaSlice(t, tensor.Conv2dBackwardInput(g, w.Value(), convX, convCfg).Data(), x.Grad().Data(), 1e-5)
	require.InDeltaSlice(t, tensor.Conv2dBackwardWeight(x.Value(), g, convW, convCfg).Data(), w.Grad().Data(), 1e-5)
	require.InDeltaSlice(t, tensor.Sum(g, false, 0, 2, 3).Data(), b.Grad().Data(), 1e-5)
}

func TestConvAutogradPanics(t *testing.T) {
	x := Param(tensor.New(1, 2, 4, 4))
	for name, f := range map[string]func(){
		"Conv2d":             func() { Conv2d(x, Param(tensor.New(3, 3, 3, 3)), nil, tensor.Conv2dConfig{}) },
		"ConvTranspose2d":    func() { ConvTranspose2d(x, Param(tensor.New(3, 3, 3, 3)), nil, tensor.ConvTranspose2dConfig{}) },
		"MaxPool2d":          func() { MaxPool2d(x, [2]int{5, 5}, [2]int{}, [2]int{}) },
		"UpsampleNearest2d":  func() { UpsampleNearest2d(x, 0, 1) },
		"UpsampleBilinear2d": func() { UpsampleBilinear2d(Param(tensor.New(4, 4)), 2, 2, false) },
	} {
		t.Run(name, func(t *testing.T) {
			err := tensor.Catch(f)
			require.Error(t, err)
			require.Contains(t, err.Error(), name)
		})
	}
}

func ExampleConv2d() {
	x := Const(tensor.Arange(0, 9, 1).Reshape(1, 1, 3, 3))
	w := Param(tensor.Ones(1, 1, 2, 2))
	y := Conv2d(x, w, nil, tensor.Conv2dConfig{})
	Sum(y, false).Backward()
	fmt.Println(y.Value().Data(), w.Grad().Data())
	// Output: [8 12 20 24] [8 12 20 24]
}
