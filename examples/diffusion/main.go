// Command diffusion trains a denoising diffusion model on MNIST and shows what it can
// do: samples, the forward and reverse chains, denoising, super-resolution, and the
// speed/quality trade-off of the samplers.
//
//	go run ./examples/diffusion                                   # train 15 minutes, then evaluate
//	go run ./examples/diffusion -cond -guidance 3                 # class-conditional with guidance
//	go run ./examples/diffusion sample -n 64 -sampler dpm -steps 10
//	go run ./examples/diffusion eval -n 1000                      # DDPM-1000, DDIM-50, DPM-20, DPM-10
//	go run ./examples/diffusion eval -samples out/diffusion/torch # score a directory of PNGs
//
// Subcommands: train (default), sample, eval. See README.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// options are the flags every subcommand shares.
type options struct {
	data, out, ckpt          string
	defaultCkpt              bool // -ckpt was not given
	seed                     uint64
	schedule, pred, sampler  string
	cond                     bool
	guidance                 float64
	steps, n, base           int
	minutes                  float64
	epochs, batch            int
	lr, srProb, labelDropout float64
	resume, guard            bool
	samples, samplers        string
	weighting, lrDecay       string
	evalN                    int
	epsScale                 float64
}

func main() {
	cmd := "train"
	args := os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var o options
	fl := flag.NewFlagSet("diffusion "+cmd, flag.ExitOnError)
	fl.StringVar(&o.data, "data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	fl.StringVar(&o.out, "out", "out/diffusion", "output directory")
	fl.StringVar(&o.ckpt, "ckpt", "", "checkpoint (default <out>/model.safetensors)")
	fl.Uint64Var(&o.seed, "seed", 1, "random seed")
	fl.StringVar(&o.schedule, "schedule", "linear", "noise schedule: linear, cosine or sigmoid (train)")
	fl.StringVar(&o.pred, "pred", "eps", "network output: eps, x0 or v (train)")
	fl.StringVar(&o.weighting, "weighting", "none", "loss weighting: none, snr or minsnr (Min-SNR-5; minsnr-G for γ = G) (train)")
	fl.BoolVar(&o.cond, "cond", false, "class-conditional with label dropout, for classifier-free guidance (train)")
	fl.Float64Var(&o.guidance, "guidance", 3, "classifier-free guidance scale for a -cond model (1: conditional, no guidance; 0: unconditional, the null label)")
	fl.StringVar(&o.sampler, "sampler", "ddim", "sampler: ddpm, ddim or dpm (DPM-Solver++ 2M)")
	fl.IntVar(&o.steps, "steps", 50, "sampler steps (0: the sampler's default)")
	fl.IntVar(&o.n, "n", 64, "samples to draw (sample) or to evaluate per sampler (eval)")
	fl.IntVar(&o.base, "base", 16, "U-Net base channels (train)")
	fl.Float64Var(&o.minutes, "minutes", 15, "training time limit")
	fl.IntVar(&o.epochs, "epochs", 0, "training epochs (0: until -minutes)")
	fl.IntVar(&o.batch, "batch", 32, "batch size")
	fl.Float64Var(&o.lr, "lr", 1e-3, "Adam learning rate")
	fl.StringVar(&o.lrDecay, "lr-decay", "none", "learning-rate decay over the run's budget (-minutes or -epochs): none or cosine (to 0)")
	fl.Float64Var(&o.srProb, "sr", 0.2, "share of training batches' images conditioned on their 14×14 version (super-resolution)")
	fl.Float64Var(&o.labelDropout, "label-dropout", 0.1, "label dropout for guidance (train -cond)")
	fl.BoolVar(&o.resume, "resume", false, "continue training from -ckpt")
	fl.BoolVar(&o.guard, "guard", true, "stop training at the first NaN or infinite weight or gradient, naming it (train)")
	fl.StringVar(&o.samples, "samples", "", "eval: score the PNGs in this directory instead of a model")
	fl.StringVar(&o.samplers, "samplers", "ddpm-1000,ddim-50,dpm-20,dpm-10", "eval: samplers to time and score, kind-steps[-etaX for ddim|-beta for ddpm]")
	fl.IntVar(&o.evalN, "eval-n", 1000, "train: samples for the evaluation at the end")
	fl.Float64Var(&o.epsScale, "eps-scale", 0, "sample, eval: divide the predicted noise by this at every step (Epsilon Scaling against exposure bias, 1.001…1.01; 0: off)")
	_ = fl.Parse(args)
	if o.ckpt == "" {
		o.defaultCkpt = true
		o.ckpt = filepath.Join(o.out, "model.safetensors")
	}
	if o.epsScale < 0 || math.IsNaN(o.epsScale) || math.IsInf(o.epsScale, 0) {
		fmt.Fprintf(os.Stderr, "diffusion: -eps-scale %g: want a positive finite factor, or 0 for none\n", o.epsScale)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var err error
	switch cmd {
	case "train":
		err = train(ctx, o)
	case "sample":
		err = sample(ctx, o)
	case "eval":
		err = evalCmd(ctx, o)
	default:
		err = fmt.Errorf("unknown subcommand %q (want train, sample or eval)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "diffusion:", err)
		os.Exit(1)
	}
}

// modelSpec is what a checkpoint records about its model, in the metadata.
type modelSpec struct {
	Schedule string
	Pred     string
	Cond     bool
	Base     int
}

func (s modelSpec) metadata() map[string]string {
	return map[string]string{"format": "genblocks-diffusion", "schedule": s.Schedule, "pred": s.Pred,
		"cond": strconv.FormatBool(s.Cond), "base": strconv.Itoa(s.Base)}
}

// build makes the model of spec: a U-Net with one conditioning channel (the upsampled
// 14×14 image for super-resolution, zeros otherwise), labels if spec.Cond.
func build(spec modelSpec, rng *rand.Rand) (*nn.VarStore, *diffusion.Model, error) {
	sched, err := diffusion.NewNamedSchedule(spec.Schedule, 1000)
	if err != nil {
		return nil, nil, err
	}
	pred, err := diffusion.ParsePrediction(spec.Pred)
	if err != nil {
		return nil, nil, err
	}
	cfg := diffusion.UNetConfig{CondChannels: 1, Base: spec.Base}
	if spec.Cond {
		cfg.NumClasses = 10
	}
	vs := nn.NewVarStore(rng)
	net := diffusion.NewUNet(vs.Root(), cfg)
	return vs, &diffusion.Model{Net: net, Sched: sched, Pred: pred, NullClass: 10}, nil
}

// loaded is a model read from a checkpoint, with the EMA weights in place.
type loaded struct {
	spec     modelSpec
	vs       *nn.VarStore
	model    *diffusion.Model
	epsScale float64 // SampleConfig.EpsScale for every draw (-eps-scale)
}

func load(path string) (*loaded, error) {
	st, err := nn.LoadFile(path)
	if err != nil {
		return nil, err
	}
	md := st.Metadata
	base, _ := strconv.Atoi(md["base"])
	spec := modelSpec{Schedule: md["schedule"], Pred: md["pred"], Cond: md["cond"] == "true", Base: base}
	vs, m, err := build(spec, rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	ema := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if name, ok := strings.CutPrefix(k, "ema."); ok {
			ema[name] = v
		}
	}
	if err := vs.LoadStateDict(ema, true); err != nil {
		return nil, fmt.Errorf("%s: EMA weights: %w", path, err)
	}
	vs.SetTraining(false)
	return &loaded{spec: spec, vs: vs, model: m}, nil
}

// drawConfig returns the sampling configuration for n images: for a conditional model,
// labels 0…9 in turn and the guidance scale, or with guidance 0 the null label (an
// unconditional sample: the guided mix u + w·(c−u) at w = 0); a zero conditioning
// channel.
func drawConfig(l *loaded, n int, guidance float64) diffusion.SampleConfig {
	cfg := diffusion.SampleConfig{Clip: true, Cond: tensor.Full(0, n, 1, 28, 28), EpsScale: l.epsScale}
	if l.spec.Cond {
		cfg.Class = tensor.New(n)
		for i := range n {
			cfg.Class.Data()[i] = float32(i % 10)
			if guidance == 0 {
				cfg.Class.Data()[i] = float32(l.model.NullClass)
			}
		}
		cfg.Guidance = guidance
	}
	return cfg
}

// drawBatch is how many images draw samples at once.
const drawBatch = 250

// draw samples n images in batches of drawBatch with s.
func draw(ctx context.Context, l *loaded, s diffusion.Sampler, n int, guidance float64, rng *rand.Rand, bar *progress.Reporter) (*tensor.Tensor, error) {
	var parts []*tensor.Tensor
	for start := 0; start < n; start += drawBatch {
		b := min(drawBatch, n-start)
		cfg := drawConfig(l, n, guidance)
		cfg.Cond = tensor.Full(0, b, 1, 28, 28)
		if cfg.Class != nil {
			cfg.Class = tensor.Narrow(cfg.Class, 0, start, b)
		}
		x, err := s.Sample(ctx, l.model, tensor.Randn(rng, b, 1, 28, 28), rng, cfg)
		if err != nil {
			return nil, err
		}
		parts = append(parts, x)
		if bar != nil {
			bar.Update(start + b)
		}
	}
	if bar != nil {
		bar.Done()
	}
	return tensor.Concat(0, parts...), nil
}

func train(ctx context.Context, o options) error {
	// Flags first, so a typo fails before MNIST is read.
	if o.lrDecay != "none" && o.lrDecay != "cosine" {
		return fmt.Errorf("unknown -lr-decay %q (want none or cosine)", o.lrDecay)
	}
	var lossCfg diffusion.LossConfig
	var err error
	if lossCfg.Weighting, lossCfg.Gamma, err = diffusion.ParseWeighting(o.weighting); err != nil {
		return err
	}
	data, err := mnist.Load(o.data)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.seed, 0xd1ff))
	spec := modelSpec{Schedule: o.schedule, Pred: o.pred, Cond: o.cond, Base: o.base}
	vs, m, err := build(spec, rng)
	if err != nil {
		return err
	}
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: o.lr})
	ema := optim.NewEMA(vs.Params(), 0.999)
	step := 0
	if o.resume {
		if step, err = loadTraining(o.ckpt, vs, opt, ema); err != nil {
			return err
		}
		fmt.Printf("resumed from %s at step %d\n", o.ckpt, step)
	}
	train := data.Train
	fmt.Printf("U-Net: %d parameters; schedule %s, predicting %s, loss weighting %s, conditional %v; batch %d, %g minutes\n",
		vs.NumParams(), o.schedule, o.pred, o.weighting, o.cond, o.batch, o.minutes)
	if o.cond {
		lossCfg.LabelDropout = o.labelDropout
	}
	save := func() error {
		return saveTraining(o.ckpt, spec, step, vs, opt, ema)
	}
	began := time.Now()
	budget := time.Duration(o.minutes * float64(time.Minute))
	deadline := began.Add(budget)
	stepsPerEpoch := train.Len() / o.batch
	total := 0
	if o.epochs > 0 {
		total = o.epochs * stepsPerEpoch
	}
	bar := progress.New(os.Stdout, total, "images").PerStep(o.batch).Resume(step)
	lastSave, avg := time.Now(), 0.0
	for epoch := 0; ; epoch++ {
		for _, idx := range train.Batches(rng, o.batch, true) {
			if ctx.Err() != nil || (o.epochs == 0 && time.Now().After(deadline)) || (total > 0 && step >= total) {
				goto done
			}
			x, y := train.Batch(idx)
			x0 := x.Reshape(-1, 1, 28, 28).MulScalar(2).AddScalar(-1) // (B,1,28,28) in [-1,1]
			cond := srCondition(x0, o.srProb, rng)
			var class *tensor.Tensor
			if o.cond {
				class = y
			}
			opt.ZeroGrad()
			loss := m.Loss(rng, x0, class, cond, lossCfg)
			loss.Backward()
			if o.guard {
				if err := nn.CheckFinite(vs); err != nil {
					bar.Done()
					return fmt.Errorf("step %d: %w (the checkpoint keeps the last good state)", step+1, err)
				}
			}
			optim.ClipGradNorm(vs.Params(), 1)
			if o.lrDecay == "cosine" {
				// The share of this run's budget used so far: steps with -epochs, time otherwise.
				frac := float64(time.Since(began)) / float64(budget)
				if total > 0 {
					frac = float64(step) / float64(total)
				}
				opt.SetLR(cosineDecay(o.lr, frac))
			}
			opt.Step()
			ema.SetDecay(min(0.999, float64(1+step)/float64(10+step)))
			ema.Update()
			step++
			l := float64(loss.Item())
			loss.ReleaseGraph() // the next step reuses the memory
			if avg == 0 {
				avg = l
			}
			avg = 0.98*avg + 0.02*l
			bar.Update(step, progress.Int("epoch", epoch+1), progress.Float("loss", avg))
			if time.Since(lastSave) > 3*time.Minute {
				if err := save(); err != nil {
					return err
				}
				lastSave = time.Now()
			}
		}
	}
