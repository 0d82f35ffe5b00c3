package plot_test

import (
	"fmt"
	"image"
	"math"
	"os"
	"path/filepath"

	"github.com/genblocks/genblocks/examples/internal/plot"
)

// A 2×3 grid of 28×28 samples with 2 pixels of padding, enlarged three times.
func ExampleGrid() {
	samples := make([][]float32, 6)
	for i := range samples {
		samples[i] = make([]float32, 28*28) // values in [0,1], e.g. a decoder's output
	}
	img := plot.Upscale(plot.Grid(samples, 28, 28, 3, 2), 3)
	fmt.Println(img.Bounds())
	// Output: (0,0)-(276,186)
}

// The forward diffusion of one image at four time steps, labelled.
func ExampleStrip() {
	x := make([]float32, 3*8*8) // a (3,8,8) colour image
	steps := [][]float32{x, x, x, x}
	img := plot.Strip(steps, 8, 8, []string{"t=0", "t=10", "t=100", "t=1000"})
	fmt.Println(img.Bounds())
	// Output: (0,0)-(124,27)
}

// A causal attention map over four tokens.
func ExampleHeatmap() {
	att := [][]float32{
		{1, 0, 0, 0},
		{0.3, 0.7, 0, 0},
		{0.1, 0.6, 0.3, 0},
		{0.25, 0.25, 0.25, 0.25},
	}
	tokens := []string{"a", "b", "c", "d"}
	img := plot.Heatmap(att, tokens, tokens, 32)
	fmt.Println(img.Bounds())
	// Output: (0,0)-(186,158)
}

// Training and validation loss curves on a logarithmic axis, saved as a PNG file.
func ExampleLines() {
	train := make([]float64, 1000)
	for i := range train {
		train[i] = 2*math.Exp(-float64(i)/200) + 0.1
	}
	val := plot.Series{Name: "validation", X: []float64{0, 500, 999}, Y: []float64{2.2, 0.3, 0.15}}
	img := plot.Lines([]plot.Series{{Name: "train", Y: train}, val}, plot.LineConfig{
		Title:  "VAE loss",
		XLabel: "step",
		YLabel: "loss",
		LogY:   true,
	})
	dir, _ := os.MkdirTemp("", "plot")
	defer os.RemoveAll(dir)
	if err := plot.SavePNG(filepath.Join(dir, "loss.png"), img); err != nil {
		fmt.Println(err)
	}
	fmt.Println(img.Bounds())
	// Output: (0,0)-(800,500)
}

func ExampleDrawText() {
	img := image.NewRGBA(image.Rect(0, 0, 100, 20))
	plot.DrawText(img, 2, 2, "step 100", image.Black, 1)
	w, h := plot.TextSize("step 100", 1)
	fmt.Println(w, h)
	w, h = plot.TextSize("two\nlines", 2)
	fmt.Println(w, h)
	// Output:
	// 47 7
	// 58 34
}

func ExampleViridis() {
	fmt.Println(plot.Viridis(0), plot.Viridis(1))
	// Output: {68 1 84 255} {253 231 37 255}
}
