package transformer

import (
	"cmp"
	"context"
	"iter"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

// GenerateConfig configures sampling. The zero value is greedy decoding until the
// context window is full, with a KV cache.
type GenerateConfig struct {
	// MaxNewTokens caps the tokens generated per sequence; 0: until the context holds
	// BlockSize tokens (at least one new token).
	MaxNewTokens int
	// Temperature divides the logits before sampling; 0 means greedy (argmax), where
	// TopK, TopP and Rand do not matter.
	Temperature float32
	// TopK keeps only the K most likely tokens; 0: all.
	TopK int
	// TopP keeps the smallest set of most likely tokens whose probability reaches P
	// (nucleus sampling, Holtzman et al. 2019); 0 or ≥ 1: all.
	TopP float32
	// RepetitionPenalty discourages tokens already in the sequence (prompt included),
	// as in CTRL (Keskar et al. 2019): their positive logits are divided by it and
	// negative ones multiplied. 0 or 1: off.
	RepetitionPenalty float32
	// StopTokens end a sequence when generated; the stop token itself is not returned.
	StopTokens []int
	// Rand is the random source for sampling; required when Temperature > 0. A seeded
	// source makes generation reproducible. It must not be shared between concurrent
	// requests.
	Rand *rand.Rand
	// NoCache recomputes the whole context for every token, O(T²) per token instead of
	// O(T), as a reference for the cached path.
	NoCache bool
}

// SampleToken picks the next token from logits (V) under cfg: repetition penalty over
// history, then greedy or temperature, top-k and top-p sampling with cfg.Rand. It does
// not modify logits. It panics if sampling is asked for without a Rand.
func SampleToken(logits []float32, history []int, cfg GenerateConfig) int {
	l := slices.Clone(logits)
	if p := cfg.RepetitionPenalty; p != 0 && p != 1 {
		for _, id := range history {
			if id < 0 || id >= len(l) {
				continue
			}
			if l[id] > 0 {
				l[id] /= p
			} else {
				l[id] *= p
			}
		}
	}
	if cfg.Temperature <= 0 {
		best := 0
		for i, v := range l {
			if v > l[best] {
				best = i
			}
		}
		return best
	}
	if cfg.Rand == nil {
		tensor.Panicf("SampleToken", "temperature %g needs GenerateConfig.Rand", cfg.Temperature)
	}
	// Tokens by decreasing logit (ties by id, so results are reproducible).
	idx := make([]int, len(l))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(l[b], l[a]) })
	n := len(idx)
	if cfg.TopK > 0 && cfg.TopK < n {
		n = cfg.TopK
	}
	probs := make([]float64, n)
	top := float64(l[idx[0]]) / float64(cfg.Temperature)
	var sum float64
	for i := 0; i < n; i++ {
		probs[i] = math.Exp(float64(l[idx[i]])/float64(cfg.Temperature) - top)
		sum += probs[i]
	}
	if cfg.TopP > 0 && cfg.TopP < 1 {
		var c float64
		for i := 0; i < n; i++ {
			c += probs[i] / sum
			if c >= float64(cfg.TopP) {
				n = i + 1
				break
			}
		}
		sum = 0
		for _, p := range probs[:n] {
			sum += p
		}
	}
	u := cfg.Rand.Float64() * sum
	for i := 0; i < n; i++ {
		u -= probs[i]
		if u < 0 {
			return idx[i]
		}
	}
	return idx[n-1]
}

// leftPad lays rows out right-aligned in a (B,L) batch and returns the ids, the
// positions (B,L) counted from each row's first token, and the (B,1,1,L) mask of the
// padding.
func leftPad(rows [][]int) (ids, pos, mask *tensor.Tensor, pads []int) {
	l := 0
	for _, r := range rows {
		l = max(l, len(r))
	}
	b := len(rows)
	ids, pos, mask = tensor.New(b, l), tensor.New(b, l), tensor.New(b, 1, 1, l)
	id, pd, md := ids.Data(), pos.Data(), mask.Data()
	pads = make([]int, b)
	for i, r := range rows {
		pads[i] = l - len(r)
		for j := 0; j < l; j++ {
			if j < pads[i] {
				md[i*l+j] = 1
				continue
			}
			id[i*l+j] = float32(r[j-pads[i]])
			pd[i*l+j] = float32(j - pads[i])
		}
	}
	return ids, pos, mask, pads
}

// lastLogits returns the logits (B,V) of the last position of hidden states (B,T,C).
func (m *GPT) lastLogits(h *autograd.Var) *tensor.Tensor {
	t := h.Size(1)
	return m.Logits(autograd.Narrow(h, 1, t-1, 1)).Value().Reshape(h.Size(0), -1)
}