done:
	bar.Done()
	if err := save(); err != nil {
		return err
	}
	fmt.Printf("trained %d steps; checkpoint %s\n", step, o.ckpt)
	l, err := load(o.ckpt)
	if err != nil {
		return err
	}
	if err := figures(ctx, o, l, data.Test); err != nil {
		return err
	}
	if o.evalN > 0 {
		s, err := diffusion.ParseSampler(o.sampler, o.steps)
		if err != nil {
			return err
		}
		return evaluateModel(ctx, o, l, fmt.Sprintf("%s-%d", o.sampler, o.steps), s, o.evalN)
	}
	return nil
}

// cosineDecay returns the learning rate after a share frac of the budget under a half
// cosine from base to 0: base·(1+cos(π·frac))/2, 0 from frac 1 on.
func cosineDecay(base, frac float64) float64 {
	return base * (1 + math.Cos(math.Pi*min(max(frac, 0), 1))) / 2
}

// srCondition returns the conditioning channel for a training batch: for a share p of
// the images, the bicubic upsampling of their 2×2-averaged 14×14 version; zeros
// elsewhere.
func srCondition(x0 *tensor.Tensor, p float64, rng *rand.Rand) *tensor.Tensor {
	cond := tensor.New(x0.Shape()...)
	if p <= 0 {
		return cond
	}
	up := bicubic(downsample2(x0), 28, 28)
	for i := 0; i < x0.Size(0); i++ {
		if rng.Float64() < p {
			copy(cond.Data()[i*784:(i+1)*784], up.Data()[i*784:(i+1)*784])
		}
	}
	return cond
}

