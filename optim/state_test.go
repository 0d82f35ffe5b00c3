package optim

import (
	"maps"
	"math"
	"slices"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// run trains w and b for n steps with opt (and ema, if not nil).
func run(pr *problem, opt Optimizer, ema *EMA, w, b *autograd.Var, n int) {
	for range n {
		pr.backward(w, b)
		opt.Step()
		opt.ZeroGrad()
		if ema != nil {
			ema.Update()
		}
	}
}

// TestResumeIsBitwise trains 20 steps straight, and 10 steps, a checkpoint of
// parameters, optimizer state (and EMA), a fresh model and optimizer loaded from it and
// 10 more steps; the results must be bitwise equal.
func TestResumeIsBitwise(t *testing.T) {
	f := loadGolden(t, goldenPath)
	pr := loadProblem(t, f)
	type build func(w, b *autograd.Var) Optimizer
	fromCase := func(name string) build {
		return func(w, b *autograd.Var) Optimizer { return newFromCase(f.Case(t, name), w, b) }
	}
	tests := []struct {
		name    string
		build   build
		unnamed bool
	}{
		{name: "warmup_cosine_adamw", build: func(w, b *autograd.Var) Optimizer {
			return NewScheduler(fromCase("adamw")(w, b), WarmupCosine{Base: 0.05, Min: 0.001, Warmup: 3, Total: 20})
		}},
		{name: "onecycle_sgd_momentum", build: func(w, b *autograd.Var) Optimizer {
			return NewScheduler(fromCase("sgd_momentum_nesterov_wd")(w, b),
				OneCycle{MaxLR: 0.02, Total: 20, CycleMomentum: true})
		}},
		{name: "onecycle_adam_unnamed", unnamed: true, build: func(w, b *autograd.Var) Optimizer {
			return NewScheduler(fromCase("adam_wd_amsgrad")(w, b), OneCycle{MaxLR: 0.05, Total: 20, CycleMomentum: true})
		}},
	}
	for _, name := range optimCases {
		tests = append(tests, struct {
			name    string
			build   build
			unnamed bool
		}{name: name, build: fromCase(name)})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fresh := func(wv, bv *tensor.Tensor) (w, b *autograd.Var) {
				w, b = pr.params()
				copy(w.Value().Data(), wv.Data())
				copy(b.Value().Data(), bv.Data())
				if tt.unnamed {
					w.SetName("")
					b.SetName("")
				}
				return w, b
			}
			// Uninterrupted.
			w1, b1 := fresh(pr.w0, pr.b0)
			opt1 := tt.build(w1, b1)
			ema1 := NewEMA([]*autograd.Var{w1, b1}, 0.9)
			run(pr, opt1, ema1, w1, b1, 20)

			// Interrupted at step 10.
			w2, b2 := fresh(pr.w0, pr.b0)
			opt2 := tt.build(w2, b2)
			ema2 := NewEMA([]*autograd.Var{w2, b2}, 0.9)
			run(pr, opt2, ema2, w2, b2, 10)
			sd, emaSD := opt2.StateDict(), ema2.StateDict()
			wSaved, bSaved := w2.Value().Clone(), b2.Value().Clone()
			if tt.unnamed {
				require.Contains(t, sd, "state.0.step")
			}
			run(pr, opt2, ema2, w2, b2, 3) // the checkpoint must be a snapshot

			w3, b3 := fresh(wSaved, bSaved)
			opt3 := tt.build(w3, b3)
			ema3 := NewEMA([]*autograd.Var{w3, b3}, 0.9)
			require.NoError(t, opt3.LoadStateDict(sd))
			require.NoError(t, ema3.LoadStateDict(emaSD))
			run(pr, opt3, ema3, w3, b3, 10)

			assert.Equal(t, w1.Value().Data(), w3.Value().Data(), "W")
			assert.Equal(t, b1.Value().Data(), b3.Value().Data(), "b")
			assert.Equal(t, opt1.LR(), opt3.LR())
			got, want := opt3.StateDict(), opt1.StateDict()
			require.ElementsMatch(t, slices.Collect(maps.Keys(want)), slices.Collect(maps.Keys(got)))
			for k, v := range want {
				assert.Equal(t, v.Data(), got[k].Data(), k)
			}
			e1, e3 := ema1.StateDict(), ema3.StateDict()
			for k, v := range e1 {
				assert.Equal(t, v.Data(), e3[k].Data(), "ema "+k)
			}
		})
	}
}

