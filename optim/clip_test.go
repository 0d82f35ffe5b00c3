package optim

import (
	"math"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClipMatchesPyTorch compares clipped gradients and the returned total norm with
// torch.nn.utils.clip_grad_norm_ and clip_grad_value_.
func TestClipMatchesPyTorch(t *testing.T) {
	f := loadGolden(t, goldenPath)
	pr := loadProblem(t, f)
	for _, name := range []string{"clip_norm", "clip_norm_noop", "clip_value"} {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			w, b := pr.params()
			pr.backward(w, b)
			assertClose(t, "gW before", c.T(t, "gW"), w.Grad(), 1e-6)
			assertClose(t, "gb before", c.T(t, "gb"), b.Grad(), 1e-6)
			params := []*autograd.Var{w, autograd.Param(tensor.New(3)), b} // one without a gradient
			if c.Has("total") {
				total := ClipGradNorm(params, c.NumOr("max_norm", 0))
				want := float64(c.T(t, "total").Item())
				assert.InDelta(t, want, total, 1e-6*want)
			} else {
				ClipGradValue(params, c.NumOr("clip_value", 0))
			}
			assertClose(t, "gW after", c.T(t, "cW"), w.Grad(), 1e-6)
			assertClose(t, "gb after", c.T(t, "cb"), b.Grad(), 1e-6)
		})
	}
}

// assertClose checks got against want to rtol relative to want's largest value.
func assertClose(t *testing.T, what string, want, got *tensor.Tensor, rtol float64) {
	t.Helper()
	require.Equal(t, want.Shape(), got.Shape(), what)
	tol := rtol * math.Max(1, maxAbs(want.Data()))
	for i, w := range want.Data() {
		require.InDelta(t, w, got.Data()[i], tol, "%s element %d", what, i)
	}
}

func TestClipGradNormEdgeCases(t *testing.T) {
	p := autograd.Param(tensor.New(2))
	p.SetGrad(tensor.FromSlice([]float32{3, 4}, 2))
	assert.Equal(t, 5.0, ClipGradNorm([]*autograd.Var{p}, 10))
	assert.Equal(t, []float32{3, 4}, p.Grad().Data(), "no clipping below maxNorm")

	assert.Equal(t, 5.0, ClipGradNorm([]*autograd.Var{p}, 1))
	assert.InDeltaSlice(t, []float32{0.6, 0.8}, p.Grad().Data(), 1e-6)

	p.SetGrad(tensor.FromSlice([]float32{float32(math.Inf(1)), 1}, 2))
	assert.True(t, math.IsInf(ClipGradNorm([]*autograd.Var{p}, 1), 1))
	assert.Equal(t, float32(1), p.Grad().Data()[1], "non-finite norm leaves gradients alone")

	assert.Equal(t, 0.0, ClipGradNorm(nil, 1))
	require.Error(t, tensor.Catch(func() { ClipGradNorm(nil, -1) }))
	require.Error(t, tensor.Catch(func() { ClipGradValue(nil, math.NaN()) }))
}
