package diffusion

import (
	"fmt"
	"math"

	"github.com/genblocks/genblocks/tensor"
)

// LinearBetas returns the T noise variances β_t of Ho et al. 2020
// (https://arxiv.org/abs/2006.11239), spaced evenly from start to end; start = end = 0
// means the paper's 1e-4 to 0.02 (scaled by 1000/T when T is not 1000, as improved
// DDPM does, and capped at 0.999). It panics if T < 1.
func LinearBetas(T int, start, end float64) []float64 {
	checkT("LinearBetas", T)
	if start == 0 && end == 0 {
		scale := 1000 / float64(T)
		start, end = math.Min(1e-4*scale, 0.999), math.Min(0.02*scale, 0.999)
	}
	b := make([]float64, T)
	for i := range b {
		if T == 1 {
			b[i] = start
			continue
		}
		b[i] = start + (end-start)*float64(i)/float64(T-1)
	}
	return b
}

// CosineBetas returns the cosine schedule of Nichol & Dhariwal 2021
// (https://arxiv.org/abs/2102.09672): ᾱ(t) = f(t)/f(0), f(t) = cos²(π/2·(t/T+s)/(1+s)),
// with offset s (0 means 0.008) and every β clipped to at most 0.999. It panics if T < 1.
func CosineBetas(T int, s float64) []float64 {
	checkT("CosineBetas", T)
	if s == 0 {
		s = 0.008
	}
	f := func(t float64) float64 { c := math.Cos((t/float64(T) + s) / (1 + s) * math.Pi / 2); return c * c }
	return betasFromAlphaBar(T, func(t float64) float64 { return f(t) / f(0) })
}

// SigmoidBetas returns the sigmoid schedule of Jabri et al. / Chen 2023
// (https://arxiv.org/abs/2301.10972): ᾱ(t) = (σ(e/τ) − σ((t/T·(e−s)+s)/τ)) / (σ(e/τ) −
// σ(s/τ)) with s = -3, e = 3 and temperature τ (0 means 1), every β clipped to at
// most 0.999. It panics if T < 1.
func SigmoidBetas(T int, tau float64) []float64 {
	checkT("SigmoidBetas", T)
	if tau == 0 {
		tau = 1
	}
	sig := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	const s, e = -3.0, 3.0
	vs, ve := sig(s/tau), sig(e/tau)
	return betasFromAlphaBar(T, func(t float64) float64 {
		return (ve - sig((t/float64(T)*(e-s)+s)/tau)) / (ve - vs)
	})
}

func betasFromAlphaBar(T int, abar func(t float64) float64) []float64 {
	b := make([]float64, T)
	for i := range b {
		b[i] = math.Min(1-abar(float64(i+1))/abar(float64(i)), 0.999)
	}
	return b
}

func checkT(op string, T int) {
	if T < 1 {
		tensor.Panicf(op, "%d timesteps; want at least 1", T)
	}
}

// Schedule is a discrete noise schedule of T steps with everything the forward process
// q(x_t|x_0) = N(√ᾱ_t·x_0, (1−ᾱ_t)·I) and the posterior q(x_{t-1}|x_t,x_0) need,
// precomputed in float64. Timesteps are 0…T-1; timestep -1 stands for clean data
// (ᾱ = 1), the end of every sampler's chain.
type Schedule struct {
	T              int
	Betas          []float64 // β_t
	Alphas         []float64 // α_t = 1 − β_t
	AlphaBars      []float64 // ᾱ_t = Π_{s≤t} α_s
	AlphaBarsPrev  []float64 // ᾱ_{t-1}, with ᾱ_{-1} = 1
	SqrtAlphaBars  []float64 // √ᾱ_t
	SqrtOneMinusAB []float64 // √(1−ᾱ_t)
	// Posterior q(x_{t-1}|x_t,x_0) = N(Coef1·x_0 + Coef2·x_t, Variance):
	PosteriorVariance    []float64 // β̃_t = β_t(1−ᾱ_{t-1})/(1−ᾱ_t)
	PosteriorLogVariance []float64 // log β̃_t with β̃_0 replaced by β̃_1 (as DDPM clips it)
	PosteriorCoef1       []float64 // β_t·√ᾱ_{t-1}/(1−ᾱ_t)
	PosteriorCoef2       []float64 // (1−ᾱ_{t-1})·√α_t/(1−ᾱ_t)
}

