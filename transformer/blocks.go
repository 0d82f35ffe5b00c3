package transformer

import (
	"math"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// BlockConfig configures EncoderBlock and DecoderBlock. The zero value is not usable:
// Dim and Heads are required.
type BlockConfig struct {
	Dim   int // model width; required
	Heads int // attention heads; must divide Dim
	FFDim int // hidden width of the feed-forward network; 0: 4·Dim
	// Dropout is applied after attention and the feed-forward network (on each
	// residual branch) and inside the feed-forward network, in training mode.
	Dropout float32
	// PostNorm puts LayerNorm after each residual addition, as in Vaswani et al. 2017
	// (PyTorch's norm_first=False). The zero value is pre-norm: x + f(LayerNorm(x)).
	PostNorm bool
	// GELU uses the exact GELU in the feed-forward network; the zero value uses ReLU.
	GELU bool
	Eps  float32 // LayerNorm epsilon; 0: 1e-5
}

func (c BlockConfig) ffDim() int {
	if c.FFDim == 0 {
		return 4 * c.Dim
	}
	return c.FFDim
}

// FeedForward is the position-wise network linear2(drop(act(linear1(x)))).
type FeedForward struct {
	Linear1, Linear2 *nn.Linear
	GELU             bool
	drop             *nn.Dropout
}

func newFeedForward(vb *nn.VarBuilder, cfg BlockConfig) *FeedForward {
	f := &FeedForward{
		Linear1: nn.NewLinear(vb.Push("linear1"), cfg.Dim, cfg.ffDim(), nn.LinearConfig{}),
		Linear2: nn.NewLinear(vb.Push("linear2"), cfg.ffDim(), cfg.Dim, nn.LinearConfig{}),
		GELU:    cfg.GELU,
	}
	if cfg.Dropout > 0 {
		f.drop = nn.NewDropout(vb, cfg.Dropout)
	}
	return f
}

// Forward maps (…,Dim) to (…,Dim).
func (f *FeedForward) Forward(x *autograd.Var) *autograd.Var {
	h := f.Linear1.Forward(x) // (…,C) -> (…,FF)
	if f.GELU {
		h = autograd.GELU(h)
	} else {
		h = autograd.ReLU(h)
	}
	return f.Linear2.Forward(dropout(f.drop, h)) // (…,FF) -> (…,C)
}

func dropout(d *nn.Dropout, x *autograd.Var) *autograd.Var {
	if d == nil {
		return x
	}
	return d.Forward(x)
}

// residual adds branch f to x with pre- or post-LayerNorm.
func residual(x *autograd.Var, ln *nn.LayerNorm, post bool, drop *nn.Dropout, f func(*autograd.Var) *autograd.Var) *autograd.Var {
	if post {
		return ln.Forward(autograd.Add(x, dropout(drop, f(x))))
	}
	return autograd.Add(x, dropout(drop, f(ln.Forward(x))))
}

// EncoderBlock is a Transformer encoder layer (Vaswani et al. 2017,
// https://arxiv.org/abs/1706.03762): self-attention over the whole source with a
// padding mask, then a feed-forward network, each in a residual branch with LayerNorm.
// Its parameters are named like PyTorch's nn.TransformerEncoderLayer ("self_attn",
// "linear1", "linear2", "norm1", "norm2"), except that the attention projections are
// separate ("self_attn.q_proj" …) rather than fused into in_proj_weight.
type EncoderBlock struct {
	SelfAttn     *nn.MultiHeadAttention
	FF           *FeedForward
	Norm1, Norm2 *nn.LayerNorm
	PostNorm     bool
	drop         *nn.Dropout
}

// NewEncoderBlock creates an encoder block under vb. It panics if Heads does not divide
// Dim.
func NewEncoderBlock(vb *nn.VarBuilder, cfg BlockConfig) *EncoderBlock {
	ln := nn.LayerNormConfig{Eps: cfg.Eps}
	b := &EncoderBlock{
		SelfAttn: nn.NewMultiHeadAttention(vb.Push("self_attn"), cfg.Dim, cfg.Heads, nn.MultiHeadAttentionConfig{}),
		FF:       newFeedForward(vb, cfg),
		Norm1:    nn.NewLayerNorm(vb.Push("norm1"), []int{cfg.Dim}, ln),
		Norm2:    nn.NewLayerNorm(vb.Push("norm2"), []int{cfg.Dim}, ln),
		PostNorm: cfg.PostNorm,
	}
	if cfg.Dropout > 0 {
		b.drop = nn.NewDropout(vb, cfg.Dropout)
	}
	return b
}

// Forward maps x (B,S,Dim) to (B,S,Dim). mask is nil or a padding mask broadcasting to
// (B,heads,S,S), nonzero at keys to ignore (nn.PaddingMask).
func (b *EncoderBlock) Forward(x *autograd.Var, mask *tensor.Tensor) *autograd.Var {
	x = residual(x, b.Norm1, b.PostNorm, b.drop, func(h *autograd.Var) *autograd.Var {
		return b.SelfAttn.Forward(h, h, mask, false, nil)
	})
	return residual(x, b.Norm2, b.PostNorm, b.drop, b.FF.Forward)
}

// DecoderBlock is a Transformer decoder layer (Vaswani et al. 2017): causal
// self-attention, cross-attention to the encoder output, then a feed-forward network,
// each in a residual branch with LayerNorm. Parameters are named like PyTorch's
// nn.TransformerDecoderLayer ("self_attn", "multihead_attn", "linear1", "linear2",
// "norm1", "norm2", "norm3"), with separate attention projections.
type DecoderBlock struct {
	SelfAttn, CrossAttn *nn.MultiHeadAttention
	FF                  *FeedForward
	Norm1, Norm2, Norm3 *nn.LayerNorm
	PostNorm            bool
	drop                *nn.Dropout
}

// NewDecoderBlock creates a decoder block under vb. It panics if Heads does not divide
// Dim.
func NewDecoderBlock(vb *nn.VarBuilder, cfg BlockConfig) *DecoderBlock {
	ln := nn.LayerNormConfig{Eps: cfg.Eps}
	b := &DecoderBlock{
		SelfAttn:  nn.NewMultiHeadAttention(vb.Push("self_attn"), cfg.Dim, cfg.Heads, nn.MultiHeadAttentionConfig{}),
		CrossAttn: nn.NewMultiHeadAttention(vb.Push("multihead_attn"), cfg.Dim, cfg.Heads, nn.MultiHeadAttentionConfig{}),
		FF:        newFeedForward(vb, cfg),
		Norm1:     nn.NewLayerNorm(vb.Push("norm1"), []int{cfg.Dim}, ln),
		Norm2:     nn.NewLayerNorm(vb.Push("norm2"), []int{cfg.Dim}, ln),
		Norm3:     nn.NewLayerNorm(vb.Push("norm3"), []int{cfg.Dim}, ln),
		PostNorm:  cfg.PostNorm,
	}
	if cfg.Dropout > 0 {
		b.drop = nn.NewDropout(vb, cfg.Dropout)
	}
	return b
}

// DecoderCache is the per-request state of one DecoderBlock during incremental
// decoding: the self-attention keys and values of the tokens so far, and the
// cross-attention keys and values of the encoder output, projected once.
type DecoderCache struct {
	Self           nn.KVCache
	CrossK, CrossV *autograd.Var // (B,heads,S,hs), nil until the first step
}

// Forward maps the target x (B,T,Dim) to (B,T,Dim), attending causally to itself and to
// memory (B,S,Dim), the encoder output; memMask is nil or a padding mask of the source
// broadcasting to (B,heads,T,S). With a cache, x holds only the new positions (the
// cached ones come first) and the memory projections are computed once.
func (b *DecoderBlock) Forward(x, memory *autograd.Var, memMask *tensor.Tensor, cache *DecoderCache) *autograd.Var {
	var self *nn.KVCache
	if cache != nil {
		self = &cache.Self
	}
	x = residual(x, b.Norm1, b.PostNorm, b.drop, func(h *autograd.Var) *autograd.Var {
		return b.SelfAttn.Forward(h, h, nil, true, self)
	})
	x = residual(x, b.Norm2, b.PostNorm, b.drop, func(h *autograd.Var) *autograd.Var {
		if cache == nil {
			return b.CrossAttn.Forward(h, memory, memMask, false, nil)
		}
		if cache.CrossK == nil {
			cache.CrossK = nn.SplitHeads(b.CrossAttn.K.Forward(memory), b.CrossAttn.Heads) // (B,nh,S,hs)
			cache.CrossV = nn.SplitHeads(b.CrossAttn.V.Forward(memory), b.CrossAttn.Heads)
		}
		q := nn.SplitHeads(b.CrossAttn.Q.Forward(h), b.CrossAttn.Heads) // (B,nh,T,hs)
		y := nn.ScaledDotProductAttention(q, cache.CrossK, cache.CrossV, memMask, false)
		return b.CrossAttn.Out.Forward(nn.MergeHeads(y)) // (B,nh,T,hs) -> (B,T,C)
	})
	return residual(x, b.Norm3, b.PostNorm, b.drop, b.FF.Forward)
}

// CrossAttentionWeights returns the cross-attention probabilities (B,heads,T,S) this
// block would use for target x (B,T,Dim), given the same inputs as Forward without a
// cache. It is for inspection (attention heat maps).
func (b *DecoderBlock) CrossAttentionWeights(x, memory *autograd.Var, memMask *tensor.Tensor) *tensor.Tensor {
	h := x
	if !b.PostNorm {
		h = b.Norm1.Forward(x)
	}
	a := autograd.Add(x, b.SelfAttn.Forward(h, h, nil, true, nil))
	if b.PostNorm {
		h = b.Norm1.Forward(a)
	} else {
		h = b.Norm2.Forward(a)
	}
	m := b.CrossAttn
	q := nn.SplitHeads(m.Q.Forward(h), m.Heads).Value()      // (B,nh,T,hs)
	k := nn.SplitHeads(m.K.Forward(memory), m.Heads).Value() // (B,nh,S,hs)
	s := tensor.MatMulT(q, k, false, true)                   // (B,nh,T,S)
	s.ScaleInPlace(float32(1 / math.Sqrt(float64(q.Size(-1)))))
	if memMask != nil {
		s = tensor.MaskedFill(s, memMask, -1e30)
	}
	return tensor.Softmax(s, -1)
}
