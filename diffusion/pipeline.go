package diffusion

import (
	"cmp"
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// The metadata format of a pipeline checkpoint (see nn.ReadConfig).
const (
	pipelineFormat  = "genblocks-diffusion-pipeline"
	pipelineVersion = 1
)

// PipelineConfig is what a pipeline checkpoint records besides the U-Net's weights:
// the network's shape, the schedule and parameterisation it was trained with, and the
// sampling defaults. Zero fields take the defaults in brackets.
type PipelineConfig struct {
	UNet      UNetConfig // the network
	Schedule  string     // noise schedule: linear, cosine or sigmoid [linear]
	Timesteps int        // T [1000]
	Pred      string     // network output: eps, x0 or v [eps]
	Sampler   string     // default sampler: ddpm, ddim or dpm [ddim]
	Steps     int        // default sampler steps [50]
	Guidance  float64    // default classifier-free guidance scale of a conditional model; ≤ 1: none
	Clip      bool       // clamp x̂₀ to [-1,1] at every step
}

func (c PipelineConfig) withDefaults() PipelineConfig {
	c.UNet = c.UNet.withDefaults()
	if c.Schedule == "" {
		c.Schedule = "linear"
	}
	if c.Timesteps == 0 {
		c.Timesteps = 1000
	}
	if c.Pred == "" {
		c.Pred = "eps"
	}
	if c.Sampler == "" {
		c.Sampler = "ddim"
	}
	if c.Steps == 0 {
		c.Steps = 50
	}
	return c
}

// Pipeline is a diffusion model ready to sample, loaded by LoadPipeline. It is safe for
// concurrent use by many goroutines: the U-Net is in evaluation mode, calls share only
// its read-only weights and the schedule, and each draws from the rng it is given.
type Pipeline struct {
	Model  *Model
	Net    *UNet
	Store  *nn.VarStore // the U-Net's weights, in evaluation mode
	Config PipelineConfig
	Meta   map[string]string // the checkpoint's metadata
}

// SavePipeline writes the U-Net whose parameters are in vs to path as a pipeline
// checkpoint, atomically, with the averaged weights of ema in place of the parameters
// when ema is not nil, and cfg as JSON in the safetensors metadata beside the entries of
// meta. It holds no optimizer state; LoadPipeline reads it back.
func SavePipeline(path string, vs *nn.VarStore, ema *optim.EMA, cfg PipelineConfig, meta map[string]string) error {
	md, err := nn.ConfigMetadata(pipelineFormat, pipelineVersion, cfg, meta)
	if err != nil {
		return fmt.Errorf("diffusion: SavePipeline: %w", err)
	}
	sd := vs.StateDict()
	if ema != nil {
		for k, v := range ema.StateDict() {
			if _, ok := sd[k]; !ok {
				return fmt.Errorf("diffusion: SavePipeline: EMA holds %q, which is not a U-Net weight", k)
			}
			sd[k] = v
		}
	}
	return nn.SaveFile(path, sd, md)
}

// LoadPipeline loads the pipeline checkpoint SavePipeline wrote at path. Errors name the
// file and, for weights that do not fit the config, every mismatched key
// (*nn.StateDictError).
func LoadPipeline(path string) (*Pipeline, error) {
	return nn.LoadCheckpoint(nil, path, "diffusion", PipelineFrom)
}

// LoadPipelineFS is LoadPipeline reading file name from fsys, for example a checkpoint
// embedded with go:embed.
func LoadPipelineFS(fsys fs.FS, name string) (*Pipeline, error) {
	return nn.LoadCheckpoint(fsys, name, "diffusion", PipelineFrom)
}

// PipelineFrom builds a Pipeline from a parsed checkpoint, for example
// nn.ParseSafetensors of bytes held in memory.
func PipelineFrom(st *nn.Safetensors) (*Pipeline, error) {
	cfg, err := parsePipelineConfig(st.Metadata)
	if err != nil {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: %w", err)
	}
	if need, have := cfg.UNet.minParams(), nn.NumValues(st); need > float64(have) {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: the config needs at least %.0f weights, the file holds %d", need, have)
	}
	sched, err := NewNamedSchedule(cfg.Schedule, cfg.Timesteps)
	if err != nil {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: %w", err)
	}
	pred, err := ParsePrediction(cfg.Pred)
	if err != nil {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: %w", err)
	}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	var u *UNet
	if err := tensor.Catch(func() { u = NewUNet(vs.Root(), cfg.UNet) }); err != nil {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: %w", err)
	}
	if err := vs.LoadStateDict(st.Tensors, true); err != nil {
		return nil, fmt.Errorf("diffusion: pipeline checkpoint: %w", err)
	}
	vs.SetTraining(false)
	m := &Model{Net: u, Sched: sched, Pred: pred, NullClass: cfg.UNet.NumClasses}
	return &Pipeline{Model: m, Net: u, Store: vs, Config: cfg, Meta: st.Metadata}, nil
}

// Limits on a pipeline config read from a checkpoint.
const (
	maxWidth     = 1 << 14 // Base·Mults, TimeDim
	maxImageSize = 1024
	maxLevels    = 8
	maxTimesteps = 100000
)

// parsePipelineConfig reads and validates the PipelineConfig of checkpoint metadata md,
// with defaults filled in.
func parsePipelineConfig(md map[string]string) (PipelineConfig, error) {
	var c PipelineConfig
	if err := nn.ReadConfig(md, pipelineFormat, pipelineVersion, &c); err != nil {
		return c, err
	}
	c = c.withDefaults()
	u := c.UNet
	in := func(v, lo, hi int) bool { return v >= lo && v <= hi }
	ok := in(u.InChannels, 1, 64) && in(u.CondChannels, 0, 64) && in(u.Base, 1, maxWidth) && in(len(u.Mults), 1, maxLevels) &&
		in(u.ResBlocks, 1, 16) && len(u.AttnRes) <= 16 && in(u.ImageSize, 1, maxImageSize) && in(u.Heads, 1, 64) &&
		in(u.Groups, 1, maxWidth) && in(u.TimeDim, 1, maxWidth) && in(u.NumClasses, 0, 1<<16) &&
		u.Dropout >= 0 && u.Dropout < 1 && in(c.Timesteps, 1, maxTimesteps) && in(c.Steps, 1, maxTimesteps) &&
		c.Guidance >= 0 && c.Guidance <= 100
	for _, m := range u.Mults {
		ok = ok && in(m, 1, maxWidth) && u.Base*m <= maxWidth
	}
	if !ok {
		return c, fmt.Errorf("config out of range: %+v", c)
	}
	if _, err := ParseSampler(c.Sampler, c.Steps); err != nil {
		return c, err
	}
	return c, nil
}

// minParams returns a lower bound of the U-Net's parameter count for a validated
// config: the second convolution of every residual block and the time and class
// embeddings. Every other weight is within a constant factor of these, so a file that
// holds this many values bounds what building the network allocates.
func (c UNetConfig) minParams() float64 {
	td := float64(c.TimeDim)
	n := td*td + float64(c.NumClasses+1)*td
	for _, m := range c.Mults {
		out := float64(c.Base * m)
		n += float64(2*c.ResBlocks+1) * 9 * out * out
	}
	return n
}

// GenerateConfig chooses how Pipeline.Generate samples. The zero value uses the
// checkpoint's defaults.
type GenerateConfig struct {
	// Labels holds one class per image for a conditional model; nil samples a
	// conditional model unconditionally (the null label). Unconditional models take none.
	Labels []int
	// Sampler is ddpm, ddim or dpm; "" means Config.Sampler.
	Sampler string
	// Steps is the number of sampler steps; 0 means Config.Steps.
	Steps int
	// Guidance is the classifier-free guidance scale when Labels are given; 0 means
	// Config.Guidance, and values ≤ 1 (other than 0) mean none.
	Guidance float64
	// Progress, if not nil, is called after every network evaluation.
	Progress func(step, total int)
}

// ImageShape returns (C,H,W) of the images the pipeline makes.
func (p *Pipeline) ImageShape() (c, h, w int) {
	u := p.Config.UNet
	return u.InChannels, u.ImageSize, u.ImageSize
}

// Generate draws n images (n,C,H,W) with values in about [-1,1] from noise drawn with
// rng, running the reverse chain cfg chooses. It checks ctx before every network
// evaluation and returns an error wrapping ctx's error when it is done. An unknown
// sampler, a step count outside 1…T or a bad label is an error. The same rng stream
// and cfg give the same images. It panics if n < 1.
func (p *Pipeline) Generate(ctx context.Context, n int, cfg GenerateConfig, rng *rand.Rand) (*tensor.Tensor, error) {
	if n < 1 {
		tensor.Panicf("diffusion.Pipeline.Generate", "n = %d; want at least 1", n)
	}
	pc := p.Config
	name, steps := cmp.Or(cfg.Sampler, pc.Sampler), cmp.Or(cfg.Steps, pc.Steps)
	if steps < 1 || steps > pc.Timesteps {
		return nil, fmt.Errorf("diffusion: %d steps; want 1…%d", steps, pc.Timesteps)
	}
	s, err := ParseSampler(name, steps)
	if err != nil {
		return nil, err
	}
	sc := SampleConfig{Clip: pc.Clip, Progress: cfg.Progress}
	classes := pc.UNet.NumClasses
	switch {
	case classes == 0 && len(cfg.Labels) > 0:
		return nil, fmt.Errorf("diffusion: %d labels for an unconditional model", len(cfg.Labels))
	case classes > 0 && cfg.Labels == nil:
		sc.Class = tensor.Full(float32(classes), n) // the null label
	case classes > 0:
		if len(cfg.Labels) != n {
			return nil, fmt.Errorf("diffusion: %d labels for %d images", len(cfg.Labels), n)
		}
		sc.Class = tensor.New(n)
		for i, y := range cfg.Labels {
			if y < 0 || y >= classes {
				return nil, fmt.Errorf("diffusion: label %d outside 0…%d", y, classes-1)
			}
			sc.Class.Data()[i] = float32(y)
		}
		sc.Guidance = pc.Guidance
		if cfg.Guidance != 0 {
			sc.Guidance = cfg.Guidance
		}
	}
	c, h, w := p.ImageShape()
	if cc := pc.UNet.CondChannels; cc > 0 {
		sc.Cond = tensor.New(n, cc, h, w) // no conditioning image: zeros, as in training
	}
	return s.Sample(ctx, p.Model, tensor.Randn(rng, n, c, h, w), rng, sc)
}