// NewSchedule precomputes a Schedule from any β sequence. It panics unless every β is
// in (0,1).
func NewSchedule(betas []float64) *Schedule {
	T := len(betas)
	checkT("NewSchedule", T)
	s := &Schedule{T: T, Betas: append([]float64(nil), betas...)}
	mk := func() []float64 { return make([]float64, T) }
	s.Alphas, s.AlphaBars, s.AlphaBarsPrev = mk(), mk(), mk()
	s.SqrtAlphaBars, s.SqrtOneMinusAB = mk(), mk()
	s.PosteriorVariance, s.PosteriorLogVariance, s.PosteriorCoef1, s.PosteriorCoef2 = mk(), mk(), mk(), mk()
	prod := 1.0
	for t, b := range betas {
		if !(b > 0 && b < 1) {
			tensor.Panicf("NewSchedule", "β_%d = %g; want a value in (0,1)", t, b)
		}
		s.Alphas[t] = 1 - b
		s.AlphaBarsPrev[t] = prod
		prod *= 1 - b
		s.AlphaBars[t] = prod
		s.SqrtAlphaBars[t] = math.Sqrt(prod)
		s.SqrtOneMinusAB[t] = math.Sqrt(1 - prod)
		prev := s.AlphaBarsPrev[t]
		s.PosteriorVariance[t] = b * (1 - prev) / (1 - prod)
		s.PosteriorCoef1[t] = b * math.Sqrt(prev) / (1 - prod)
		s.PosteriorCoef2[t] = (1 - prev) * math.Sqrt(1-b) / (1 - prod)
	}
	for t := range betas {
		v := s.PosteriorVariance[t]
		if t == 0 && T > 1 {
			v = s.PosteriorVariance[1]
		}
		s.PosteriorLogVariance[t] = math.Log(v)
	}
	return s
}

// NewNamedSchedule returns the "linear", "cosine" or "sigmoid" schedule of T steps with
// default parameters, or an error for another name.
func NewNamedSchedule(name string, T int) (*Schedule, error) {
	if T < 1 {
		return nil, fmt.Errorf("diffusion: %d timesteps; want at least 1", T)
	}
	switch name {
	case "linear":
		return NewSchedule(LinearBetas(T, 0, 0)), nil
	case "cosine":
		return NewSchedule(CosineBetas(T, 0)), nil
	case "sigmoid":
		return NewSchedule(SigmoidBetas(T, 0)), nil
	}
	return nil, fmt.Errorf("diffusion: unknown schedule %q (want linear, cosine or sigmoid)", name)
}

// AlphaBar returns ᾱ_t, with ᾱ_{-1} = 1. It panics if t is outside -1…T-1.
func (s *Schedule) AlphaBar(t int) float64 {
	if t < -1 || t >= s.T {
		tensor.Panicf("Schedule.AlphaBar", "timestep %d outside -1…%d", t, s.T-1)
	}
	if t == -1 {
		return 1
	}
	return s.AlphaBars[t]
}

// SNR returns the signal-to-noise ratio ᾱ_t/(1−ᾱ_t) of timestep t.
func (s *Schedule) SNR(t int) float64 {
	a := s.AlphaBar(t)
	return a / (1 - a)
}

// TimestepForNoise returns the timestep whose noise-to-signal ratio (1−ᾱ_t)/ᾱ_t is
// closest to sigma², so that √ᾱ_t·(x + sigma·n) is distributed as x_t: the entry point
// of the reverse chain when denoising an image corrupted by Gaussian noise of standard
// deviation sigma.
func (s *Schedule) TimestepForNoise(sigma float64) int {
	best, bestD := 0, math.Inf(1)
	for t, a := range s.AlphaBars {
		d := math.Abs(math.Log((1-a)/a) - 2*math.Log(sigma))
		if d < bestD {
			best, bestD = t, d
		}
	}
	return best
}