// pipelineConfig returns the diffusion.PipelineConfig of the model of spec, with the
// sampling defaults of the sample subcommand.
func (s modelSpec) pipelineConfig() diffusion.PipelineConfig {
	cfg := diffusion.PipelineConfig{UNet: diffusion.UNetConfig{CondChannels: 1, Base: s.Base},
		Schedule: s.Schedule, Timesteps: 1000, Pred: s.Pred, Sampler: "ddim", Steps: 50, Clip: true}
	if s.Cond {
		cfg.UNet.NumClasses, cfg.Guidance = 10, 3
	}
	return cfg
}

// pipelinePath returns where saveTraining puts the pipeline of checkpoint path:
// out/diffusion/model.safetensors -> out/diffusion/model-pipeline.safetensors.
func pipelinePath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + "-pipeline.safetensors"
}

// saveTraining writes the weights, their EMA ("ema.") and the optimizer state
// ("optim."), atomically, and beside them the EMA weights alone with the pipeline
// config (pipelinePath) for diffusion.LoadPipeline and examples/serve.
func saveTraining(path string, spec modelSpec, step int, vs *nn.VarStore, opt optim.Optimizer, ema *optim.EMA) error {
	all := vs.StateDict()
	for k, v := range opt.StateDict() {
		all["optim."+k] = v
	}
	for k, v := range ema.StateDict() {
		all["ema."+k] = v
	}
	md := spec.metadata()
	md["step"] = strconv.Itoa(step)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := nn.SaveFile(path, all, md); err != nil {
		return err
	}
	return diffusion.SavePipeline(pipelinePath(path), vs, ema, spec.pipelineConfig(), map[string]string{"step": md["step"]})
}

