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

func TestLossGradients(t *testing.T) {
	targets := tensor.FromSlice([]float32{2, 0, -100, 1}, 4)
	cases := []struct {
		name string
		f    func(a, b *autograd.Var) *autograd.Var
	}{
		{"mse", func(a, b *autograd.Var) *autograd.Var { return MSELoss(a, b, Mean) }},
		{"l1", func(a, b *autograd.Var) *autograd.Var { return L1Loss(a, b, Sum) }},
		{"smooth_l1", func(a, b *autograd.Var) *autograd.Var { return SmoothL1Loss(a, b, 0.5, None) }},
		{"bce", func(a, b *autograd.Var) *autograd.Var {
			return BCELoss(autograd.Sigmoid(a), autograd.Sigmoid(b), Mean)
		}},
		{"bce_logits", func(a, b *autograd.Var) *autograd.Var {
			return BCEWithLogitsLoss(a, autograd.Sigmoid(b), Sum)
		}},
		{"cross_entropy", func(a, _ *autograd.Var) *autograd.Var {
			return CrossEntropyLoss(autograd.Reshape(a, 4, 3), targets, CrossEntropyConfig{LabelSmoothing: 0.1})
		}},
		{"gaussian_kl", func(a, b *autograd.Var) *autograd.Var { return GaussianKL(a, b, Sum) }},
		{"diag_gaussian_kl", func(a, b *autograd.Var) *autograd.Var {
			return DiagGaussianKL(a, b, autograd.MulScalar(b, 0.5), autograd.MulScalar(a, -0.3), Mean)
		}},
		{"gaussian_ll", func(a, b *autograd.Var) *autograd.Var {
			return GaussianLogLikelihood(a, b, autograd.MulScalar(a, 0.2), None)
		}},
		{"bernoulli_ll", func(a, b *autograd.Var) *autograd.Var {
			return BernoulliLogLikelihood(autograd.Sigmoid(a), b, Sum)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(9, 9))
			in := []*tensor.Tensor{tensor.Randn(rng, 4, 3), tensor.Randn(rng, 4, 3)}
			f := func(xs []*autograd.Var) *autograd.Var { return c.f(xs[0], xs[1]) }
			require.NoError(t, autograd.GradCheck(f, in, autograd.GradCheckConfig{}))
		})
	}
}

func TestCrossEntropyValues(t *testing.T) {
	logits := autograd.Const(tensor.FromSlice([]float32{1, 2, 3, 0, 0, 0}, 2, 3))
	// Row 0: -log softmax([1,2,3])[2]; row 1: log 3.
	l0 := math.Log(math.Exp(1)+math.Exp(2)+math.Exp(3)) - 3
	l1 := math.Log(3)
	got := CrossEntropyLoss(logits, tensor.FromSlice([]float32{2, 1}, 2), CrossEntropyConfig{})
	assert.InDelta(t, (l0+l1)/2, got.Item(), 1e-6)
	// Ignored targets count neither in the sum nor in the mean's denominator.
	got = CrossEntropyLoss(logits, tensor.FromSlice([]float32{2, 1}, 2), CrossEntropyConfig{Ignore: true, IgnoreIndex: 1})
	assert.InDelta(t, l0, got.Item(), 1e-6)
	got = CrossEntropyLoss(logits, tensor.FromSlice([]float32{-100, 1}, 2), CrossEntropyConfig{Reduction: Sum})
	assert.InDelta(t, l1, got.Item(), 1e-6)
	err := tensor.Catch(func() { CrossEntropyLoss(logits, tensor.FromSlice([]float32{3, 1}, 2), CrossEntropyConfig{}) })
	require.ErrorContains(t, err, "target 3 out of range for 3 classes")
}

func TestLossesStayFiniteForLargeInputs(t *testing.T) {
	x := autograd.Const(tensor.FromSlice([]float32{1e4, -1e4, 3e4, -3e4}, 2, 2))
	tgt := autograd.Const(tensor.FromSlice([]float32{1, 0, 0, 1}, 2, 2))
	for name, v := range map[string]*autograd.Var{
		"bce_logits":    BCEWithLogitsLoss(x, tgt, Mean),
		"cross_entropy": CrossEntropyLoss(x, tensor.FromSlice([]float32{0, 1}, 2), CrossEntropyConfig{}),
		"gaussian_ll":   GaussianLogLikelihood(tgt, x, autograd.Const(tensor.Full(3, 2, 2)), Sum),
	} {
		f := float64(v.Item())
		assert.False(t, math.IsNaN(f) || math.IsInf(f, 0), "%s = %v", name, f)
	}
	// BCE-with-logits of x=1e4 against t=0 is exactly 1e4.
	assert.InDelta(t, 1e4, BCEWithLogitsLoss(autograd.Const(tensor.Scalar(1e4)), autograd.Const(tensor.Scalar(0)), Sum).Item(), 1e-3)
}
