package transformer

import (
	"context"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// Seq2SeqConfig configures a Seq2Seq. SrcVocab and TgtVocab are required; every other
// zero value has the default noted beside the field (the base model of Vaswani et al.
// 2017, but pre-norm).
type Seq2SeqConfig struct {
	SrcVocab, TgtVocab int       // source and target vocabulary sizes; required
	MaxLen             int       // longest source or target sequence; 0: 512
	EncoderLayers      int       // 0: 6
	DecoderLayers      int       // 0: 6
	Heads              int       // 0: 8 (must divide Dim)
	Dim                int       // model width; 0: 512
	FFDim              int       // feed-forward width; 0: 4·Dim
	Dropout            float32   // in training mode; 0: none
	PostNorm           bool      // LayerNorm after each residual addition (the paper); false: pre-norm
	GELU               bool      // GELU instead of ReLU in the feed-forward networks
	Positions          Positions // DefaultPositions: sinusoidal; LearnedPositions; rotary is not supported
	TiedHead           bool      // the output layer reuses the target embedding (no bias)
}

func (c Seq2SeqConfig) withDefaults() Seq2SeqConfig {
	if c.SrcVocab <= 0 || c.TgtVocab <= 0 {
		tensor.Panicf("NewSeq2Seq", "vocabulary sizes %d and %d must be positive", c.SrcVocab, c.TgtVocab)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.MaxLen, 512)
	def(&c.EncoderLayers, 6)
	def(&c.DecoderLayers, 6)
	def(&c.Heads, 8)
	def(&c.Dim, 512)
	def(&c.FFDim, 4*c.Dim)
	switch c.Positions {
	case DefaultPositions:
		c.Positions = SinusoidalPositions
	case RotaryPositions:
		tensor.Panicf("NewSeq2Seq", "rotary positions are not supported by Seq2Seq")
	}
	return c
}

// Seq2Seq is the encoder–decoder Transformer of Vaswani et al. 2017
// (https://arxiv.org/abs/1706.03762): an encoder of EncoderBlocks over the source, a
// decoder of DecoderBlocks that attends causally to the target and to the encoder
// output, and a linear output layer. Token embeddings are initialised from
// N(0, 1/Dim) and multiplied by √Dim. Parameter names: "src_emb", "tgt_emb" (and
// "src_pos", "tgt_pos" when learned), "encoder.layers.N.…", "decoder.layers.N.…",
// "encoder.norm" and "decoder.norm" (pre-norm only), "out" (unless tied).
type Seq2Seq struct {
	Config         Seq2SeqConfig
	Store          *nn.VarStore
	SrcEmb, TgtEmb *TokenEmbedding
	Encoder        []*EncoderBlock
	Decoder        []*DecoderBlock
	EncNorm        *nn.LayerNorm // nil with PostNorm
	DecNorm        *nn.LayerNorm // nil with PostNorm
	Out            *nn.Linear    // nil when tied
}

// NewSeq2Seq builds a Seq2Seq in vs with cfg's defaults filled in. It panics if a
// vocabulary size is missing, Heads does not divide Dim or positions are rotary.
func NewSeq2Seq(vs *nn.VarStore, cfg Seq2SeqConfig) *Seq2Seq {
	cfg = cfg.withDefaults()
	vb := vs.Root()
	std := 1 / float64(sqrtDim(cfg.Dim))
	m := &Seq2Seq{Config: cfg, Store: vs,
		SrcEmb: NewTokenEmbedding(vb, "src_emb", "src_pos", cfg.SrcVocab, cfg.MaxLen, cfg.Dim, cfg.Positions, std, sqrtDim(cfg.Dim), cfg.Dropout),
		TgtEmb: NewTokenEmbedding(vb, "tgt_emb", "tgt_pos", cfg.TgtVocab, cfg.MaxLen, cfg.Dim, cfg.Positions, std, sqrtDim(cfg.Dim), cfg.Dropout),
	}
	bc := BlockConfig{Dim: cfg.Dim, Heads: cfg.Heads, FFDim: cfg.FFDim, Dropout: cfg.Dropout, PostNorm: cfg.PostNorm, GELU: cfg.GELU}
	for i := 0; i < cfg.EncoderLayers; i++ {
		m.Encoder = append(m.Encoder, NewEncoderBlock(vb.Push("encoder").Push("layers").PushIndex(i), bc))
	}
	for i := 0; i < cfg.DecoderLayers; i++ {
		m.Decoder = append(m.Decoder, NewDecoderBlock(vb.Push("decoder").Push("layers").PushIndex(i), bc))
	}
	if !cfg.PostNorm {
		m.EncNorm = nn.NewLayerNorm(vb.Push("encoder").Push("norm"), []int{cfg.Dim}, nn.LayerNormConfig{})
		m.DecNorm = nn.NewLayerNorm(vb.Push("decoder").Push("norm"), []int{cfg.Dim}, nn.LayerNormConfig{})
	}
	if !cfg.TiedHead {
		m.Out = nn.NewLinear(vb.Push("out"), cfg.Dim, cfg.TgtVocab, nn.LinearConfig{})
	}
	return m
}

// srcMask returns the padding mask of sources with the given lengths, or nil.
func srcMask(lens []int, s int) *tensor.Tensor {
	if lens == nil {
		return nil
	}
	return nn.PaddingMask(lens, s) // (B,1,1,S)
}

// Encode maps source ids (B,S) to the encoder output (B,S,Dim). srcLens, if not nil,
// gives each row's number of real tokens; the rest is padding that no position
// attends to.
func (m *Seq2Seq) Encode(src *autograd.Var, srcLens []int) *autograd.Var {
	mask := srcMask(srcLens, src.Size(1))
	x := m.SrcEmb.Forward(src, nil) // (B,S) -> (B,S,C)
	for _, b := range m.Encoder {
		x = b.Forward(x, mask)
	}
	if m.EncNorm != nil {
		x = m.EncNorm.Forward(x)
	}
	return x
}

// decode runs the decoder over target ids (B,T) at positions pos (nil: from 0, or
// after the cached ones) and returns the final hidden states (B,T,Dim).
func (m *Seq2Seq) decode(tgt, memory *autograd.Var, mask, pos *tensor.Tensor, caches []*DecoderCache) *autograd.Var {
	if pos == nil && caches != nil {
		off := caches[0].Self.Len()
		pos = tensor.Arange(float32(off), float32(off+tgt.Size(1)), 1)
	}
	x := m.TgtEmb.Forward(tgt, pos) // (B,T) -> (B,T,C)
	for i, b := range m.Decoder {
		var c *DecoderCache
		if caches != nil {
			c = caches[i]
		}
		x = b.Forward(x, memory, mask, c)
	}
	if m.DecNorm != nil {
		x = m.DecNorm.Forward(x)
	}
	return x
}

// logits applies the output layer to hidden states (…,Dim).
func (m *Seq2Seq) logits(h *autograd.Var) *autograd.Var {
	if m.Out != nil {
		return m.Out.Forward(h)
	}
	w := m.TgtEmb.Tok.Weight
	if h.IsNoGrad() {
		w = autograd.NoGrad(w.Value())
	}
	shape := h.Shape()
	shape[len(shape)-1] = m.Config.TgtVocab
	return autograd.Reshape(autograd.MatMulT(autograd.Reshape(h, -1, m.Config.Dim), w, false, true), shape...)
}

// Decode maps target ids (B,T) — the start token followed by the target so far — to
// logits (B,T,TgtVocab), attending to memory (B,S,Dim) from Encode with the same
// srcLens.
func (m *Seq2Seq) Decode(tgt, memory *autograd.Var, srcLens []int) *autograd.Var {
	return m.logits(m.decode(tgt, memory, srcMask(srcLens, memory.Size(1)), nil, nil))
}

// Forward is Decode(tgt, Encode(src, srcLens), srcLens): teacher-forced logits
// (B,T,TgtVocab) for training. Pass autograd.Const ids to train and autograd.NoGrad
// ids for inference.
func (m *Seq2Seq) Forward(src, tgt *autograd.Var, srcLens []int) *autograd.Var {
	return m.Decode(tgt, m.Encode(src, srcLens), srcLens)
}

// newCaches returns empty per-layer decoder caches.
func (m *Seq2Seq) newCaches() []*DecoderCache {
	cs := make([]*DecoderCache, len(m.Decoder))
	for i := range cs {
		cs[i] = &DecoderCache{}
	}
	return cs
}

// PadBatch lays out sequences as a (B,L) batch right-padded with pad, L the longest
// length, and returns it with the lengths.
func PadBatch(seqs [][]int, pad int) (*tensor.Tensor, []int) {
	l := 0
	for _, s := range seqs {
		l = max(l, len(s))
	}
	t := tensor.Full(float32(pad), len(seqs), l)
	lens := make([]int, len(seqs))
	for i, s := range seqs {
		lens[i] = len(s)
		for j, v := range s {
			t.Data()[i*l+j] = float32(v)
		}
	}
	return t, lens
}

// GenerateBatch translates every source and returns the generated target tokens of
// each, without start and stop tokens. Decoding begins with start and uses cfg as GPT
// generation does (greedy by default; MaxNewTokens 0 means MaxLen-1 tokens), with a
// KV cache and the encoder output projected once. Sources of different lengths are
// padded and masked. It returns ctx's error, with the tokens so far, if ctx is
// cancelled. It is safe for concurrent use in evaluation mode.
func (m *Seq2Seq) GenerateBatch(ctx context.Context, srcs [][]int, start int, cfg GenerateConfig) ([][]int, error) {
	src, lens := PadBatch(srcs, 0)
	mask := srcMask(lens, src.Size(1))
	memory := m.Encode(autograd.NoGrad(src), lens)
	maxNew := cfg.MaxNewTokens
	if maxNew <= 0 {
		maxNew = m.Config.MaxLen - 1
	}
	b := len(srcs)
	out := make([][]int, b)
	hist := make([][]int, b)
	done := make([]bool, b)
	caches := m.newCaches()
	last := make([]int, b)
	for i := range last {
		last[i] = start
	}
	for step := 0; step < maxNew; step++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		var h *autograd.Var
		if cfg.NoCache {
			ids := tensor.New(b, step+1)
			for i := range b {
				ids.Data()[i*(step+1)] = float32(start)
				for j, t := range hist[i] {
					ids.Data()[i*(step+1)+j+1] = float32(t)
				}
			}
			h = m.decode(autograd.NoGrad(ids), memory, mask, nil, nil)
			h = autograd.Narrow(h, 1, step, 1)
		} else {
			ids := tensor.New(b, 1)
			for i, t := range last {
				ids.Data()[i] = float32(t)
			}
			h = m.decode(autograd.NoGrad(ids), memory, mask, nil, caches)
		}
		logits := m.logits(h).Value().Reshape(b, -1)
		v := logits.Size(1)
		alive := false
		for i := range b {
			if done[i] {
				hist[i] = append(hist[i], last[i])
				continue
			}
			tok := SampleToken(logits.Data()[i*v:(i+1)*v], hist[i], cfg)
			hist[i] = append(hist[i], tok)
			last[i] = tok
			if slices.Contains(cfg.StopTokens, tok) {
				done[i] = true
				continue
			}
			out[i] = append(out[i], tok)
			alive = true
		}
		if !alive {
			break
		}
	}
	return out, nil
}

