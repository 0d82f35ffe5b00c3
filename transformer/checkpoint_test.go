package transformer

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

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

// TestTextModelFromFSConcurrent loads a checkpoint from an fs.FS and from bytes, and
// generates from one loaded model in 8 goroutines (run with -race): every result
// equals the sequential one for the same seed.
func TestTextModelFromFSConcurrent(t *testing.T) {
	tok := NewCharTokenizer("abcdefgh ")
	cfg := GPTConfig{VocabSize: tok.VocabSize(), BlockSize: 16, Layers: 1, Heads: 2, Dim: 8}
	m := NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(2, 2))), cfg)
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	require.NoError(t, SaveGPTCheckpoint(path, m, tok, nil, nil))
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	tm, err := LoadTextModelFS(fstest.MapFS{"gpt.safetensors": {Data: b}}, "gpt.safetensors")
	require.NoError(t, err)
	st, err := nn.ParseSafetensors(b)
	require.NoError(t, err)
	tm2, err := TextModelFrom(st)
	require.NoError(t, err)

	gen := func(m *TextModel, seed uint64) ([]int, error) {
		return m.GPT.Generate(context.Background(), m.Tokenizer.Encode("abc"),
			GenerateConfig{MaxNewTokens: 20, Temperature: 1, Rand: rand.New(rand.NewPCG(seed, 0))})
	}
	const workers = 8
	want := make([][]int, workers)
	for i := range want {
		want[i], err = gen(tm, uint64(i))
		require.NoError(t, err)
	}
	got, errs := make([][]int, workers), make([]error, workers)
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() { got[i], errs[i] = gen(tm, uint64(i)) })
	}
	wg.Wait()
	for i := range workers {
		require.NoError(t, errs[i])
		require.Equal(t, want[i], got[i], "goroutine %d", i)
	}
	other, err := gen(tm2, 3)
	require.NoError(t, err)
	require.Equal(t, want[3], other)
}

func TestTextModelRefusesOversizedConfig(t *testing.T) {
	tok := NewCharTokenizer("ab")
	m := NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(2, 2))), GPTConfig{VocabSize: 2, BlockSize: 4, Layers: 1, Heads: 1, Dim: 4})
	path := filepath.Join(t.TempDir(), "gpt.safetensors")
	require.NoError(t, SaveGPTCheckpoint(path, m, tok, nil, nil))
	st, err := nn.LoadFile(path)
	require.NoError(t, err)
	st.Metadata["config"] = `{"VocabSize":2,"Layers":1000,"Dim":65536}`
	_, err = TextModelFrom(st)
	require.ErrorContains(t, err, "needs at least")
	st.Metadata["config"] = `{"VocabSize":2,"BlockSize":4,"Layers":1,"Heads":1,"Dim":6}`
	_, err = TextModelFrom(st)
	var sde *nn.StateDictError
	require.ErrorAs(t, err, &sde, "a checkpoint of another width lists the mismatched keys")
	require.NotEmpty(t, sde.Mismatched)
}

// FuzzTextModelMeta feeds hostile metadata to the checkpoint's config and tokenizer
// parser: it returns a bounded config or an error, and never panics.
func FuzzTextModelMeta(f *testing.F) {
	f.Add(gptFormat, `{"VocabSize":65,"BlockSize":256,"Layers":6,"Heads":6,"Dim":384,"Bias":true,"TiedHead":true}`, `{"type":"char","vocab":["a","b","c"]}`)
	f.Add(gptFormat, `{"VocabSize":-1,"Positions":7}`, `{}`)
	f.Add(gptFormat, `{"VocabSize":4194304,"Layers":1024,"Dim":65536}`, `{"type":"char","vocab":["a","a"]}`)
	f.Add("genblocks-gan", `{}`, ``)
	f.Fuzz(func(t *testing.T, format, config, tokenizer string) {
		cfg, tok, err := parseTextMeta(map[string]string{"format": format, "config": config, "tokenizer": tokenizer})
		if err != nil {
			return
		}
		if n := cfg.minParams(); !(n > 0 && n < 1e20) || tok == nil {
			t.Fatalf("config %q: bound %g, tokenizer %v", config, n, tok)
		}
	})
}
