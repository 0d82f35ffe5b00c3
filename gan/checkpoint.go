package gan

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// The metadata format of a generator checkpoint (see nn.ReadConfig).
const (
	generatorFormat  = "genblocks-dcgan-generator"
	generatorVersion = 1
)

// Sampler draws images from a trained DCGAN generator loaded by LoadGenerator. It is
// safe for concurrent use by many goroutines: the generator is in evaluation mode
// (batch norm uses its running statistics), nothing is shared between calls but the
// read-only weights, and each call draws its latents from the rng it is given.
type Sampler struct {
	G     *Generator
	Store *nn.VarStore      // the generator's weights, in evaluation mode
	Meta  map[string]string // the checkpoint's metadata
}

// sampleChunk is how many images Sample generates between checks of its context.
const sampleChunk = 16

// SaveGenerator writes generator g (weights in gs) to path as an inference checkpoint,
// atomically: its DCGANConfig as JSON in the safetensors metadata and its parameters
// and batch-norm statistics, with the averaged weights of ema in place of the
// parameters when ema is not nil. Entries of meta are stored beside the config.
// LoadGenerator reads the file back. The file holds no discriminator or optimizer
// state, so it is the one to ship or embed.
func SaveGenerator(path string, g *Generator, gs *nn.VarStore, ema *optim.EMA, meta map[string]string) error {
	md, err := nn.ConfigMetadata(generatorFormat, generatorVersion, g.Cfg, meta)
	if err != nil {
		return fmt.Errorf("gan: SaveGenerator: %w", err)
	}
	sd := gs.StateDict()
	if ema != nil {
		for k, v := range ema.StateDict() {
			if _, ok := sd[k]; !ok {
				return fmt.Errorf("gan: SaveGenerator: EMA holds %q, which is not a generator weight", k)
			}
			sd[k] = v
		}
	}
	return nn.SaveFile(path, sd, md)
}

// LoadGenerator loads the generator checkpoint written by SaveGenerator at path and
// returns a ready Sampler. Errors name the file and, for weights that do not fit the
// config, every mismatched key (*nn.StateDictError).
func LoadGenerator(path string) (*Sampler, error) {
	return nn.LoadCheckpoint(nil, path, "gan", GeneratorFrom)
}

// LoadGeneratorFS is LoadGenerator reading file name from fsys, for example a
// checkpoint embedded with go:embed.
func LoadGeneratorFS(fsys fs.FS, name string) (*Sampler, error) {
	return nn.LoadCheckpoint(fsys, name, "gan", GeneratorFrom)
}

// GeneratorFrom builds a Sampler from a parsed generator checkpoint, for example
// nn.ParseSafetensors of bytes held in memory.
func GeneratorFrom(st *nn.Safetensors) (*Sampler, error) {
	cfg, err := parseGeneratorConfig(st.Metadata)
	if err != nil {
		return nil, fmt.Errorf("gan: generator checkpoint: %w", err)
	}
	if need, have := cfg.minGeneratorParams(), nn.NumValues(st); need > have {
		return nil, fmt.Errorf("gan: generator checkpoint: the config (size %d, width %d, z %d) needs at least %d weights, the file holds %d",
			cfg.Size, cfg.Width, cfg.ZDim, need, have)
	}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	var g *Generator
	if err := tensor.Catch(func() { g = NewGenerator(vs.Root(), cfg) }); err != nil {
		return nil, fmt.Errorf("gan: generator checkpoint: %w", err)
	}
	if err := vs.LoadStateDict(st.Tensors, true); err != nil {
		return nil, fmt.Errorf("gan: generator checkpoint: %w", err)
	}
	vs.SetTraining(false)
	return &Sampler{G: g, Store: vs, Meta: st.Metadata}, nil
}

// Limits on a generator config read from a checkpoint.
const (
	maxChannels = 16
	maxDim      = 8192 // ZDim, Width, EmbedDim
	maxClasses  = 1 << 20
)

