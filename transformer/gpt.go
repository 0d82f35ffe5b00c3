package transformer

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// GPTConfig configures a GPT. VocabSize is required; every other zero value has a
// default, noted beside the field. Bias and TiedHead default to false (nanoGPT's
// leaner choice); GPT-2 itself has both, see GPT2Config.
type GPTConfig struct {
	VocabSize int       // tokens; required
	BlockSize int       // longest context in tokens; 0: 1024
	Layers    int       // transformer blocks; 0: 12
	Heads     int       // attention heads; 0: 12 (must divide Dim)
	Dim       int       // model width; 0: 768
	Dropout   float32   // on embeddings, attention output and residual branches in training; 0: none
	Bias      bool      // biases in the linear layers and LayerNorms (GPT-2 has them)
	TiedHead  bool      // the output layer reuses the token embedding (wte) transposed
	Positions Positions // DefaultPositions: learned (wpe); RotaryPositions drops wpe
	Eps       float32   // LayerNorm epsilon; 0: 1e-5
	InitStd   float64   // std of the normal initialisation; 0: 0.02
}

// GPT2Config returns the configuration of the 124M-parameter GPT-2 (Radford et al.
// 2019): vocabulary 50257, context 1024, 12 layers of width 768 with 12 heads, biases
// and a tied head.
func GPT2Config() GPTConfig {
	return GPTConfig{VocabSize: 50257, BlockSize: 1024, Layers: 12, Heads: 12, Dim: 768, Bias: true, TiedHead: true}
}

func (c GPTConfig) withDefaults() GPTConfig {
	if c.VocabSize <= 0 {
		tensor.Panicf("NewGPT", "VocabSize %d is not positive", c.VocabSize)
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&c.BlockSize, 1024)
	def(&c.Layers, 12)
	def(&c.Heads, 12)
	def(&c.Dim, 768)
	if c.Eps == 0 {
		c.Eps = 1e-5
	}
	if c.InitStd == 0 {
		c.InitStd = 0.02
	}
	if c.Positions == DefaultPositions {
		c.Positions = LearnedPositions
	}
	if c.Heads <= 0 || c.Dim%c.Heads != 0 {
		tensor.Panicf("NewGPT", "%d heads do not divide width %d", c.Heads, c.Dim)
	}
	return c
}

// Conv1D is GPT-2's linear layer, y = x·W + b, with the weight stored (in,out): the
// transpose of nn.Linear's layout, as in HuggingFace's Conv1D.
type Conv1D struct {
	Weight *autograd.Var // (in,out)
	Bias   *autograd.Var // (out) or nil
}

// NewConv1D creates a Conv1D from in to out features with weights from N(0, std²) and
// zero biases.
func NewConv1D(vb *nn.VarBuilder, in, out int, bias bool, std float64) *Conv1D {
	c := &Conv1D{Weight: vb.Param("weight", nn.Normal(0, std), in, out)}
	if bias {
		c.Bias = vb.Param("bias", nn.Zeros, out)
	}
	return c
}

// Forward maps (…,in) to (…,out). It panics if the last axis of x is not in.
func (c *Conv1D) Forward(x *autograd.Var) *autograd.Var {
	in, out := c.Weight.Size(0), c.Weight.Size(1)
	if x.Dim() == 0 || x.Size(-1) != in {
		tensor.Panicf("Conv1D", "input shape %s, want (…,%d)", tensor.ShapeString(x.Shape()), in)
	}
	shape := x.Shape()
	y := autograd.MatMul(autograd.Reshape(x, -1, in), c.Weight) // (M,in)·(in,out) -> (M,out)
	if c.Bias != nil {
		y = autograd.Add(y, c.Bias)
	}
	shape[len(shape)-1] = out
	return autograd.Reshape(y, shape...)
}

// GPTAttention is GPT-2's causal self-attention: one fused projection c_attn to
// queries, keys and values, scaled dot-product attention over earlier positions, and
// the output projection c_proj.
type GPTAttention struct {
	CAttn, CProj *Conv1D
	Heads        int
	Rotary       *Rotary // nil unless positions are rotary
	drop         *nn.Dropout
}

