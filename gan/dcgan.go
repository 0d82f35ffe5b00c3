package gan

import (
	"strconv"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// DCGANConfig sizes a DCGAN generator and discriminator (Radford et al. 2015,
// https://arxiv.org/abs/1511.06434). The zero value is the reference 28×28 MNIST
// DCGAN: z of size 100, generator Linear 100→128·7·7, BatchNorm, ReLU,
// ConvTranspose 128→64, BatchNorm, ReLU, ConvTranspose 64→1, Tanh; discriminator Conv
// 1→64, LeakyReLU(0.2), Conv 64→128, BatchNorm, LeakyReLU(0.2), Linear 128·7·7→1; all
// convolutions 4×4 with stride 2 and padding 1.
type DCGANConfig struct {
	// Size is the image side: 28 (from 7×7, two upsamplings), 32 or 64 (from 4×4,
	// three or four); 0 means 28.
	Size int
	// Channels is the number of image channels; 0 means 1.
	Channels int
	// ZDim is the latent size; 0 means 100.
	ZDim int
	// Width is the channel count next to the image (64 in the reference); it doubles
	// at every resolution step away from the image. 0 means 64.
	Width int
	// Classes > 0 makes both networks class-conditional: the generator concatenates a
	// learned label embedding of EmbedDim to z, and the discriminator is a projection
	// discriminator (Miyato & Koyama 2018, https://arxiv.org/abs/1802.05637).
	Classes int
	// EmbedDim is the generator's label-embedding size; 0 means 50.
	EmbedDim int
	// SpectralNorm normalises every discriminator weight spectrally (SN-GAN).
	SpectralNorm bool
	// NoDiscBatchNorm leaves batch normalisation out of the discriminator; use it with
	// gradient penalties, which are per-sample and which batch statistics couple.
	NoDiscBatchNorm bool
	// MinibatchStd > 0 appends the minibatch standard deviation over groups of that
	// many samples (see MinibatchStd) to the discriminator's last feature map, one
	// extra channel before the linear layer; 0 means none.
	MinibatchStd int
	// Init initialises the convolution and linear weights; nil means N(0, 0.02), the
	// DCGAN paper's initialisation (biases start at zero; batch-norm gains at 1).
	Init nn.Init `json:"-"`
}

func (c DCGANConfig) withDefaults() DCGANConfig {
	if c.Size == 0 {
		c.Size = 28
	}
	if c.Channels == 0 {
		c.Channels = 1
	}
	if c.ZDim == 0 {
		c.ZDim = 100
	}
	if c.Width == 0 {
		c.Width = 64
	}
	if c.EmbedDim == 0 {
		c.EmbedDim = 50
	}
	if c.Init == nil {
		c.Init = nn.Normal(0, 0.02)
	}
	return c
}

// levels returns the side of the smallest feature map and the number of stride-2
// steps between it and the image. It panics on an unsupported size.
func (c DCGANConfig) levels(op string) (side, steps int) {
	switch c.Size {
	case 28:
		return 7, 2
	case 32:
		return 4, 3
	case 64:
		return 4, 4
	}
	tensor.Panicf(op, "image size %d; want 28, 32 or 64", c.Size)
	return 0, 0
}

// Generator is the DCGAN generator: z (B,ZDim) -> images (B,Channels,Size,Size) in
// [-1,1]. Parameters: "fc", then per upsampling step i "bn{i}" and "up{i}", and with
// classes "embed".
type Generator struct {
	Cfg   DCGANConfig
	FC    *nn.Linear
	BN    []*nn.BatchNorm
	Up    []*nn.ConvTranspose2d
	Embed *nn.Embedding // nil unless conditional
	side  int
	c0    int
}

// NewGenerator builds a DCGAN generator under vb. It panics on an unsupported size.
func NewGenerator(vb *nn.VarBuilder, cfg DCGANConfig) *Generator {
	cfg = cfg.withDefaults()
	side, steps := cfg.levels("gan.NewGenerator")
	g := &Generator{Cfg: cfg, side: side, c0: cfg.Width << (steps - 1)}
	in := cfg.ZDim
	if cfg.Classes > 0 {
		g.Embed = nn.NewEmbedding(vb.Push("embed"), cfg.Classes, cfg.EmbedDim, nil)
		in += cfg.EmbedDim
	}
	zero := nn.Zeros
	g.FC = nn.NewLinear(vb.Push("fc"), in, g.c0*side*side, nn.LinearConfig{WeightInit: cfg.Init, BiasInit: zero})
	ch := g.c0
	for i := range steps {
		out := ch / 2
		if i == steps-1 {
			out = cfg.Channels
		}
		g.BN = append(g.BN, nn.NewBatchNorm2d(vb.Push("bn"+itoa(i)), ch, nn.BatchNormConfig{}))
		g.Up = append(g.Up, nn.NewConvTranspose2d(vb.Push("up"+itoa(i)), ch, out, 4,
			nn.Conv2dConfig{Stride: 2, Padding: 1, WeightInit: cfg.Init, BiasInit: zero}))
		ch = out
	}
	return g
}

func itoa(i int) string { return strconv.Itoa(i) }

// Forward maps z (B,ZDim) to images (B,C,H,W). It panics for a conditional generator,
// which needs ForwardLabels.
func (g *Generator) Forward(z *autograd.Var) *autograd.Var {
	if g.Embed != nil {
		tensor.Panicf("gan.Generator", "conditional generator (%d classes) needs ForwardLabels", g.Cfg.Classes)
	}
	return g.forward(z)
}

// ForwardLabels maps z (B,ZDim) and class labels (B) to images; an unconditional
// generator ignores the labels.
func (g *Generator) ForwardLabels(z *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	if g.Embed == nil {
		return g.forward(z)
	}
	if labels == nil || labels.Numel() != z.Size(0) {
		tensor.Panicf("gan.Generator", "latent %s needs %d labels", tensor.ShapeString(z.Shape()), z.Size(0))
	}
	e := g.Embed.Forward(labelVar(z, labels))  // (B) -> (B,E)
	return g.forward(autograd.Concat(1, z, e)) // (B,ZDim+E)
}

// labelVar wraps labels so that they follow x into no-grad inference.
func labelVar(x *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	if x.IsNoGrad() {
		return autograd.NoGrad(labels)
	}
	return autograd.Const(labels)
}

func (g *Generator) forward(z *autograd.Var) *autograd.Var {
	h := g.FC.Forward(z)                                     // (B,in) -> (B,c0·s·s)
	h = autograd.Reshape(h, z.Size(0), g.c0, g.side, g.side) // (B,c0,s,s)
	for i := range g.Up {
		h = autograd.ReLU(g.BN[i].Forward(h))
		h = g.Up[i].Forward(h) // (B,c,s,s) -> (B,c/2,2s,2s)
	}
	return autograd.Tanh(h)
}

// Discriminator is the DCGAN discriminator: images (B,Channels,Size,Size) -> logits
// (B,1). Parameters: per stride-2 step i "conv{i}" and (except the first, and
// unless NoDiscBatchNorm) "bn{i}", then "fc", and with classes "embed", the projection
// vectors.
type Discriminator struct {
	Cfg   DCGANConfig
	Conv  []*nn.Conv2d
	BN    []*nn.BatchNorm // nil entries where there is none
	FC    *nn.Linear
	Embed *nn.Embedding // (Classes, features); nil unless conditional
}

// NewDiscriminator builds a DCGAN discriminator under vb. It panics on an unsupported
// size.
func NewDiscriminator(vb *nn.VarBuilder, cfg DCGANConfig) *Discriminator {
	cfg = cfg.withDefaults()
	side, steps := cfg.levels("gan.NewDiscriminator")
	d := &Discriminator{Cfg: cfg}
	zero := nn.Zeros
	in, out := cfg.Channels, cfg.Width
	for i := range steps {
		d.Conv = append(d.Conv, nn.NewConv2d(vb.Push("conv"+itoa(i)), in, out, 4,
			nn.Conv2dConfig{Stride: 2, Padding: 1, SpectralNorm: cfg.SpectralNorm, WeightInit: cfg.Init, BiasInit: zero}))
		var bn *nn.BatchNorm
		if i > 0 && !cfg.NoDiscBatchNorm {
			bn = nn.NewBatchNorm2d(vb.Push("bn"+itoa(i)), out, nn.BatchNormConfig{})
		}
		d.BN = append(d.BN, bn)
		in, out = out, out*2
	}
	if cfg.MinibatchStd > 0 {
		in++ // the standard-deviation channel
	}
	feat := in * side * side
	d.FC = nn.NewLinear(vb.Push("fc"), feat, 1, nn.LinearConfig{SpectralNorm: cfg.SpectralNorm, WeightInit: cfg.Init, BiasInit: zero})
	if cfg.Classes > 0 {
		d.Embed = nn.NewEmbedding(vb.Push("embed"), cfg.Classes, feat, cfg.Init)
	}
	return d
}

// Features maps images (B,C,H,W) to the flattened last feature map (B,F).
func (d *Discriminator) Features(x *autograd.Var) *autograd.Var {
	h := x
	for i, c := range d.Conv {
		h = c.Forward(h) // (B,c,s,s) -> (B,2c,s/2,s/2)
		if d.BN[i] != nil {
			h = d.BN[i].Forward(h)
		}
		h = autograd.LeakyReLU(h, 0.2)
	}
	if d.Cfg.MinibatchStd > 0 {
		h = MinibatchStd(h, d.Cfg.MinibatchStd) // (B,c,s,s) -> (B,c+1,s,s)
	}
	return autograd.Flatten(h, 1, -1)
}

// Forward maps images (B,C,H,W) to logits (B,1). It panics for a conditional
// discriminator, which needs ForwardLabels.
func (d *Discriminator) Forward(x *autograd.Var) *autograd.Var {
	if d.Embed != nil {
		tensor.Panicf("gan.Discriminator", "conditional discriminator (%d classes) needs ForwardLabels", d.Cfg.Classes)
	}
	return d.FC.Forward(d.Features(x))
}

// ForwardLabels maps images and class labels (B) to logits (B,1): with classes,
// fc(φ(x)) + ⟨embed(y), φ(x)⟩, the projection discriminator; without, Forward.
func (d *Discriminator) ForwardLabels(x *autograd.Var, labels *tensor.Tensor) *autograd.Var {
	if d.Embed == nil {
		return d.Forward(x)
	}
	if labels == nil || labels.Numel() != x.Size(0) {
		tensor.Panicf("gan.Discriminator", "input %s needs %d labels", tensor.ShapeString(x.Shape()), x.Size(0))
	}
	h := d.Features(x)                                // (B,F)
	e := d.Embed.Forward(labelVar(x, labels))         // (B,F)
	proj := autograd.Sum(autograd.Mul(h, e), true, 1) // (B,1)
	return autograd.Add(d.FC.Forward(h), proj)
}
