package transformer

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

func TestTextModelCheckpointRoundTrip(t *testing.T) {
	tok := NewCharTokenizer("hello world, to be or not to be")
	cfg := GPTConfig{VocabSize: tok.VocabSize(), BlockSize: 16, Layers: 1, Heads: 2, Dim: 8, Bias: true, TiedHead: true}
	m := NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(1, 1))), cfg)
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	extra := map[string]*tensor.Tensor{"optim.state.x": tensor.Ones(2)}
	require.NoError(t, SaveGPTCheckpoint(path, m, tok, extra, map[string]string{"step": "7"}))

	tm, err := LoadTextModel(path)
	require.NoError(t, err)
	require.Equal(t, "7", tm.Meta["step"])
	require.Equal(t, tok.VocabSize(), tm.Tokenizer.VocabSize())
	prompt := tok.Encode("to be")
	want, err := m.Generate(context.Background(), prompt, GenerateConfig{MaxNewTokens: 6})
	require.NoError(t, err)
	got, err := tm.GPT.Generate(context.Background(), tm.Tokenizer.Encode("to be"), GenerateConfig{MaxNewTokens: 6})
	require.NoError(t, err)
	require.Equal(t, want, got)
}

func TestLoadTextModelErrorsNameTheFile(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadTextModel(filepath.Join(dir, "missing.safetensors"))
	require.ErrorContains(t, err, "missing.safetensors")

	p := filepath.Join(dir, "other.safetensors")
	require.NoError(t, nn.SaveFile(p, map[string]*tensor.Tensor{"w": tensor.Ones(1)}, map[string]string{"format": "x"}))
	_, err = LoadTextModel(p)
	require.ErrorContains(t, err, "other.safetensors")
	require.ErrorContains(t, err, `metadata format "x"`)

	require.NoError(t, os.WriteFile(filepath.Join(dir, "junk.safetensors"), []byte("not a checkpoint"), 0o644))
	_, err = LoadTextModel(filepath.Join(dir, "junk.safetensors"))
	require.ErrorContains(t, err, "junk.safetensors")
}
