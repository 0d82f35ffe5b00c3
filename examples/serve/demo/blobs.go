package demo

import (
	"context"
	"image"
	"math"
	"math/rand/v2"

	"github.com/genblocks/genblocks/examples/serve/server"
)

// Blobs is a procedural image sampler, a demo with nothing learned: each image is a
// few Gaussian blobs (class+1 of them when a class is given, else 1 to 4), reached from
// uniform noise by Steps "denoising" steps that each move the image a fraction of the
// way to the blobs. It is safe for concurrent use and checks ctx at every step.
type Blobs struct {
	Size int // image side; default 28
}

// Sample implements server.ImageModel.
func (b Blobs) Sample(ctx context.Context, p server.ImageParams) ([]image.Image, error) {
	size := b.Size
	if size <= 0 {
		size = 28
	}
	rng := rand.New(rand.NewPCG(p.Seed, 0xb10b))
	steps := max(p.Steps, 1)
	out := make([]image.Image, p.N)
	for i := range out {
		target := make([]float32, size*size)
		blobs := 1 + rng.IntN(4)
		if p.HasClass {
			blobs = p.Class + 1
		}
		for range blobs {
			cx, cy := rng.Float64()*float64(size), rng.Float64()*float64(size)
			sigma := float64(size) * (0.06 + 0.08*rng.Float64())
			for y := range size {
				for x := range size {
					d2 := (float64(x)-cx)*(float64(x)-cx) + (float64(y)-cy)*(float64(y)-cy)
					target[y*size+x] += float32(math.Exp(-d2 / (2 * sigma * sigma)))
				}
			}
		}
		x := make([]float32, size*size)
		for j := range x {
			x[j] = rng.Float32()
		}
		for s := range steps {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			frac := float32(1) / float32(steps-s) // the last step lands on the target
			for j := range x {
				x[j] += frac * (target[j] - x[j])
			}
		}
		out[i] = server.GrayImages(x, 1, size, size, 0, 1)[0]
	}
	return out, nil
}

// LoadBlobs is the server.Loader of kind "demo-image"; it takes no path.
func LoadBlobs(ctx context.Context, spec server.Spec) (*server.Model, error) {
	return &server.Model{
		Image: Blobs{}, Demo: true, Width: 28, Height: 28, Classes: 10, DefaultSteps: 20,
		Description: "DEMO: procedural Gaussian blobs (class c draws c+1 blobs), nothing learned; exercises the image endpoint.",
	}, nil
}
