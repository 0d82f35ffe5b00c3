package main

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"unicode/utf8"

	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/transformer"
)

// loadText loads a GPT checkpoint written by examples/gpt, or a HuggingFace GPT-2
// directory, with transformer.LoadTextModel.
func loadText(ctx context.Context, spec server.Spec) (*server.Model, error) {
	tm, err := open(spec, transformer.LoadTextModel, transformer.LoadTextModelFS)
	if err != nil {
		return nil, err
	}
	c := tm.GPT.Config
	return &server.Model{
		Name: spec.Name, Kind: spec.Kind,
		Description: fmt.Sprintf("GPT, %d layers, width %d, context %d, vocabulary %d (%s)",
			c.Layers, c.Dim, c.BlockSize, c.VocabSize, spec.Path),
		Text: &gptText{m: tm},
	}, nil
}

// gptText serves a transformer.TextModel. Generation keeps its KV caches per request,
// so one loaded model serves concurrent requests.
type gptText struct{ m *transformer.TextModel }

func (g *gptText) Generate(ctx context.Context, prompt string, p server.TextParams, emit func(string) error) (server.Usage, error) {
	tok := g.m.Tokenizer
	ids := tok.Encode(prompt)
	var stop []int
	if id, ok := tok.SpecialTokens()["<|endoftext|>"]; ok {
		stop = append(stop, id)
		if len(ids) == 0 {
			ids = []int{id}
		}
	}
	if len(ids) == 0 {
		return server.Usage{}, server.BadField("prompt", "no token of the prompt is in the model's vocabulary")
	}
	if max := g.m.GPT.Config.BlockSize; len(ids) > max {
		ids = ids[len(ids)-max:] // keep the end of a long prompt
	}
	cfg := transformer.GenerateConfig{
		MaxNewTokens: p.MaxTokens, Temperature: float32(p.Temperature), TopK: p.TopK,
		TopP: float32(p.TopP), StopTokens: stop, Rand: rand.New(rand.NewPCG(p.Seed, 0x677074)),
	}
	u := server.Usage{PromptTokens: len(ids), FinishReason: "length"}
	var pending []int // byte-level tokens that do not yet make whole characters
	for id, err := range g.m.GPT.Stream(ctx, ids, cfg) {
		if err != nil {
			return u, err
		}
		u.CompletionTokens++
		pending = append(pending, id)
		if s := tok.Decode(pending); utf8.ValidString(s) {
			pending = pending[:0]
			if err := emit(s); err != nil {
				return u, err
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return u, err
	}
	if u.CompletionTokens < p.MaxTokens {
		u.FinishReason = "eos"
	}
	if len(pending) > 0 {
		if err := emit(tok.Decode(pending)); err != nil && !errors.Is(err, context.Canceled) {
			return u, err
		}
	}
	return u, nil
}
