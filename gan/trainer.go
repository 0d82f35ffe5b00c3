package gan

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// Conditional is a generator or discriminator that also takes class labels (B),
// stored as float32 integers. The trainer calls ForwardLabels when it trains with
// labels and Forward otherwise.
type Conditional interface {
	ForwardLabels(x *autograd.Var, labels *tensor.Tensor) *autograd.Var
}

// call runs m on x, with labels when there are some and m takes them.
func call(m nn.Module, x *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	if c, ok := m.(Conditional); ok && labels != nil {
		return c.ForwardLabels(x, labels)
	}
	return m.Forward(x)
}

// Batch is a batch of real data: images or points X (B,…) and, for conditional
// training, their labels (B).
type Batch struct {
	X, Labels *tensor.Tensor
}

// TrainerConfig configures a Trainer. The zero value trains a non-saturating GAN with
// one discriminator step per generator step, Adam(lr 2e-4, betas (0.5, 0.999)) for
// both networks, z of size 100, no EMA and the default divergence checks.
type TrainerConfig struct {
	Loss Loss // the adversarial objective; the zero value is NonSaturating
	// ZDim is the latent size; 0 means 100. Unused when Trainer.Input is set.
	ZDim int
	// DSteps is the number of discriminator steps per generator step; 0 means 1 (WGAN-GP
	// uses 5).
	DSteps int
	// GLR and DLR are the learning rates; 0 means 2e-4. Different values give the
	// two-timescale update rule (TTUR, Heusel et al. 2017).
	GLR, DLR float64
	// Beta1 and Beta2 are Adam's betas; 0 means 0.5 and 0.999 (optim.Zero means 0).
	Beta1, Beta2 float64
	// GPWeight λ scales the WGAN-GP gradient penalty; 0 means 10 for Wasserstein and
	// none for the other losses; negative means none.
	GPWeight float64
	// R1Weight γ scales the R1 penalty on real data; 0 means none.
	R1Weight float64
	// LabelSmoothing s makes the real target 1-s (BCE and least-squares losses).
	LabelSmoothing float32
	// InstanceNoise σ adds N(0,σ²) noise to every discriminator input, real and fake
	// (Sønderby et al. 2016), decayed linearly to 0 over NoiseSteps generator steps
	// (0 means constant).
	InstanceNoise float32
	NoiseSteps    int // generator steps over which InstanceNoise decays; 0 means constant
	// AdvWeight scales the generator's adversarial loss; 0 means 1. With a content loss
	// (Trainer.ContentLoss, for super-resolution) it is SRGAN's 1e-3.
	AdvWeight float32
	// EMADecay > 0 keeps an exponential moving average of the generator's weights,
	// which Generate uses. The decay used at step t is min(EMADecay, (1+t)/(10+t)), so
	// that early on the average follows the weights instead of remembering their
	// random initialisation.
	EMADecay float64
	// Classes > 0 trains conditionally: real batches must carry labels, which are also
	// given to the generator for the fakes.
	Classes int
	// MaxLoss and MaxGradNorm bound what counts as healthy: a loss or gradient norm
	// that is NaN, infinite or larger in magnitude stops training with a
	// *DivergenceError. 0 means 1e4 and 1e6.
	MaxLoss, MaxGradNorm float64
	// SnapshotEvery is how many healthy steps apart the in-memory "last good" state is
	// copied; 0 means 100.
	SnapshotEvery int
}

func (c TrainerConfig) withDefaults() TrainerConfig {
	c.Loss.check("gan.NewTrainer")
	def := func(v *float64, d float64) {
		if *v == 0 {
			*v = d
		}
	}
	if c.ZDim == 0 {
		c.ZDim = 100
	}
	if c.DSteps == 0 {
		c.DSteps = 1
	}
	def(&c.GLR, 2e-4)
	def(&c.DLR, 2e-4)
	def(&c.Beta1, 0.5)
	def(&c.Beta2, 0.999)
	if c.GPWeight == 0 && c.Loss == Wasserstein {
		c.GPWeight = 10
	}
	if c.GPWeight < 0 {
		c.GPWeight = 0
	}
	if c.AdvWeight == 0 {
		c.AdvWeight = 1
	}
	def(&c.MaxLoss, 1e4)
	def(&c.MaxGradNorm, 1e6)
	if c.SnapshotEvery == 0 {
		c.SnapshotEvery = 100
	}
	return c
}

