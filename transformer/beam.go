package transformer

import (
	"cmp"
	"context"
	"math"
	"slices"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/tensor"
)

// BeamConfig configures Seq2Seq.BeamSearch. Start and Stop are required; other zero
// values have the defaults noted.
type BeamConfig struct {
	Start, Stop int // the decoder's start token and the token that ends a hypothesis
	Beams       int // hypotheses kept per step; 0: 4
	MaxLen      int // most tokens generated; 0: MaxLen-1 of the model
	// LengthPenalty α ranks finished hypotheses by logp/len^α; 0 ranks by log
	// probability alone, which favours short outputs.
	LengthPenalty float64
}

// Hypothesis is a finished beam: its tokens (without start and stop) and the sum of
// their log probabilities, stop token included.
type Hypothesis struct {
	Tokens  []int
	LogProb float64
}

// BeamSearch translates src keeping the cfg.Beams most likely partial translations at
// each step, with the beams batched through the decoder and its KV caches reordered
// as beams are chosen. It returns the finished hypotheses, best first under the length
// penalty (a hypothesis still open at MaxLen counts as finished). It returns ctx's error
// if ctx is cancelled.
func (m *Seq2Seq) BeamSearch(ctx context.Context, src []int, cfg BeamConfig) ([]Hypothesis, error) {
	k := cfg.Beams
	if k <= 0 {
		k = 4
	}
	maxLen := cfg.MaxLen
	if maxLen <= 0 {
		maxLen = m.Config.MaxLen - 1
	}
	s := tensor.New(1, len(src))
	for j, v := range src {
		s.Data()[j] = float32(v)
	}
	memory := m.Encode(autograd.NoGrad(s), nil).Value() // (1,S,C)
	caches := m.newCaches()
	type beam struct {
		toks  []int
		score float64
	}
	alive := []beam{{score: 0}}
	var done []Hypothesis
	rank := func(h Hypothesis) float64 {
		if cfg.LengthPenalty == 0 {
			return h.LogProb
		}
		return h.LogProb / math.Pow(float64(len(h.Tokens)+1), cfg.LengthPenalty)
	}
	var rows []int // which previous beam each alive beam continues
	for step := 0; step < maxLen && len(alive) > 0 && len(done) < k; step++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		n := len(alive)
		if step > 0 {
			idx := tensor.New(n)
			for i, r := range rows {
				idx.Data()[i] = float32(r)
			}
			for _, c := range caches {
				k, v := c.Self.KV()
				c.Self.Reset()
				c.Self.K, c.Self.V = tensor.IndexSelect(k, 0, idx), tensor.IndexSelect(v, 0, idx)
				c.CrossK = autograd.NoGrad(tensor.IndexSelect(c.CrossK.Value(), 0, idx))
				c.CrossV = autograd.NoGrad(tensor.IndexSelect(c.CrossV.Value(), 0, idx))
			}
		}
		ids := tensor.New(n, 1)
		for i, b := range alive {
			ids.Data()[i] = float32(cfg.Start)
			if len(b.toks) > 0 {
				ids.Data()[i] = float32(b.toks[len(b.toks)-1])
			}
		}
		mem := memory
		if n > 1 {
			mem = tensor.Concat(0, slices.Repeat([]*tensor.Tensor{memory}, n)...) // (n,S,C)
		}
		if step > 0 {
			mem = nil // the cross-attention keys and values are cached
		}
		var memVar *autograd.Var
		if mem != nil {
			memVar = autograd.NoGrad(mem)
		}
		h := m.decode(autograd.NoGrad(ids), memVar, nil, nil, caches)
		logp := tensor.LogSoftmax(m.logits(h).Value().Reshape(n, -1), -1) // (n,V)
		v := logp.Size(1)
		type cand struct {
			row, tok int
			score    float64
		}
		cands := make([]cand, 0, n*v)
		for i, b := range alive {
			for t := 0; t < v; t++ {
				cands = append(cands, cand{i, t, b.score + float64(logp.Data()[i*v+t])})
			}
		}
		slices.SortStableFunc(cands, func(a, b cand) int { return cmp.Compare(b.score, a.score) })
		var next []beam
		rows = rows[:0]
		for r, c := range cands {
			if len(next) == k || r >= 2*k {
				break
			}
			toks := append(slices.Clone(alive[c.row].toks), c.tok)
			if c.tok == cfg.Stop {
				if r < k {
					done = append(done, Hypothesis{Tokens: toks[:len(toks)-1], LogProb: c.score})
				}
				continue
			}
			next = append(next, beam{toks, c.score})
			rows = append(rows, c.row)
		}
		alive = next
	}
	for _, b := range alive {
		if len(done) >= k {
			break
		}
		done = append(done, Hypothesis{Tokens: b.toks, LogProb: b.score})
	}
	slices.SortStableFunc(done, func(a, b Hypothesis) int { return cmp.Compare(rank(b), rank(a)) })
	return done, nil
}
