// Command gpt trains a character-level GPT on Tiny Shakespeare and samples from it.
//
//	go run ./examples/gpt                        # train for 10 minutes, then sample
//	go run ./examples/gpt -resume -minutes 20    # continue the same run up to 20 minutes
//	go run ./examples/gpt -sample -prompt "ROMEO:" -temperature 0.8 -top-k 40
//
// The text (1.1 MB, public domain, from Karpathy's char-rnn) is embedded in the binary;
// the first 90% trains and the last 10% validates. Training prints step, train and
// validation loss, tokens/s and ETA, writes -out/ckpt.safetensors (weights, optimizer
// state, tokenizer and history) every few minutes and at the end, draws the loss
// curve to -out/loss.png and prints a sample.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/transformer"
)

//go:embed tinyshakespeare.txt
var corpus string

type options struct {
	minutes                float64
	steps                  int
	batch, block           int
	layers, heads, dim     int
	dropout                float64
	lr                     float64
	seed                   uint64
	out                    string
	resume, sampleOnly     bool
	prompt                 string
	n                      int
	temperature, topP      float64
	topK                   int
	evalEvery, evalBatches int
	checkpointEvery        time.Duration
}

func main() {
	var o options
	flag.Float64Var(&o.minutes, "minutes", 10, "training budget in minutes, counted over resumed runs too")
	flag.IntVar(&o.steps, "steps", 0, "stop after this many steps (0: only the time budget)")
	flag.IntVar(&o.batch, "batch", 32, "sequences per batch")
	flag.IntVar(&o.block, "block", 64, "context length in characters")
	flag.IntVar(&o.layers, "layers", 4, "transformer blocks")
	flag.IntVar(&o.heads, "heads", 4, "attention heads")
	flag.IntVar(&o.dim, "dim", 128, "model width")
	flag.Float64Var(&o.dropout, "dropout", 0, "dropout probability")
	flag.Float64Var(&o.lr, "lr", 3e-3, "peak AdamW learning rate (warmup, then cosine decay to a tenth)")
	flag.Uint64Var(&o.seed, "seed", 1, "random seed")
	flag.StringVar(&o.out, "out", "out/gpt", "output directory (checkpoint, loss curve, sample)")
	flag.BoolVar(&o.resume, "resume", false, "continue from -out/ckpt.safetensors")
	flag.BoolVar(&o.sampleOnly, "sample", false, "only sample from the checkpoint")
	flag.StringVar(&o.prompt, "prompt", "\n", "text to continue")
	flag.IntVar(&o.n, "n", 500, "characters to generate")
	flag.Float64Var(&o.temperature, "temperature", 0.8, "sampling temperature (0: greedy)")
	flag.IntVar(&o.topK, "top-k", 0, "sample from the k most likely characters (0: all)")
	flag.Float64Var(&o.topP, "top-p", 0, "nucleus sampling threshold (0: off)")
	flag.IntVar(&o.evalEvery, "eval-every", 100, "steps between validation estimates")
	flag.IntVar(&o.evalBatches, "eval-batches", 10, "batches per validation estimate")
	flag.DurationVar(&o.checkpointEvery, "checkpoint-every", 3*time.Minute, "time between checkpoints")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "gpt:", err)
		os.Exit(1)
	}
}

// history is the loss record kept in the checkpoint for the loss curve.
type history struct {
	Steps   []float64 `json:"steps"`
	Train   []float64 `json:"train"`
	ValStep []float64 `json:"val_steps"`
	Val     []float64 `json:"val"`
	Seconds float64   `json:"seconds"` // training time so far
	Step    int       `json:"step"`
}

