package diffusion

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/tensor"
)

// SampleConfig configures one run of a Sampler. The zero value draws unconditional
// samples from pure noise without clipping or guidance.
type SampleConfig struct {
	// Class (B) holds the labels to generate, nil for an unconditional model.
	Class *tensor.Tensor
	// Guidance is the classifier-free guidance scale; values ≤ 1 mean no guidance.
	Guidance float64
	// Cond (B,Cc,H,W) is appended to the input channels at every step (super-resolution
	// conditions on the upsampled low-resolution image this way).
	Cond *tensor.Tensor
	// Clip clamps every x̂₀ to [-1,1].
	Clip bool
	// EpsScale, if above 0 and not 1, divides ε̂ by it at every step and recomputes x̂₀
	// from the scaled ε̂ (before Clip): Epsilon Scaling (Ning et al. 2023,
	// https://arxiv.org/abs/2308.15321), which counters exposure bias, the drift of a
	// sampled x_t from the inputs the network saw in training. Values just above 1
	// (1.001…1.01) are typical; the best one depends on the model and the step count.
	// Where ᾱ is near 0 (the cosine schedule's last timestep) the recomputed x̂₀ is
	// amplified by √((1−ᾱ)/ᾱ), so use it with Clip there.
	EpsScale float64
	// Start is the timestep of the input: the chain starts at x_Start. 0 means T-1 (the
	// input is pure noise); denoising starts lower.
	Start int
	// Known and Mask (both (B,C,H,W), Mask 1 where a pixel is known) inpaint: after
	// every step the known pixels are replaced by Known noised to the new timestep
	// (Lugmayr et al. 2022, RePaint, https://arxiv.org/abs/2201.09865).
	Known, Mask *tensor.Tensor
	// Resample, when inpainting, repeats each step this many times in total (RePaint's
	// U, with jump length one step), re-noising in between so the unknown pixels can
	// agree with the known ones. 0 or 1 means once; it is ignored without Known.
	Resample int
	// Progress, if not nil, is called after every network evaluation.
	Progress func(step, total int)
}

// Sampler draws x₀ by running a reverse chain from x (B,C,H,W), the state at timestep
// cfg.Start (pure noise by default). It returns ctx's error if ctx is cancelled
// between steps. Randomness (ancestral noise, re-noising) comes from rng only. It
// panics if shapes do not fit the model.
type Sampler interface {
	Sample(ctx context.Context, m *Model, x *tensor.Tensor, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error)
}

// stepFunc moves x_t to x_s (s < t; s = -1 is clean data) given the predictions x̂₀
// and ε̂ at t.
type stepFunc func(x, x0, eps *tensor.Tensor, t, s int) *tensor.Tensor

// startOf returns the chain's first timestep for cfg.
func startOf(m *Model, cfg SampleConfig) int {
	if cfg.Start <= 0 {
		return m.Sched.T - 1
	}
	if cfg.Start >= m.Sched.T {
		tensor.Panicf("Sampler", "start %d outside 1…%d", cfg.Start, m.Sched.T-1)
	}
	return cfg.Start
}

// renoise draws x_t from q(x_t|x_s) for t > s: √(ᾱ_t/ᾱ_s)·x_s + √(1−ᾱ_t/ᾱ_s)·z.
func renoise(sched *Schedule, x *tensor.Tensor, s, t int, rng *rand.Rand) *tensor.Tensor {
	r := sched.AlphaBar(t) / sched.AlphaBar(s)
	z := tensor.Randn(rng, x.Shape()...)
	return tensor.Add(x.MulScalar(float32(math.Sqrt(r))), z.MulScalar(float32(math.Sqrt(1-r))))
}

// pasteKnown replaces the known pixels of x (at timestep s) by the known image noised
// to s.
func pasteKnown(sched *Schedule, x *tensor.Tensor, cfg SampleConfig, s int, rng *rand.Rand) *tensor.Tensor {
	known := cfg.Known
	if s >= 0 {
		a := math.Sqrt(sched.AlphaBar(s))
		z := tensor.Randn(rng, x.Shape()...)
		known = tensor.Add(known.MulScalar(float32(a)), z.MulScalar(float32(math.Sqrt(1-a*a))))
	}
	return tensor.Add(tensor.Mul(cfg.Mask, known), tensor.Mul(tensor.Neg(cfg.Mask).AddScalar(1), x))
}