func loadTraining(path string, vs *nn.VarStore, opt optim.Optimizer, ema *optim.EMA) (int, error) {
	st, err := nn.LoadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		fmt.Printf("no checkpoint at %s; starting fresh\n", path)
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	model, state, avg := map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}, map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if s, ok := strings.CutPrefix(k, "optim."); ok {
			state[s] = v
		} else if s, ok := strings.CutPrefix(k, "ema."); ok {
			avg[s] = v
		} else {
			model[k] = v
		}
	}
	if err := vs.LoadStateDict(model, true); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := opt.LoadStateDict(state); err != nil {
		return 0, fmt.Errorf("%s: optimizer state: %w", path, err)
	}
	if err := ema.LoadStateDict(avg); err != nil {
		return 0, fmt.Errorf("%s: EMA: %w", path, err)
	}
	step, _ := strconv.Atoi(st.Metadata["step"])
	return step, nil
}

func sample(ctx context.Context, o options) error {
	l, err := load(o.ckpt)
	if errors.Is(err, fs.ErrNotExist) && o.defaultCkpt {
		return samplePretrained(ctx, o)
	}
	if err != nil {
		return err
	}
	l.epsScale = o.epsScale
	s, err := diffusion.ParseSampler(o.sampler, o.steps)
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x5a))
	start := time.Now()
	x, err := draw(ctx, l, s, o.n, o.guidance, rng, progress.New(os.Stdout, o.n, "images"))
	if err != nil {
		return err
	}
	fmt.Printf("%d samples in %.1fs (%.3fs per image)\n", o.n, time.Since(start).Seconds(), time.Since(start).Seconds()/float64(o.n))
	return mnisteval.WriteSamples(o.out, toUnit(x))
}