func TestStateDictKeys(t *testing.T) {
	newParams := func() []*autograd.Var {
		w, b := autograd.Param(tensor.Ones(2, 3)), autograd.Param(tensor.Ones(3))
		w.SetName("fc.weight")
		b.SetName("fc.bias")
		return []*autograd.Var{w, b, autograd.Param(tensor.Ones(3))}
	}
	tests := []struct {
		name string
		opt  func(ps []*autograd.Var) Optimizer
		keys []string // for fc.weight
	}{
		{"sgd", func(ps []*autograd.Var) Optimizer { return NewSGD(ps, SGDConfig{}) }, nil},
		{"sgd_momentum", func(ps []*autograd.Var) Optimizer { return NewSGD(ps, SGDConfig{Momentum: 0.9}) },
			[]string{"momentum_buffer"}},
		{"adam", func(ps []*autograd.Var) Optimizer { return NewAdam(ps, AdamConfig{}) },
			[]string{"exp_avg", "exp_avg_sq", "step"}},
		{"adamw_amsgrad", func(ps []*autograd.Var) Optimizer { return NewAdamW(ps, AdamConfig{AMSGrad: true}) },
			[]string{"exp_avg", "exp_avg_sq", "max_exp_avg_sq", "step"}},
		{"rmsprop", func(ps []*autograd.Var) Optimizer { return NewRMSprop(ps, RMSpropConfig{}) },
			[]string{"square_avg", "step"}},
		{"rmsprop_all", func(ps []*autograd.Var) Optimizer {
			return NewRMSprop(ps, RMSpropConfig{Momentum: 0.5, Centered: true})
		}, []string{"grad_avg", "momentum_buffer", "square_avg", "step"}},
		{"adagrad", func(ps []*autograd.Var) Optimizer { return NewAdagrad(ps, AdagradConfig{}) },
			[]string{"step", "sum"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := newParams()
			opt := tt.opt(ps)
			assert.Empty(t, opt.StateDict(), "no state before the first step")
			ps[0].SetGrad(tensor.Ones(2, 3))
			ps[2].SetGrad(tensor.Ones(3)) // fc.bias (index 1) has no gradient
			opt.Step()
			sd := opt.StateDict()
			var want []string
			for _, prefix := range []string{"state.fc.weight.", "state.2."} {
				for _, k := range tt.keys {
					want = append(want, prefix+k)
				}
			}
			assert.ElementsMatch(t, want, slices.Collect(maps.Keys(sd)))
			if s, ok := sd["state.fc.weight.step"]; ok {
				assert.Equal(t, 0, s.Dim())
				assert.Equal(t, float32(1), s.Item())
			}
			assert.Equal(t, []float32{1, 1, 1}, ps[1].Value().Data(), "a parameter without gradient is not updated")
		})
	}
}

func TestLoadStateDictErrors(t *testing.T) {
	newOpt := func() (*Adam, []*autograd.Var) {
		w := autograd.Param(tensor.Ones(2, 2))
		w.SetName("w")
		ps := []*autograd.Var{w}
		o := NewAdam(ps, AdamConfig{})
		w.SetGrad(tensor.Ones(2, 2))
		o.Step()
		return o, ps
	}
	tests := []struct {
		name string
		edit func(sd map[string]*tensor.Tensor)
		msg  string
	}{
		{"unknown parameter", func(sd map[string]*tensor.Tensor) { sd["state.v.step"] = tensor.Scalar(1) }, "names no parameter"},
		{"unknown buffer", func(sd map[string]*tensor.Tensor) { sd["state.w.momentum"] = tensor.New(2, 2) }, "unexpected key"},
		{"not state", func(sd map[string]*tensor.Tensor) { sd["lr"] = tensor.Scalar(1) }, "unexpected key"},
		{"shape", func(sd map[string]*tensor.Tensor) { sd["state.w.exp_avg"] = tensor.New(4) }, "shape (4)"},
		{"fractional step", func(sd map[string]*tensor.Tensor) { sd["state.w.step"] = tensor.Scalar(1.5) }, "integer step"},
		{"negative step", func(sd map[string]*tensor.Tensor) { sd["state.w.step"] = tensor.Scalar(-1) }, "integer step"},
		{"no step", func(sd map[string]*tensor.Tensor) { delete(sd, "state.w.step") }, "no step"},
		{"missing buffer", func(sd map[string]*tensor.Tensor) { delete(sd, "state.w.exp_avg_sq") }, "no exp_avg_sq"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, _ := newOpt()
			before := o.StateDict()
			sd := o.StateDict()
			tt.edit(sd)
			err := o.LoadStateDict(sd)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
			assert.Equal(t, before, o.StateDict(), "a failed load changes nothing")
		})
	}
	o, _ := newOpt()
	require.NoError(t, o.LoadStateDict(map[string]*tensor.Tensor{}), "an empty state dict resets")
	assert.Empty(t, o.StateDict())

	sch := NewScheduler(o, Constant{Base: 1})
	require.Error(t, sch.LoadStateDict(map[string]*tensor.Tensor{}))
	require.Error(t, sch.LoadStateDict(map[string]*tensor.Tensor{"scheduler.step": tensor.Scalar(0.5)}))
}

