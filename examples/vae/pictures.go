package main

import (
	"fmt"
	"image"
	"math/rand/v2"
	"path/filepath"

	"github.com/genblocks/genblocks/examples/internal/mnist"
	"github.com/genblocks/genblocks/examples/internal/plot"
	"github.com/genblocks/genblocks/tensor"
	"github.com/genblocks/genblocks/vae"
)

// tiles lays 28×28 images out in a grid with cols columns, enlarged scale times.
func tiles(imgs [][]float32, cols, scale int) image.Image {
	return plot.Upscale(plot.Grid(imgs, 28, 28, cols, 2), scale)
}

// writePictures writes recon.png, samples.png, interp.png, kl.png and, for a 2-d
// latent, manifold.png to dir.
func writePictures(dir string, n *net, test *mnist.Set, rep *report, rng *rand.Rand) error {
	save := func(name string, img image.Image) error { return plot.SavePNG(filepath.Join(dir, name), img) }

	// Reconstructions: rows of 16 test images, each followed by a row of their
	// reconstructions from the posterior means.
	idx := make([]int, 32)
	for i := range idx {
		idx[i] = i
	}
	x, y := test.Batch(idx)
	rec := images(n.Reconstruct(n.input(x), n.labels(y)))
	orig := images(x)
	var rows [][]float32
	for r := 0; r < 32; r += 16 {
		rows = append(rows, orig[r:r+16]...)
		rows = append(rows, rec[r:r+16]...)
	}
	if err := save("recon.png", tiles(rows, 16, 2)); err != nil {
		return err
	}

	// Prior samples: 10×10. For a conditional model each row shares one latent (the
	// style) and column j is digit j.
	samples := priorSamples(n, 100, rng)
	if n.Spec.Cond {
		z := tensor.New(100, n.Latent)
		labels := tensor.New(100)
		for r := range 10 {
			row := tensor.Randn(rng, n.Latent).Data()
			for c := range 10 {
				copy(z.Data()[(r*10+c)*n.Latent:], row)
				labels.Data()[r*10+c] = float32(c)
			}
		}
		samples = images(n.DecodeMean(z, labels))
	}
	if err := save("samples.png", tiles(samples, 10, 2)); err != nil {
		return err
	}

	// Interpolations between pairs of test digits: linear in the first two rows,
	// spherical in the last two. A conditional model interpolates within a class.
	pairs := [][2]int{{0, 1}, {2, 3}, {0, 1}, {2, 3}}
	if n.Spec.Cond {
		pairs = sameClassPairs(test, []int{2, 3, 5, 8})
	}
	var strip [][]float32
	for i, p := range pairs {
		a, la := test.Batch([]int{p[0]})
		b, _ := test.Batch([]int{p[1]})
		interp := vae.Lerp
		if i >= 2 {
			interp = vae.Slerp
		}
		strip = append(strip, images(n.Interpolate(n.input(a), n.input(b), int(la.Item()), 10, interp))...)
	}
	if err := save("interp.png", tiles(strip, 10, 2)); err != nil {
		return err
	}

	// The KL of each latent dimension: near 0 means unused (posterior collapse).
	kl := make([]float32, len(rep.KLPerDim))
	labels := make([]string, len(kl))
	for j, v := range rep.KLPerDim {
		kl[j], labels[j] = float32(v), fmt.Sprint(j)
	}
	if err := save("kl.png", plot.Heatmap([][]float32{kl}, []string{"KL"}, labels, 30)); err != nil {
		return err
	}

	if n.Latent == 2 {
		m := n.Traverse2D(20, vae.TraverseConfig{})
		if err := save("manifold.png", tiles(images(m), 20, 1)); err != nil {
			return err
		}
	}
	return nil
}

// sameClassPairs returns, for each class, the indices of its first two test images.
func sameClassPairs(test *mnist.Set, classes []int) [][2]int {
	var out [][2]int
	for _, c := range classes {
		var p []int
		for i, l := range test.Labels {
			if int(l) == c {
				p = append(p, i)
				if len(p) == 2 {
					break
				}
			}
		}
		out = append(out, [2]int{p[0], p[1]})
	}
	return out
}

// curvePoints is a loss curve, averaged over blocks of steps to stay small.
type curvePoints struct {
	X, Y     []float64
	sum      float64
	n, first int
}

// curveBlock is the number of steps averaged into one point.
const curveBlock = 20

func (c *curvePoints) add(step int, v float64) {
	if c.n == 0 {
		c.first = step
	}
	c.sum += v
	c.n++
	if c.n == curveBlock {
		c.flush()
	}
}

func (c *curvePoints) flush() {
	if c.n == 0 {
		return
	}
	c.X = append(c.X, float64(c.first+c.n-1))
	c.Y = append(c.Y, c.sum/float64(c.n))
	c.sum, c.n = 0, 0
}

// writeCurve draws the training and test negative ELBO against the step.
func writeCurve(path string, train, test curvePoints) error {
	train.flush()
	test.flush()
	if len(train.Y) == 0 {
		return nil
	}
	img := plot.Lines([]plot.Series{
		{Name: "train -ELBO", X: train.X, Y: train.Y},
		{Name: "test -ELBO", X: test.X, Y: test.Y},
	}, plot.LineConfig{Title: "VAE on MNIST", XLabel: "step", YLabel: "nats per image", LogY: true})
	return plot.SavePNG(path, img)
}
