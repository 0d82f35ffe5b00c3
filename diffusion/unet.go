package diffusion

import (
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// UNetConfig configures NewUNet. Zero fields take the defaults in brackets, which make
// the small MNIST model of examples/diffusion.
type UNetConfig struct {
	InChannels   int   // data channels [1]
	CondChannels int   // extra conditioning input channels [0]
	Base         int   // channels of the first level [32]
	Mults        []int // channel multiplier per level; a level after the first halves the resolution [1,2,2]
	ResBlocks    int   // residual blocks per level on the way down (one more on the way up) [1]
	AttnRes      []int // heights of the levels that get self-attention after each residual block [7]; {0} for none
	ImageSize    int   // input height the AttnRes sizes refer to: level i has height ⌈ImageSize/2^i⌉ [28]
	Heads        int   // attention heads [1]
	Groups       int   // GroupNorm groups [8]
	TimeDim      int   // width of the time (and class) embedding [4·Base]
	NumClasses   int   // labels 0…NumClasses-1 plus the null label NumClasses; 0 means unconditional
	// Dropout is the dropout probability inside each residual block, in training mode [0].
	Dropout float32
	// NoMid leaves out the middle block (residual, attention, residual).
	NoMid bool
}

func (c UNetConfig) withDefaults() UNetConfig {
	if c.InChannels == 0 {
		c.InChannels = 1
	}
	if c.Base == 0 {
		c.Base = 32
	}
	if c.Mults == nil {
		c.Mults = []int{1, 2, 2}
	}
	if c.ResBlocks == 0 {
		c.ResBlocks = 1
	}
	if c.AttnRes == nil {
		c.AttnRes = []int{7}
	}
	if c.ImageSize == 0 {
		c.ImageSize = 28
	}
	if c.Heads == 0 {
		c.Heads = 1
	}
	if c.Groups == 0 {
		c.Groups = 8
	}
	if c.TimeDim == 0 {
		c.TimeDim = 4 * c.Base
	}
	return c
}

// ResBlock is the DDPM residual block: GroupNorm, SiLU, 3×3 conv, plus a projection of
// the time embedding, GroupNorm, SiLU, dropout, 3×3 conv, added to the input (through a
// 1×1 conv when the channel count changes). Parameters: norm1, conv1, temb, norm2,
// conv2, skip.
type ResBlock struct {
	Norm1, Norm2 *nn.GroupNorm
	Conv1, Conv2 *nn.Conv2d
	Temb         *nn.Linear
	Skip         *nn.Conv2d // nil when in == out
	drop         *nn.Dropout
}

// NewResBlock creates a ResBlock from in to out channels with a time embedding of
// width tdim.
func NewResBlock(vb *nn.VarBuilder, in, out, tdim, groups int, dropout float32) *ResBlock {
	r := &ResBlock{
		Norm1: nn.NewGroupNorm(vb.Push("norm1"), groups, in, 0),
		Conv1: nn.NewConv2d(vb.Push("conv1"), in, out, 3, nn.Conv2dConfig{Padding: 1}),
		Temb:  nn.NewLinear(vb.Push("temb"), tdim, out, nn.LinearConfig{}),
		Norm2: nn.NewGroupNorm(vb.Push("norm2"), groups, out, 0),
		Conv2: nn.NewConv2d(vb.Push("conv2"), out, out, 3, nn.Conv2dConfig{Padding: 1}),
	}
	if dropout > 0 {
		r.drop = nn.NewDropout(vb, dropout)
	}
	if in != out {
		r.Skip = nn.NewConv2d(vb.Push("skip"), in, out, 1, nn.Conv2dConfig{})
	}
	return r
}

// Forward maps x (B,in,H,W) and the embedding (B,tdim) to (B,out,H,W).
func (r *ResBlock) Forward(x, emb *autograd.Var) *autograd.Var {
	// In inference (a NoGrad input) each temporary is released once used, so the next
	// layer, or the next sampling step, reuses its storage.
	a1 := r.Norm1.ForwardSiLU(x)
	h := r.Conv1.Forward(a1) // (B,out,H,W)
	release(a1)
	se := autograd.SiLU(emb)
	t := r.Temb.Forward(se) // (B,out)
	release(se)
	h1 := autograd.Add(h, autograd.Reshape(t, t.Size(0), t.Size(1), 1, 1))
	release(h, t)
	a2 := r.Norm2.ForwardSiLU(h1)
	release(h1)
	if r.drop != nil {
		if d := r.drop.Forward(a2); d != a2 {
			release(a2)
			a2 = d
		}
	}
	h2 := r.Conv2.Forward(a2)
	release(a2)
	sx := x
	if r.Skip != nil {
		sx = r.Skip.Forward(x)
	}
	out := autograd.Add(sx, h2)
	release(h2)
	if sx != x {
		release(sx)
	}
	return out
}

// release returns the storage of inference temporaries (Vars computed from a NoGrad
// input, which no graph holds) to the tensor pool. Callers pass each storage once and
// only temporaries that no view or later op reads.
func release(vs ...*autograd.Var) {
	for _, v := range vs {
		if v.IsNoGrad() {
			v.Value().Release()
		}
	}
}

// AttnBlock is spatial self-attention with a residual connection: GroupNorm, then
// nn.MultiHeadAttention over the H·W positions. Parameters: norm, attn.{q,k,v,out}_proj.
type AttnBlock struct {
	Norm *nn.GroupNorm
	Attn *nn.MultiHeadAttention
}

// NewAttnBlock creates an AttnBlock over c channels.
func NewAttnBlock(vb *nn.VarBuilder, c, heads, groups int) *AttnBlock {
	return &AttnBlock{
		Norm: nn.NewGroupNorm(vb.Push("norm"), groups, c, 0),
		Attn: nn.NewMultiHeadAttention(vb.Push("attn"), c, heads, nn.MultiHeadAttentionConfig{}),
	}
}

// Forward maps x (B,C,H,W) to (B,C,H,W).
func (a *AttnBlock) Forward(x *autograd.Var) *autograd.Var {
	b, c, h, w := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	s := autograd.Transpose(autograd.Reshape(a.Norm.Forward(x), b, c, h*w), 1, 2) // (B,C,H,W) -> (B,HW,C)
	y := a.Attn.Forward(s, s, nil, false, nil)                                    // (B,HW,C)
	return autograd.Add(x, autograd.Reshape(autograd.Transpose(y, 1, 2), b, c, h, w))
}

// block is one residual block with optional attention.
type block struct {
	res  *ResBlock
	attn *AttnBlock
}

func (k block) forward(x, emb *autograd.Var) *autograd.Var {
	h := k.res.Forward(x, emb)
	if k.attn != nil {
		a := k.attn.Forward(h)
		release(h)
		h = a
	}
	return h
}

// UNet is the noise-prediction network of Ho et al. 2020
// (https://arxiv.org/abs/2006.11239), after the PixelCNN++/Wide-ResNet U-Net: a
// sinusoidal timestep embedding through a two-layer MLP (plus a learned class
// embedding), residual blocks with GroupNorm and SiLU, self-attention at chosen
// resolutions, stride-2 convolutions down, nearest-neighbour upsampling and a 3×3
// convolution up, and skip connections between the two paths. Parameters are named
// time_embed.{0,2}, class_embed, conv_in, down.{i}.{j}.{res,attn}, down.{i}.downsample,
// mid.{res1,attn,res2}, up.{i}.{j}.{res,attn}, up.{i}.upsample, norm_out, conv_out.
// H and W must be divisible by 2^(len(Mults)-1). It implements Denoiser.
type UNet struct {
	Cfg                  UNetConfig
	time1, time2         *nn.Linear
	classEmb             *nn.Embedding
	convIn, convOut      *nn.Conv2d
	normOut              *nn.GroupNorm
	down, up             [][]block
	downsample, upsample []*nn.Conv2d // nil entries where the level keeps its size
	mid1, mid2           *ResBlock
	midAttn              *AttnBlock
}

// NewUNet builds a UNet under vb. It panics if Groups does not divide a level's
// channels.
func NewUNet(vb *nn.VarBuilder, cfg UNetConfig) *UNet {
	cfg = cfg.withDefaults()
	u := &UNet{Cfg: cfg}
	td := cfg.TimeDim
	u.time1 = nn.NewLinear(vb.Push("time_embed").Push("0"), cfg.Base, td, nn.LinearConfig{})
	u.time2 = nn.NewLinear(vb.Push("time_embed").Push("2"), td, td, nn.LinearConfig{})
	if cfg.NumClasses > 0 {
		u.classEmb = nn.NewEmbedding(vb.Push("class_embed"), cfg.NumClasses+1, td, nil)
	}
	u.convIn = nn.NewConv2d(vb.Push("conv_in"), cfg.InChannels+cfg.CondChannels, cfg.Base, 3, nn.Conv2dConfig{Padding: 1})
	ch := cfg.Base
	chans := []int{ch}
	nl := len(cfg.Mults)
	u.downsample = make([]*nn.Conv2d, nl)
	u.upsample = make([]*nn.Conv2d, nl)
	for i, mult := range cfg.Mults {
		vd := vb.Push("down").PushIndex(i)
		out := cfg.Base * mult
		var level []block
		for j := 0; j < cfg.ResBlocks; j++ {
			vj := vd.PushIndex(j)
			k := block{res: NewResBlock(vj.Push("res"), ch, out, td, cfg.Groups, cfg.Dropout)}
			if u.attnLevel(i) {
				k.attn = NewAttnBlock(vj.Push("attn"), out, cfg.Heads, cfg.Groups)
			}
			level = append(level, k)
			ch = out
			chans = append(chans, ch)
		}
		u.down = append(u.down, level)
		if i < nl-1 {
			u.downsample[i] = nn.NewConv2d(vd.Push("downsample"), ch, ch, 3, nn.Conv2dConfig{Stride: 2, Padding: 1})
			chans = append(chans, ch)
		}
	}
	if !cfg.NoMid {
		u.mid1 = NewResBlock(vb.Push("mid").Push("res1"), ch, ch, td, cfg.Groups, cfg.Dropout)
		u.midAttn = NewAttnBlock(vb.Push("mid").Push("attn"), ch, cfg.Heads, cfg.Groups)
		u.mid2 = NewResBlock(vb.Push("mid").Push("res2"), ch, ch, td, cfg.Groups, cfg.Dropout)
	}
	u.up = make([][]block, nl)
	for i := nl - 1; i >= 0; i-- {
		vu := vb.Push("up").PushIndex(i)
		out := cfg.Base * cfg.Mults[i]
		var level []block
		for j := 0; j <= cfg.ResBlocks; j++ {
			vj := vu.PushIndex(j)
			skip := chans[len(chans)-1]
			chans = chans[:len(chans)-1]
			k := block{res: NewResBlock(vj.Push("res"), ch+skip, out, td, cfg.Groups, cfg.Dropout)}
			if u.attnLevel(i) {
				k.attn = NewAttnBlock(vj.Push("attn"), out, cfg.Heads, cfg.Groups)
			}
			level = append(level, k)
			ch = out
		}
		u.up[i] = level
		if i > 0 {
			u.upsample[i] = nn.NewConv2d(vu.Push("upsample"), ch, ch, 3, nn.Conv2dConfig{Padding: 1})
		}
	}
	u.normOut = nn.NewGroupNorm(vb.Push("norm_out"), cfg.Groups, ch, 0)
	u.convOut = nn.NewConv2d(vb.Push("conv_out"), ch, cfg.InChannels, 3, nn.Conv2dConfig{Padding: 1})
	return u
}

// attnLevel reports whether level i, of height ⌈ImageSize/2^i⌉, gets attention.
func (u *UNet) attnLevel(i int) bool {
	size := u.Cfg.ImageSize
	for range i {
		size = (size + 1) / 2
	}
	return slices.Contains(u.Cfg.AttnRes, size)
}

// Forward implements Denoiser: x (B,InChannels+CondChannels,H,W), t (B) and class (B)
// or nil -> (B,InChannels,H,W). It panics if the input channels do not match, or a
// class is given to an unconditional model.
func (u *UNet) Forward(x *autograd.Var, t *tensor.Tensor, class *tensor.Tensor) *autograd.Var {
	cfg := u.Cfg
	if x.Dim() != 4 || x.Size(1) != cfg.InChannels+cfg.CondChannels || t.Numel() != x.Size(0) {
		tensor.Panicf("UNet", "input %s and timesteps %s, want (B,%d,H,W) and (B)", tensor.ShapeString(x.Shape()),
			tensor.ShapeString(t.Shape()), cfg.InChannels+cfg.CondChannels)
	}
	emb := autograd.Const(nn.TimestepEmbedding(t, cfg.Base, 0)) // (B,Base)
	if x.IsNoGrad() {
		emb = autograd.NoGrad(emb.Value()) // inference: the time MLP records no graph either
	}
	emb = u.time2.Forward(autograd.SiLU(u.time1.Forward(emb))) // (B,TimeDim)
	if class != nil {
		if u.classEmb == nil {
			tensor.Panicf("UNet", "class labels %s for an unconditional model", tensor.ShapeString(class.Shape()))
		}
		emb = autograd.Add(emb, u.classEmb.Lookup(class.Reshape(-1))) // (B,TimeDim)
	}
	h := u.convIn.Forward(x) // (B,Base,H,W)
	skips := []*autograd.Var{h}
	for i, level := range u.down {
		for _, k := range level {
			h = k.forward(h, emb)
			skips = append(skips, h)
		}
		if d := u.downsample[i]; d != nil {
			h = d.Forward(h) // (B,C,H,W) -> (B,C,H/2,W/2)
			skips = append(skips, h)
		}
	}
	if u.mid1 != nil {
		h = u.mid2.Forward(u.midAttn.Forward(u.mid1.Forward(h, emb)), emb)
	}
	// In inference the up path releases each skip and each intermediate once used.
	// h is still the last skip when there is no middle block and the last level keeps
	// its size: that one is released as a skip, not as h.
	for i := len(u.up) - 1; i >= 0; i-- {
		for _, k := range u.up[i] {
			s := skips[len(skips)-1]
			skips = skips[:len(skips)-1]
			cat := autograd.Concat(1, h, s) // (B,C+Cs,H,W)
			if h.Value() != s.Value() {
				release(h)
			}
			release(s)
			h = k.forward(cat, emb) // (B,C',H,W)
			release(cat)
		}
		if up := u.upsample[i]; up != nil {
			sh, sw := skips[len(skips)-1].Size(2), skips[len(skips)-1].Size(3)
			n := autograd.UpsampleNearest2dSize(h, sh, sw) // (B,C,H,W) -> (B,C,2H,2W)
			if n.Value() != h.Value() {
				release(h)
			}
			h = up.Forward(n)
			release(n)
		}
	}
	a := u.normOut.ForwardSiLU(h)
	release(h)
	out := u.convOut.Forward(a) // (B,InChannels,H,W)
	release(a)
	return out
}