// run trains (unless sampleOnly) and samples.
func run(o options) error {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	ckpt := filepath.Join(o.out, "ckpt.safetensors")
	tok := transformer.NewCharTokenizer(corpus)
	ids := tok.Encode(corpus)
	split := len(ids) * 9 / 10
	train, val := ids[:split], ids[split:]
	cfg := transformer.GPTConfig{VocabSize: tok.VocabSize(), BlockSize: o.block, Layers: o.layers, Heads: o.heads,
		Dim: o.dim, Dropout: float32(o.dropout), Bias: true, TiedHead: true}
	rng := rand.New(rand.NewPCG(o.seed, 0x677074))
	vs := nn.NewVarStore(rng)
	var h history
	var model *transformer.GPT
	var opt *optim.Adam
	if o.resume || o.sampleOnly {
		st, err := nn.LoadFile(ckpt)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				if o.sampleOnly {
					fmt.Printf("no checkpoint at %s: sampling the GPT embedded in examples/pretrained\n", ckpt)
					tm, err := pretrained.Text()
					if err != nil {
						return err
					}
					return sample(o, tm.GPT, tm.Tokenizer.(*transformer.CharTokenizer))
				}
				return fmt.Errorf("no checkpoint at %s: train first", ckpt)
			}
			return err
		}
		if err := json.Unmarshal([]byte(st.Metadata["config"]), &cfg); err != nil {
			return fmt.Errorf("%s: config: %w", ckpt, err)
		}
		if err := json.Unmarshal([]byte(st.Metadata["history"]), &h); err != nil {
			return fmt.Errorf("%s: history: %w", ckpt, err)
		}
		model = transformer.NewGPT(vs, cfg)
		opt = optim.NewAdamW(vs.Params(), optim.AdamConfig{LR: o.lr})
		if err := loadCheckpoint(st, vs, opt); err != nil {
			return fmt.Errorf("%s: %w", ckpt, err)
		}
		fmt.Printf("resumed %s at step %d (%.1f min trained)\n", ckpt, h.Step, h.Seconds/60)
	} else {
		model = transformer.NewGPT(vs, cfg)
		opt = optim.NewAdamW(vs.Params(), optim.AdamConfig{LR: o.lr})
	}
	if !o.sampleOnly {
		if err := trainLoop(o, model, tok, opt, &h, train, val, rng, ckpt); err != nil {
			return err
		}
	}
	return sample(o, model, tok)
}

// lrAt is linear warmup over 100 steps, then cosine decay to a tenth over the time
// budget.
func lrAt(o options, step int, frac float64) float64 {
	if step < 100 {
		return o.lr * float64(step+1) / 100
	}
	frac = min(max(frac, 0), 1)
	return o.lr * (0.1 + 0.9*0.5*(1+math.Cos(math.Pi*frac)))
}

func trainLoop(o options, m *transformer.GPT, tok *transformer.CharTokenizer, opt *optim.Adam, h *history, train, val []int, rng *rand.Rand, ckpt string) error {
	budget := o.minutes * 60
	fmt.Printf("GPT: %d layers, width %d, %d heads, context %d, %d parameters; %d training and %d validation characters\n",
		m.Config.Layers, m.Config.Dim, m.Config.Heads, m.Config.BlockSize, m.Store.NumParams(), len(train), len(val))
	evalRng := rand.New(rand.NewPCG(o.seed, 0xe7a1)) // the same validation batches every time
	evalVal := func() float64 {
		evalRng = rand.New(rand.NewPCG(o.seed, 0xe7a1))
		return m.EvalLoss(evalRng, val, o.batch, m.Config.BlockSize, o.evalBatches)
	}
	bar := progress.New(os.Stdout, 0, "tokens").PerStep(o.batch * m.Config.BlockSize).Resume(h.Step)
	start := time.Now()
	base := h.Seconds
	lastCkpt := time.Now()
	var smooth float64
	lastVal := math.NaN()
	for {
		elapsed := base + time.Since(start).Seconds()
		if elapsed >= budget || (o.steps > 0 && h.Step >= o.steps) {
			break
		}
		opt.SetLR(lrAt(o, h.Step, elapsed/budget))
		x, y := transformer.RandomWindows(rng, train, o.batch, m.Config.BlockSize)
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(m.Forward(autograd.Const(x)), y, nn.CrossEntropyConfig{})
		loss.Backward()
		optim.ClipGradNorm(m.Store.Params(), 1)
		opt.Step()
		h.Step++
		l := float64(loss.Item())
		loss.ReleaseGraph() // the next step reuses the memory
		if smooth == 0 {
			smooth = l
		}
		smooth = 0.95*smooth + 0.05*l
		h.Steps = append(h.Steps, float64(h.Step))
		h.Train = append(h.Train, l)
		if h.Step%o.evalEvery == 0 {
			lastVal = evalVal()
			h.ValStep = append(h.ValStep, float64(h.Step))
			h.Val = append(h.Val, lastVal)
			bar.Printf("step %d: train %.4f, val %.4f (%.1f min)", h.Step, smooth, lastVal, elapsed/60)
		}
		eta := time.Duration((budget - elapsed) * float64(time.Second)).Round(time.Second)
		bar.Update(h.Step, progress.Float("train", smooth), progress.Float("val", lastVal), progress.Str("left", eta.String()))
		if time.Since(lastCkpt) > o.checkpointEvery {
			h.Seconds = base + time.Since(start).Seconds()
			if err := saveCheckpoint(ckpt, m, tok, opt, h); err != nil {
				return err
			}
			lastCkpt = time.Now()
		}
	}
	bar.Done()
	h.Seconds = base + time.Since(start).Seconds()
	v := evalVal()
	if len(h.ValStep) == 0 || h.ValStep[len(h.ValStep)-1] != float64(h.Step) {
		h.ValStep = append(h.ValStep, float64(h.Step))
		h.Val = append(h.Val, v)
	}
	fmt.Printf("step %d: validation loss %.4f nats/char (perplexity %.2f) after %.1f min of training\n",
		h.Step, v, transformer.Perplexity(v), h.Seconds/60)
	if err := saveCheckpoint(ckpt, m, tok, opt, h); err != nil {
		return err
	}
	img := plot.Lines([]plot.Series{
		{Name: "train", X: h.Steps, Y: h.Train},
		{Name: "validation", X: h.ValStep, Y: h.Val},
	}, plot.LineConfig{Title: "char-level GPT on Tiny Shakespeare", XLabel: "step", YLabel: "loss (nats/char)", Smooth: 0.95})
	png := filepath.Join(o.out, "loss.png")
	if err := plot.SavePNG(png, img); err != nil {
		return err
	}
	fmt.Printf("wrote %s and %s\n", ckpt, png)
	return nil
}