// TestStepDoesNotAllocate checks that update loops allocate nothing once the state
// exists.
func TestStepDoesNotAllocate(t *testing.T) {
	newParams := func() []*autograd.Var {
		ps := []*autograd.Var{autograd.Param(tensor.Ones(8, 8)), autograd.Param(tensor.Ones(8)), autograd.Param(tensor.Ones(3))}
		ps[0].SetGrad(tensor.Full(0.5, 8, 8))
		ps[1].SetGrad(tensor.Full(-0.5, 8))
		return ps // ps[2] has no gradient
	}
	tests := []struct {
		name string
		opt  func(ps []*autograd.Var) Optimizer
	}{
		{"sgd", func(ps []*autograd.Var) Optimizer {
			return NewSGD(ps, SGDConfig{Momentum: 0.9, Nesterov: true, WeightDecay: 0.1})
		}},
		{"adam", func(ps []*autograd.Var) Optimizer { return NewAdam(ps, AdamConfig{AMSGrad: true, WeightDecay: 0.1}) }},
		{"adamw_groups", func(ps []*autograd.Var) Optimizer { return NewAdamWGroups(DecayGroups(ps, 1e-3, 0.1), AdamConfig{}) }},
		{"rmsprop", func(ps []*autograd.Var) Optimizer {
			return NewRMSprop(ps, RMSpropConfig{Momentum: 0.9, Centered: true, WeightDecay: 0.1})
		}},
		{"adagrad", func(ps []*autograd.Var) Optimizer { return NewAdagrad(ps, AdagradConfig{LRDecay: 0.1}) }},
		{"scheduler_onecycle", func(ps []*autograd.Var) Optimizer {
			return NewScheduler(NewAdam(ps, AdamConfig{}), OneCycle{MaxLR: 0.1, Total: 1000, CycleMomentum: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := newParams()
			opt := tt.opt(ps)
			opt.Step()
			assert.Zero(t, testing.AllocsPerRun(100, opt.Step))
		})
	}
	ps := newParams()
	ema := NewEMA(ps, 0.99)
	assert.Zero(t, testing.AllocsPerRun(100, ema.Update), "EMA.Update")
	assert.Zero(t, testing.AllocsPerRun(100, func() { ClipGradNorm(ps, 1) }), "ClipGradNorm")
	assert.Zero(t, testing.AllocsPerRun(100, func() { ClipGradValue(ps, 1) }), "ClipGradValue")
}

// TestNilGradSkipped checks that a parameter without a gradient is not updated and its
// step count does not advance, as in PyTorch.
func TestNilGradSkipped(t *testing.T) {
	a, b := autograd.Param(tensor.Ones(2)), autograd.Param(tensor.Ones(2))
	o := NewAdam([]*autograd.Var{a, b}, AdamConfig{LR: 0.1})
	a.SetGrad(tensor.Ones(2))
	o.Step()
	b.SetGrad(tensor.Ones(2))
	o.Step()
	sd := o.StateDict()
	assert.Equal(t, float32(2), sd["state.0.step"].Item())
	assert.Equal(t, float32(1), sd["state.1.step"].Item())
	// One Adam step moves by lr regardless of the gradient's scale.
	assert.InDelta(t, 0.9, b.Value().Data()[0], 1e-6)
	assert.InDelta(t, 0.8, a.Value().Data()[0], 1e-6)
}

func TestConfigDefaults(t *testing.T) {
	ps := []*autograd.Var{autograd.Param(tensor.New(2))}
	adam := NewAdam(ps, AdamConfig{})
	assert.Equal(t, []float64{1e-3, 0.9, 0.999, 1e-8, 0}, []float64{adam.LR(), adam.beta1, adam.beta2, adam.eps, adam.groups[0].WeightDecay})
	adamw := NewAdamW(ps, AdamConfig{})
	assert.Equal(t, 0.01, adamw.groups[0].WeightDecay, "AdamW's default weight decay")
	adamw = NewAdamW(ps, AdamConfig{WeightDecay: Zero, Beta1: Zero})
	assert.Equal(t, []float64{0, 0}, []float64{adamw.groups[0].WeightDecay, adamw.beta1})
	sgd := NewSGD(ps, SGDConfig{})
	assert.Equal(t, 1e-3, sgd.LR())
	rms := NewRMSprop(ps, RMSpropConfig{})
	assert.Equal(t, []float64{1e-2, 0.99, 1e-8, 0}, []float64{rms.LR(), rms.alpha, rms.eps, rms.momentum})
	ada := NewAdagrad(ps, AdagradConfig{})
	assert.Equal(t, []float64{1e-2, 0, 0, 1e-10}, []float64{ada.LR(), ada.lrDecay, ada.initAcc, ada.eps})

	groups := []*Group{{Params: ps}, {Params: []*autograd.Var{autograd.Param(tensor.New(1))}, LR: 0.5, WeightDecay: 0.1}}
	g := NewSGDGroups(groups, SGDConfig{LR: 0.2, WeightDecay: 0.3}).Groups()
	assert.Equal(t, []float64{0.2, 0, 0.5, 0.1}, []float64{g[0].LR, g[0].WeightDecay, g[1].LR, g[1].WeightDecay})
	assert.Equal(t, 0.0, groups[0].LR, "the caller's groups are not changed")

	adam.SetLR(0.25)
	assert.Equal(t, 0.25, adam.LR())
	adam.SetMomentum(0.5)
	assert.Equal(t, 0.5, adam.beta1)
}

func TestInvalidConfigPanics(t *testing.T) {
	p := autograd.Param(tensor.New(2))
	ps := []*autograd.Var{p}
	named := func(n string) *autograd.Var { v := autograd.Param(tensor.New(1)); v.SetName(n); return v }
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"negative lr", func() { NewAdam(ps, AdamConfig{LR: -1e-3}) }, "LR is -0.001"},
		{"NaN eps", func() { NewAdam(ps, AdamConfig{Eps: math.NaN()}) }, "Eps is NaN"},
		{"beta1 ≥ 1", func() { NewAdam(ps, AdamConfig{Beta1: 1}) }, "Beta1 is 1"},
		{"alpha ≥ 1", func() { NewRMSprop(ps, RMSpropConfig{Alpha: 1.5}) }, "Alpha"},
		{"nesterov without momentum", func() { NewSGD(ps, SGDConfig{Nesterov: true}) }, "Nesterov"},
		{"nesterov with dampening", func() { NewSGD(ps, SGDConfig{Nesterov: true, Momentum: 0.9, Dampening: 0.1}) }, "Nesterov"},
		{"parameter twice", func() { NewSGDGroups([]*Group{{Params: ps}, {Params: ps}}, SGDConfig{}) }, "appears twice"},
		{"name twice", func() { NewSGD([]*autograd.Var{named("a"), named("a")}, SGDConfig{}) }, `named "a"`},
		{"nil group", func() { NewAdamGroups([]*Group{nil}, AdamConfig{}) }, "group 0 is nil"},
		{"negative group decay", func() { NewAdamGroups([]*Group{{Params: ps, WeightDecay: -2}}, AdamConfig{}) }, "WeightDecay"},
		{"set lr", func() { NewAdam(ps, AdamConfig{}).SetLR(math.NaN()) }, "SetLR"},
		{"set momentum", func() { NewSGD(ps, SGDConfig{}).SetMomentum(1) }, "SetMomentum"},
		{"gradient shape", func() {
			o := NewAdam(ps, AdamConfig{})
			p.SetGrad(tensor.New(3))
			o.Step()
		}, "gradient of shape (3) for parameter Var(leaf (2))"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tensor.Catch(tt.f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.msg)
		})
	}
}

func TestDecayGroups(t *testing.T) {
	w, b, g, e := autograd.Param(tensor.New(4, 3)), autograd.Param(tensor.New(4)), autograd.Param(tensor.New(4)), autograd.Param(tensor.New(2, 3, 3, 3))
	groups := DecayGroups([]*autograd.Var{w, b, g, e}, 0.1, 0.05)
	require.Len(t, groups, 2)
	assert.Equal(t, []*autograd.Var{w, e}, groups[0].Params)
	assert.Equal(t, []*autograd.Var{b, g}, groups[1].Params)
	assert.Equal(t, []float64{0.1, 0.05, 0.1, 0}, []float64{groups[0].LR, groups[0].WeightDecay, groups[1].LR, groups[1].WeightDecay})
}