// Forward maps x (B,T,C) at positions pos ((T) or (B,T)) to (B,T,C). mask is nil or
// broadcasts to (B,heads,T,Tk) and is nonzero at keys to ignore (left padding); with a
// cache, x holds the new positions only and attends to the cached ones too.
func (a *GPTAttention) Forward(x *autograd.Var, pos, mask *tensor.Tensor, cache *nn.KVCache) *autograd.Var {
	c := x.Size(2)
	qkv := autograd.Split(a.CAttn.Forward(x), 2, c, c, c) // (B,T,3C) -> 3×(B,T,C)
	q := nn.SplitHeads(qkv[0], a.Heads)                   // (B,T,C) -> (B,nh,T,hs)
	k := nn.SplitHeads(qkv[1], a.Heads)
	v := nn.SplitHeads(qkv[2], a.Heads)
	if a.Rotary != nil {
		q, k = a.Rotary.Apply(q, pos), a.Rotary.Apply(k, pos)
	}
	if cache != nil {
		k, v = appendKV(cache, k, v)
	}
	y := nn.MergeHeads(nn.ScaledDotProductAttention(q, k, v, mask, true)) // (B,nh,T,hs) -> (B,T,C)
	return dropout(a.drop, a.CProj.Forward(y))
}

// appendKV adds k and v (B,nh,t,hs) to the cache and returns all keys and values.
func appendKV(c *nn.KVCache, k, v *autograd.Var) (*autograd.Var, *autograd.Var) {
	if c.K != nil {
		c.K = tensor.Concat(2, c.K, k.Value())
		c.V = tensor.Concat(2, c.V, v.Value())
	} else {
		c.K, c.V = k.Value(), v.Value()
	}
	return autograd.NoGrad(c.K), autograd.NoGrad(c.V)
}

// GPTBlock is one pre-LayerNorm GPT-2 block: x + attn(ln_1(x)), then x + mlp(ln_2(x))
// with mlp = c_proj(gelu_tanh(c_fc(x))).
type GPTBlock struct {
	Ln1, Ln2 *nn.LayerNorm
	Attn     *GPTAttention
	Fc, Proj *Conv1D
	mlpDrop  *nn.Dropout
}

// Forward runs the block; the arguments are as for GPTAttention.Forward.
func (b *GPTBlock) Forward(x *autograd.Var, pos, mask *tensor.Tensor, cache *nn.KVCache) *autograd.Var {
	x = autograd.Add(x, b.Attn.Forward(b.Ln1.Forward(x), pos, mask, cache))
	h := autograd.GELUTanh(b.Fc.Forward(b.Ln2.Forward(x))) // (B,T,C) -> (B,T,4C)
	return autograd.Add(x, dropout(b.mlpDrop, b.Proj.Forward(h)))
}

// GPT is a decoder-only Transformer language model: GPT-2 (Radford et al. 2019,
// https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf)
// as nanoGPT writes it. Its parameters are named and laid out like HuggingFace's
// GPT2Model — "wte", "wpe", "h.N.ln_1", "h.N.attn.c_attn", "h.N.attn.c_proj",
// "h.N.ln_2", "h.N.mlp.c_fc", "h.N.mlp.c_proj", "ln_f", with Conv1D (in,out) weights —
// plus "lm_head.weight" when the head is not tied, so GPT-2 checkpoints load (see
// LoadGPT). A GPT is safe for concurrent inference: generation keeps its caches per
// request.
type GPT struct {
	Config GPTConfig
	Store  *nn.VarStore
	Emb    *TokenEmbedding
	Blocks []*GPTBlock
	LnF    *nn.LayerNorm
	Head   *autograd.Var // (VocabSize,Dim): wte's weight when tied
}

// NewGPT builds a GPT in vs with cfg's defaults filled in. Weights are drawn from
// N(0, InitStd²), the residual projections (c_proj) from N(0, InitStd²/(2·Layers)) as
// in GPT-2, biases are zero. It panics if VocabSize is missing or Heads does not divide
// Dim.
func NewGPT(vs *nn.VarStore, cfg GPTConfig) *GPT {
	cfg = cfg.withDefaults()
	vb := vs.Root()
	m := &GPT{Config: cfg, Store: vs}
	m.Emb = NewTokenEmbedding(vb, "wte", "wpe", cfg.VocabSize, cfg.BlockSize, cfg.Dim, cfg.Positions, cfg.InitStd, 1, cfg.Dropout)
	var rot *Rotary
	if cfg.Positions == RotaryPositions {
		rot = NewRotary(cfg.Dim/cfg.Heads, cfg.BlockSize, 0)
	}
	projStd := cfg.InitStd / math.Sqrt(2*float64(cfg.Layers))
	ln := nn.LayerNormConfig{Eps: cfg.Eps, NoBias: !cfg.Bias}
	d := cfg.Dim
	for i := 0; i < cfg.Layers; i++ {
		h := vb.Push("h").PushIndex(i)
		b := &GPTBlock{
			Ln1: nn.NewLayerNorm(h.Push("ln_1"), []int{d}, ln),
			Attn: &GPTAttention{
				CAttn:  NewConv1D(h.Push("attn").Push("c_attn"), d, 3*d, cfg.Bias, cfg.InitStd),
				CProj:  NewConv1D(h.Push("attn").Push("c_proj"), d, d, cfg.Bias, projStd),
				Heads:  cfg.Heads,
				Rotary: rot,
			},
			Ln2:  nn.NewLayerNorm(h.Push("ln_2"), []int{d}, ln),
			Fc:   NewConv1D(h.Push("mlp").Push("c_fc"), d, 4*d, cfg.Bias, cfg.InitStd),
			Proj: NewConv1D(h.Push("mlp").Push("c_proj"), 4*d, d, cfg.Bias, projStd),
		}
		if cfg.Dropout > 0 {
			b.Attn.drop = nn.NewDropout(h, cfg.Dropout)
			b.mlpDrop = b.Attn.drop
		}
		m.Blocks = append(m.Blocks, b)
	}
	m.LnF = nn.NewLayerNorm(vb.Push("ln_f"), []int{d}, ln)
	if cfg.TiedHead {
		m.Head = m.Emb.Tok.Weight
	} else {
		m.Head = vb.Push("lm_head").Param("weight", nn.Normal(0, cfg.InitStd), cfg.VocabSize, d)
	}
	return m
}