// GenerateBatch continues every prompt and returns the new tokens of each (stop tokens
// left out). Prompts of different lengths are left-padded and masked, so each row
// gives what it would alone under greedy decoding. Sampling draws from cfg.Rand row by
// row. It returns ctx's error, with the tokens so far, if ctx is cancelled. Run it with
// the store in evaluation mode when the model has dropout; many goroutines may call it
// on one model at once. It panics on an empty prompt or an id out of range.
func (m *GPT) GenerateBatch(ctx context.Context, prompts [][]int, cfg GenerateConfig) ([][]int, error) {
	out := make([][]int, len(prompts))
	err := m.generate(ctx, prompts, cfg, func(row, tok int) bool {
		out[row] = append(out[row], tok)
		return true
	})
	return out, err
}

// Generate continues prompt and returns the new tokens; see GenerateBatch.
func (m *GPT) Generate(ctx context.Context, prompt []int, cfg GenerateConfig) ([]int, error) {
	out, err := m.GenerateBatch(ctx, [][]int{prompt}, cfg)
	return out[0], err
}

// Stream continues prompt and yields each new token with a nil error as soon as it is
// sampled; if ctx is cancelled it yields (-1, ctx.Err()) and stops. Breaking out of the
// loop stops generation. See GenerateBatch for cfg.
//
//	for tok, err := range model.Stream(ctx, prompt, cfg) {
//		if err != nil { … }
//		fmt.Print(tokenizer.Decode([]int{tok}))
//	}
func (m *GPT) Stream(ctx context.Context, prompt []int, cfg GenerateConfig) iter.Seq2[int, error] {
	return func(yield func(int, error) bool) {
		if err := m.generate(ctx, [][]int{prompt}, cfg, func(_, tok int) bool { return yield(tok, nil) }); err != nil {
			yield(-1, err)
		}
	}
}

// generate is the decoding loop behind Generate, GenerateBatch and Stream. emit is
// called for each new token of each row; returning false stops everything.
func (m *GPT) generate(ctx context.Context, prompts [][]int, cfg GenerateConfig, emit func(row, tok int) bool) error {
	bs := m.Config.BlockSize
	seqs := make([][]int, len(prompts))
	for i, p := range prompts {
		if len(p) == 0 {
			tensor.Panicf("Generate", "prompt %d is empty", i)
		}
		seqs[i] = slices.Clone(p)
	}
	maxNew := cfg.MaxNewTokens
	if maxNew <= 0 {
		longest := 0
		for _, p := range prompts {
			longest = max(longest, len(p))
		}
		maxNew = max(bs-longest, 1)
	}
	done := make([]bool, len(prompts))
	var caches []*nn.KVCache
	var pads []int
	var logits *tensor.Tensor
	// prefill runs the model over the last tokens of every row (at most keep of them)
	// and starts fresh caches.
	prefill := func(keep int) {
		rows := make([][]int, len(seqs))
		for i, s := range seqs {
			rows[i] = s[max(0, len(s)-keep):]
		}
		ids, pos, mask, p := leftPad(rows)
		pads = p
		if !cfg.NoCache {
			caches = m.NewCaches()
		}
		logits = m.lastLogits(m.Hidden(autograd.NoGrad(ids), pos, mask, caches))
	}
	for step := 0; step < maxNew; step++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		switch {
		case step == 0 || cfg.NoCache:
			prefill(bs)
		case caches[0].Len() >= bs:
			prefill(bs / 2) // the context is full: rebuild the cache from the last half
		default:
			b := len(seqs)
			ids, pos := tensor.New(b, 1), tensor.New(b, 1)
			tk := caches[0].Len() + 1
			mask := tensor.New(b, 1, 1, tk)
			for i, s := range seqs {
				ids.Data()[i] = float32(s[len(s)-1])
				pos.Data()[i] = float32(tk - 1 - pads[i])
				for j := 0; j < pads[i]; j++ {
					mask.Data()[i*tk+j] = 1
				}
			}
			logits = m.lastLogits(m.Hidden(autograd.NoGrad(ids), pos, mask, caches))
		}
		v := logits.Size(1)
		alive := false
		for i := range seqs {
			if done[i] {
				seqs[i] = append(seqs[i], seqs[i][len(seqs[i])-1]) // keep rows aligned
				continue
			}
			tok := SampleToken(logits.Data()[i*v:(i+1)*v], seqs[i], cfg)
			seqs[i] = append(seqs[i], tok)
			if slices.Contains(cfg.StopTokens, tok) {
				done[i] = true
				continue
			}
			if !emit(i, tok) {
				return nil
			}
			alive = true
		}
		if !alive {
			return nil
		}
	}
	return nil
}
