package nn

import (
	"math"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNumericsAtMagnitude1e4 checks that the functions a training loss is built from
// give finite values and finite gradients for inputs of magnitude 1e4, where a naive
// exp overflows float32 (exp(89) already does).
func TestNumericsAtMagnitude1e4(t *testing.T) {
	big := []float32{1e4, -1e4, 3e4, -3e4, 1e4, 1e4 - 1}
	for _, tc := range []struct {
		name string
		f    func(x *autograd.Var) *autograd.Var // x (2,3) -> loss scalar
		want float64                             // the loss, when known in closed form
	}{
		{"softmax", func(x *autograd.Var) *autograd.Var {
			return autograd.Sum(autograd.Mul(autograd.Softmax(x, 1), autograd.Const(tensor.FromSlice([]float32{1, 2, 3, 4, 5, 6}, 2, 3))), false)
		}, 3 + (5*math.E+6)/(1+math.E)},
		{"log_softmax", func(x *autograd.Var) *autograd.Var { return autograd.Sum(autograd.LogSoftmax(x, 1), false) }, math.NaN()},
		{"logsumexp", func(x *autograd.Var) *autograd.Var { return autograd.Sum(autograd.LogSumExp(x, false, 1), false) }, math.NaN()},
		{"bce_with_logits", func(x *autograd.Var) *autograd.Var {
			return BCEWithLogitsLoss(x, autograd.Const(tensor.FromSlice([]float32{0, 1, 0, 1, 1, 0}, 2, 3)), Sum)
		}, 1e4 + 1e4 + 3e4 + 3e4 + 0 + (1e4 - 1)},
		{"gaussian_ll_mean", func(x *autograd.Var) *autograd.Var {
			return GaussianLogLikelihood(autograd.Const(tensor.New(2, 3)), x, autograd.Const(tensor.Full(20, 2, 3)), Sum)
		}, math.NaN()},
		{"gaussian_ll_logvar", func(x *autograd.Var) *autograd.Var {
			// log σ² of ±1e4: σ² overflows, the log-likelihood must not.
			return GaussianLogLikelihood(autograd.Const(tensor.Full(1, 2, 3)), autograd.Const(tensor.New(2, 3)), autograd.Abs(x), Sum)
		}, math.NaN()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			x := autograd.Param(tensor.FromSlice(append([]float32(nil), big...), 2, 3))
			loss := tc.f(x)
			loss.Backward()
			v := float64(loss.Item())
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "loss %v", v)
			if !math.IsNaN(tc.want) {
				assert.InDelta(t, tc.want, v, 1e-4*max(1, math.Abs(tc.want)))
			}
			for i, g := range x.Grad().Data() {
				require.False(t, math.IsNaN(float64(g)) || math.IsInf(float64(g), 0), "gradient %d is %v", i, g)
			}
		})
	}
}
