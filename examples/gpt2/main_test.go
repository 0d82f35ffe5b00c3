package main

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/transformer"
	"github.com/stretchr/testify/require"
)

// checkpointDir lays out the small random GPT-2 of transformer/testdata with the real
// GPT-2 vocabulary as a HuggingFace checkpoint directory.
func checkpointDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	td := filepath.Join("..", "..", "transformer", "testdata")
	for src, dst := range map[string]string{
		"gpt2_tiny.safetensors": "model.safetensors",
		"gpt2_tiny_config.json": "config.json",
		"gpt2/encoder.json":     "vocab.json",
		"gpt2/vocab.bpe":        "merges.txt",
	} {
		b, err := os.ReadFile(filepath.Join(td, src))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	return dir
}

func TestGenerates(t *testing.T) {
	dir := checkpointDir(t)
	var out bytes.Buffer
	o := options{dir: dir, prompt: "Hello, I'm a language model,", n: 12, temperature: 0.8, topK: 40, penalty: 1, seed: 1}
	require.NoError(t, run(context.Background(), o, &out))
	require.True(t, strings.HasPrefix(out.String(), o.prompt))
	require.Greater(t, out.Len(), len(o.prompt)+5)
	// The same seed gives the same text; greedy works too.
	var again bytes.Buffer
	require.NoError(t, run(context.Background(), o, &again))
	require.Equal(t, out.String(), again.String())
	o.temperature = 0
	require.NoError(t, run(context.Background(), o, &again))
}

func TestCancelled(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	var out bytes.Buffer
	err := run(ctx, options{dir: checkpointDir(t), prompt: "a", n: 1 << 20, temperature: 1, seed: 1}, &out)
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestErrorsNameTheFiles(t *testing.T) {
	o := options{prompt: "a", n: 1}
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), "-dir is required")

	o.dir = checkpointDir(t)
	require.NoError(t, os.Remove(filepath.Join(o.dir, "merges.txt")))
	require.NoError(t, os.Remove(filepath.Join(o.dir, "model.safetensors")))
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), "missing [model.safetensors merges.txt]")

	// A model whose embedding is smaller than the tokenizer's vocabulary.
	o.dir = checkpointDir(t)
	require.NoError(t, os.Remove(filepath.Join(o.dir, "config.json")))
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	transformer.NewGPT(vs, transformer.GPTConfig{VocabSize: 100, BlockSize: 8, Layers: 1, Heads: 1, Dim: 8, Bias: true, TiedHead: true})
	require.NoError(t, vs.Save(filepath.Join(o.dir, "model.safetensors"), nil))
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), "has 50257 tokens but model.safetensors embeds only 100")

	// A file that is not a GPT-2 checkpoint.
	require.NoError(t, os.WriteFile(filepath.Join(o.dir, "model.safetensors"), []byte("not safetensors"), 0o644))
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), "model.safetensors")
	// A broken vocabulary.
	o.dir = checkpointDir(t)
	require.NoError(t, os.WriteFile(filepath.Join(o.dir, "vocab.json"), []byte("{"), 0o644))
	require.ErrorContains(t, run(context.Background(), o, &bytes.Buffer{}), o.dir)
}
