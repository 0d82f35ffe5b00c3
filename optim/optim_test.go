package optim

import (
	"math"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

const goldenPath = "testdata/optim.json"

// problem is the fixed regression problem of gen_optim.py: loss = sum((x@W + b - y)²).
type problem struct {
	x, y   *tensor.Tensor
	w0, b0 *tensor.Tensor
}

func loadProblem(t testing.TB, f *goldenFile) *problem {
	c := f.Case(t, "problem")
	return &problem{x: c.T(t, "x"), y: c.T(t, "y"), w0: c.T(t, "W0"), b0: c.T(t, "b0")}
}

// params returns fresh W (3,4) and b (4) at the starting point, named like a Linear.
func (pr *problem) params() (w, b *autograd.Var) {
	w, b = autograd.Param(pr.w0.Clone()), autograd.Param(pr.b0.Clone())
	w.SetName("weight")
	b.SetName("bias")
	return w, b
}

// backward computes the loss gradients into w and b, clearing old ones first.
func (pr *problem) backward(w, b *autograd.Var) {
	w.ZeroGrad()
	b.ZeroGrad()
	pred := autograd.Add(autograd.MatMul(autograd.Const(pr.x), w), b) // (5,3)@(3,4)+(4) -> (5,4)
	loss := autograd.Sum(autograd.Square(autograd.Sub(pred, autograd.Const(pr.y))), false)
	loss.Backward()
}

// orZero maps 0 to Zero, for configs whose zero value selects a default.
func orZero(v float64) float64 {
	if v == 0 {
		return Zero
	}
	return v
}

// newFromCase builds the optimizer a golden case describes, with the groups
// [W with weight decay, b without and with lr_b].
func newFromCase(c *goldenCase, w, b *autograd.Var) Optimizer {
	lr := c.NumOr("lr", 0)
	groups := DecayGroups([]*autograd.Var{w, b}, lr, c.NumOr("wd", 0))
	groups[1].LR = c.NumOr("lr_b", lr)
	switch kind := c.Attrs["opt"]; kind {
	case "sgd":
		return NewSGDGroups(groups, SGDConfig{LR: lr, Momentum: c.NumOr("momentum", 0),
			Dampening: c.NumOr("dampening", 0), Nesterov: c.NumOr("nesterov", 0) == 1})
	case "adam", "adamw":
		cfg := AdamConfig{LR: lr, Beta1: orZero(c.NumOr("beta1", 0.9)), Beta2: c.NumOr("beta2", 0.999),
			Eps: c.NumOr("eps", 1e-8), AMSGrad: c.NumOr("amsgrad", 0) == 1}
		if kind == "adamw" {
			return NewAdamWGroups(groups, cfg)
		}
		return NewAdamGroups(groups, cfg)
	case "rmsprop":
		return NewRMSpropGroups(groups, RMSpropConfig{LR: lr, Alpha: c.NumOr("alpha", 0.99),
			Eps: c.NumOr("eps", 1e-8), Momentum: c.NumOr("momentum", 0), Centered: c.NumOr("centered", 0) == 1})
	case "adagrad":
		return NewAdagradGroups(groups, AdagradConfig{LR: lr, LRDecay: c.NumOr("lr_decay", 0),
			InitialAccumulatorValue: c.NumOr("init_acc", 0), Eps: c.NumOr("eps", 1e-10)})
	}
	panic("unknown optimizer " + c.Name)
}

var optimCases = []string{
	"sgd", "sgd_momentum_nesterov_wd", "sgd_momentum_dampening",
	"adam", "adam_wd_amsgrad", "adam_beta1_zero", "adamw", "adamw_amsgrad",
	"rmsprop", "rmsprop_centered_momentum", "adagrad", "adagrad_lr_decay",
}

// maxAbs returns the largest absolute value in d.
func maxAbs(d []float32) float64 {
	m := 0.0
	for _, v := range d {
		m = math.Max(m, math.Abs(float64(v)))
	}
	return m
}

// TestTrajectoriesMatchPyTorch runs every optimizer 20 steps on the fixed problem and
// compares W and b after each step with PyTorch's, to 1e-5 relative to the parameter
// scale.
func TestTrajectoriesMatchPyTorch(t *testing.T) {
	f := loadGolden(t, goldenPath)
	pr := loadProblem(t, f)
	for _, name := range optimCases {
		t.Run(name, func(t *testing.T) {
			c := f.Case(t, name)
			wantW, wantB := c.T(t, "W"), c.T(t, "b")
			steps := wantW.Size(0)
			require.Equal(t, 20, steps)
			w, b := pr.params()
			opt := newFromCase(c, w, b)
			worst := 0.0
			for s := 0; s < steps; s++ {
				pr.backward(w, b)
				opt.Step()
				for _, pair := range []struct {
					got  *tensor.Tensor
					want []float32
				}{
					{w.Value(), wantW.Data()[s*12 : (s+1)*12]},
					{b.Value(), wantB.Data()[s*4 : (s+1)*4]},
				} {
					scale := math.Max(1, maxAbs(pair.want))
					for i, g := range pair.got.Data() {
						d := math.Abs(float64(g)-float64(pair.want[i])) / scale
						worst = math.Max(worst, d)
					}
				}
			}
			t.Logf("max relative diff over %d steps: %.3g", steps, worst)
			require.LessOrEqual(t, worst, 1e-5)
		})
	}
}
