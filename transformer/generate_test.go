package transformer

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/genblocks/genblocks/nn"
	"github.com/stretchr/testify/require"
)

func TestGenerateCacheMatchesFullRecomputation(t *testing.T) {
	ctx := context.Background()
	for _, pos := range []Positions{LearnedPositions, RotaryPositions} {
		m := newTestGPT(t, pos)
		for _, cfg := range []GenerateConfig{
			{MaxNewTokens: 10},
			{MaxNewTokens: 10, Temperature: 0.9, TopK: 5, TopP: 0.9, RepetitionPenalty: 1.3},
		} {
			var got [2][]int
			for i, noCache := range []bool{false, true} {
				c := cfg
				c.NoCache = noCache
				c.Rand = rand.New(rand.NewPCG(1, 2))
				out, err := m.Generate(ctx, []int{3, 1, 4, 1, 5}, c)
				require.NoError(t, err)
				require.Len(t, out, 10)
				got[i] = out
			}
			require.Equal(t, got[1], got[0], "%v positions, cfg %+v", pos, cfg)
		}
	}
}

func TestGenerateBatchPadsLikeSingle(t *testing.T) {
	ctx := context.Background()
	for _, pos := range []Positions{LearnedPositions, RotaryPositions} {
		m := newTestGPT(t, pos)
		prompts := [][]int{{3, 1, 4, 1, 5, 9}, {2, 7}, {18}}
		batch, err := m.GenerateBatch(ctx, prompts, GenerateConfig{MaxNewTokens: 6})
		require.NoError(t, err)
		for i, p := range prompts {
			one, err := m.Generate(ctx, p, GenerateConfig{MaxNewTokens: 6})
			require.NoError(t, err)
			require.Equal(t, one, batch[i], "%v positions, prompt %d", pos, i)
		}
	}
}

func TestGeneratePastContextAndStopTokens(t *testing.T) {
	m := newTestGPT(t, LearnedPositions) // BlockSize 16
	ctx := context.Background()
	for _, noCache := range []bool{false, true} {
		out, err := m.Generate(ctx, []int{1, 2, 3}, GenerateConfig{MaxNewTokens: 40, NoCache: noCache})
		require.NoError(t, err)
		require.Len(t, out, 40)
	}
	out, err := m.Generate(ctx, []int{1, 2, 3}, GenerateConfig{})
	require.NoError(t, err)
	require.Len(t, out, 13, "default: fill the context window")
	stop := out[4]
	first := 0
	for out[first] != stop {
		first++
	}
	cut, err := m.Generate(ctx, []int{1, 2, 3}, GenerateConfig{StopTokens: []int{stop}})
	require.NoError(t, err)
	require.Equal(t, out[:first], cut)
}

func TestSampleToken(t *testing.T) {
	logits := []float32{1, 3, 2, -1}
	require.Equal(t, 1, SampleToken(logits, nil, GenerateConfig{}))
	rng := rand.New(rand.NewPCG(1, 1))
	require.Equal(t, 1, SampleToken(logits, nil, GenerateConfig{Temperature: 5, TopK: 1, Rand: rng}))
	require.Equal(t, 1, SampleToken(logits, nil, GenerateConfig{Temperature: 1, TopP: 0.01, Rand: rng}))
	require.Equal(t, 2, SampleToken(logits, []int{1, 1}, GenerateConfig{RepetitionPenalty: 2}), "3/2 < 2")
	require.Equal(t, float32(3), logits[1], "logits unchanged")
	// Frequencies follow the softmax at temperature 1 (top-k 3 drops token 3).
	counts := make([]float64, 4)
	const n = 20000
	for range n {
		counts[SampleToken(logits, nil, GenerateConfig{Temperature: 1, TopK: 3, Rand: rng})]++
	}
	z := math.Exp(1) + math.Exp(3) + math.Exp(2)
	for i, l := range logits[:3] {
		require.InDelta(t, math.Exp(float64(l))/z, counts[i]/n, 0.015, "token %d", i)
	}
	require.Zero(t, counts[3])
	require.Panics(t, func() { SampleToken(logits, nil, GenerateConfig{Temperature: 1}) })
}

func TestStreamHonoursCancellation(t *testing.T) {
	m := newTestGPT(t, LearnedPositions)
	ctx, cancel := context.WithCancel(context.Background())
	var toks []int
	var final error
	for tok, err := range m.Stream(ctx, []int{1, 2}, GenerateConfig{MaxNewTokens: 1000}) {
		if err != nil {
			final = err
			break
		}
		toks = append(toks, tok)
		if len(toks) == 3 {
			cancel()
		}
	}
	require.ErrorIs(t, final, context.Canceled)
	require.Len(t, toks, 3, "no token after the cancellation")

	// A deadline stops a long generation within a step or so.
	ctx, cancel = context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := m.Generate(ctx, []int{1}, GenerateConfig{MaxNewTokens: 1 << 20})
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	require.Less(t, time.Since(start), time.Second)

	// Breaking out of the loop stops generation too.
	n := 0
	for range m.Stream(context.Background(), []int{1}, GenerateConfig{MaxNewTokens: 100}) {
		n++
		if n == 2 {
			break
		}
	}
	require.Equal(t, 2, n)
}

func TestGenerateConcurrently(t *testing.T) {
	m := newTestGPT(t, LearnedPositions)
	want, err := m.Generate(context.Background(), []int{4, 5}, GenerateConfig{MaxNewTokens: 12, Temperature: 1, Rand: rand.New(rand.NewPCG(5, 5))})
	require.NoError(t, err)
	var wg sync.WaitGroup
	got := make([][]int, 8)
	errs := make([]error, 8)
	for i := range got {
		wg.Go(func() {
			got[i], errs[i] = m.Generate(context.Background(), []int{4, 5}, GenerateConfig{MaxNewTokens: 12, Temperature: 1, Rand: rand.New(rand.NewPCG(5, 5))})
		})
	}
	wg.Wait()
	for i := range got {
		require.NoError(t, errs[i])
		require.Equal(t, want, got[i])
	}
}

// BenchmarkGenerate measures tokens per second with and without the KV cache for a
// 4-layer, 128-wide GPT generating 256 tokens from a 1-token prompt.
func BenchmarkGenerate(b *testing.B) {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	m := NewGPT(vs, GPTConfig{VocabSize: 65, BlockSize: 256, Layers: 4, Heads: 4, Dim: 128})
	vs.SetTraining(false)
	for _, noCache := range []bool{false, true} {
		name := "cache"
		if noCache {
			name = "nocache"
		}
		b.Run(name, func(b *testing.B) {
			const n = 255
			for b.Loop() {
				if _, err := m.Generate(context.Background(), []int{0}, GenerateConfig{MaxNewTokens: n, NoCache: noCache}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "tokens/s")
		})
	}
}