func sample(o options, m *transformer.GPT, tok *transformer.CharTokenizer) error {
	prompt, err := tok.EncodeStrict(o.prompt)
	if err != nil {
		return fmt.Errorf("-prompt: %w", err)
	}
	if len(prompt) == 0 {
		return errors.New("-prompt is empty")
	}
	m.Store.SetTraining(false)
	cfg := transformer.GenerateConfig{MaxNewTokens: o.n, Temperature: float32(o.temperature), TopK: o.topK,
		TopP: float32(o.topP), Rand: rand.New(rand.NewPCG(o.seed, 0x5a4d))}
	fmt.Printf("--- sample (temperature %g, top-k %d, top-p %g) ---\n%s", o.temperature, o.topK, o.topP, o.prompt)
	var text strings.Builder
	text.WriteString(o.prompt)
	start := time.Now()
	n := 0
	for id, err := range m.Stream(context.Background(), prompt, cfg) {
		if err != nil {
			return err
		}
		s := tok.Decode([]int{id})
		fmt.Print(s)
		text.WriteString(s)
		n++
	}
	fmt.Printf("\n--- %d characters at %.0f tokens/s ---\n", n, float64(n)/time.Since(start).Seconds())
	return os.WriteFile(filepath.Join(o.out, "sample.txt"), []byte(text.String()), 0o644)
}

// saveCheckpoint writes the weights, the config and the tokenizer (which
// transformer.LoadTextModel reads), the optimizer state (under "optim.") and the
// history to one safetensors file, atomically.
func saveCheckpoint(path string, m *transformer.GPT, tok *transformer.CharTokenizer, opt *optim.Adam, h *history) error {
	state := map[string]*tensor.Tensor{}
	for k, v := range opt.StateDict() {
		state["optim."+k] = v
	}
	hist, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return transformer.SaveGPTCheckpoint(path, m, tok, state, map[string]string{
		"history": string(hist), "step": strconv.Itoa(h.Step)})
}

func loadCheckpoint(st *nn.Safetensors, vs *nn.VarStore, opt *optim.Adam) error {
	model := map[string]*tensor.Tensor{}
	state := map[string]*tensor.Tensor{}
	for k, v := range st.Tensors {
		if s, ok := strings.CutPrefix(k, "optim."); ok {
			state[s] = v
		} else {
			model[k] = v
		}
	}
	if err := vs.LoadStateDict(model, true); err != nil {
		return err
	}
	return opt.LoadStateDict(state)
}
