package main

import (
	"context"
	"math/rand/v2"
	"path/filepath"
	"strings"
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