// Stats describes one generator step and the discriminator steps before it.
type Stats struct {
	Step         int     // generator steps done, counting this one
	DLoss, GLoss float64 // adversarial losses (the last discriminator step's)
	Penalty      float64 // weighted gradient penalties in DLoss's step
	Content      float64 // the content loss, if any
	DReal, DFake float64 // mean discriminator score on real and fake data
	DGradNorm    float64 // global gradient norm of the discriminator
	GGradNorm    float64 // global gradient norm of the generator
	Noise        float64 // instance-noise standard deviation used
}

// String formats the stats on one line.
func (s Stats) String() string {
	return fmt.Sprintf("step %d: D %.4f G %.4f pen %.4f D(x) %.3f D(G(z)) %.3f |∇D| %.3g |∇G| %.3g",
		s.Step, s.DLoss, s.GLoss, s.Penalty, s.DReal, s.DFake, s.DGradNorm, s.GGradNorm)
}

// DivergenceError reports that training diverged: a loss or gradient norm became NaN,
// infinite or too large. The trainer has restored the last good state, from
// RestoredStep, before returning it.
type DivergenceError struct {
	Step         int    // the generator step that failed
	What         string // which quantity, e.g. "discriminator loss"
	Value        float64
	RestoredStep int
	// Param names the first parameter of the failing network whose value or gradient
	// was NaN or infinite (see nn.CheckFinite), with " (gradient)" for a gradient; ""
	// when all were finite (a loss too large, say).
	Param string
}

// Error describes the divergence and suggests remedies.
func (e *DivergenceError) Error() string {
	param := ""
	if e.Param != "" {
		param = " (first non-finite parameter: " + e.Param + ")"
	}
	return fmt.Sprintf("gan: training diverged at step %d: %s is %g%s; restored the last good state from step %d "+
		"(try lower learning rates, spectral normalisation, a gradient penalty or instance noise)",
		e.Step, e.What, e.Value, param, e.RestoredStep)
}

// Trainer runs the alternating updates of a GAN: DSteps discriminator steps, each on a
// fresh real batch, then one generator step, with separate Adam optimizers, optional
// penalties, label smoothing, instance noise, an EMA of the generator, logging hooks,
// and divergence detection that rolls back to the last good state. The generator and
// discriminator are any nn.Modules (Conditional ones get labels); each must own its
// own VarStore so that their training modes and parameters stay apart.
type Trainer struct {
	G, D           nn.Module
	GStore, DStore *nn.VarStore
	GOpt, DOpt     *optim.Adam
	EMA            *optim.EMA // nil unless Cfg.EMADecay > 0
	Cfg            TrainerConfig

	// Input, when set, makes the generator's input from a real batch (a low-resolution
	// image for super-resolution); nil means z ~ N(0,1) of shape (B,ZDim).
	Input func(b Batch) *tensor.Tensor
	// ContentLoss, when set, is added to the generator's loss (a pixel loss for
	// super-resolution).
	ContentLoss func(fake *autograd.Var, b Batch) *autograd.Var

	rng   *rand.Rand
	step  int
	hooks []func(Stats)
	good  map[string]*tensor.Tensor
	goodN int
}