// Generate translates one source; see GenerateBatch.
func (m *Seq2Seq) Generate(ctx context.Context, src []int, start int, cfg GenerateConfig) ([]int, error) {
	out, err := m.GenerateBatch(ctx, [][]int{src}, start, cfg)
	return out[0], err
}

// CrossAttention returns the cross-attention probabilities (T,S) of decoder layer
// layer (negative counts from the last), averaged over heads, when the decoder reads
// tgt (the start token and the target tokens) against src. It is for heat maps.
func (m *Seq2Seq) CrossAttention(src, tgt []int, layer int) *tensor.Tensor {
	if layer < 0 {
		layer += len(m.Decoder)
	}
	s := autograd.NoGrad(tensor.New(1, len(src)))
	for j, v := range src {
		s.Value().Data()[j] = float32(v)
	}
	t := tensor.New(1, len(tgt))
	for j, v := range tgt {
		t.Data()[j] = float32(v)
	}
	memory := m.Encode(s, nil)
	x := m.TgtEmb.Forward(autograd.NoGrad(t), nil)
	for _, b := range m.Decoder[:layer] {
		x = b.Forward(x, memory, nil, nil)
	}
	w := m.Decoder[layer].CrossAttentionWeights(x, memory, nil) // (1,nh,T,S)
	return tensor.Mean(w, false, 0, 1)
}