// parseGeneratorConfig reads and validates the DCGANConfig of checkpoint metadata md,
// with defaults filled in.
func parseGeneratorConfig(md map[string]string) (DCGANConfig, error) {
	var cfg DCGANConfig
	if err := nn.ReadConfig(md, generatorFormat, generatorVersion, &cfg); err != nil {
		return cfg, err
	}
	switch {
	case cfg.Size != 0 && cfg.Size != 28 && cfg.Size != 32 && cfg.Size != 64:
		return cfg, fmt.Errorf("image size %d; want 28, 32 or 64", cfg.Size)
	case cfg.Channels < 0 || cfg.Channels > maxChannels:
		return cfg, fmt.Errorf("%d channels; want 1…%d", cfg.Channels, maxChannels)
	case cfg.ZDim < 0 || cfg.ZDim > maxDim || cfg.Width < 0 || cfg.Width > maxDim || cfg.EmbedDim < 0 || cfg.EmbedDim > maxDim:
		return cfg, fmt.Errorf("sizes z %d, width %d, embedding %d; want 1…%d", cfg.ZDim, cfg.Width, cfg.EmbedDim, maxDim)
	case cfg.Classes < 0 || cfg.Classes > maxClasses:
		return cfg, fmt.Errorf("%d classes; want 0…%d", cfg.Classes, maxClasses)
	}
	return cfg.withDefaults(), nil
}

// minGeneratorParams returns a lower bound of the generator's parameter count (its
// linear and transposed-convolution weights) for a validated config.
func (c DCGANConfig) minGeneratorParams() int {
	side, steps := c.levels("gan.minGeneratorParams")
	c0 := c.Width << (steps - 1)
	in := c.ZDim
	if c.Classes > 0 {
		in += c.EmbedDim
	}
	n := in * c0 * side * side
	for ch, i := c0, 0; i < steps; i++ {
		out := ch / 2
		if i == steps-1 {
			out = c.Channels
		}
		n += ch * out * 16
		ch = out
	}
	return n
}

// Config returns the generator's configuration.
func (s *Sampler) Config() DCGANConfig { return s.G.Cfg }

// Sample draws n latents from N(0, I) with rng and returns the generated images
// (n,Channels,Size,Size) with values in [-1,1]. labels holds n class indices for a
// conditional generator and must be empty for an unconditional one; a label out of
// range is an error. It checks ctx before every 16 images and returns ctx's error when
// it is done. The same rng stream and labels give the same images. It panics if
// n < 1.
func (s *Sampler) Sample(ctx context.Context, n int, labels []int, rng *rand.Rand) (*tensor.Tensor, error) {
	if n < 1 {
		tensor.Panicf("gan.Sampler.Sample", "n = %d; want at least 1", n)
	}
	cfg := s.G.Cfg
	var lab *tensor.Tensor
	switch {
	case cfg.Classes == 0 && len(labels) > 0:
		return nil, fmt.Errorf("gan: %d labels for an unconditional generator", len(labels))
	case cfg.Classes > 0 && len(labels) != n:
		return nil, fmt.Errorf("gan: %d labels for %d images", len(labels), n)
	case cfg.Classes > 0:
		lab = tensor.New(n)
		for i, y := range labels {
			if y < 0 || y >= cfg.Classes {
				return nil, fmt.Errorf("gan: label %d outside 0…%d", y, cfg.Classes-1)
			}
			lab.Data()[i] = float32(y)
		}
	}
	z := tensor.Randn(rng, n, cfg.ZDim) // (n,ZDim), drawn at once so batching does not matter
	per := cfg.Channels * cfg.Size * cfg.Size
	out := tensor.New(n, cfg.Channels, cfg.Size, cfg.Size)
	for start := 0; start < n; start += sampleChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(sampleChunk, n-start)
		var lb *tensor.Tensor
		if lab != nil {
			lb = tensor.Narrow(lab, 0, start, b)
		}
		x := s.G.ForwardLabels(autograd.NoGrad(tensor.Narrow(z, 0, start, b)), lb).Value() // (b,C,S,S)
		copy(out.Data()[start*per:(start+b)*per], x.Data())
	}
	return out, nil
}
