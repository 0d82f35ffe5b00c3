package gan

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// SRConfig sizes an SRGenerator. The zero value is a small CPU-sized ×2 model for
// grey-level images: 32 channels, 4 residual blocks.
type SRConfig struct {
	Channels int // image channels; 0 means 1
	Width    int // feature channels; 0 means 32
	Blocks   int // residual blocks; 0 means 4
}

// SRGenerator is an SRGAN-style super-resolution generator (Ledig et al. 2017,
// https://arxiv.org/abs/1609.04802) that doubles the resolution: a 3×3 head
// convolution, residual blocks (conv-BN-ReLU-conv-BN plus the input), a skip around
// them, a nearest ×2 upsampling followed by a 3×3 convolution and ReLU, and a 3×3 tail
// convolution whose output is added to the bicubic upsampling of the input, so the
// network learns only the detail bicubic interpolation misses. (SRGAN uses PReLU and
// pixel shuffle; ReLU and nearest upsampling keep this small.) Input (B,C,H,W) ->
// (B,C,2H,2W). Parameters: "head", "blocks.{i}.{conv1,bn1,conv2,bn2}", "up", "tail".
type SRGenerator struct {
	Cfg    SRConfig
	Head   *nn.Conv2d
	Blocks []srBlock
	Up     *nn.Conv2d
	Tail   *nn.Conv2d
}

type srBlock struct {
	Conv1, Conv2 *nn.Conv2d
	BN1, BN2     *nn.BatchNorm
}

// NewSRGenerator builds an SRGenerator under vb.
func NewSRGenerator(vb *nn.VarBuilder, cfg SRConfig) *SRGenerator {
	if cfg.Channels == 0 {
		cfg.Channels = 1
	}
	if cfg.Width == 0 {
		cfg.Width = 32
	}
	if cfg.Blocks == 0 {
		cfg.Blocks = 4
	}
	c3 := nn.Conv2dConfig{Padding: 1}
	w := cfg.Width
	g := &SRGenerator{Cfg: cfg, Head: nn.NewConv2d(vb.Push("head"), cfg.Channels, w, 3, c3)}
	for i := range cfg.Blocks {
		b := vb.Push("blocks").PushIndex(i)
		g.Blocks = append(g.Blocks, srBlock{
			Conv1: nn.NewConv2d(b.Push("conv1"), w, w, 3, c3), BN1: nn.NewBatchNorm2d(b.Push("bn1"), w, nn.BatchNormConfig{}),
			Conv2: nn.NewConv2d(b.Push("conv2"), w, w, 3, c3), BN2: nn.NewBatchNorm2d(b.Push("bn2"), w, nn.BatchNormConfig{}),
		})
	}
	g.Up = nn.NewConv2d(vb.Push("up"), w, w, 3, c3)
	// The tail starts at zero so that the untrained generator is bicubic interpolation.
	g.Tail = nn.NewConv2d(vb.Push("tail"), w, cfg.Channels, 3, nn.Conv2dConfig{Padding: 1, WeightInit: nn.Zeros, BiasInit: nn.Zeros})
	return g
}

// Forward upsamples x (B,C,H,W) to (B,C,2H,2W). It panics if x does not have Channels
// channels.
func (g *SRGenerator) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) != 4 || s[1] != g.Cfg.Channels {
		tensor.Panicf("gan.SRGenerator", "input %s; want (B,%d,H,W)", tensor.ShapeString(s), g.Cfg.Channels)
	}
	h0 := autograd.ReLU(g.Head.Forward(x)) // (B,C,H,W) -> (B,w,H,W)
	h := h0
	for _, b := range g.Blocks {
		r := autograd.ReLU(b.BN1.Forward(b.Conv1.Forward(h)))
		h = autograd.Add(h, b.BN2.Forward(b.Conv2.Forward(r)))
	}
	h = autograd.Add(h, h0)
	h = autograd.ReLU(g.Up.Forward(autograd.UpsampleNearest2d(h, 2, 2))) // (B,w,2H,2W)
	base := Bicubic(x.Value(), 2*s[2], 2*s[3])                           // (B,C,2H,2W)
	var bv *autograd.Var
	if x.IsNoGrad() {
		bv = autograd.NoGrad(base)
	} else {
		bv = autograd.Const(base)
	}
	return autograd.Add(g.Tail.Forward(h), bv)
}
