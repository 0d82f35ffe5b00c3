package main

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/diffusion"
	"github.com/genblocks/genblocks/examples/serve/server"
	"github.com/genblocks/genblocks/gan"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// loadGAN loads a generator written by gan.SaveGenerator (examples/gan writes
// gan-generator.safetensors beside its checkpoint).
func loadGAN(ctx context.Context, spec server.Spec) (*server.Model, error) {
	s, err := open(spec, gan.LoadGenerator, gan.LoadGeneratorFS)
	if err != nil {
		return nil, err
	}
	c := s.Config()
	return &server.Model{
		Description: fmt.Sprintf("DCGAN generator, %d×%d×%d, z %d, width %d, %d classes, %d parameters (%s)",
			c.Channels, c.Size, c.Size, c.ZDim, c.Width, c.Classes, s.Store.NumParams(), spec.Path),
		Image: &oneShot{classes: c.Classes, lo: -1, hi: 1, sample: s.Sample},
		Width: c.Size, Height: c.Size, Classes: c.Classes,
	}, nil
}

// loadVAE loads a VAE written by vae.SaveModel (examples/vae writes
// vae-model.safetensors beside its checkpoint).
func loadVAE(ctx context.Context, spec server.Spec) (*server.Model, error) {
	s, err := open(spec, vae.LoadModel, vae.LoadModelFS)
	if err != nil {
		return nil, err
	}
	c, h, w := s.ImageShape()
	return &server.Model{
		Description: fmt.Sprintf("VAE decoder, %d×%d×%d, latent %d, %d classes, %d parameters (%s)",
			c, h, w, s.Model.Latent, s.Model.Classes, s.Store.NumParams(), spec.Path),
		Image: &oneShot{classes: s.Model.Classes, lo: 0, hi: 1, sample: s.Sample},
		Width: w, Height: h, Classes: s.Model.Classes,
	}, nil
}

// loadDiffusion loads a pipeline written by diffusion.SavePipeline (examples/diffusion
// writes model-pipeline.safetensors beside its checkpoint). The option sampler=ddpm,
// ddim or dpm overrides the checkpoint's default sampler.
func loadDiffusion(ctx context.Context, spec server.Spec) (*server.Model, error) {
	p, err := open(spec, diffusion.LoadPipeline, diffusion.LoadPipelineFS)
	if err != nil {
		return nil, err
	}
	if name := spec.Options.Get("sampler"); name != "" {
		if _, err := diffusion.ParseSampler(name, 1); err != nil {
			return nil, err
		}
		p.Config.Sampler = name
	}
	c, h, w := p.ImageShape()
	cfg := p.Config
	classes := cfg.UNet.NumClasses
	return &server.Model{
		Description: fmt.Sprintf("diffusion U-Net, %d×%d×%d, base %d, %s schedule (T=%d), predicts %s, %s sampler, %d classes, %d parameters (%s)",
			c, h, w, cfg.UNet.Base, cfg.Schedule, cfg.Timesteps, cfg.Pred, cfg.Sampler, classes, p.Store.NumParams(), spec.Path),
		Image: &diffusionImages{p: p},
		Width: w, Height: h, Classes: classes, DefaultSteps: cfg.Steps, Guidance: classes > 0,
	}, nil
}

// labels returns the class of each of the n images: the requested one, or for a
// conditional model asked for none, the classes in turn.
func labels(p server.ImageParams, classes int) []int {
	if classes == 0 {
		return nil
	}
	out := make([]int, p.N)
	for i := range out {
		out[i] = i % classes
		if p.HasClass {
			out[i] = p.Class
		}
	}
	return out
}

// oneShot serves a sampler that makes images in one network pass (a GAN generator, a
// VAE decoder); it checks ctx between batches.
type oneShot struct {
	classes int
	lo, hi  float32 // value range mapped to black and white
	sample  func(ctx context.Context, n int, labels []int, rng *rand.Rand) (*tensor.Tensor, error)
}

func (o *oneShot) Sample(ctx context.Context, p server.ImageParams) ([]image.Image, error) {
	x, err := o.sample(ctx, p.N, labels(p, o.classes), rand.New(rand.NewPCG(p.Seed, 0x696d67)))
	if err != nil {
		return nil, err
	}
	return toImages(x, o.lo, o.hi), nil
}

// diffusionImages serves a diffusion pipeline; it checks ctx at every step.
type diffusionImages struct{ p *diffusion.Pipeline }

func (d *diffusionImages) Sample(ctx context.Context, p server.ImageParams) ([]image.Image, error) {
	if t := d.p.Config.Timesteps; p.Steps > t {
		return nil, server.BadField("steps", "must be at most the model's %d timesteps, got %d", t, p.Steps)
	}
	cfg := diffusion.GenerateConfig{Labels: labels(p, d.p.Config.UNet.NumClasses), Steps: p.Steps, Guidance: p.Guidance}
	x, err := d.p.Generate(ctx, p.N, cfg, rand.New(rand.NewPCG(p.Seed, 0x646966)))
	if err != nil {
		return nil, err
	}
	return toImages(x, -1, 1), nil
}

// toImages turns (N,C,H,W) values into N images, mapping lo to black and hi to white:
// grayscale for one channel, RGB for three, the first channel otherwise.
func toImages(x *tensor.Tensor, lo, hi float32) []image.Image {
	n, c, h, w := x.Size(0), x.Size(1), x.Size(2), x.Size(3)
	d := x.Data()
	if c != 3 {
		gray := make([]float32, 0, n*h*w)
		for i := range n {
			gray = append(gray, d[i*c*h*w:i*c*h*w+h*w]...)
		}
		return server.GrayImages(gray, n, h, w, lo, hi)
	}
	level := func(v float32) uint8 {
		t := (v - lo) / (hi - lo)
		if t != t { // NaN
			t = 0
		}
		return uint8(math.Round(float64(min(max(t, 0), 1)) * 255))
	}
	out := make([]image.Image, n)
	for i := range n {
		img := image.NewRGBA(image.Rect(0, 0, w, h))
		base := i * 3 * h * w
		for j := range h * w {
			img.Set(j%w, j/w, color.RGBA{level(d[base+j]), level(d[base+h*w+j]), level(d[base+2*h*w+j]), 255})
		}
		out[i] = img
	}
	return out
}
