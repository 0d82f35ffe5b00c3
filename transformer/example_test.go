package transformer_test

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/transformer"
)

// A tiny GPT learns a repeating sequence, then continues it greedily.
func ExampleGPT() {
	rng := rand.New(rand.NewPCG(1, 2))
	vs := nn.NewVarStore(rng)
	m := transformer.NewGPT(vs, transformer.GPTConfig{VocabSize: 5, BlockSize: 8, Layers: 1, Heads: 2, Dim: 16})
	stream := make([]int, 100)
	for i := range stream {
		stream[i] = i % 5 // 0 1 2 3 4 0 1 2 …
	}
	opt := optim.NewAdamW(vs.Params(), optim.AdamConfig{LR: 1e-2})
	for step := 0; step < 60; step++ {
		x, y := transformer.RandomWindows(rng, stream, 8, 8)
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(m.Forward(autograd.Const(x)), y, nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
	}
	vs.SetTraining(false)
	out, _ := m.Generate(context.Background(), []int{2, 3}, transformer.GenerateConfig{MaxNewTokens: 6})
	fmt.Println(out)
	// Output: [4 0 1 2 3 4]
}

// Stream yields tokens as they are generated.
func ExampleGPT_Stream() {
	vs := nn.NewVarStore(rand.New(rand.NewPCG(1, 2)))
	m := transformer.NewGPT(vs, transformer.GPTConfig{VocabSize: 10, BlockSize: 16, Layers: 1, Heads: 1, Dim: 8})
	vs.SetTraining(false)
	cfg := transformer.GenerateConfig{MaxNewTokens: 5, Temperature: 1, TopK: 3, Rand: rand.New(rand.NewPCG(3, 4))}
	for tok, err := range m.Stream(context.Background(), []int{1, 2, 3}, cfg) {
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Print(tok, " ")
	}
	fmt.Println()
	// Output: 2 3 2 7 7
}