// Hidden returns the final hidden states (B,T,Dim), after ln_f, for ids (B,T) at
// positions pos ((T) or (B,T); nil means 0…T-1, or after the cached positions). mask
// and caches (one per layer, or nil) are as for GPTAttention.Forward.
func (m *GPT) Hidden(ids *autograd.Var, pos, mask *tensor.Tensor, caches []*nn.KVCache) *autograd.Var {
	if ids.Dim() != 2 {
		tensor.Panicf("GPT", "ids shape %s, want (B,T)", tensor.ShapeString(ids.Shape()))
	}
	if pos == nil {
		off := 0
		if caches != nil {
			off = caches[0].Len()
		}
		pos = tensor.Arange(float32(off), float32(off+ids.Size(1)), 1)
	}
	x := m.Emb.Forward(ids, pos) // (B,T) -> (B,T,C)
	for i, b := range m.Blocks {
		var c *nn.KVCache
		if caches != nil {
			c = caches[i]
		}
		x = b.Forward(x, pos, mask, c)
	}
	return m.LnF.Forward(x)
}

// Logits applies the output layer to hidden states (…,Dim) and returns (…,VocabSize).
func (m *GPT) Logits(h *autograd.Var) *autograd.Var {
	head := m.Head
	if h.IsNoGrad() {
		head = autograd.NoGrad(head.Value())
	}
	shape := h.Shape()
	shape[len(shape)-1] = m.Config.VocabSize
	y := autograd.MatMulT(autograd.Reshape(h, -1, m.Config.Dim), head, false, true) // (M,C)·(V,C)ᵀ -> (M,V)
	return autograd.Reshape(y, shape...)
}

// Forward maps token ids (B,T), whole numbers stored as float32, to logits
// (B,T,VocabSize). Pass autograd.Const(ids) to train and autograd.NoGrad(ids) for
// inference. It panics if T exceeds BlockSize or an id is out of range.
func (m *GPT) Forward(ids *autograd.Var) *autograd.Var {
	return m.Logits(m.Hidden(ids, nil, nil, nil))
}

// NewCaches returns empty per-layer KV caches for one generation request.
func (m *GPT) NewCaches() []*nn.KVCache {
	cs := make([]*nn.KVCache, len(m.Blocks))
	for i := range cs {
		cs[i] = &nn.KVCache{}
	}
	return cs
}

// normalizeGPT2Names maps HuggingFace GPT-2 state dict names to GPT's: the
// "transformer." prefix of GPT2LMHeadModel is dropped, as are the attention-mask
// buffers ("attn.bias", "attn.masked_bias") and, for a tied head, "lm_head.weight".
func normalizeGPT2Names(in map[string]*tensor.Tensor, tied bool) map[string]*tensor.Tensor {
	out := make(map[string]*tensor.Tensor, len(in))
	for k, v := range in {
		k = strings.TrimPrefix(k, "transformer.")
		if strings.HasSuffix(k, ".attn.bias") && v.Dim() == 4 || strings.HasSuffix(k, ".attn.masked_bias") {
			continue
		}
		if tied && k == "lm_head.weight" {
			continue
		}
		out[k] = v
	}
	return out
}

