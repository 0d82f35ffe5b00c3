package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"

	"github.com/genblocks/genblocks/autograd"
	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/tensor"
)

// recorder is a Denoiser that remembers the first image of every input it sees: the
// reverse chain x_T … x_0.
type recorder struct {
	net    diffusion.Denoiser
	frames [][]float32
	ts     []int
}

func (r *recorder) Forward(x *autograd.Var, t, class *tensor.Tensor) *autograd.Var {
	first := tensor.Narrow(tensor.Narrow(x.Value(), 0, 0, 1), 1, 0, 1)
	r.frames = append(r.frames, toUnit(first)[0])
	r.ts = append(r.ts, int(t.Data()[0]))
	return r.net.Forward(x, t, class)
}

// figures writes the pictures: samples, the forward and reverse chains, the denoising
// and super-resolution panels (with PSNR).
func figures(ctx context.Context, o options, l *loaded, test *mnist.Set) error {
	rng := rand.New(rand.NewPCG(o.seed, 0xf16))
	s, err := diffusion.ParseSampler(o.sampler, o.steps)
	if err != nil {
		return err
	}
	// Samples.
	x, err := draw(ctx, l, s, 100, o.guidance, rng, nil)
	if err != nil {
		return err
	}
	if err := plot.SavePNG(filepath.Join(o.out, "samples.png"), plot.Upscale(plot.Grid(toUnit(x), 28, 28, 10, 2), 2)); err != nil {
		return err
	}
	// Forward process of one test digit.
	idx := []int{0, 1, 2, 3, 4, 5, 6, 7}
	clean, labels := test.Batch(idx)
	x0 := clean.Reshape(-1, 1, 28, 28).MulScalar(2).AddScalar(-1) // (8,1,28,28)
	one := tensor.Narrow(x0, 0, 0, 1)
	var frames [][]float32
	var names []string
	noise := tensor.Randn(rng, 1, 1, 28, 28)
	for _, t := range []int{-1, 50, 100, 200, 300, 400, 500, 600, 700, 800, 999} { // -1: clean
		xt := one
		if t >= 0 {
			xt = l.model.Sched.QSample(one, noise, []int{t})
		}
		frames = append(frames, toUnit(xt)[0])
		names = append(names, fmt.Sprintf("t=%d", t))
		if t < 0 {
			names[len(names)-1] = "x0"
		}
	}
	if err := plot.SavePNG(filepath.Join(o.out, "forward.png"), plot.Upscale(plot.Strip(frames, 28, 28, names), 2)); err != nil {
		return err
	}
	// Reverse chain of one sample.
	rec := &recorder{net: l.model.Net}
	rm := *l.model
	rm.Net = rec
	cfg := drawConfig(l, 1, o.guidance)
	out, err := s.Sample(ctx, &rm, tensor.Randn(rng, 1, 1, 28, 28), rng, cfg)
	if err != nil {
		return err
	}
	frames, names = nil, nil
	n := len(rec.frames)
	for k := 0; k < 10; k++ {
		i := k * (n - 1) / 9
		frames = append(frames, rec.frames[i])
		names = append(names, fmt.Sprintf("t=%d", rec.ts[i]))
	}
	frames = append(frames, toUnit(out)[0])
	names = append(names, "x0")
	if err := plot.SavePNG(filepath.Join(o.out, "reverse.png"), plot.Upscale(plot.Strip(frames, 28, 28, names), 2)); err != nil {
		return err
	}
	// Denoising: σ = 0.5 in [-1,1] units.
	const sigma = 0.5
	noisy := tensor.Add(x0, tensor.Randn(rng, x0.Shape()...).MulScalar(sigma))
	dcfg := drawConfig(l, 8, o.guidance)
	if l.spec.Cond {
		dcfg.Class = labels
	}
	den, err := diffusion.Denoise(ctx, l.model, diffusion.DDIM{Steps: 20}, noisy, sigma, rng, dcfg)
	if err != nil {
		return err
	}
	truth := toUnit(x0)
	fmt.Printf("denoising σ=%.1f: PSNR noisy %.2f dB, denoised %.2f dB\n", sigma, psnr(toUnit(noisy), truth), psnr(toUnit(den), truth))
	panel := append(append(toUnit(noisy), toUnit(den)...), truth...)
	if err := plot.SavePNG(filepath.Join(o.out, "denoise.png"), plot.Upscale(plot.Grid(panel, 28, 28, 8, 2), 2)); err != nil {
		return err
	}
	// Super-resolution from 14×14.
	low := downsample2(x0)                           // (8,1,14,14)
	bic := tensor.Clamp(bicubic(low, 28, 28), -1, 1) // (8,1,28,28)
	scfg := drawConfig(l, 8, o.guidance)
	if l.spec.Cond {
		scfg.Class = labels
	}
	sr, err := diffusion.SuperResolve(ctx, l.model, s, bicubic(low, 28, 28), 1, rng, scfg)
	if err != nil {
		return err
	}
	fmt.Printf("super-resolution 14→28: PSNR bicubic %.2f dB, diffusion %.2f dB\n", psnr(toUnit(bic), truth), psnr(toUnit(sr), truth))
	nearest := toUnit(tensor.UpsampleNearest2d(low, 2, 2))
	panel = append(append(append(nearest, toUnit(bic)...), toUnit(sr)...), truth...)
	return plot.SavePNG(filepath.Join(o.out, "superres.png"), plot.Upscale(plot.Grid(panel, 28, 28, 8, 2), 2))
}
