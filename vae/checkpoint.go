package vae

import (
	"context"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// The metadata format of a VAE checkpoint (see nn.ReadConfig).
const (
	modelFormat  = "genblocks-vae-model"
	modelVersion = 1
)

// Config describes a VAE that NewMLP or NewConv builds, as a checkpoint records it:
// exactly one of MLP and Conv is set (their Likelihood fields are ignored; Likelihood
// and Sigma here choose it).
type Config struct {
	MLP  *MLPConfig  `json:",omitempty"` // an MLP VAE (NewMLP), or nil
	Conv *ConvConfig `json:",omitempty"` // a convolutional VAE (NewConv), or nil
	// Likelihood is "bernoulli" (or empty) or "gaussian" (fixed σ = Sigma).
	Likelihood string  `json:",omitempty"`
	Sigma      float64 `json:",omitempty"` // the fixed standard deviation of a Gaussian likelihood
	// ImageShape is (C,H,W) of the flat inputs of an MLP VAE, for showing samples as
	// images; nil means (1,√Input,√Input). A convolutional VAE's images are
	// (InChannels,Size,Size).
	ImageShape []int `json:",omitempty"`
}

// Build makes the model c describes under vb. It returns an error for a config that is
// not valid.
func (c Config) Build(vb *nn.VarBuilder) (m *Model, err error) {
	var lik Likelihood
	switch c.Likelihood {
	case "", "bernoulli":
		lik = Bernoulli{}
	case "gaussian":
		if !(c.Sigma > 0) {
			return nil, fmt.Errorf("vae: gaussian likelihood with σ = %g", c.Sigma)
		}
		lik = NewGaussian(c.Sigma)
	default:
		return nil, fmt.Errorf("vae: unknown likelihood %q (want bernoulli or gaussian)", c.Likelihood)
	}
	if (c.MLP == nil) == (c.Conv == nil) {
		return nil, fmt.Errorf("vae: config needs exactly one of MLP and Conv")
	}
	err = tensor.Catch(func() {
		if c.MLP != nil {
			mc := *c.MLP
			mc.Likelihood = lik
			m = NewMLP(vb, mc)
		} else {
			cc := *c.Conv
			cc.Likelihood = lik
			m = NewConv(vb, cc)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("vae: %w", err)
	}
	return m, nil
}

// Sampler draws from a VAE loaded by LoadModel. It is safe for concurrent use by many
// goroutines: the model has no training-mode layers, calls share only the read-only
// weights, and each draws its latents from the rng it is given.
type Sampler struct {
	Model  *Model
	Store  *nn.VarStore
	Config Config
	Meta   map[string]string // the checkpoint's metadata
}

// sampleChunk is how many images Sample decodes between checks of its context.
const sampleChunk = 32

// SaveModel writes the VAE whose parameters are in vs and which cfg describes to path,
// atomically, with cfg as JSON in the safetensors metadata and the entries of meta
// beside it. LoadModel reads it back.
func SaveModel(path string, vs *nn.VarStore, cfg Config, meta map[string]string) error {
	md, err := nn.ConfigMetadata(modelFormat, modelVersion, cfg, meta)
	if err != nil {
		return fmt.Errorf("vae: SaveModel: %w", err)
	}
	return nn.SaveFile(path, vs.StateDict(), md)
}

// LoadModel loads the checkpoint SaveModel wrote at path and returns a ready Sampler.
// Errors name the file and, for weights that do not fit the config, every mismatched
// key (*nn.StateDictError).
func LoadModel(path string) (*Sampler, error) {
	return nn.LoadCheckpoint(nil, path, "vae", ModelFrom)
}

// LoadModelFS is LoadModel reading file name from fsys, for example a checkpoint
// embedded with go:embed.
func LoadModelFS(fsys fs.FS, name string) (*Sampler, error) {
	return nn.LoadCheckpoint(fsys, name, "vae", ModelFrom)
}

// ModelFrom builds a Sampler from a parsed checkpoint, for example nn.ParseSafetensors
// of bytes held in memory.
func ModelFrom(st *nn.Safetensors) (*Sampler, error) {
	cfg, err := parseConfig(st.Metadata)
	if err != nil {
		return nil, fmt.Errorf("vae: checkpoint: %w", err)
	}
	if need, have := cfg.minParams(), nn.NumValues(st); need > float64(have) {
		return nil, fmt.Errorf("vae: checkpoint: the config needs at least %.0f weights, the file holds %d", need, have)
	}
	vs := nn.NewVarStore(rand.New(rand.NewPCG(0, 0)))
	m, err := cfg.Build(vs.Root())
	if err != nil {
		return nil, fmt.Errorf("vae: checkpoint: %w", err)
	}
	if err := vs.LoadStateDict(st.Tensors, true); err != nil {
		return nil, fmt.Errorf("vae: checkpoint: %w", err)
	}
	vs.SetTraining(false)
	return &Sampler{Model: m, Store: vs, Config: cfg, Meta: st.Metadata}, nil
}

// Limits on a config read from a checkpoint.
const (
	maxDim     = 1 << 16 // any width, latent or image side
	maxLayers  = 64
	maxClasses = 1 << 16
)

// parseConfig reads and validates the Config of checkpoint metadata md.
func parseConfig(md map[string]string) (Config, error) {
	var c Config
	if err := nn.ReadConfig(md, modelFormat, modelVersion, &c); err != nil {
		return c, err
	}
	ok := func(v, lo int) bool { return v >= lo && v <= maxDim }
	bad := (c.MLP == nil) == (c.Conv == nil) || len(c.ImageShape) > 0 && len(c.ImageShape) != 3
	for _, v := range c.ImageShape {
		bad = bad || !ok(v, 1)
	}
	if m := c.MLP; m != nil {
		bad = bad || !ok(m.Input, 0) || !ok(m.Latent, 0) || m.Classes < 0 || m.Classes > maxClasses || len(m.Hidden) > maxLayers
		for _, h := range m.Hidden {
			bad = bad || !ok(h, 1)
		}
		if len(c.ImageShape) == 3 && c.ImageShape[0]*c.ImageShape[1]*c.ImageShape[2] != cmp0(m.Input, 784) {
			return c, fmt.Errorf("image shape %v for %d inputs", c.ImageShape, cmp0(m.Input, 784))
		}
	}
	if v := c.Conv; v != nil {
		bad = bad || !ok(v.Size, 0) || v.InChannels < 0 || v.InChannels > 64 || !ok(v.Hidden, 0) || !ok(v.Latent, 0) ||
			v.Classes < 0 || v.Classes > maxClasses || len(v.Filters) > 16
		for _, f := range v.Filters {
			bad = bad || !ok(f, 1)
		}
	}
	if bad {
		return c, fmt.Errorf("config out of range: one of MLP and Conv, sizes 1…%d, at most %d layers", maxDim, maxLayers)
	}
	return c, nil
}

// minParams returns a lower bound of the parameter count of a validated config (its
// weight matrices and convolution kernels), in float64 so that hostile sizes cannot
// overflow it.
func (c Config) minParams() float64 {
	if m := c.MLP; m != nil {
		hidden := m.Hidden
		if hidden == nil {
			hidden = []int{400}
		}
		in, lat := float64(cmp0(m.Input, 784)), float64(cmp0(m.Latent, 20))
		n, prev := 0.0, in+float64(m.Classes)
		for _, h := range hidden {
			n += prev * float64(h)
			prev = float64(h)
		}
		n += prev * 2 * lat // heads
		prev = lat + float64(m.Classes)
		for i := len(hidden) - 1; i >= 0; i-- {
			n += prev * float64(hidden[i])
			prev = float64(hidden[i])
		}
		return n + prev*in
	}
	v := c.Conv
	filters := v.Filters
	if filters == nil {
		filters = []int{16, 32}
	}
	size, inC, lat := cmp0(v.Size, 28), cmp0(v.InChannels, 1), cmp0(v.Latent, 20)
	n, ch := 0.0, float64(inC)
	for _, f := range filters {
		n += 2 * ch * float64(f) * 16 // a convolution and its transpose
		ch = float64(f)
	}
	side := float64(size >> min(len(filters), 30))
	flat := ch * side * side
	if v.Hidden > 0 {
		return n + 2*flat*float64(v.Hidden) // the hidden layer and the decoder's
	}
	return n + 2*flat*float64(lat) // the heads and the decoder's first layer
}

// ImageShape returns (C,H,W) of the images the model makes.
func (s *Sampler) ImageShape() (c, h, w int) {
	if v := s.Config.Conv; v != nil {
		return cmp0(v.InChannels, 1), cmp0(v.Size, 28), cmp0(v.Size, 28)
	}
	if is := s.Config.ImageShape; len(is) == 3 {
		return is[0], is[1], is[2]
	}
	in := cmp0(s.Config.MLP.Input, 784)
	if r := int(math.Sqrt(float64(in))); r*r == in {
		return 1, r, r
	}
	return 1, 1, in
}

// Sample draws n latents from the prior N(0, I) with rng and returns their decoded
// means E[x|z], (n,C,H,W) in ImageShape's shape (in [0,1] for a Bernoulli
// likelihood). labels holds n class indices for a conditional model and must be empty
// for an unconditional one; a label out of range is an error. It checks ctx before
// every 32 images and returns ctx's error when it is done. The same rng stream and
// labels give the same images. It panics if n < 1.
func (s *Sampler) Sample(ctx context.Context, n int, labels []int, rng *rand.Rand) (*tensor.Tensor, error) {
	if n < 1 {
		tensor.Panicf("vae.Sampler.Sample", "n = %d; want at least 1", n)
	}
	m := s.Model
	var lab *tensor.Tensor
	switch {
	case m.Classes == 0 && len(labels) > 0:
		return nil, fmt.Errorf("vae: %d labels for an unconditional model", len(labels))
	case m.Classes > 0 && len(labels) != n:
		return nil, fmt.Errorf("vae: %d labels for %d images", len(labels), n)
	case m.Classes > 0:
		lab = tensor.New(n)
		for i, y := range labels {
			if y < 0 || y >= m.Classes {
				return nil, fmt.Errorf("vae: label %d outside 0…%d", y, m.Classes-1)
			}
			lab.Data()[i] = float32(y)
		}
	}
	z := tensor.Randn(rng, n, m.Latent) // (n,L), drawn at once
	c, h, w := s.ImageShape()
	per := c * h * w
	out := tensor.New(n, c, h, w)
	for start := 0; start < n; start += sampleChunk {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b := min(sampleChunk, n-start)
		var lb *tensor.Tensor
		if lab != nil {
			lb = tensor.Narrow(lab, 0, start, b)
		}
		x := m.Likelihood.Mean(m.Decode(autograd.NoGrad(tensor.Narrow(z, 0, start, b)), lb)).Value() // (b,…)
		copy(out.Data()[start*per:(start+b)*per], x.Data())
	}
	return out, nil
}