// InferGPTConfig reads a GPT configuration from the tensor shapes of a GPT-2 style
// checkpoint (wte, wpe, h.N.…, with or without the "transformer." prefix). The number
// of heads cannot be seen in the shapes: heads 0 means Dim/64, GPT-2's head size. It
// returns an error if the checkpoint does not look like GPT-2.
func InferGPTConfig(tensors map[string]*tensor.Tensor, heads int) (GPTConfig, error) {
	sd := normalizeGPT2Names(tensors, false)
	wte, ok := sd["wte.weight"]
	if !ok || wte.Dim() != 2 {
		return GPTConfig{}, errors.New("transformer: not a GPT-2 checkpoint: no 2-D wte.weight")
	}
	cfg := GPTConfig{VocabSize: wte.Size(0), Dim: wte.Size(1), Eps: 1e-5, Heads: heads}
	if wpe, ok := sd["wpe.weight"]; ok {
		cfg.BlockSize = wpe.Size(0)
	} else {
		cfg.Positions = RotaryPositions
	}
	for {
		if _, ok := sd[fmt.Sprintf("h.%d.ln_1.weight", cfg.Layers)]; !ok {
			break
		}
		cfg.Layers++
	}
	if cfg.Layers == 0 {
		return GPTConfig{}, errors.New("transformer: not a GPT-2 checkpoint: no h.0.ln_1.weight")
	}
	_, cfg.Bias = sd["h.0.attn.c_attn.bias"]
	_, untied := sd["lm_head.weight"]
	cfg.TiedHead = !untied
	if untied {
		if lm := sd["lm_head.weight"]; tensor.Max(tensor.Abs(tensor.Sub(lm, wte)), false).Item() == 0 {
			cfg.TiedHead = true
		}
	}
	if cfg.Heads == 0 {
		cfg.Heads = max(cfg.Dim/64, 1)
	}
	if cfg.Dim%cfg.Heads != 0 {
		return GPTConfig{}, fmt.Errorf("transformer: %d heads do not divide width %d", cfg.Heads, cfg.Dim)
	}
	return cfg, nil
}

// LoadGPT builds a GPT with cfg in a fresh VarStore (in evaluation mode) and loads
// tensors into it, strictly: HuggingFace GPT-2 names are accepted (see GPT), and any
// missing, unexpected or wrongly shaped tensor is reported in the error.
func LoadGPT(tensors map[string]*tensor.Tensor, cfg GPTConfig) (m *GPT, err error) {
	if err := tensor.Catch(func() { m = NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(0, 0))), cfg) }); err != nil {
		return nil, fmt.Errorf("transformer: LoadGPT: %w", err)
	}
	m.Store.SetTraining(false)
	if err := m.Store.LoadStateDict(normalizeGPT2Names(tensors, m.Config.TiedHead), true); err != nil {
		return nil, fmt.Errorf("transformer: LoadGPT: %w", err)
	}
	return m, nil
}

// hfGPT2Config is the part of a HuggingFace GPT-2 config.json that GPT uses.
type hfGPT2Config struct {
	NEmbd    int     `json:"n_embd"`
	NHead    int     `json:"n_head"`
	NLayer   int     `json:"n_layer"`
	NPos     int     `json:"n_positions"`
	Vocab    int     `json:"vocab_size"`
	LayerEps float64 `json:"layer_norm_epsilon"`
}

// LoadGPT2Model reads a HuggingFace GPT-2 checkpoint directory: model.safetensors and,
// if present, config.json (for the number of heads and LayerNorm epsilon; without it
// heads are Dim/64). Errors name the file at fault.
func LoadGPT2Model(dir string) (*GPT, error) {
	path := filepath.Join(dir, "model.safetensors")
	st, err := nn.LoadFile(path)
	if err != nil {
		return nil, fmt.Errorf("transformer: GPT-2 weights: %w", err)
	}
	var hf hfGPT2Config
	cpath := filepath.Join(dir, "config.json")
	b, err := os.ReadFile(cpath)
	switch {
	case err == nil:
		if err := json.Unmarshal(b, &hf); err != nil {
			return nil, fmt.Errorf("transformer: %s: %w", cpath, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("transformer: %w", err)
	}
	cfg, err := InferGPTConfig(st.Tensors, hf.NHead)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	if hf.LayerEps != 0 {
		cfg.Eps = float32(hf.LayerEps)
	}
	for _, c := range []struct {
		name      string
		json, got int
	}{{"n_embd", hf.NEmbd, cfg.Dim}, {"n_layer", hf.NLayer, cfg.Layers}, {"n_positions", hf.NPos, cfg.BlockSize}, {"vocab_size", hf.Vocab, cfg.VocabSize}} {
		if c.json != 0 && c.json != c.got {
			return nil, fmt.Errorf("transformer: %s says %s %d but %s has %d", cpath, c.name, c.json, path, c.got)
		}
	}
	m, err := LoadGPT(st.Tensors, cfg)
	if err != nil {
		return nil, fmt.Errorf("%w (%s)", err, path)
	}
	return m, nil
}
