package main

import (
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"slices"

	"github.com/genblocks/genblocks/examples/internal/mnisteval"
	"github.com/genblocks/genblocks/examples/internal/plot"
)

// report scores images with the shared MNIST evaluator and prints one table row:
// seconds per image (NaN when not timed), the evaluator's report, and for conditional
// samples the share classified as the requested digit.
func report(name string, images [][]float32, perImage float64, want []int) error {
	ev, err := mnisteval.Load()
	if err != nil {
		return err
	}
	rep := ev.Evaluate(images)
	fmt.Printf("%-10s %8.3f s/image | %s\n", name, perImage, rep)
	if want != nil {
		labels, _ := ev.Classify(images)
		hit := 0
		for i, l := range labels {
			if l == want[i] {
				hit++
			}
		}
		fmt.Printf("%-10s classified as the requested digit: %.1f%%\n", name, 100*float64(hit)/float64(len(labels)))
	}
	return nil
}

// writeSamples writes images (784 values in [0,1]) as 000000.png, … and grid.png.
func writeSamples(dir string, images [][]float32) error {
	for i, im := range images {
		g := plot.Grid([][]float32{im}, 28, 28, 1, 0)
		if err := plot.SavePNG(filepath.Join(dir, fmt.Sprintf("%06d.png", i)), g); err != nil {
			return err
		}
	}
	n := min(len(images), 100)
	return plot.SavePNG(filepath.Join(dir, "grid.png"), plot.Upscale(plot.Grid(images[:n], 28, 28, 10, 2), 2))
}

// readPNGs reads every 28×28 PNG in dir (sorted by name, grid.png skipped) as 784
// grey levels in [0,1].
func readPNGs(dir string) ([][]float32, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.png"))
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	var out [][]float32
	for _, name := range names {
		if filepath.Base(name) == "grid.png" {
			continue
		}
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		img, err := png.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if img.Bounds().Dx() != 28 || img.Bounds().Dy() != 28 {
			return nil, fmt.Errorf("%s: %v, want 28×28", name, img.Bounds().Size())
		}
		out = append(out, grey(img))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no 28×28 PNGs in %s", dir)
	}
	return out, nil
}

func grey(img image.Image) []float32 {
	b := img.Bounds()
	v := make([]float32, 0, 784)
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			v = append(v, float32(r+g+bl)/3/65535)
		}
	}
	return v
}