func evalCmd(ctx context.Context, o options) error {
	if o.samples != "" {
		images, err := mnisteval.ReadSamples(o.samples)
		if err != nil {
			return err
		}
		return report(o.samples, images, math.NaN(), nil)
	}
	l, err := load(o.ckpt)
	if err != nil {
		return err
	}
	l.epsScale = o.epsScale
	for _, name := range strings.Split(o.samplers, ",") {
		s, err := parseSamplerSpec(name)
		if err != nil {
			return err
		}
		if err := evaluateModel(ctx, o, l, name, s, o.n); err != nil {
			return err
		}
	}
	return nil
}

// parseSamplerSpec reads an eval sampler name: kind-steps, optionally followed by
// -etaX for DDIM's η (ddim-50-eta1) or -beta for DDPM with σ² = β (ddpm-1000-beta).
func parseSamplerSpec(name string) (diffusion.Sampler, error) {
	parts := strings.Split(name, "-")
	steps := 0
	if len(parts) > 1 {
		k, err := strconv.Atoi(parts[1])
		if err != nil || k < 0 {
			return nil, fmt.Errorf("sampler %q: want kind-steps, such as ddim-50", name)
		}
		steps = k
	}
	s, err := diffusion.ParseSampler(parts[0], steps)
	if err != nil || len(parts) <= 2 {
		return s, err
	}
	opt := parts[2]
	switch v, isEta := strings.CutPrefix(opt, "eta"); {
	case len(parts) > 3:
	case isEta && parts[0] == "ddim":
		eta, err := strconv.ParseFloat(v, 64)
		if err == nil && eta >= 0 {
			return diffusion.DDIM{Steps: steps, Eta: eta}, nil
		}
	case opt == "beta" && parts[0] == "ddpm":
		return diffusion.DDPM{Steps: steps, Variance: diffusion.VarianceBeta}, nil
	}
	return nil, fmt.Errorf("sampler %q: unknown option %q (want ddim-N-etaX or ddpm-N-beta)", name, opt)
}

// evaluateModel draws n samples with s, times them and prints the evaluator's report
// (and, for a conditional model, the share classified as the requested digit).
func evaluateModel(ctx context.Context, o options, l *loaded, name string, s diffusion.Sampler, n int) error {
	rng := rand.New(rand.NewPCG(o.seed, 0xe7a1))
	fmt.Printf("%s: sampling %d images\n", name, n)
	start := time.Now()
	x, err := draw(ctx, l, s, n, o.guidance, rng, progress.New(os.Stdout, n, "images"))
	if err != nil {
		return err
	}
	per := time.Since(start).Seconds() / float64(n)
	var want []int
	if l.spec.Cond && o.guidance != 0 {
		cfg := drawConfig(l, n, o.guidance)
		for _, v := range cfg.Class.Data() {
			want = append(want, int(v))
		}
	}
	return report(name, toUnit(x), per, want)
}

// samplePretrained is sample with the pipeline embedded in examples/pretrained.
func samplePretrained(ctx context.Context, o options) error {
	fmt.Printf("no checkpoint at %s: sampling the diffusion model embedded in examples/pretrained\n", o.ckpt)
	p, err := pretrained.Diffusion()
	if err != nil {
		return err
	}
	cfg := diffusion.GenerateConfig{Sampler: o.sampler, Steps: o.steps, Guidance: o.guidance}
	if p.Config.UNet.NumClasses > 0 {
		for i := range o.n {
			cfg.Labels = append(cfg.Labels, i%10)
		}
	}
	rng := rand.New(rand.NewPCG(o.seed, 0x5a))
	start := time.Now()
	x, err := p.Generate(ctx, o.n, cfg, rng) // (n,1,28,28) in [-1,1]
	if err != nil {
		return err
	}
	fmt.Printf("%d samples in %.1fs (%.3fs per image)\n", o.n, time.Since(start).Seconds(), time.Since(start).Seconds()/float64(o.n))
	return mnisteval.WriteSamples(o.out, pretrained.Images(x, -1, 1))
}
