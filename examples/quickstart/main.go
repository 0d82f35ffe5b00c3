// Command quickstart is the README's code sample: it defines a small GPT, trains it to
// learn one line of text by heart, and samples the line back, token by token.
//
//	go run ./examples/quickstart
package main

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/transformer"
)

func main() {
	text := "To be, or not to be, that is the question."
	tok := transformer.NewCharTokenizer(text)
	x, _ := transformer.PadBatch([][]int{tok.Encode(text)}, 0) // (1,T) token ids

	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2))) // owns the parameters
	gpt := transformer.NewGPT(vs, transformer.GPTConfig{VocabSize: tok.VocabSize(),
		BlockSize: 64, Layers: 2, Heads: 2, Dim: 32, TiedHead: true})
	opt := optim.NewAdamW(vs.Params(), optim.AdamConfig{LR: 3e-3})
	for step := range 200 {
		loss := transformer.NextTokenLoss(gpt.Forward(autograd.Const(x)), x, nn.CrossEntropyConfig{})
		opt.ZeroGrad()
		loss.Backward() // gradients of every parameter
		opt.Step()
		if step%50 == 0 {
			fmt.Printf("step %3d: loss %.4f\n", step, loss.Item())
		}
	}
	vs.SetTraining(false) // inference from here on
	out, _ := gpt.Generate(context.Background(), tok.Encode("To"), transformer.GenerateConfig{MaxNewTokens: len(text) - 2})
	fmt.Printf("sample: To%s\n", tok.Decode(out))
}
