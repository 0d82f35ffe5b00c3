package main

import (
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

// The gpt workload: vocab 65, context 128, 4 layers, 4 heads, width 128, pre-LayerNorm
// blocks with a fused QKV projection, GELU(tanh) MLP, learned positions, final
// LayerNorm, head tied to the token embedding, no dropout; batch 16×128;
// cross-entropy; AdamW lr 3e-4, weight decay 0.1.
const (
	gptVocab, gptCtx, gptLayers, gptHeads, gptDim = 65, 128, 4, 4, 128
	generateTokens                                = 127
)

type gptBlock struct {
	ln1, ln2   *nn.LayerNorm
	qkv, proj  *nn.Linear
	fc, fcProj *nn.Linear
}

type benchGPT struct {
	vs       *nn.VarStore
	wte, wpe *nn.Embedding
	blocks   []gptBlock
	lnf      *nn.LayerNorm
}

func newBenchGPT(rng *rand.Rand) *benchGPT {
	vs := nn.NewVarStore(rng)
	vb := vs.Root()
	m := &benchGPT{vs: vs,
		wte: nn.NewEmbedding(vb.Push("wte"), gptVocab, gptDim, nn.Normal(0, 0.02)),
		wpe: nn.NewEmbedding(vb.Push("wpe"), gptCtx, gptDim, nn.Normal(0, 0.02)),
	}
	for i := 0; i < gptLayers; i++ {
		b := vb.Push("h").PushIndex(i)
		m.blocks = append(m.blocks, gptBlock{
			ln1:    nn.NewLayerNorm(b.Push("ln_1"), []int{gptDim}, nn.LayerNormConfig{}),
			qkv:    nn.NewLinear(b.Push("attn").Push("c_attn"), gptDim, 3*gptDim, nn.LinearConfig{}),
			proj:   nn.NewLinear(b.Push("attn").Push("c_proj"), gptDim, gptDim, nn.LinearConfig{}),
			ln2:    nn.NewLayerNorm(b.Push("ln_2"), []int{gptDim}, nn.LayerNormConfig{}),
			fc:     nn.NewLinear(b.Push("mlp").Push("c_fc"), gptDim, 4*gptDim, nn.LinearConfig{}),
			fcProj: nn.NewLinear(b.Push("mlp").Push("c_proj"), 4*gptDim, gptDim, nn.LinearConfig{}),
		})
	}
	m.lnf = nn.NewLayerNorm(vb.Push("ln_f"), []int{gptDim}, nn.LayerNormConfig{})
	return m
}

// forward maps ids (B,T) starting at position pos to logits (B,T,vocab); caches, if
// given, hold one KVCache per layer.
func (m *benchGPT) forward(ids *autograd.Var, pos int, caches []*nn.KVCache) *autograd.Var {
	t := ids.Size(1)
	p := tensor.Arange(float32(pos), float32(pos+t), 1)
	posIDs := autograd.Const(p)
	if ids.IsNoGrad() {
		posIDs = autograd.NoGrad(p)
	}
	x := autograd.Add(m.wte.Forward(ids), m.wpe.Forward(posIDs)) // (B,T,C)
	for i, b := range m.blocks {
		h := b.qkv.Forward(b.ln1.Forward(x)) // (B,T,3C)
		q := nn.SplitHeads(autograd.Narrow(h, 2, 0, gptDim), gptHeads)
		k := nn.SplitHeads(autograd.Narrow(h, 2, gptDim, gptDim), gptHeads)
		v := nn.SplitHeads(autograd.Narrow(h, 2, 2*gptDim, gptDim), gptHeads) // (B,nh,T,hs)
		var a *autograd.Var
		if caches != nil {
			a = nn.MergeHeads(caches[i].Attend(q, k, v, true)) // (B,T,C)
		} else {
			a = nn.MergeHeads(nn.ScaledDotProductAttention(q, k, v, nil, true)) // (B,T,C)
		}
		x = autograd.Add(x, b.proj.Forward(a))
		x = autograd.Add(x, b.fcProj.Forward(autograd.GELUTanh(b.fc.Forward(b.ln2.Forward(x)))))
	}
	return autograd.MatMulT(m.lnf.Forward(x), m.wte.Weight, false, true) // (B,T,C)·(V,C)ᵀ -> (B,T,V)
}

func buildGPT(rng *rand.Rand) func() {
	m := newBenchGPT(rng)
	var decay, plain []*autograd.Var
	for _, p := range m.vs.Params() {
		if p.Dim() >= 2 {
			decay = append(decay, p)
		} else {
			plain = append(plain, p)
		}
	}
	opt := optim.NewAdamWGroups([]*optim.Group{{Params: decay, WeightDecay: 0.1}, {Params: plain}},
		optim.AdamConfig{LR: 3e-4})
	ids := labels(rng, 16*gptCtx, gptVocab).Reshape(16, gptCtx)
	tgt := labels(rng, 16*gptCtx, gptVocab)
	return func() {
		opt.ZeroGrad()
		logits := m.forward(autograd.Const(ids), 0, nil)
		loss := nn.CrossEntropyLoss(autograd.Reshape(logits, -1, gptVocab), tgt, nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
		loss.ReleaseGraph() // the next step reuses the memory
	}
}

// buildGenerate samples 127 tokens one at a time from the gpt model with a KV cache.
func buildGenerate(rng *rand.Rand) func() {
	m := newBenchGPT(rng)
	m.vs.SetTraining(false)
	return func() {
		caches := make([]*nn.KVCache, gptLayers)
		for i := range caches {
			caches[i] = &nn.KVCache{}
		}
		tok := 0
		for pos := 0; pos < generateTokens; pos++ {
			ids := autograd.NoGrad(tensor.FromSlice([]float32{float32(tok)}, 1, 1))
			logits := m.forward(ids, pos, caches).Value().Data() // (1,1,V)
			tok = sample(rng, logits)
		}
	}
}

// sample draws from softmax(logits).
func sample(rng *rand.Rand, logits []float32) int {
	mx := logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var sum float64
	p := make([]float64, len(logits))
	for i, v := range logits {
		p[i] = math.Exp(float64(v - mx))
		sum += p[i]
	}
	u := rng.Float64() * sum
	for i, v := range p {
		u -= v
		if u <= 0 {
			return i
		}
	}
	return len(p) - 1
}
