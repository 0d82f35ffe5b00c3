package transformer

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/internal/golden"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
	"github.com/stretchr/testify/require"
)

// tinyGPT2Dir returns a directory laid out like a HuggingFace checkpoint holding the
// small random GPT-2 of testdata (model.safetensors and config.json).
func tinyGPT2Dir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for src, dst := range map[string]string{"gpt2_tiny.safetensors": "model.safetensors", "gpt2_tiny_config.json": "config.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", src))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, dst), b, 0o644))
	}
	return dir
}

func TestGPT2MatchesPyTorch(t *testing.T) {
	c := golden.Load(t, "testdata/gpt2.json").Case(t, "gpt2")
	m, err := LoadGPT2Model(tinyGPT2Dir(t))
	require.NoError(t, err)
	require.Equal(t, GPTConfig{VocabSize: 50257, BlockSize: 64, Layers: 2, Heads: 2, Dim: 16, Bias: true, TiedHead: true,
		Positions: LearnedPositions, Eps: 1e-5, InitStd: 0.02}, m.Config)
	ids := c.T(t, "ids")
	logits := m.Forward(autograd.NoGrad(ids)).Value() // (2,8,50257)
	golden.Close(t, "logits[:, :, :256]", tensor.Narrow(logits, 2, 0, 256), c.T(t, "logits_head"), 1e-4, 0)
	golden.Close(t, "logsumexp", tensor.LogSumExp(logits, false, -1), c.T(t, "lse"), 1e-4, 0)
	last := tensor.Narrow(tensor.Narrow(logits, 1, 7, 1), 2, 0, 2048).Reshape(2, 2048)
	golden.Close(t, "logits[:, -1, :2048]", last, c.T(t, "logits_last"), 1e-4, 0)

	prompt := make([]int, 8)
	for i := range prompt {
		prompt[i] = int(ids.At(0, i))
	}
	want := c.Ints(t, "greedy")
	for _, noCache := range []bool{false, true} {
		got, err := m.Generate(context.Background(), prompt, GenerateConfig{MaxNewTokens: len(want), NoCache: noCache})
		require.NoError(t, err)
		require.Equal(t, want, got, "greedy, NoCache=%v", noCache)
	}
}

func TestLoadGPTNamesAndErrors(t *testing.T) {
	st, err := nn.LoadFile("testdata/gpt2_tiny.safetensors")
	require.NoError(t, err)
	// Without the "transformer." prefix and without the attention buffers, as GPT2Model saves.
	bare := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if !strings.HasSuffix(k, ".attn.bias") {
			bare[strings.TrimPrefix(k, "transformer.")] = v
		}
	}
	cfg, err := InferGPTConfig(bare, 0)
	require.NoError(t, err)
	require.Equal(t, 1, cfg.Heads, "heads default to Dim/64 (0 for Dim 16), at least 1")
	cfg.Heads = 2
	m, err := LoadGPT(bare, cfg)
	require.NoError(t, err)
	// Saving and loading through our own names gives the same model.
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	require.NoError(t, m.Store.Save(path, nil))
	m2 := NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(1, 1))), cfg)
	require.NoError(t, m2.Store.Load(path))

	delete(bare, "h.1.mlp.c_fc.bias")
	_, err = LoadGPT(bare, cfg)
	require.ErrorContains(t, err, "missing keys: h.1.mlp.c_fc.bias")

	_, err = InferGPTConfig(map[string]*tensor.Tensor{"foo": tensor.New(2)}, 0)
	require.ErrorContains(t, err, "not a GPT-2 checkpoint")

	_, err = LoadGPT2Model(t.TempDir())
	require.ErrorContains(t, err, "model.safetensors")

	dir := tinyGPT2Dir(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"n_embd": 32, "n_head": 2}`), 0o644))
	_, err = LoadGPT2Model(dir)
	require.ErrorContains(t, err, "config.json says n_embd 32 but")
}

func newTestGPT(t *testing.T, pos Positions) *GPT {
	t.Helper()
	vs := nn.NewVarStore(rand.New(rand.NewPCG(7, 8)))
	m := NewGPT(vs, GPTConfig{VocabSize: 19, BlockSize: 16, Layers: 2, Heads: 2, Dim: 16, Bias: true, Positions: pos, InitStd: 0.3})
	vs.SetTraining(false)
	return m
}

func TestGPTNamesLikeHuggingFace(t *testing.T) {
	m := newTestGPT(t, LearnedPositions)
	names := m.Store.Names()
	for _, n := range []string{"wte.weight", "wpe.weight", "h.0.ln_1.weight", "h.0.ln_1.bias", "h.0.attn.c_attn.weight",
		"h.0.attn.c_attn.bias", "h.0.attn.c_proj.weight", "h.0.ln_2.weight", "h.0.mlp.c_fc.weight", "h.1.mlp.c_proj.bias",
		"ln_f.weight", "lm_head.weight"} {
		require.Contains(t, names, n)
	}
	require.Equal(t, []int{16, 48}, m.Store.Param("h.0.attn.c_attn.weight").Shape(), "Conv1D weights are (in,out)")
	r := newTestGPT(t, RotaryPositions)
	require.Nil(t, r.Store.Param("wpe.weight"))
}

func TestGPTTrainsAndGradientsFlow(t *testing.T) {
	for _, pos := range []Positions{LearnedPositions, RotaryPositions} {
		m := newTestGPT(t, pos)
		m.Store.SetTraining(true)
		rng := rand.New(rand.NewPCG(1, 2))
		stream := make([]int, 200)
		for i := range stream {
			stream[i] = i % 7 // a pattern to learn
		}
		x, y := RandomWindows(rng, stream, 4, 16)
		loss := nn.CrossEntropyLoss(m.Forward(autograd.Const(x)), y, nn.CrossEntropyConfig{})
		loss.Backward()
		for _, nv := range m.Store.NamedParams() {
			require.NotNil(t, nv.Var.Grad(), nv.Name)
		}
		// No graph in inference.
		out := m.Forward(autograd.NoGrad(x))
		require.True(t, out.IsLeaf())
	}
}
