package diffusion

import (
	"fmt"
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Denoiser is a network that reads a noisy batch x_t (B,C+Cc,H,W) — the data's C
// channels followed by Cc conditioning channels, if any — at timesteps t (B, float
// values 0…T-1) with optional class labels (B, integer values as float32; nil when
// unconditional) and returns (B,C,H,W) in the model's parameterisation (ε, x₀ or v, see
// Prediction). UNet is one; any module with this method can stand in.
type Denoiser interface {
	Forward(x *autograd.Var, t *tensor.Tensor, class *tensor.Tensor) *autograd.Var
}

// Prediction is what a Denoiser's output means.
type Prediction int

const (
	// PredictEpsilon: the noise ε in x_t = √ᾱ·x₀ + √(1−ᾱ)·ε (Ho et al. 2020).
	PredictEpsilon Prediction = iota
	// PredictX0: the clean sample x₀.
	PredictX0
	// PredictV: the velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022,
	// https://arxiv.org/abs/2202.00512).
	PredictV
)

// String returns "eps", "x0" or "v".
func (p Prediction) String() string {
	switch p {
	case PredictEpsilon:
		return "eps"
	case PredictX0:
		return "x0"
	case PredictV:
		return "v"
	}
	return fmt.Sprintf("Prediction(%d)", int(p))
}

// ParsePrediction reads "eps" (or "epsilon"), "x0" or "v".
func ParsePrediction(s string) (Prediction, error) {
	switch s {
	case "eps", "epsilon":
		return PredictEpsilon, nil
	case "x0", "sample":
		return PredictX0, nil
	case "v", "v_prediction":
		return PredictV, nil
	}
	return 0, fmt.Errorf("diffusion: unknown prediction %q (want eps, x0 or v)", s)
}

// Model ties a Denoiser to its Schedule and parameterisation; samplers and training
// use it.
type Model struct {
	Net   Denoiser
	Sched *Schedule
	Pred  Prediction
	// NullClass is the label meaning "no class" for classifier-free guidance (the
	// UNet's is its NumClasses).
	NullClass int
}

// split converts a network output at timestep t into (x̂₀, ε̂) for x_t; all three
// are (B,…) tensors and t holds one timestep per sample.
func (m *Model) split(out, xt *tensor.Tensor, t []int) (x0, eps *tensor.Tensor) {
	shape := xt.Shape()
	a := perSample("Model.split", shape, t, func(t int) float64 { return math.Sqrt(m.Sched.AlphaBar(t)) })
	b := perSample("Model.split", shape, t, func(t int) float64 { return math.Sqrt(1 - m.Sched.AlphaBar(t)) })
	switch m.Pred {
	case PredictEpsilon:
		eps = out
		x0 = tensor.Div(tensor.Sub(xt, tensor.Mul(b, eps)), a) // (x_t − √(1−ᾱ)ε)/√ᾱ
	case PredictX0:
		x0 = out
		eps = tensor.Div(tensor.Sub(xt, tensor.Mul(a, x0)), b) // (x_t − √ᾱ·x₀)/√(1−ᾱ)
	case PredictV:
		x0 = tensor.Sub(tensor.Mul(a, xt), tensor.Mul(b, out))  // √ᾱ·x_t − √(1−ᾱ)·v
		eps = tensor.Add(tensor.Mul(b, xt), tensor.Mul(a, out)) // √(1−ᾱ)·x_t + √ᾱ·v
	default:
		tensor.Panicf("Model", "unknown prediction %d", int(m.Pred))
	}
	return x0, eps
}

// x0FromEps returns x₀ = (x_t − √(1−ᾱ)·ε)/√ᾱ.
func (m *Model) x0FromEps(eps, xt *tensor.Tensor, t []int) *tensor.Tensor {
	a := perSample("Model.x0FromEps", xt.Shape(), t, func(t int) float64 { return math.Sqrt(m.Sched.AlphaBar(t)) })
	b := perSample("Model.x0FromEps", xt.Shape(), t, func(t int) float64 { return math.Sqrt(1 - m.Sched.AlphaBar(t)) })
	return tensor.Div(tensor.Sub(xt, tensor.Mul(b, eps)), a)
}

// epsFromX0 returns ε = (x_t − √ᾱ·x₀)/√(1−ᾱ).
func (m *Model) epsFromX0(x0, xt *tensor.Tensor, t []int) *tensor.Tensor {
	a := perSample("Model.epsFromX0", xt.Shape(), t, func(t int) float64 { return math.Sqrt(m.Sched.AlphaBar(t)) })
	b := perSample("Model.epsFromX0", xt.Shape(), t, func(t int) float64 { return math.Sqrt(1 - m.Sched.AlphaBar(t)) })
	return tensor.Div(tensor.Sub(xt, tensor.Mul(a, x0)), b)
}

// Target returns the training target for x0 and noise in the model's
// parameterisation (ε, x₀ or v) at timesteps t.
func (m *Model) Target(x0, noise *tensor.Tensor, t []int) *tensor.Tensor {
	switch m.Pred {
	case PredictEpsilon:
		return noise
	case PredictX0:
		return x0
	case PredictV:
		a := perSample("Model.Target", x0.Shape(), t, func(t int) float64 { return math.Sqrt(m.Sched.AlphaBar(t)) })
		b := perSample("Model.Target", x0.Shape(), t, func(t int) float64 { return math.Sqrt(1 - m.Sched.AlphaBar(t)) })
		return tensor.Sub(tensor.Mul(a, noise), tensor.Mul(b, x0))
	}
	tensor.Panicf("Model.Target", "unknown prediction %d", int(m.Pred))
	return nil
}

// Predict evaluates the network without recording gradients on x_t (B,C,H,W) at one
// timestep t for the whole batch and returns (x̂₀, ε̂). cond (B,Cc,H,W), if not nil,
// is appended to the input channels; class (B) selects labels; with guidance > 1 and a
// class, the output is classifier-free guided (Ho & Salimans 2022,
// https://arxiv.org/abs/2207.12598): u + guidance·(c − u), where u is the output for
// NullClass, computed in the same batch. clip clamps x̂₀ to [-1,1] and recomputes ε̂.
func (m *Model) Predict(xt *tensor.Tensor, t int, class, cond *tensor.Tensor, guidance float64, clip bool) (x0, eps *tensor.Tensor) {
	return m.predict(xt, t, class, cond, guidance, clip, 1)
}

// predict is Predict with Epsilon Scaling: ε̂ divided by epsScale (when above 0 and not
// 1) and x̂₀ recomputed from it, before clipping.
func (m *Model) predict(xt *tensor.Tensor, t int, class, cond *tensor.Tensor, guidance float64, clip bool, epsScale float64) (x0, eps *tensor.Tensor) {
	b := xt.Size(0)
	ts := make([]int, b)
	for i := range ts {
		ts[i] = t
	}
	in := xt
	if cond != nil {
		in = tensor.Concat(1, xt, cond) // (B,C+Cc,H,W)
	}
	var out *tensor.Tensor
	if class != nil && guidance > 1 {
		null := tensor.Full(float32(m.NullClass), b)
		both := m.Net.Forward(autograd.NoGrad(tensor.Concat(0, in, in)),
			Timesteps(append(ts, ts...)), tensor.Concat(0, class, null)).Value() // (2B,C,H,W)
		parts := tensor.Split(both, 0, b, b)
		c, u := parts[0], parts[1]
		out = tensor.Add(u, tensor.Sub(c, u).MulScalar(float32(guidance)))
	} else {
		out = m.Net.Forward(autograd.NoGrad(in), Timesteps(ts), class).Value()
	}
	x0, eps = m.split(out, xt, ts)
	if epsScale > 0 && epsScale != 1 {
		eps = eps.MulScalar(float32(1 / epsScale))
		x0 = m.x0FromEps(eps, xt, ts)
	}
	if clip {
		x0 = tensor.Clamp(x0, -1, 1)
		eps = m.epsFromX0(x0, xt, ts)
	}
	return x0, eps
}
