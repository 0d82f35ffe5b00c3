package main

import (
	"context"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/nn"
)

// loadDates loads the date translator of examples/seq2seq (its ckpt.safetensors, or
// pretrained:seq2seq-dates).
func loadDates(ctx context.Context, spec server.Spec) (*server.Model, error) {
	load := func(fsys fs.FS, name string) (*pretrained.Translator, error) {
		return nn.LoadCheckpoint(fsys, name, "dates", pretrained.TranslatorFrom)
	}
	t, err := open(spec, func(path string) (*pretrained.Translator, error) { return load(nil, path) }, load)
	if err != nil {
		return nil, err
	}
	return &server.Model{
		Description: fmt.Sprintf("Seq2Seq Transformer: a date as people write it -> ISO 8601, %d parameters (%s)",
			t.Model.Store.NumParams(), spec.Path),
		Text: &datesText{t: t},
	}, nil
}

// datesText serves a pretrained.Translator, which is not safe for concurrent use, one
// request at a time; it writes the whole answer as one piece.
type datesText struct {
	mu sync.Mutex
	t  *pretrained.Translator
}

func (d *datesText) Generate(ctx context.Context, prompt string, p server.TextParams, emit func(string) error) (server.Usage, error) {
	d.mu.Lock()
	iso, err := d.t.Translate(ctx, strings.TrimSpace(prompt))
	d.mu.Unlock()
	if err != nil {
		return server.Usage{}, &server.FieldError{Field: "prompt", Message: err.Error()}
	}
	u := server.Usage{PromptTokens: utf8.RuneCountInString(prompt), CompletionTokens: len(iso), FinishReason: "eos"}
	if len(iso) > p.MaxTokens {
		iso = iso[:p.MaxTokens]
		u.CompletionTokens, u.FinishReason = p.MaxTokens, "length"
	}
	return u, emit(iso)
}
