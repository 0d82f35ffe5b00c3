package nn

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheckFiniteNamesTheParameter(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(-1))
	for _, tc := range []struct {
		name   string
		spoil  func(fc1, fc2 *Linear, bn *BatchNorm)
		param  string
		grad   bool
		index  int
		finite bool
	}{
		{"all finite", func(_, _ *Linear, _ *BatchNorm) {}, "", false, 0, true},
		{"weight NaN", func(_, fc2 *Linear, _ *BatchNorm) { fc2.Weight.Value().Data()[5] = nan }, "fc2.weight", false, 5, false},
		{"gradient Inf", func(fc1, _ *Linear, _ *BatchNorm) {
			g := tensor.New(fc1.Bias.Shape()...)
			g.Data()[2] = inf
			fc1.Bias.SetGrad(g)
		}, "fc1.bias", true, 2, false},
		{"buffer NaN", func(_, _ *Linear, bn *BatchNorm) { bn.RunningVar.Data()[1] = nan }, "bn.running_var", false, 1, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vs := NewVarStore(rand.New(rand.NewPCG(1, 1)))
			fc1 := NewLinear(vs.Root().Push("fc1"), 3, 4, LinearConfig{})
			fc2 := NewLinear(vs.Root().Push("fc2"), 4, 2, LinearConfig{})
			bn := NewBatchNorm2d(vs.Root().Push("bn"), 2, BatchNormConfig{})
			tc.spoil(fc1, fc2, bn)
			err := CheckFinite(vs)
			if tc.finite {
				require.NoError(t, err)
				return
			}
			var nf *NonFiniteError
			require.True(t, errors.As(err, &nf), "%v", err)
			assert.Equal(t, tc.param, nf.Name)
			assert.Equal(t, tc.grad, nf.Grad)
			assert.Equal(t, tc.index, nf.Index)
			assert.ErrorContains(t, err, tc.param)
		})
	}
}

// A training loop with the guard stops at the step where a parameter turns NaN and
// names it.
func TestCheckFiniteStopsATrainingLoop(t *testing.T) {
	vs := NewVarStore(rand.New(rand.NewPCG(2, 2)))
	fc := NewLinear(vs.Root().Push("fc"), 2, 1, LinearConfig{})
	x := autograd.Const(tensor.FromSlice([]float32{1, 2}, 1, 2))
	var stopped error
	for step := 1; step <= 10; step++ {
		vs.ZeroGrad()
		loss := autograd.Sum(fc.Forward(x), false)
		loss.Backward()
		for _, p := range vs.Params() {
			lr := float32(0.1)
			if step == 4 {
				lr = float32(math.Inf(1)) // a learning-rate blow-up
			}
			for i, g := range p.Grad().Data() {
				p.Value().Data()[i] -= lr * g
			}
		}
		if err := CheckFinite(vs); err != nil {
			stopped = fmt.Errorf("step %d: %w", step, err)
			break
		}
	}
	require.Error(t, stopped)
	assert.Equal(t, "step 4: nn: value of fc.weight is -Inf at index 0", stopped.Error())
}
