package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/transformer"
	"github.com/stretchr/testify/require"
)

func TestTextLoaderServesAGPTCheckpoint(t *testing.T) {
	tok := transformer.NewCharTokenizer("abcdefgh ")
	cfg := transformer.GPTConfig{VocabSize: tok.VocabSize(), BlockSize: 16, Layers: 1, Heads: 2, Dim: 8, Bias: true, TiedHead: true}
	m := transformer.NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(3, 3))), cfg)
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	require.NoError(t, transformer.SaveGPTCheckpoint(path, m, tok, nil, nil))

	model, err := loadText(context.Background(), server.Spec{Name: "g", Kind: "text", Path: path})
	require.NoError(t, err)
	var out strings.Builder
	u, err := model.Text.Generate(context.Background(), "abc", server.TextParams{MaxTokens: 20, Temperature: 1, Seed: 4},
		func(s string) error { out.WriteString(s); return nil })
	require.NoError(t, err)
	require.Equal(t, 20, u.CompletionTokens)
	require.Equal(t, 3, u.PromptTokens)
	require.Equal(t, 20, len([]rune(out.String())))

	// Cancellation stops the loop.
	ctx, cancel := context.WithCancel(context.Background())
	n := 0
	_, err = model.Text.Generate(ctx, "abc", server.TextParams{MaxTokens: 1000, Temperature: 1}, func(string) error {
		n++
		if n == 3 {
			cancel()
		}
		return nil
	})
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, n, 10)
}

// TestTextLoaderConcurrent serves one loaded GPT to 8 goroutines at once (run with
// -race): each completion equals the sequential one for the same seed.
func TestTextLoaderConcurrent(t *testing.T) {
	tok := transformer.NewCharTokenizer("abcdefgh ")
	cfg := transformer.GPTConfig{VocabSize: tok.VocabSize(), BlockSize: 16, Layers: 1, Heads: 2, Dim: 8}
	m := transformer.NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(5, 5))), cfg)
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	require.NoError(t, transformer.SaveGPTCheckpoint(path, m, tok, nil, nil))
	model, err := loadText(context.Background(), server.Spec{Name: "g", Kind: "text", Path: path})
	require.NoError(t, err)
	gen := func(seed uint64) (string, error) {
		var out strings.Builder
		_, err := model.Text.Generate(context.Background(), "abc", server.TextParams{MaxTokens: 24, Temperature: 1, Seed: seed},
			func(s string) error { out.WriteString(s); return nil })
		return out.String(), err
	}
	const workers = 8
	want := make([]string, workers)
	for i := range want {
		want[i], err = gen(uint64(i))
		require.NoError(t, err)
	}
	got, errs := make([]string, workers), make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { got[i], errs[i] = gen(uint64(i)) })
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		require.Equal(t, want[i], got[i], "goroutine %d", i)
	}
}