// NewTrainer returns a trainer for generator g (parameters in gs) and discriminator d
// (in ds), drawing latents and noise from rng. It panics on an invalid config.
func NewTrainer(g nn.Module, gs *nn.VarStore, d nn.Module, ds *nn.VarStore, cfg TrainerConfig, rng *rand.Rand) *Trainer {
	cfg = cfg.withDefaults()
	t := &Trainer{G: g, D: d, GStore: gs, DStore: ds, Cfg: cfg, rng: rng}
	t.GOpt = optim.NewAdam(gs.Params(), optim.AdamConfig{LR: cfg.GLR, Beta1: cfg.Beta1, Beta2: cfg.Beta2})
	t.DOpt = optim.NewAdam(ds.Params(), optim.AdamConfig{LR: cfg.DLR, Beta1: cfg.Beta1, Beta2: cfg.Beta2})
	if cfg.EMADecay > 0 {
		t.EMA = optim.NewEMA(gs.Params(), cfg.EMADecay)
	}
	t.snapshot()
	return t
}

// OnStep adds a hook called with the stats after every successful step.
func (t *Trainer) OnStep(f func(Stats)) { t.hooks = append(t.hooks, f) }

// StepCount returns the number of generator steps done.
func (t *Trainer) StepCount() int { return t.step }

// noiseStd returns the instance-noise level for the current step.
func (t *Trainer) noiseStd() float32 {
	s := t.Cfg.InstanceNoise
	if s == 0 || t.Cfg.NoiseSteps == 0 {
		return s
	}
	return s * float32(max(0, 1-float64(t.step)/float64(t.Cfg.NoiseSteps)))
}

func (t *Trainer) noisy(x *autograd.Var, std float32) *autograd.Var {
	if std == 0 {
		return x
	}
	return autograd.Add(x, autograd.Const(tensor.Randn(t.rng, x.Shape()...).MulScalar(std)))
}

// input returns the generator's input for b.
func (t *Trainer) input(b Batch) *tensor.Tensor {
	if t.Input != nil {
		return t.Input(b)
	}
	return tensor.Randn(t.rng, b.X.Size(0), t.Cfg.ZDim)
}

func (t *Trainer) labels(b Batch) *tensor.Tensor {
	if t.Cfg.Classes == 0 {
		return nil
	}
	if b.Labels == nil || b.Labels.Numel() != b.X.Size(0) {
		tensor.Panicf("gan.Trainer.Step", "conditional training needs %d labels for a batch %s", b.X.Size(0), tensor.ShapeString(b.X.Shape()))
	}
	return b.Labels
}

func gradNorm(params []*autograd.Var) float64 {
	return optim.ClipGradNorm(params, math.Inf(1))
}

func mean(v *autograd.Var) float64 {
	var s float64
	for _, x := range v.Value().Data() {
		s += float64(x)
	}
	return s / float64(v.Value().Numel())
}

