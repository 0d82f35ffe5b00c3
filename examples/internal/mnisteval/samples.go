package mnisteval

import (
	"fmt"
	"image"
	"image/color"
	_ "image/png" // the sample folders hold PNGs
	"os"
	"path/filepath"
	"slices"

	"github.com/genblocks/genblocks/examples/internal/plot"
)

// WriteSamples writes images (784 grey levels in [0,1] each) to dir as individual
// 28×28 PNGs 000000.png, 000001.png, … — the folder format pytorch-fid and clean-fid
// read — plus grid.png with the first 100 of them.
func WriteSamples(dir string, images [][]float32) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for i, im := range images {
		if err := plot.SavePNG(filepath.Join(dir, fmt.Sprintf("%06d.png", i)), plot.Grid([][]float32{im}, 28, 28, 1, 0)); err != nil {
			return err
		}
	}
	n := min(len(images), 100)
	return plot.SavePNG(filepath.Join(dir, "grid.png"), plot.Upscale(plot.Grid(images[:n], 28, 28, 10, 2), 2))
}

// ReadSamples reads every 28×28 PNG in dir except grid.png, in name order, as 784 grey
// levels in [0,1] each — the folder WriteSamples writes, or samples saved by another
// program (a PyTorch twin) to be scored by the same evaluation.
func ReadSamples(dir string) ([][]float32, error) {
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
		img, _, err := image.Decode(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		b := img.Bounds()
		if b.Dx() != 28 || b.Dy() != 28 {
			return nil, fmt.Errorf("%s: %d×%d image, want 28×28", name, b.Dx(), b.Dy())
		}
		im := make([]float32, 784)
		for y := range 28 {
			for x := range 28 {
				g := color.GrayModel.Convert(img.At(b.Min.X+x, b.Min.Y+y)).(color.Gray)
				im[y*28+x] = float32(g.Y) / 255
			}
		}
		out = append(out, im)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no 28×28 PNG samples in %s", dir)
	}
	return out, nil
}
