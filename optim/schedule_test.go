package optim

import (
	"math"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSchedulesMatchPyTorch compares the lr of 30 steps (and OneCycle's momentum)
// with torch.optim.lr_scheduler, to 1e-9 relative to the base lr.
func TestSchedulesMatchPyTorch(t *testing.T) {
	f := loadGolden(t, goldenPath)
	tests := []struct {
		name  string
		sched Schedule
	}{
		{"constant", Constant{Base: 0.1}},
		{"step", Step{Base: 0.1, StepSize: 7, Gamma: 0.5}},
		{"exponential", Exponential{Base: 0.1, Gamma: 0.9}},
		{"cosine", Cosine{Base: 0.1, TMax: 20, Min: 0.001}},
		{"warmup_cosine", WarmupCosine{Base: 0.1, Min: 0.001, Warmup: 5, Total: 30}},
		{"warmup_linear", WarmupLinear{Base: 0.1, Min: 0.01, Warmup: 5, Total: 30}},
		{"onecycle", OneCycle{MaxLR: 0.1, Total: 30, CycleMomentum: true}},
		{"onecycle_custom", OneCycle{MaxLR: 0.2, Total: 30, PctStart: 0.25, DivFactor: 10,
			FinalDivFactor: 100, BaseMomentum: 0.8, MaxMomentum: 0.9, CycleMomentum: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.Case(t, "sched_"+tt.name)
			want := c.F64(t, "lr")
			require.Len(t, want, 30)
			for s, w := range want {
				assert.InDelta(t, w, tt.sched.LR(s), 1e-9*c.NumOr("base", 1), "step %d", s)
			}
			if c.NumOr("momentum_opt", 0) == 1 {
				ms := tt.sched.(MomentumSchedule)
				for s, w := range c.F64(t, "momentum") {
					m, ok := ms.Momentum(s)
					require.True(t, ok)
					assert.InDelta(t, w, m, 1e-9, "momentum at step %d", s)
				}
			}
		})
	}
}

// TestSchedulerDrivesOptimizer checks that a Scheduler sets the scheduled lr and
// momentum on the optimizer for each step, as PyTorch's scheduler.step() does.
func TestSchedulerDrivesOptimizer(t *testing.T) {
	f := loadGolden(t, goldenPath)
	c := f.Case(t, "sched_onecycle")
	wantLR, wantMom := c.F64(t, "lr"), c.F64(t, "momentum")
	p := autograd.Param(tensor.New(1))
	sgd := NewSGD([]*autograd.Var{p}, SGDConfig{LR: 0.1, Momentum: 0.9})
	opt := NewScheduler(sgd, OneCycle{MaxLR: 0.1, Total: 30, CycleMomentum: true})
	for s := range 30 {
		assert.InDelta(t, wantLR[s], opt.LR(), 1e-12, "lr at step %d", s)
		assert.InDelta(t, wantMom[s], sgd.momentum, 1e-12, "momentum at step %d", s)
		p.SetGrad(tensor.Ones(1))
		opt.Step()
	}
	assert.Equal(t, 30, opt.StepCount())
}

func TestSchedulerKeepsGroupRatios(t *testing.T) {
	a, b := autograd.Param(tensor.New(2, 2)), autograd.Param(tensor.New(2))
	groups := DecayGroups([]*autograd.Var{a, b}, 0.1, 0.01)
	groups[1].LR = 0.05
	opt := NewScheduler(NewAdamWGroups(groups, AdamConfig{}), Exponential{Base: 1, Gamma: 0.5})
	for s := range 4 {
		g := opt.Groups()
		assert.Equal(t, math.Pow(0.5, float64(s)), g[0].LR)
		assert.InDelta(t, 0.5*math.Pow(0.5, float64(s)), g[1].LR, 1e-15)
		opt.Step()
	}
}

func TestSchedulesPastTheEnd(t *testing.T) {
	assert.Equal(t, 0.001, WarmupCosine{Base: 0.1, Min: 0.001, Warmup: 5, Total: 30}.LR(30))
	assert.Equal(t, 0.001, WarmupCosine{Base: 0.1, Min: 0.001, Warmup: 5, Total: 30}.LR(1000))
	assert.Equal(t, 0.01, WarmupLinear{Base: 0.1, Min: 0.01, Warmup: 5, Total: 30}.LR(31))
	oc := OneCycle{MaxLR: 0.1, Total: 30}
	assert.Equal(t, oc.LR(29), oc.LR(100))
	assert.InDelta(t, 0.1/25/1e4, oc.LR(29), 1e-18)
	_, ok := oc.Momentum(3)
	assert.False(t, ok, "momentum is cycled only with CycleMomentum")
	// Without warmup the cosine starts at Base.
	assert.Equal(t, 0.1, WarmupCosine{Base: 0.1, Total: 10}.LR(0))
	// Step's Gamma defaults to PyTorch's 0.1.
	assert.InDelta(t, 0.01, Step{Base: 1, StepSize: 2}.LR(5), 1e-15)
}

func TestScheduleInvalidPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
	}{
		{"negative step", func() { Constant{Base: 1}.LR(-1) }},
		{"step size", func() { Step{Base: 1}.LR(0) }},
		{"exponential gamma", func() { Exponential{Base: 1}.LR(0) }},
		{"cosine tmax", func() { Cosine{Base: 1}.LR(0) }},
		{"warmup ≥ total", func() { WarmupCosine{Base: 1, Warmup: 5, Total: 5}.LR(0) }},
		{"linear warmup", func() { WarmupLinear{Base: 1, Warmup: -1, Total: 5}.LR(0) }},
		{"onecycle total", func() { OneCycle{MaxLR: 1, Total: 1}.LR(0) }},
		{"onecycle pct", func() { OneCycle{MaxLR: 1, Total: 10, PctStart: 1.5}.LR(0) }},
		{"momentum without setter", func() {
			NewScheduler(NewAdagrad([]*autograd.Var{autograd.Param(tensor.New(1))}, AdagradConfig{}),
				OneCycle{MaxLR: 1, Total: 10, CycleMomentum: true})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tensor.Catch(tt.f)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "optim.")
		})
	}
}