// run is the loop every sampler shares: evaluate at each of ts, step, paste known
// pixels, resample, report progress and watch ctx.
func run(ctx context.Context, m *Model, x *tensor.Tensor, rng *rand.Rand, cfg SampleConfig, ts []int, step stepFunc) (*tensor.Tensor, error) {
	if (cfg.Known == nil) != (cfg.Mask == nil) {
		tensor.Panicf("Sampler", "inpainting needs both Known and Mask")
	}
	if cfg.Known != nil && (!tensor.SameShape(cfg.Known, x) || !tensor.SameShape(cfg.Mask, x)) {
		tensor.Panicf("Sampler", "x %s, Known %s and Mask %s differ", tensor.ShapeString(x.Shape()),
			tensor.ShapeString(cfg.Known.Shape()), tensor.ShapeString(cfg.Mask.Shape()))
	}
	if cfg.EpsScale < 0 || math.IsNaN(cfg.EpsScale) || math.IsInf(cfg.EpsScale, 0) {
		tensor.Panicf("Sampler", "EpsScale %g: want a positive finite scale, or 0 for none", cfg.EpsScale)
	}
	reps := max(cfg.Resample, 1)
	total, done := len(ts)*reps, 0
	if cfg.Known != nil {
		x = pasteKnown(m.Sched, x, cfg, ts[0], rng)
	}
	for i, t := range ts {
		s := -1
		if i+1 < len(ts) {
			s = ts[i+1]
		}
		var next *tensor.Tensor
		for u := range reps {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("diffusion: sampling stopped at timestep %d: %w", t, err)
			}
			if u > 0 {
				x = renoise(m.Sched, next, s, t, rng)
			}
			x0, eps := m.predict(x, t, cfg.Class, cfg.Cond, cfg.Guidance, cfg.Clip, cfg.EpsScale)
			next = step(x, x0, eps, t, s)
			if cfg.Known != nil {
				next = pasteKnown(m.Sched, next, cfg, s, rng)
			}
			done++
			if cfg.Progress != nil {
				cfg.Progress(done, total)
			}
			if cfg.Known == nil {
				break // resampling only matters when inpainting
			}
		}
		x = next
	}
	return x, nil
}

// Variance chooses the noise of DDPM's ancestral steps.
type Variance int

const (
	// VariancePosterior: σ² = β̃_t, the posterior variance (the lower bound).
	VariancePosterior Variance = iota
	// VarianceBeta: σ² = β_t (the upper bound).
	VarianceBeta
)

// DDPM is ancestral sampling (Ho et al. 2020, https://arxiv.org/abs/2006.11239):
// x_s ~ N(μ̃(x_t, x̂₀), σ²). With Steps < T the chain skips timesteps and every
// step uses the posterior between its two timesteps (as improved DDPM respaces).
type DDPM struct {
	Steps    int // network evaluations; 0 means one per timestep
	Variance Variance
}

// Sample implements Sampler.
func (d DDPM) Sample(ctx context.Context, m *Model, x *tensor.Tensor, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	sched := m.Sched
	return run(ctx, m, x, rng, cfg, Spacing(startOf(m, cfg), d.Steps), func(x, x0, _ *tensor.Tensor, t, s int) *tensor.Tensor {
		at, as := sched.AlphaBar(t), sched.AlphaBar(s)
		beta := 1 - at/as
		c1 := math.Sqrt(as) * beta / (1 - at)
		c2 := math.Sqrt(at/as) * (1 - as) / (1 - at)
		mean := tensor.Add(x0.MulScalar(float32(c1)), x.MulScalar(float32(c2)))
		if s < 0 {
			return mean
		}
		v := beta * (1 - as) / (1 - at)
		if d.Variance == VarianceBeta {
			v = beta
		}
		return tensor.Add(mean, tensor.Randn(rng, x.Shape()...).MulScalar(float32(math.Sqrt(v))))
	})
}

// DDIM is the denoising diffusion implicit model sampler (Song et al. 2020,
// https://arxiv.org/abs/2010.02502) with any number of steps: x_s = √ᾱ_s·x̂₀ +
// √(1−ᾱ_s−σ²)·ε̂ + σ·z with σ = η·√((1−ᾱ_s)/(1−ᾱ_t))·√(1−ᾱ_t/ᾱ_s). Eta 0 is
// deterministic (an ODE solver that Invert runs backwards); eta 1 matches DDPM.
type DDIM struct {
	Steps int // network evaluations; 0 means 50
	Eta   float64
}

func (d DDIM) steps() int {
	if d.Steps == 0 {
		return 50
	}
	return d.Steps
}

// Sample implements Sampler.
func (d DDIM) Sample(ctx context.Context, m *Model, x *tensor.Tensor, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	sched := m.Sched
	return run(ctx, m, x, rng, cfg, Spacing(startOf(m, cfg), d.steps()), func(x, x0, eps *tensor.Tensor, t, s int) *tensor.Tensor {
		at, as := sched.AlphaBar(t), sched.AlphaBar(s)
		sigma := d.Eta * math.Sqrt((1-as)/(1-at)*(1-at/as))
		out := tensor.Add(x0.MulScalar(float32(math.Sqrt(as))), eps.MulScalar(float32(math.Sqrt(math.Max(1-as-sigma*sigma, 0)))))
		if sigma > 0 {
			out = tensor.Add(out, tensor.Randn(rng, x.Shape()...).MulScalar(float32(sigma)))
		}
		return out
	})
}