// perSample returns a (B,1,…,1) tensor for broadcasting against x of the given shape,
// holding f(t[i]) for sample i. It panics if len(t) is not the batch size.
func perSample(op string, shape []int, t []int, f func(t int) float64) *tensor.Tensor {
	if len(shape) == 0 || len(t) != shape[0] {
		tensor.Panicf(op, "%d timesteps for input shape %s", len(t), tensor.ShapeString(shape))
	}
	bs := make([]int, len(shape))
	for i := range bs {
		bs[i] = 1
	}
	bs[0] = shape[0]
	out := tensor.New(bs...)
	for i, ti := range t {
		out.Data()[i] = float32(f(ti))
	}
	return out
}

// QSample draws x_t = √ᾱ_t·x_0 + √(1−ᾱ_t)·noise from q(x_t|x_0) in closed form, for x0
// and noise (B,…) and one timestep per sample. It panics if the shapes differ or t does
// not have B entries in 0…T-1.
func (s *Schedule) QSample(x0, noise *tensor.Tensor, t []int) *tensor.Tensor {
	if !tensor.SameShape(x0, noise) {
		tensor.Panicf("Schedule.QSample", "x0 %s and noise %s differ", tensor.ShapeString(x0.Shape()), tensor.ShapeString(noise.Shape()))
	}
	a := perSample("Schedule.QSample", x0.Shape(), t, func(t int) float64 { return math.Sqrt(s.AlphaBar(t)) })
	b := perSample("Schedule.QSample", x0.Shape(), t, func(t int) float64 { return math.Sqrt(1 - s.AlphaBar(t)) })
	return tensor.Add(tensor.Mul(x0, a), tensor.Mul(noise, b)) // (B,…)
}

// PosteriorMeanVariance returns the mean (B,…) and variance (one per sample) of the
// posterior q(x_{t-1}|x_t,x_0). It panics as QSample does.
func (s *Schedule) PosteriorMeanVariance(x0, xt *tensor.Tensor, t []int) (*tensor.Tensor, []float64) {
	if !tensor.SameShape(x0, xt) {
		tensor.Panicf("Schedule.PosteriorMeanVariance", "x0 %s and xt %s differ", tensor.ShapeString(x0.Shape()), tensor.ShapeString(xt.Shape()))
	}
	for _, ti := range t {
		s.AlphaBar(ti)
		if ti < 0 {
			tensor.Panicf("Schedule.PosteriorMeanVariance", "timestep %d", ti)
		}
	}
	c1 := perSample("Schedule.PosteriorMeanVariance", x0.Shape(), t, func(t int) float64 { return s.PosteriorCoef1[t] })
	c2 := perSample("Schedule.PosteriorMeanVariance", x0.Shape(), t, func(t int) float64 { return s.PosteriorCoef2[t] })
	v := make([]float64, len(t))
	for i, ti := range t {
		v[i] = s.PosteriorVariance[ti]
	}
	return tensor.Add(tensor.Mul(x0, c1), tensor.Mul(xt, c2)), v
}

// Timesteps converts timesteps to the float tensor (B) a Denoiser takes.
func Timesteps(t []int) *tensor.Tensor {
	out := tensor.New(len(t))
	for i, v := range t {
		out.Data()[i] = float32(v)
	}
	return out
}

// Spacing returns n timesteps spread evenly from start down to 0 (both included,
// rounded, without repeats): the evaluation points of a sampler with n steps whose
// chain starts at x_start. n ≤ 0 or n > start+1 means every timestep. It panics if
// start is negative.
func Spacing(start, n int) []int {
	if start < 0 {
		tensor.Panicf("Spacing", "start %d", start)
	}
	if n <= 0 || n > start+1 {
		n = start + 1
	}
	if n == 1 {
		return []int{start}
	}
	ts := make([]int, 0, n)
	for i := 0; i < n; i++ {
		v := int(math.Round(float64(start) * float64(n-1-i) / float64(n-1)))
		if len(ts) == 0 || v != ts[len(ts)-1] {
			ts = append(ts, v)
		}
	}
	return ts
}
