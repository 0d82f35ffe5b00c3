package transformer_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/transformer"
)

// SaveGPTCheckpoint stores a GPT with its configuration and tokenizer in one
// safetensors file; LoadTextModel rebuilds both, and the loaded model generates the
// same text.
func ExampleLoadTextModel() {
	dir, err := os.MkdirTemp("", "genblocks-example")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "gpt.safetensors")

	tok := transformer.NewCharTokenizer("abcdefgh ")
	m := transformer.NewGPT(nn.NewVarStore(rand.New(rand.NewPCG(1, 2))),
		transformer.GPTConfig{VocabSize: tok.VocabSize(), BlockSize: 16, Layers: 1, Heads: 2, Dim: 16})
	if err := transformer.SaveGPTCheckpoint(path, m, tok, nil, map[string]string{"step": "0"}); err != nil {
		panic(err)
	}

	tm, err := transformer.LoadTextModel(path)
	if err != nil {
		panic(err)
	}
	cfg := transformer.GenerateConfig{MaxNewTokens: 8} // greedy
	m.Store.SetTraining(false)
	tm.GPT.Store.SetTraining(false)
	prompt := tok.Encode("abc")
	a, _ := m.Generate(context.Background(), prompt, cfg)
	b, _ := tm.GPT.Generate(context.Background(), tm.Tokenizer.Encode("abc"), cfg)
	fmt.Println("config:", tm.GPT.Config.Layers, "layer,", tm.GPT.Config.Dim, "wide; step", tm.Meta["step"])
	fmt.Println("same text:", tok.Decode(a) == tm.Tokenizer.Decode(b))
	// Output:
	// config: 1 layer, 16 wide; step 0
	// same text: true
}