// Step runs DSteps discriminator updates, each on a batch from next, and one generator
// update on the fakes made for the last of them. On a NaN, infinite or too large loss
// or gradient norm it skips the update, restores the last good state (parameters,
// buffers, optimizer and EMA state) and returns a *DivergenceError. After each update
// the values computed for it are handed back for reuse ((*autograd.Var).ReleaseGraph),
// so a ContentLoss must not keep the Vars it computes beyond its call.
func (t *Trainer) Step(next func() Batch) (Stats, error) {
	cfg := t.Cfg
	st := Stats{Step: t.step + 1, Noise: float64(t.noiseStd())}
	var b Batch
	var fake *autograd.Var
	var labels *tensor.Tensor
	for k := range cfg.DSteps {
		b = next()
		labels = t.labels(b)
		z := t.input(b)
		last := k == cfg.DSteps-1
		if last {
			fake = call(t.G, autograd.Const(z), labels) // kept on the graph for the generator step
		} else {
			fake = call(t.G, autograd.NoGrad(z), labels)
		}
		std := t.noiseStd()
		real := autograd.Const(b.X)
		dr := call(t.D, t.noisy(real, std), labels)
		df := call(t.D, t.noisy(fake.Detach(), std), labels)
		loss := DiscriminatorLoss(cfg.Loss, dr, df, cfg.LabelSmoothing)
		st.DLoss = float64(loss.Item())
		st.DReal, st.DFake = mean(dr), mean(df)
		d := nn.Func(func(x *autograd.Var) *autograd.Var { return call(t.D, x, labels) })
		var pen *autograd.Var
		if cfg.GPWeight > 0 {
			gp := GradientPenalty(d, b.X, fake.Value(), RandomAlpha(t.rng, b.X.Size(0)))
			pen = autograd.MulScalar(gp, float32(cfg.GPWeight))
		}
		if cfg.R1Weight > 0 {
			r1 := autograd.MulScalar(R1Penalty(d, b.X), float32(cfg.R1Weight))
			if pen == nil {
				pen = r1
			} else {
				pen = autograd.Add(pen, r1)
			}
		}
		if pen != nil {
			st.Penalty = float64(pen.Item())
			loss = autograd.Add(loss, pen)
		}
		t.DOpt.ZeroGrad()
		loss.Backward()
		st.DGradNorm = gradNorm(t.DStore.Params())
		if err := t.check(t.DStore, st.Step, "discriminator loss", float64(loss.Item()), cfg.MaxLoss); err != nil {
			return st, err
		}
		if err := t.check(t.DStore, st.Step, "discriminator gradient norm", st.DGradNorm, cfg.MaxGradNorm); err != nil {
			return st, err
		}
		t.DOpt.Step()
		loss.ReleaseGraph() // fake survives: the loss saw it detached
	}

	// Generator step: the discriminator's parameters are frozen so only the
	// generator's gradients are computed.
	t.DStore.SetRequiresGrad(false)
	df := call(t.D, t.noisy(fake, t.noiseStd()), labels)
	gl := GeneratorLoss(cfg.Loss, df)
	st.GLoss = float64(gl.Item())
	if cfg.AdvWeight != 1 {
		gl = autograd.MulScalar(gl, cfg.AdvWeight)
	}
	if t.ContentLoss != nil {
		c := t.ContentLoss(fake, b)
		st.Content = float64(c.Item())
		gl = autograd.Add(gl, c)
	}
	t.GOpt.ZeroGrad()
	gl.Backward()
	t.DStore.SetRequiresGrad(true)
	st.GGradNorm = gradNorm(t.GStore.Params())
	if err := t.check(t.GStore, st.Step, "generator loss", float64(gl.Item()), cfg.MaxLoss); err != nil {
		return st, err
	}
	if err := t.check(t.GStore, st.Step, "generator gradient norm", st.GGradNorm, cfg.MaxGradNorm); err != nil {
		return st, err
	}
	t.GOpt.Step()
	gl.ReleaseGraph()
	t.GOpt.ZeroGrad()
	t.DOpt.ZeroGrad()
	if t.EMA != nil {
		t.EMA.SetDecay(min(cfg.EMADecay, float64(1+t.step)/float64(10+t.step)))
		t.EMA.Update()
	}
	t.step++
	if t.step%cfg.SnapshotEvery == 0 {
		t.snapshot()
	}
	for _, h := range t.hooks {
		h(st)
	}
	return st, nil
}

// check returns a *DivergenceError, after restoring the last good state, when v is not
// finite or exceeds limit in magnitude; it names the first non-finite parameter or
// gradient of store.
func (t *Trainer) check(store *nn.VarStore, step int, what string, v, limit float64) error {
	if !math.IsNaN(v) && !math.IsInf(v, 0) && math.Abs(v) <= limit {
		return nil
	}
	e := &DivergenceError{Step: step, What: what, Value: v}
	var nf *nn.NonFiniteError
	if errors.As(nn.CheckFinite(store), &nf) {
		e.Param = nf.Name
		if nf.Grad {
			e.Param += " (gradient)"
		}
	}
	t.restore()
	e.RestoredStep = t.goodN
	return e
}

// snapshot copies the current state as the last good one.
func (t *Trainer) snapshot() {
	sd := t.StateDict()
	for k, v := range sd {
		sd[k] = v.Clone()
	}
	t.good, t.goodN = sd, t.step
}

func (t *Trainer) restore() {
	t.GOpt.ZeroGrad()
	t.DOpt.ZeroGrad()
	t.DStore.SetRequiresGrad(true)
	if err := t.LoadStateDict(t.good); err != nil {
		// The snapshot was taken from this very trainer, so it always matches.
		tensor.Panicf("gan.Trainer", "restoring the last good state: %v", err)
	}
}

