// Command gpt2 generates text with a HuggingFace GPT-2 checkpoint, streaming tokens as
// they are sampled.
//
//	go run ./examples/gpt2 -dir ~/models/gpt2 -prompt "The meaning of life is" -n 60
//
// -dir must hold model.safetensors and the tokenizer files vocab.json and merges.txt
// (or OpenAI's encoder.json and vocab.bpe); config.json is read when present. Every
// size of GPT-2 works (124M to 1.5B); see the README for where to get the files.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/signal"
	"path/filepath"
	"time"

	"github.com/genblocks/genblocks/transformer"
)

type options struct {
	dir, prompt       string
	n, topK           int
	temperature, topP float64
	penalty           float64
	seed              uint64
}

func main() {
	var o options
	flag.StringVar(&o.dir, "dir", "", "directory with model.safetensors, vocab.json and merges.txt (required)")
	flag.StringVar(&o.prompt, "prompt", "Hello, I'm a language model,", "text to continue")
	flag.IntVar(&o.n, "n", 50, "tokens to generate")
	flag.Float64Var(&o.temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	flag.IntVar(&o.topK, "top-k", 40, "sample from the k most likely tokens (0: all)")
	flag.Float64Var(&o.topP, "top-p", 0, "nucleus sampling threshold (0: off)")
	flag.Float64Var(&o.penalty, "repetition-penalty", 1, "penalty for tokens already present (1: off)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, o, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gpt2:", err)
		os.Exit(1)
	}
}

// checkFiles returns an error naming every required file missing from dir.
func checkFiles(dir string) error {
	if dir == "" {
		return errors.New("-dir is required: a directory with model.safetensors, vocab.json and merges.txt")
	}
	var missing []string
	for _, alts := range [][]string{{"model.safetensors"}, {"vocab.json", "encoder.json"}, {"merges.txt", "vocab.bpe"}} {
		found := false
		for _, name := range alts {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				found = true
				break
			} else if !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		}
		if !found {
			missing = append(missing, alts[0])
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%s is missing %v (a HuggingFace GPT-2 checkpoint has model.safetensors, vocab.json and merges.txt)", dir, missing)
	}
	return nil
}

// run loads the checkpoint and tokenizer from o.dir and streams a continuation of
// o.prompt to w.
func run(ctx context.Context, o options, w io.Writer) error {
	if err := checkFiles(o.dir); err != nil {
		return err
	}
	tok, err := transformer.LoadGPT2Dir(o.dir)
	if err != nil {
		return err
	}
	t0 := time.Now()
	m, err := transformer.LoadGPT2Model(o.dir)
	if err != nil {
		return err
	}
	if tok.VocabSize() > m.Config.VocabSize {
		return fmt.Errorf("tokenizer in %s has %d tokens but model.safetensors embeds only %d: the files belong to different models",
			o.dir, tok.VocabSize(), m.Config.VocabSize)
	}
	fmt.Fprintf(os.Stderr, "loaded GPT-2: %d layers, width %d, %d heads, %d parameters in %.1fs\n",
		m.Config.Layers, m.Config.Dim, m.Config.Heads, m.Store.NumParams(), time.Since(t0).Seconds())
	prompt := tok.Encode(o.prompt)
	if len(prompt) == 0 {
		return errors.New("-prompt is empty")
	}
	if len(prompt) >= m.Config.BlockSize {
		return fmt.Errorf("prompt of %d tokens does not fit the model's context of %d", len(prompt), m.Config.BlockSize)
	}
	cfg := transformer.GenerateConfig{MaxNewTokens: o.n, Temperature: float32(o.temperature), TopK: o.topK,
		TopP: float32(o.topP), RepetitionPenalty: float32(o.penalty), Rand: rand.New(rand.NewPCG(o.seed, 0x677032))}
	if eot, ok := tok.SpecialTokens()[transformer.EndOfText]; ok {
		cfg.StopTokens = []int{eot}
	}
	fmt.Fprint(w, o.prompt)
	start := time.Now()
	n := 0
	for id, err := range m.Stream(ctx, prompt, cfg) {
		if err != nil {
			fmt.Fprintln(w)
			return err
		}
		if id >= tok.VocabSize() {
			continue // an embedding row without a token (padded vocabularies)
		}
		if _, err := w.Write(tok.TokenBytes(id)); err != nil {
			return err
		}
		n++
	}
	fmt.Fprintln(w)
	fmt.Fprintf(os.Stderr, "%d tokens at %.1f tokens/s\n", n, float64(n)/time.Since(start).Seconds())
	return nil
}
