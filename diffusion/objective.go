package diffusion

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Weighting chooses the per-timestep weight of the training loss.
type Weighting int

const (
	// WeightNone: the plain mean squared error in the model's parameterisation (the
	// "simple" loss of Ho et al. 2020 for ε-prediction).
	WeightNone Weighting = iota
	// WeightSNR: the loss weighted so that it equals SNR(t)·‖x₀ − x̂₀‖², the
	// ε-prediction loss, whatever the parameterisation.
	WeightSNR
	// WeightMinSNR: the Min-SNR-γ weighting of Hang et al. 2023
	// (https://arxiv.org/abs/2303.09556), min(SNR(t),γ)·‖x₀ − x̂₀‖².
	WeightMinSNR
)

// ParseWeighting reads "none", "snr" or "minsnr" (Min-SNR with γ = 5; "minsnr-G" for
// another γ) and returns the weighting and γ (0 unless given).
func ParseWeighting(s string) (Weighting, float64, error) {
	switch s {
	case "none", "":
		return WeightNone, 0, nil
	case "snr":
		return WeightSNR, 0, nil
	case "minsnr", "min-snr":
		return WeightMinSNR, 0, nil
	}
	if g, ok := strings.CutPrefix(s, "minsnr-"); ok {
		if v, err := strconv.ParseFloat(g, 64); err == nil && v > 0 {
			return WeightMinSNR, v, nil
		}
	}
	return 0, 0, fmt.Errorf("diffusion: unknown loss weighting %q (want none, snr, minsnr or minsnr-G with γ = G > 0)", s)
}

// LossConfig configures Loss. The zero value is the simple ε-loss with uniform
// timesteps and no label dropout.
type LossConfig struct {
	// Weighting is the per-timestep loss weight; the zero value is WeightNone.
	Weighting Weighting
	Gamma     float64 // γ of WeightMinSNR; 0 means 5
	// Sampler draws the timesteps; nil means uniform.
	Sampler TimestepSampler
	// LabelDropout replaces each class label by the model's NullClass with this
	// probability, training the unconditional model classifier-free guidance needs.
	LabelDropout float64
}

// x0Weight returns λ(t) in λ(t)·‖x₀ − x̂₀‖² of the parameterisation p's plain MSE:
// SNR for ε, 1 for x₀, SNR+1 for v.
func x0Weight(p Prediction, snr float64) float64 {
	switch p {
	case PredictEpsilon:
		return snr
	case PredictV:
		return snr + 1
	}
	return 1
}

// lossWeight returns the factor on the plain MSE of parameterisation p at SNR snr.
func (c LossConfig) lossWeight(p Prediction, snr float64) float64 {
	native := x0Weight(p, snr)
	switch c.Weighting {
	case WeightSNR:
		return snr / native
	case WeightMinSNR:
		g := c.Gamma
		if g == 0 {
			g = 5
		}
		return math.Min(snr, g) / native
	}
	return 1
}

// Loss draws timesteps and noise for the clean batch x0 (B,C,H,W), noises it in closed
// form and returns the weighted mean squared error of m.Net's prediction (a scalar to
// call Backward on). class (B) and cond (B,Cc,H,W) may be nil. Timesteps and the
// label dropout come from rng. If cfg.Sampler learns from losses (ImportanceSampler),
// Loss reports the per-sample losses to it.
func (m *Model) Loss(rng *rand.Rand, x0, class, cond *tensor.Tensor, cfg LossConfig) *autograd.Var {
	b := x0.Size(0)
	sampler := cfg.Sampler
	if sampler == nil {
		sampler = UniformSampler{T: m.Sched.T}
	}
	t, iw := sampler.Sample(rng, b)
	noise := tensor.Randn(rng, x0.Shape()...)
	xt := m.Sched.QSample(x0, noise, t) // (B,C,H,W)
	in := xt
	if cond != nil {
		in = tensor.Concat(1, xt, cond) // (B,C+Cc,H,W)
	}
	if class != nil && cfg.LabelDropout > 0 {
		class = class.Clone()
		for i := range class.Data() {
			if rng.Float64() < cfg.LabelDropout {
				class.Data()[i] = float32(m.NullClass)
			}
		}
	}
	out := m.Net.Forward(autograd.Const(in), Timesteps(t), class) // (B,C,H,W)
	target := m.Target(x0, noise, t)
	w := perSample("Model.Loss", x0.Shape(), t, func(int) float64 { return 0 })
	for i, ti := range t {
		w.Data()[i] = float32(cfg.lossWeight(m.Pred, m.Sched.SNR(ti)) * iw[i])
	}
	w = w.Reshape(b)
	se := autograd.Mean(autograd.Square(autograd.Sub(out, autograd.Const(target))), false, 1, 2, 3) // (B)
	if l, ok := sampler.(LossRecorder); ok {
		losses := make([]float64, b)
		for i, v := range se.Value().Data() {
			losses[i] = float64(v)
		}
		l.Record(t, losses)
	}
	return autograd.Mean(autograd.Mul(se, autograd.Const(w)), false) // ()
}