// Rollback restores the last good state (at most SnapshotEvery steps old) and returns
// its step count.
func (t *Trainer) Rollback() int {
	t.restore()
	return t.step
}

// StateDict returns the whole training state by name, for a checkpoint: the
// generator's and discriminator's parameters and buffers under "g." and "d.", their
// optimizer states under "g_opt." and "d_opt.", the EMA weights under "ema." and the
// step count as "trainer.step". Model tensors are the live values, not copies.
func (t *Trainer) StateDict() map[string]*tensor.Tensor {
	sd := map[string]*tensor.Tensor{"trainer.step": tensor.Scalar(float32(t.step))}
	put := func(prefix string, m map[string]*tensor.Tensor) {
		for k, v := range m {
			sd[prefix+k] = v
		}
	}
	put("g.", t.GStore.StateDict())
	put("d.", t.DStore.StateDict())
	put("g_opt.", t.GOpt.StateDict())
	put("d_opt.", t.DOpt.StateDict())
	if t.EMA != nil {
		put("ema.", t.EMA.StateDict())
	}
	return sd
}

// LoadStateDict restores a state saved by StateDict. It returns an error naming the
// part that does not match.
func (t *Trainer) LoadStateDict(sd map[string]*tensor.Tensor) error {
	parts := map[string]map[string]*tensor.Tensor{"g.": {}, "d.": {}, "g_opt.": {}, "d_opt.": {}, "ema.": {}}
	step := -1
	for k, v := range sd {
		if k == "trainer.step" {
			step = int(v.Item())
			continue
		}
		found := false
		for p, m := range parts {
			if strings.HasPrefix(k, p) {
				m[k[len(p):]] = v
				found = true
				break
			}
		}
		if !found {
			return fmt.Errorf("gan: trainer state: unexpected key %q", k)
		}
	}
	if step < 0 {
		return fmt.Errorf("gan: trainer state: missing trainer.step")
	}
	if err := t.GStore.LoadStateDict(parts["g."], true); err != nil {
		return fmt.Errorf("gan: generator: %w", err)
	}
	if err := t.DStore.LoadStateDict(parts["d."], true); err != nil {
		return fmt.Errorf("gan: discriminator: %w", err)
	}
	if err := t.GOpt.LoadStateDict(parts["g_opt."]); err != nil {
		return fmt.Errorf("gan: generator optimizer: %w", err)
	}
	if err := t.DOpt.LoadStateDict(parts["d_opt."]); err != nil {
		return fmt.Errorf("gan: discriminator optimizer: %w", err)
	}
	if t.EMA != nil {
		if len(parts["ema."]) == 0 {
			// A checkpoint trained without EMA: start the average at the weights.
			t.EMA = optim.NewEMA(t.GStore.Params(), t.Cfg.EMADecay)
		} else if err := t.EMA.LoadStateDict(parts["ema."]); err != nil {
			return fmt.Errorf("gan: %w", err)
		}
	}
	t.step = step
	return nil
}

// Generate runs the generator in evaluation mode, with the EMA weights if there are
// any, on input z (latents, or low-resolution images) and labels (nil for an
// unconditional generator), recording no graph.
func (t *Trainer) Generate(z, labels *tensor.Tensor) *tensor.Tensor {
	return Sample(t.G, t.GStore, t.EMA, z, labels)
}

// Sample runs generator g (parameters in gs) in evaluation mode on z and labels,
// recording no graph; with a non-nil ema its averaged weights are used.
func Sample(g nn.Module, gs *nn.VarStore, ema *optim.EMA, z, labels *tensor.Tensor) *tensor.Tensor {
	was := gs.Training()
	gs.SetTraining(false)
	defer gs.SetTraining(was)
	if ema != nil {
		ema.Apply()
		defer ema.Restore()
	}
	return call(g, autograd.NoGrad(z), labels).Value()
}
