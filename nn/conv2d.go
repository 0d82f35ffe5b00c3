package nn

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// Conv2dConfig configures Conv2d and ConvTranspose2d. The zero value is PyTorch's
// default: stride 1, no padding, dilation 1, one group, a bias, Kaiming-uniform (a=√5)
// weights and U(-1/√fanIn, 1/√fanIn) biases.
type Conv2dConfig struct {
	Stride        int  // step of the kernel in both directions; 0 means 1
	Padding       int  // zeros added on every side of the input [0]
	Dilation      int  // spacing between kernel taps; 0 means 1
	OutputPadding int  // ConvTranspose2d only: extra rows and columns on one side of the output [0]
	Groups        int  // input and output channels are split into this many groups; 0 means 1
	NoBias        bool // leave out the bias
	// SpectralNorm reparameterises the weight with spectral normalisation ("weight_orig").
	SpectralNorm bool
	WeightInit   Init // nil: KaimingUniform(√5)
	BiasInit     Init // nil: BiasUniform(fanIn)
}

func (c Conv2dConfig) groups() int { return max(c.Groups, 1) }

func or1(v int) int { return max(v, 1) }

// Conv2d is a 2-D convolution over NCHW input with weight (out,in/groups,k,k) and bias
// (out), named as PyTorch's nn.Conv2d.
type Conv2d struct {
	Weight *autograd.Var // raw weight when spectrally normalised
	Bias   *autograd.Var
	SN     *SpectralNorm
	Cfg    tensor.Conv2dConfig
}

// convParams creates the weight (or its spectral-norm parameterisation) and bias.
func convParams(vb *VarBuilder, shape []int, fanIn, biasLen, snDim int, cfg Conv2dConfig) (w, b *autograd.Var, sn *SpectralNorm) {
	wi := cfg.WeightInit
	if wi == nil {
		wi = KaimingUniform(math.Sqrt(5))
	}
	if cfg.SpectralNorm {
		sn = NewSpectralNormDim(vb, wi, snDim, shape...)
		w = sn.Orig
	} else {
		w = vb.Param("weight", wi, shape...)
	}
	if !cfg.NoBias {
		bi := cfg.BiasInit
		if bi == nil {
			bi = BiasUniform(fanIn)
		}
		b = vb.Param("bias", bi, biasLen)
	}
	return w, b, sn
}

// NewConv2d creates a Conv2d from in to out channels with a k×k kernel. It panics if
// the groups do not divide both channel counts.
func NewConv2d(vb *VarBuilder, in, out, k int, cfg Conv2dConfig) *Conv2d {
	g := cfg.groups()
	if in%g != 0 || out%g != 0 {
		tensor.Panicf("NewConv2d", "%d groups do not divide %d and %d channels", g, in, out)
	}
	shape := []int{out, in / g, k, k}
	w, b, sn := convParams(vb, shape, in/g*k*k, out, 0, cfg)
	return &Conv2d{Weight: w, Bias: b, SN: sn, Cfg: tensor.Conv2dConfig{
		Stride:   [2]int{or1(cfg.Stride), or1(cfg.Stride)},
		Padding:  [2]int{cfg.Padding, cfg.Padding},
		Dilation: [2]int{or1(cfg.Dilation), or1(cfg.Dilation)},
		Groups:   g,
	}}
}

// Forward convolves x (N,in,H,W) -> (N,out,H',W').
func (c *Conv2d) Forward(x *autograd.Var) *autograd.Var {
	w := c.Weight
	if c.SN != nil {
		w = c.SN.Weight()
	}
	return autograd.Conv2d(x, w, c.Bias, c.Cfg)
}

// ConvTranspose2d is a transposed 2-D convolution (the gradient of Conv2d with respect to
// its input) with weight (in,out/groups,k,k), named as PyTorch's nn.ConvTranspose2d.
type ConvTranspose2d struct {
	Weight *autograd.Var
	Bias   *autograd.Var
	SN     *SpectralNorm
	Cfg    tensor.ConvTranspose2dConfig
}

