package optim

import (
	"fmt"
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// Schedule gives the learning rate for each optimizer step, counted from 0. The
// schedules here match torch.optim.lr_scheduler: LR(t) is the learning rate PyTorch's
// optimizer uses for its t-th step when scheduler.step() is called after every
// optimizer.step(). Schedules are values and are safe for concurrent use. LR panics if
// the schedule's fields are invalid or step is negative.
type Schedule interface {
	LR(step int) float64
}

// MomentumSchedule is implemented by schedules that also cycle momentum (OneCycle).
// Momentum returns the momentum for step and whether the schedule cycles it at all.
type MomentumSchedule interface {
	Momentum(step int) (m float64, ok bool)
}

// checkStep panics if step is negative.
func checkStep(op string, step int) {
	if step < 0 {
		tensor.Panicf(op, "step %d is negative", step)
	}
}

// Constant is a fixed learning rate Base.
type Constant struct {
	Base float64
}

// LR returns Base.
func (s Constant) LR(step int) float64 {
	checkStep("optim.Constant", step)
	return s.Base
}

// Step multiplies the learning rate by Gamma every StepSize steps, like
// torch.optim.lr_scheduler.StepLR: Base·Gamma^⌊t/StepSize⌋.
type Step struct {
	Base     float64
	StepSize int     // steps between decays; required (> 0)
	Gamma    float64 // decay factor; 0 means 0.1
}

// LR returns the learning rate for step. It panics if StepSize ≤ 0.
func (s Step) LR(step int) float64 {
	checkStep("optim.Step", step)
	if s.StepSize <= 0 {
		tensor.Panicf("optim.Step", "StepSize %d; want > 0", s.StepSize)
	}
	return s.Base * math.Pow(pick("optim.Step", "Gamma", s.Gamma, 0.1), float64(step/s.StepSize))
}

// Exponential multiplies the learning rate by Gamma every step, like
// torch.optim.lr_scheduler.ExponentialLR: Base·Gamma^t.
type Exponential struct {
	Base  float64
	Gamma float64 // decay factor per step; required (0 panics, Zero means 0)
}

// LR returns the learning rate for step. It panics if Gamma is 0 (unset).
func (s Exponential) LR(step int) float64 {
	checkStep("optim.Exponential", step)
	if s.Gamma == 0 {
		tensor.Panicf("optim.Exponential", "Gamma is required")
	}
	return s.Base * math.Pow(pick("optim.Exponential", "Gamma", s.Gamma, 0), float64(step))
}

// Cosine is torch.optim.lr_scheduler.CosineAnnealingLR in its closed form:
// Min + (Base-Min)·(1+cos(πt/TMax))/2. Like PyTorch's, it rises again after TMax
// (period 2·TMax); use WarmupCosine for a schedule that stays at Min.
type Cosine struct {
	Base float64
	TMax int     // half-period in steps; required (> 0)
	Min  float64 // eta_min, the lowest learning rate
}

// LR returns the learning rate for step. It panics if TMax ≤ 0.
func (s Cosine) LR(step int) float64 {
	checkStep("optim.Cosine", step)
	if s.TMax <= 0 {
		tensor.Panicf("optim.Cosine", "TMax %d; want > 0", s.TMax)
	}
	return cosineBetween(s.Base, s.Min, float64(step)/float64(s.TMax))
}

// cosineBetween anneals from hi (frac 0) to lo (frac 1) along a half cosine.
func cosineBetween(hi, lo, frac float64) float64 {
	return lo + (hi-lo)*(1+math.Cos(math.Pi*frac))/2
}

// warmup returns the linear warmup learning rate Base·(t+1)/Warmup.
func warmup(base float64, step, n int) float64 { return base * float64(step+1) / float64(n) }

// checkWarmup panics unless 0 ≤ w < total.
func checkWarmup(op string, w, total int) {
	if w < 0 || total <= w {
		tensor.Panicf(op, "Warmup %d and Total %d; want 0 ≤ Warmup < Total", w, total)
	}
}

// WarmupCosine warms the learning rate up linearly over Warmup steps, Base·(t+1)/Warmup,
// reaching Base at step Warmup-1, then anneals it along a half cosine from Base at step
// Warmup to Min at step Total, and keeps it at Min after that. It equals PyTorch's
// SequentialLR of LinearLR(start_factor=1/Warmup, total_iters=Warmup-1) and
// CosineAnnealingLR(T_max=Total-Warmup, eta_min=Min) with milestone Warmup, up to
// Total.
type WarmupCosine struct {
	Base, Min     float64
	Warmup, Total int // 0 ≤ Warmup < Total
}

// LR returns the learning rate for step. It panics unless 0 ≤ Warmup < Total.
func (s WarmupCosine) LR(step int) float64 {
	checkStep("optim.WarmupCosine", step)
	checkWarmup("optim.WarmupCosine", s.Warmup, s.Total)
	switch {
	case step < s.Warmup:
		return warmup(s.Base, step, s.Warmup)
	case step >= s.Total:
		return s.Min
	}
	return cosineBetween(s.Base, s.Min, float64(step-s.Warmup)/float64(s.Total-s.Warmup))
}

// WarmupLinear warms the learning rate up linearly over Warmup steps as WarmupCosine
// does, then decays it linearly from Base at step Warmup to Min at step Total, and keeps
// it at Min after that. It equals PyTorch's SequentialLR of two LinearLRs with milestone
// Warmup, up to Total.
type WarmupLinear struct {
	Base, Min     float64
	Warmup, Total int // 0 ≤ Warmup < Total
}

// LR returns the learning rate for step. It panics unless 0 ≤ Warmup < Total.
func (s WarmupLinear) LR(step int) float64 {
	checkStep("optim.WarmupLinear", step)
	checkWarmup("optim.WarmupLinear", s.Warmup, s.Total)
	switch {
	case step < s.Warmup:
		return warmup(s.Base, step, s.Warmup)
	case step >= s.Total:
		return s.Min
	}
	return s.Base + (s.Min-s.Base)*float64(step-s.Warmup)/float64(s.Total-s.Warmup)
}

// OneCycle is the 1cycle policy (Smith & Topin, https://arxiv.org/abs/1708.07120) as
// torch.optim.lr_scheduler.OneCycleLR with cosine annealing and two phases: the
// learning rate rises from MaxLR/DivFactor to MaxLR over the first PctStart of Total
// steps, then falls to MaxLR/(DivFactor·FinalDivFactor) at step Total-1. With
// CycleMomentum the momentum moves inversely between MaxMomentum and BaseMomentum and a
// Scheduler sets it on the optimizer (momentum for SGD and RMSprop, β1 for Adam); note
// that PyTorch cycles momentum by default. Steps at or after Total get the final
// learning rate (PyTorch raises an error). The three-phase and linear-annealing
// variants are not implemented.
type OneCycle struct {
	MaxLR          float64
	Total          int     // total number of steps; required (> 1)
	PctStart       float64 // fraction of steps spent increasing the lr; 0 means 0.3
	DivFactor      float64 // initial lr = MaxLR/DivFactor; 0 means 25
	FinalDivFactor float64 // final lr = initial lr/FinalDivFactor; 0 means 1e4
	CycleMomentum  bool    // cycle momentum inversely to the lr
	BaseMomentum   float64 // lowest momentum, at the peak lr; 0 means 0.85
	MaxMomentum    float64 // highest momentum, at the start and end; 0 means 0.95
}

// phase returns the annealing fraction and whether step is in the first phase.
func (s OneCycle) phase(op string, step int) (frac float64, first bool) {
	checkStep(op, step)
	if s.Total <= 1 {
		tensor.Panicf(op, "Total %d; want > 1", s.Total)
	}
	pct := pick(op, "PctStart", s.PctStart, 0.3)
	if pct >= 1 {
		tensor.Panicf(op, "PctStart %g; want a value in (0,1)", pct)
	}
	step = min(step, s.Total-1)
	end1 := pct*float64(s.Total) - 1
	end2 := float64(s.Total - 1)
	t := float64(step)
	if t <= end1 {
		if end1 == 0 {
			return 0, true
		}
		return t / end1, true
	}
	return (t - end1) / (end2 - end1), false
}

// LR returns the learning rate for step. It panics if Total ≤ 1 or a field is invalid.
func (s OneCycle) LR(step int) float64 {
	const op = "optim.OneCycle"
	frac, first := s.phase(op, step)
	initial := s.MaxLR / pick(op, "DivFactor", s.DivFactor, 25)
	final := initial / pick(op, "FinalDivFactor", s.FinalDivFactor, 1e4)
	if first {
		return cosineBetween(initial, s.MaxLR, frac)
	}
	return cosineBetween(s.MaxLR, final, frac)
}

// Momentum returns the momentum for step and CycleMomentum.
func (s OneCycle) Momentum(step int) (float64, bool) {
	const op = "optim.OneCycle"
	if !s.CycleMomentum {
		return 0, false
	}
	frac, first := s.phase(op, step)
	lo := pick(op, "BaseMomentum", s.BaseMomentum, 0.85)
	hi := pick(op, "MaxMomentum", s.MaxMomentum, 0.95)
	if first {
		return cosineBetween(hi, lo, frac), true
	}
	return cosineBetween(lo, hi, frac), true
}

// Scheduler drives an Optimizer's learning rate by a Schedule; it is itself an
// Optimizer, so it composes with any of them:
//
//	opt := optim.NewScheduler(optim.NewAdamW(params, cfg), optim.WarmupCosine{…})
//	for … { loss.Backward(); opt.Step(); opt.ZeroGrad() }
//
// Step runs the optimizer's step t with learning rate Schedule.LR(t), and, if the
// schedule cycles momentum, the optimizer's momentum set to Schedule.Momentum(t).
// Groups keep the ratio of their learning rate to the first group's that they had when
// the Scheduler was made. Its StateDict adds "scheduler.step" to the optimizer's, so a
// resumed run continues the schedule. SetLR changes the learning rate only until the
// next Step.
type Scheduler struct {
	opt    Optimizer
	sched  Schedule
	step   int
	ratios []float64
}

// NewScheduler returns a Scheduler driving opt by s and sets the learning rate for
// step 0. It panics if s cycles momentum and opt has none.
func NewScheduler(opt Optimizer, s Schedule) *Scheduler {
	if ms, ok := s.(MomentumSchedule); ok {
		if _, cycles := ms.Momentum(0); cycles {
			if _, ok := opt.(MomentumSetter); !ok {
				tensor.Panicf("optim.NewScheduler", "schedule %T cycles momentum but %T has none", s, opt)
			}
		}
	}
	sc := &Scheduler{opt: opt, sched: s}
	groups := opt.Groups()
	for _, g := range groups {
		r := 1.0
		if base := groups[0].LR; base != 0 && g.LR != base {
			r = g.LR / base
		}
		sc.ratios = append(sc.ratios, r)
	}
	sc.apply()
	return sc
}

// apply sets the learning rate (and momentum) for the current step.
func (s *Scheduler) apply() {
	lr := s.sched.LR(s.step)
	for i, g := range s.opt.Groups() {
		if i < len(s.ratios) && s.ratios[i] != 1 {
			g.LR = lr * s.ratios[i]
		} else {
			g.LR = lr
		}
	}
	if ms, ok := s.sched.(MomentumSchedule); ok {
		if m, cycles := ms.Momentum(s.step); cycles {
			s.opt.(MomentumSetter).SetMomentum(m)
		}
	}
}

// Step runs the optimizer's step and moves the schedule to the next step.
func (s *Scheduler) Step() {
	s.opt.Step()
	s.step++
	s.apply()
}

// StepCount returns the number of steps taken, which is the step the next Step runs.
func (s *Scheduler) StepCount() int { return s.step }

// ZeroGrad clears the optimizer's gradients.
func (s *Scheduler) ZeroGrad() { s.opt.ZeroGrad() }

// LR returns the learning rate of the next step (the first group's).
func (s *Scheduler) LR() float64 { return s.opt.LR() }

// SetLR sets every group's learning rate until the next Step.
func (s *Scheduler) SetLR(lr float64) { s.opt.SetLR(lr) }

// Groups returns the optimizer's groups.
func (s *Scheduler) Groups() []*Group { return s.opt.Groups() }

// Optimizer returns the optimizer the Scheduler drives.
func (s *Scheduler) Optimizer() Optimizer { return s.opt }

// StateDict returns the optimizer's state with "scheduler.step" added.
func (s *Scheduler) StateDict() map[string]*tensor.Tensor {
	sd := s.opt.StateDict()
	sd["scheduler.step"] = tensor.Scalar(float32(s.step))
	return sd
}

// LoadStateDict loads the optimizer's state and the step count from sd and sets the
// learning rate for that step. It returns an error if "scheduler.step" is missing or
// not a non-negative integer, or if the optimizer rejects the rest.
func (s *Scheduler) LoadStateDict(sd map[string]*tensor.Tensor) error {
	t, ok := sd["scheduler.step"]
	if !ok || t == nil || t.Numel() != 1 {
		return fmt.Errorf("optim: Scheduler: state dict has no 1-element \"scheduler.step\"")
	}
	step := float64(t.Data()[0])
	if step < 0 || step != math.Trunc(step) {
		return fmt.Errorf("optim: Scheduler: scheduler.step is %g, not a non-negative integer", step)
	}
	rest := make(map[string]*tensor.Tensor, len(sd))
	for k, v := range sd {
		if k != "scheduler.step" {
			rest[k] = v
		}
	}
	if err := s.opt.LoadStateDict(rest); err != nil {
		return err
	}
	s.step = int(step)
	s.apply()
	return nil
}
