package nn

import (
	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// BatchNormConfig configures BatchNorm; the zero value is PyTorch's default: eps 1e-5,
// momentum 0.1, learned affine parameters and running statistics.
type BatchNormConfig struct {
	Eps      float32 // 0: 1e-5
	Momentum float32 // 0: 0.1
	NoAffine bool    // leave out weight and bias
}

// BatchNorm normalises each channel (axis 1) over the batch and any spatial axes
// (Ioffe & Szegedy 2015, https://arxiv.org/abs/1502.03167). In training mode it uses
// the batch statistics and updates the running mean and (unbiased) variance; in
// evaluation mode it uses the running statistics. It serves as BatchNorm1d on (N,C) or
// (N,C,L) input and BatchNorm2d on (N,C,H,W). Parameters and buffers are named as in
// PyTorch: weight, bias, running_mean, running_var, num_batches_tracked.
type BatchNorm struct {
	C                       int
	Eps, Momentum           float32
	Weight, Bias            *autograd.Var
	RunningMean, RunningVar *tensor.Tensor
	NumBatches              *tensor.Tensor
	store                   *VarStore
}

// NewBatchNorm creates a BatchNorm over c channels.
func NewBatchNorm(vb *VarBuilder, c int, cfg BatchNormConfig) *BatchNorm {
	bn := &BatchNorm{C: c, Eps: cfg.Eps, Momentum: cfg.Momentum, store: vb.Store()}
	if bn.Eps == 0 {
		bn.Eps = 1e-5
	}
	if bn.Momentum == 0 {
		bn.Momentum = 0.1
	}
	if !cfg.NoAffine {
		bn.Weight = vb.Param("weight", Ones, c)
		bn.Bias = vb.Param("bias", Zeros, c)
	}
	bn.RunningMean = vb.Buffer("running_mean", tensor.New(c))
	bn.RunningVar = vb.Buffer("running_var", tensor.Ones(c))
	bn.NumBatches = vb.Buffer("num_batches_tracked", tensor.New())
	return bn
}

// NewBatchNorm2d is NewBatchNorm, named for PyTorch users.
func NewBatchNorm2d(vb *VarBuilder, c int, cfg BatchNormConfig) *BatchNorm {
	return NewBatchNorm(vb, c, cfg)
}

// NewBatchNorm1d is NewBatchNorm, named for PyTorch users.
func NewBatchNorm1d(vb *VarBuilder, c int, cfg BatchNormConfig) *BatchNorm {
	return NewBatchNorm(vb, c, cfg)
}

// Forward normalises x of shape (N,C,…).
func (bn *BatchNorm) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 || s[1] != bn.C {
		tensor.Panicf("BatchNorm", "input shape %s, want (N,%d,…)", tensor.ShapeString(s), bn.C)
	}
	bshape := make([]int, len(s)) // (1,C,1,…) for broadcasting
	for i := range bshape {
		bshape[i] = 1
	}
	bshape[1] = bn.C
	var y *autograd.Var
	if bn.store.Training() {
		n := x.Value().Numel() / bn.C
		if n <= 1 {
			tensor.Panicf("BatchNorm", "input shape %s: training needs more than 1 value per channel", tensor.ShapeString(s))
		}
		var mean, v *tensor.Tensor
		y, mean, v = autograd.NormalizeChannels(x, bn.Eps) // one fused op over (N,…) per channel
		// Running statistics use the unbiased variance, as PyTorch does.
		m := float32(bn.Momentum)
		unbias := float32(n) / float32(n-1)
		rm, rv := bn.RunningMean.Data(), bn.RunningVar.Data()
		mv, vv := mean.Data(), v.Data()
		for c := range rm {
			rm[c] = (1-m)*rm[c] + m*mv[c]
			rv[c] = (1-m)*rv[c] + m*vv[c]*unbias
		}
		bn.NumBatches.Data()[0]++
	} else {
		mean := autograd.Const(bn.RunningMean.Reshape(bshape...))
		inv := autograd.Const(tensor.Rsqrt(bn.RunningVar.AddScalar(bn.Eps)).Reshape(bshape...))
		y = autograd.Mul(autograd.Sub(x, mean), inv)
	}
	if bn.Weight != nil {
		y = autograd.ChannelAffine(y, bn.Weight, bn.Bias)
	}
	return y
}

// GroupNorm divides the C channels into groups and normalises each group of each
// sample over its channels and spatial positions (Wu & He 2018,
// https://arxiv.org/abs/1803.08494), then applies a per-channel affine map. It behaves
// the same in training and evaluation.
type GroupNorm struct {
	Groups, C    int
	Eps          float32
	Weight, Bias *autograd.Var // (C)
}

// NewGroupNorm creates a GroupNorm of c channels in groups; eps 0 means 1e-5. It panics
// if groups does not divide c.
func NewGroupNorm(vb *VarBuilder, groups, c int, eps float32) *GroupNorm {
	if groups <= 0 || c%groups != 0 {
		tensor.Panicf("NewGroupNorm", "%d groups do not divide %d channels", groups, c)
	}
	if eps == 0 {
		eps = 1e-5
	}
	return &GroupNorm{Groups: groups, C: c, Eps: eps,
		Weight: vb.Param("weight", Ones, c), Bias: vb.Param("bias", Zeros, c)}
}

// Forward normalises x of shape (N,C,…).
func (gn *GroupNorm) Forward(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 || s[1] != gn.C {
		tensor.Panicf("GroupNorm", "input shape %s, want (N,%d,…)", tensor.ShapeString(s), gn.C)
	}
	g := autograd.Reshape(x, s[0], gn.Groups, -1) // (N,C,…) -> (N,G,C/G·…)
	y := autograd.Reshape(autograd.Normalize(g, 1, gn.Eps), s...)
	return autograd.ChannelAffine(y, gn.Weight, gn.Bias)
}

// ForwardSiLU returns SiLU(gn.Forward(x)), the pre-activation of a residual block, as
// one fused op (autograd.GroupNormSiLU) with the same result: one pass forward and one
// backward, and in inference (a NoGrad input) no saved tensors at all.
func (gn *GroupNorm) ForwardSiLU(x *autograd.Var) *autograd.Var {
	s := x.Shape()
	if len(s) < 2 || s[1] != gn.C {
		tensor.Panicf("GroupNorm", "input shape %s, want (N,%d,…)", tensor.ShapeString(s), gn.C)
	}
	return autograd.GroupNormSiLU(x, gn.Weight, gn.Bias, gn.Groups, gn.Eps)
}