// NewConvTranspose2d creates a ConvTranspose2d from in to out channels with a k×k
// kernel. PyTorch computes the weight's fan-in from its second axis, (out/groups)·k·k,
// and so does this.
func NewConvTranspose2d(vb *VarBuilder, in, out, k int, cfg Conv2dConfig) *ConvTranspose2d {
	g := cfg.groups()
	if in%g != 0 || out%g != 0 {
		tensor.Panicf("NewConvTranspose2d", "%d groups do not divide %d and %d channels", g, in, out)
	}
	shape := []int{in, out / g, k, k}
	w, b, sn := convParams(vb, shape, out/g*k*k, out, 1, cfg)
	return &ConvTranspose2d{Weight: w, Bias: b, SN: sn, Cfg: tensor.ConvTranspose2dConfig{
		Stride:        [2]int{or1(cfg.Stride), or1(cfg.Stride)},
		Padding:       [2]int{cfg.Padding, cfg.Padding},
		OutputPadding: [2]int{cfg.OutputPadding, cfg.OutputPadding},
		Dilation:      [2]int{or1(cfg.Dilation), or1(cfg.Dilation)},
		Groups:        g,
	}}
}

// Forward applies the transposed convolution to x (N,in,H,W).
func (c *ConvTranspose2d) Forward(x *autograd.Var) *autograd.Var {
	w := c.Weight
	if c.SN != nil {
		w = c.SN.Weight()
	}
	return autograd.ConvTranspose2d(x, w, c.Bias, c.Cfg)
}

// MaxPool2d is max pooling with a square window; zero Stride means the kernel size.
type MaxPool2d struct{ Kernel, Stride, Padding int }

// Forward pools x (N,C,H,W).
func (p MaxPool2d) Forward(x *autograd.Var) *autograd.Var {
	s := p.Stride
	if s == 0 {
		s = p.Kernel
	}
	return autograd.MaxPool2d(x, [2]int{p.Kernel, p.Kernel}, [2]int{s, s}, [2]int{p.Padding, p.Padding})
}

// AvgPool2d is average pooling with a square window; zero Stride means the kernel size.
// Padding counts towards the average unless ExcludePad, as in PyTorch.
type AvgPool2d struct {
	Kernel, Stride, Padding int
	ExcludePad              bool
}

// Forward pools x (N,C,H,W).
func (p AvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	s := p.Stride
	if s == 0 {
		s = p.Kernel
	}
	return autograd.AvgPool2d(x, [2]int{p.Kernel, p.Kernel}, [2]int{s, s}, [2]int{p.Padding, p.Padding}, !p.ExcludePad)
}

// AdaptiveAvgPool2d averages x (N,C,H,W) down to (N,C,H',W') with PyTorch's windows.
type AdaptiveAvgPool2d struct{ H, W int }

// Forward pools x.
func (p AdaptiveAvgPool2d) Forward(x *autograd.Var) *autograd.Var {
	return autograd.AdaptiveAvgPool2d(x, p.H, p.W)
}

// Upsample resizes NCHW input by an integer Scale (nearest) or to Size (H,W) with
// nearest or bilinear interpolation, as PyTorch's nn.Upsample.
type Upsample struct {
	Scale        int    // used when Size is zero
	Size         [2]int // output (H,W)
	Bilinear     bool
	AlignCorners bool // bilinear only
}

// Forward resizes x (N,C,H,W).
func (u Upsample) Forward(x *autograd.Var) *autograd.Var {
	oh, ow := u.Size[0], u.Size[1]
	if oh == 0 {
		oh, ow = x.Size(2)*u.Scale, x.Size(3)*u.Scale
	}
	if u.Bilinear {
		return autograd.UpsampleBilinear2d(x, oh, ow, u.AlignCorners)
	}
	if u.Size[0] == 0 {
		return autograd.UpsampleNearest2d(x, u.Scale, u.Scale)
	}
	return autograd.UpsampleNearest2dSize(x, oh, ow)
}