// Invert runs the deterministic (η = 0) DDIM chain forwards: it treats x0 (B,C,H,W) as
// x at timestep 0 and returns the latent at timestep cfg.Start (T-1 by default) that
// Sample with the same Steps and Start maps back to x0, up to discretisation error.
// Only Class, Guidance, Cond, Clip and Progress of cfg are used.
func (d DDIM) Invert(ctx context.Context, m *Model, x0 *tensor.Tensor, cfg SampleConfig) (*tensor.Tensor, error) {
	ts := Spacing(startOf(m, cfg), d.steps())
	x := x0
	for i := len(ts) - 1; i > 0; i-- {
		t, s := ts[i], ts[i-1] // s > t
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("diffusion: inversion stopped at timestep %d: %w", t, err)
		}
		xh, eps := m.Predict(x, t, cfg.Class, cfg.Cond, cfg.Guidance, cfg.Clip)
		as := m.Sched.AlphaBar(s)
		x = tensor.Add(xh.MulScalar(float32(math.Sqrt(as))), eps.MulScalar(float32(math.Sqrt(1-as))))
		if cfg.Progress != nil {
			cfg.Progress(len(ts)-i, len(ts)-1)
		}
	}
	return x, nil
}

// DPMSolver is DPM-Solver++(2M) (Lu et al. 2022, https://arxiv.org/abs/2211.01095), a
// second-order multistep solver of the probability-flow ODE in data-prediction form:
// with λ = log(√ᾱ/√(1−ᾱ)) and h = λ_s − λ_t,
//
//	x_s = (σ_s/σ_t)·x_t − α_s·(e^{−h} − 1)·D,  D = (1 + 1/2r)·x̂₀(t) − (1/2r)·x̂₀(t_prev)
//
// with r = h_prev/h, first order (D = x̂₀) at the first step and at the last step to
// clean data. 10–20 steps give usable samples.
type DPMSolver struct {
	Steps int // network evaluations; 0 means 20
}

// Sample implements Sampler.
func (d DPMSolver) Sample(ctx context.Context, m *Model, x *tensor.Tensor, rng *rand.Rand, cfg SampleConfig) (*tensor.Tensor, error) {
	steps := d.Steps
	if steps == 0 {
		steps = 20
	}
	sched := m.Sched
	lambda := func(t int) float64 { a := sched.AlphaBar(t); return 0.5 * math.Log(a/(1-a)) }
	// The previous evaluation; a repeated t (RePaint resampling) keeps the one before.
	lastT, prevT := -2, -2
	var lastX0, prevX0 *tensor.Tensor
	return run(ctx, m, x, rng, cfg, logSNRSpacing(sched, startOf(m, cfg), steps), func(x, x0, _ *tensor.Tensor, t, s int) *tensor.Tensor {
		if t != lastT {
			prevT, prevX0 = lastT, lastX0
			lastT = t
		}
		lastX0 = x0
		if s < 0 {
			return x0
		}
		at, as := sched.AlphaBar(t), sched.AlphaBar(s)
		h := lambda(s) - lambda(t)
		dd := x0
		if prevX0 != nil {
			r := (lambda(t) - lambda(prevT)) / h
			dd = tensor.Sub(x0.MulScalar(float32(1+1/(2*r))), prevX0.MulScalar(float32(1/(2*r))))
		}
		return tensor.Sub(x.MulScalar(float32(math.Sqrt((1-as)/(1-at)))), dd.MulScalar(float32(math.Sqrt(as)*math.Expm1(-h))))
	})
}

// ParseSampler returns the sampler named "ddpm", "ddim" or "dpm" (DPM-Solver++ 2M) with
// the given step count (0: its default), or an error for another name.
func ParseSampler(name string, steps int) (Sampler, error) {
	switch name {
	case "ddpm":
		return DDPM{Steps: steps}, nil
	case "ddim":
		return DDIM{Steps: steps}, nil
	case "dpm", "dpm++", "dpmsolver":
		return DPMSolver{Steps: steps}, nil
	}
	return nil, fmt.Errorf("diffusion: unknown sampler %q (want ddpm, ddim or dpm)", name)
}

// logSNRSpacing returns n timesteps from start down to 0 evenly spaced in
// λ = log(√ᾱ/√(1−ᾱ)) (DPM-Solver's "logSNR" spacing), rounded to the nearest
// timestep, without repeats.
func logSNRSpacing(s *Schedule, start, n int) []int {
	if n <= 0 || n > start+1 {
		n = start + 1
	}
	lambda := func(t int) float64 { a := s.AlphaBar(t); return 0.5 * math.Log(a/(1-a)) }
	lo, hi := lambda(start), lambda(0)
	ts := []int{start}
	t := start
	for i := 1; i < n; i++ {
		target := lo + (hi-lo)*float64(i)/float64(n-1)
		for t > 0 && math.Abs(lambda(t-1)-target) <= math.Abs(lambda(t)-target) {
			t--
		}
		if t != ts[len(ts)-1] {
			ts = append(ts, t)
		}
	}
	if ts[len(ts)-1] != 0 {
		ts = append(ts, 0)
	}
	return ts
}