// TimestepSampler draws training timesteps with importance weights: n timesteps in
// 0…T-1 and, for each, the factor 1/(T·p(t)) that keeps the loss unbiased.
type TimestepSampler interface {
	Sample(rng *rand.Rand, n int) (t []int, weights []float64)
}

// LossRecorder is a TimestepSampler that learns from the per-sample losses.
type LossRecorder interface {
	Record(t []int, losses []float64)
}

// UniformSampler draws timesteps uniformly, with weight 1.
type UniformSampler struct{ T int }

// Sample implements TimestepSampler.
func (u UniformSampler) Sample(rng *rand.Rand, n int) ([]int, []float64) {
	t, w := make([]int, n), make([]float64, n)
	for i := range t {
		t[i], w[i] = rng.IntN(u.T), 1
	}
	return t, w
}

// ImportanceSampler is the loss-aware sampler of Nichol & Dhariwal 2021
// (https://arxiv.org/abs/2102.09672, section 3.3): once every timestep has History
// recorded losses, it draws t with probability ∝ √E[L_t²] (mixed with 0.1% uniform),
// weighting each sample by 1/(T·p(t)); until then it draws uniformly.
type ImportanceSampler struct {
	T, History int
	losses     [][]float64 // ring buffers of the last History losses per timestep
	next       []int
}

// NewImportanceSampler returns an ImportanceSampler over T timesteps keeping history
// losses each (0 means 10).
func NewImportanceSampler(T, history int) *ImportanceSampler {
	if history <= 0 {
		history = 10
	}
	return &ImportanceSampler{T: T, History: history, losses: make([][]float64, T), next: make([]int, T)}
}

// Record implements LossRecorder.
func (s *ImportanceSampler) Record(t []int, losses []float64) {
	for i, ti := range t {
		h := s.losses[ti]
		if len(h) < s.History {
			s.losses[ti] = append(h, losses[i])
			continue
		}
		h[s.next[ti]] = losses[i]
		s.next[ti] = (s.next[ti] + 1) % s.History
	}
}

// warm reports whether every timestep has a full history.
func (s *ImportanceSampler) warm() bool {
	for _, h := range s.losses {
		if len(h) < s.History {
			return false
		}
	}
	return true
}

// Probabilities returns the current p(t), uniform until warm.
func (s *ImportanceSampler) Probabilities() []float64 {
	p := make([]float64, s.T)
	if !s.warm() {
		for i := range p {
			p[i] = 1 / float64(s.T)
		}
		return p
	}
	sum := 0.0
	for i, h := range s.losses {
		m := 0.0
		for _, l := range h {
			m += l * l
		}
		p[i] = math.Sqrt(m / float64(len(h)))
		sum += p[i]
	}
	for i := range p {
		p[i] = 0.999*p[i]/sum + 0.001/float64(s.T)
	}
	return p
}

// Sample implements TimestepSampler.
func (s *ImportanceSampler) Sample(rng *rand.Rand, n int) ([]int, []float64) {
	p := s.Probabilities()
	cdf := make([]float64, len(p))
	acc := 0.0
	for i, v := range p {
		acc += v
		cdf[i] = acc
	}
	t, w := make([]int, n), make([]float64, n)
	for i := range t {
		u := rng.Float64() * acc
		k := 0
		for k < len(cdf)-1 && cdf[k] < u {
			k++
		}
		t[i], w[i] = k, 1/(float64(s.T)*p[k])
	}
	return t, w
}
