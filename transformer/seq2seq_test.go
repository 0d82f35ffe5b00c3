package transformer

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/stretchr/testify/require"
)

func TestSeq2SeqMatchesPyTorch(t *testing.T) {
	c := golden.Load(t, "testdata/seq2seq.json").Case(t, "seq2seq")
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	m := NewSeq2Seq(vs, Seq2SeqConfig{SrcVocab: c.Int(t, "src_vocab"), TgtVocab: c.Int(t, "tgt_vocab"), MaxLen: c.Int(t, "maxlen"),
		EncoderLayers: c.Int(t, "layers"), DecoderLayers: c.Int(t, "layers"), Heads: c.Int(t, "heads"), Dim: c.Int(t, "dim"), FFDim: c.Int(t, "ff")})
	loadParams(t, vs, c)
	lens := c.Ints(t, "src_lens")
	logits := m.Forward(autograd.Const(c.T(t, "src")), autograd.Const(c.T(t, "tgt_in")), lens)
	golden.Close(t, "logits", logits.Value(), c.T(t, "logits"), 1e-5, 1e-4)
	loss := SequenceLoss(logits, c.T(t, "tgt_out"), c.Int(t, "pad"), float32(c.Float(t, "smoothing")))
	golden.Close(t, "loss", loss.Value(), c.T(t, "loss"), 1e-5, 1e-5)
	loss.Backward()
	checkGrads(t, vs, c, 1e-5, 1e-3)
}

// newTestSeq2Seq returns a small Seq2Seq over 8 tokens: 0 pad, 1 start, 2 stop, 3… symbols.
func newTestSeq2Seq(post bool) *Seq2Seq {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(3, 4)))
	return NewSeq2Seq(vs, Seq2SeqConfig{SrcVocab: 8, TgtVocab: 8, MaxLen: 12, EncoderLayers: 1, DecoderLayers: 2,
		Heads: 2, Dim: 16, FFDim: 32, PostNorm: post, Positions: LearnedPositions})
}

func TestSeq2SeqGenerateCacheMatchesFull(t *testing.T) {
	for _, post := range []bool{false, true} {
		m := newTestSeq2Seq(post)
		m.Store.SetTraining(false)
		srcs := [][]int{{3, 4, 5, 6}, {7, 3}}
		ctx := context.Background()
		cached, err := m.GenerateBatch(ctx, srcs, 1, GenerateConfig{MaxNewTokens: 8})
		require.NoError(t, err)
		full, err := m.GenerateBatch(ctx, srcs, 1, GenerateConfig{MaxNewTokens: 8, NoCache: true})
		require.NoError(t, err)
		require.Equal(t, full, cached)
		one, err := m.Generate(ctx, srcs[1], 1, GenerateConfig{MaxNewTokens: 8})
		require.NoError(t, err)
		require.Equal(t, cached[1], one, "a padded row decodes as it does alone")
		// Beam search with one beam is greedy decoding.
		hyps, err := m.BeamSearch(ctx, srcs[0], BeamConfig{Start: 1, Stop: -1, Beams: 1, MaxLen: 8})
		require.NoError(t, err)
		require.Equal(t, cached[0], hyps[0].Tokens)
	}
}

func TestSeq2SeqLearnsToReverse(t *testing.T) {
	if testing.Short() {
		t.Skip("trains for a few seconds")
	}
	m := newTestSeq2Seq(false)
	opt := optim.NewAdam(m.Store.Params(), optim.AdamConfig{LR: 3e-3})
	rng := rand.New(rand.NewPCG(9, 9))
	batch := func(n int) (srcs, tgts [][]int) {
		for range n {
			l := 2 + rng.IntN(4)
			s := make([]int, l)
			for j := range s {
				s[j] = 3 + rng.IntN(5)
			}
			r := make([]int, l)
			for j := range s {
				r[j] = s[l-1-j]
			}
			srcs, tgts = append(srcs, s), append(tgts, r)
		}
		return srcs, tgts
	}
	for step := 0; step < 300; step++ {
		srcs, tgts := batch(32)
		src, lens := PadBatch(srcs, 0)
		in := make([][]int, len(tgts))
		out := make([][]int, len(tgts))
		for i, r := range tgts {
			in[i] = append([]int{1}, r...)
			out[i] = append(append([]int{}, r...), 2)
		}
		tin, _ := PadBatch(in, 0)
		tout, _ := PadBatch(out, 0)
		opt.ZeroGrad()
		loss := SequenceLoss(m.Forward(autograd.Const(src), autograd.Const(tin), lens), tout, 0, 0)
		loss.Backward()
		opt.Step()
	}
	m.Store.SetTraining(false)
	srcs, tgts := batch(20)
	got, err := m.GenerateBatch(context.Background(), srcs, 1, GenerateConfig{StopTokens: []int{2}, MaxNewTokens: 8})
	require.NoError(t, err)
	right := 0
	for i := range got {
		if slices.Equal(got[i], tgts[i]) {
			right++
		}
	}
	require.GreaterOrEqual(t, right, 16, "reversals right out of 20")
	hyps, err := m.BeamSearch(context.Background(), srcs[0], BeamConfig{Start: 1, Stop: 2, Beams: 3, MaxLen: 8})
	require.NoError(t, err)
	require.Equal(t, tgts[0], hyps[0].Tokens)
	require.Less(t, hyps[0].LogProb, 0.0)
	att := m.CrossAttention(srcs[0], append([]int{1}, tgts[0]...), -1)
	require.Equal(t, []int{len(tgts[0]) + 1, len(srcs[0])}, att.Shape())
}
