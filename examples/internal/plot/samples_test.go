package plot

import (
	"image"
	"image/draw"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// TestWriteSamples writes sample pictures to $PLOT_SAMPLES for a person to look at. It
// is skipped unless that variable names a directory.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("PLOT_SAMPLES")
	if dir == "" {
		t.Skip("set PLOT_SAMPLES=<dir> to write sample pictures")
	}
	rng := rand.New(rand.NewPCG(1, 2))

	// Font.
	var all []byte
	for c := 32; c <= 126; c++ {
		all = append(all, byte(c))
		if (c-31)%32 == 0 {
			all = append(all, '\n')
		}
	}
	f := newWhite(220, 60)
	DrawText(f, 4, 4, string(all), textColor, 1)
	must(t, SavePNG(filepath.Join(dir, "font.png"), Upscale(f, 4)))

	// Loss curves.
	n := 3000
	train, val, vx := make([]float64, n), []float64{}, []float64{}
	for i := range n {
		base := 2.3*math.Exp(-float64(i)/300) + 0.08 + 0.05*math.Exp(-float64(i)/2000)
		train[i] = base * math.Exp(0.25*rng.NormFloat64())
		if i == 1234 {
			train[i] = math.NaN()
		}
		if i%250 == 0 {
			vx = append(vx, float64(i))
			val = append(val, base*1.1+0.02)
		}
	}
	cfg := LineConfig{Title: "MNIST VAE training loss", XLabel: "step", YLabel: "loss (nats/pixel)"}
	series := []Series{{Name: "train", Y: train}, {Name: "validation", X: vx, Y: val}}
	must(t, SavePNG(filepath.Join(dir, "loss.png"), Lines(series, cfg)))
	cfg.LogY, cfg.Smooth = true, 0.95
	cfg.Title += " (log, smoothed)"
	must(t, SavePNG(filepath.Join(dir, "loss_log.png"), Lines(series, cfg)))

	// GAN losses: several series, negative values, few points.
	var gs []Series
	for k, name := range []string{"D real", "D fake", "G", "gradient penalty"} {
		y := make([]float64, 60)
		for i := range y {
			y[i] = float64(k-1)*0.6 + 0.3*math.Sin(float64(i)/5+float64(k)) + 0.1*rng.NormFloat64()
		}
		gs = append(gs, Series{Name: name, Y: y})
	}
	must(t, SavePNG(filepath.Join(dir, "gan.png"), Lines(gs, LineConfig{Title: "WGAN-GP", XLabel: "epoch", Width: 640, Height: 360})))

	// A bigger attention map with labels written upwards.
	words := []string{"<bos>", "In", "the", "beginning", "was", "the", "word", ",", "and", "the", "word", "was", "with", "God", ".", "<eos>"}
	big := make([][]float32, len(words))
	for i := range big {
		big[i] = make([]float32, len(words))
		for j := 0; j <= i; j++ {
			big[i][j] = float32(math.Exp(-math.Abs(float64(i-j)) / 2))
		}
	}
	must(t, SavePNG(filepath.Join(dir, "heatmap_big.png"), Upscale(Heatmap(big, words, words, 14), 2)))

	// Attention.
	toks := []string{"<s>", "the", "cat", "sat", "on", "the", "mat", "."}
	att := make([][]float32, len(toks))
	for i := range att {
		att[i] = make([]float32, len(toks))
		sum := 0.0
		for j := 0; j <= i; j++ {
			v := math.Exp(2 * rng.NormFloat64())
			att[i][j] = float32(v)
			sum += v
		}
		for j := range att[i] {
			att[i][j] /= float32(sum)
		}
	}
	must(t, SavePNG(filepath.Join(dir, "heatmap.png"), Upscale(Heatmap(att, toks, toks, 32), 2)))
	must(t, SavePNG(filepath.Join(dir, "heatmap_small.png"), Heatmap(att, toks, toks, 16)))

	// Digits-like grid and strip.
	imgs := make([][]float32, 20)
	for k := range imgs {
		im := make([]float32, 28*28)
		cx, cy := 14+4*rng.NormFloat64(), 14+4*rng.NormFloat64()
		for y := range 28 {
			for x := range 28 {
				r := math.Hypot(float64(x)-cx, float64(y)-cy)
				im[y*28+x] = float32(1.2 * math.Exp(-(r-7)*(r-7)/4))
			}
		}
		imgs[k] = im
	}
	must(t, SavePNG(filepath.Join(dir, "grid.png"), Upscale(Grid(imgs, 28, 28, 5, 2), 3)))
	labels := []string{"t=0", "t=250", "t=500", "t=750", "t=1000"}
	strip := make([][]float32, 5)
	for k := range strip {
		im := append([]float32(nil), imgs[0]...)
		a := float32(k) / 4
		for i := range im {
			im[i] = (1-a)*im[i] + a*float32(rng.Float64())
		}
		strip[k] = im
	}
	must(t, SavePNG(filepath.Join(dir, "strip.png"), Upscale(Strip(strip, 28, 28, labels), 3)))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// newWhite returns a white w×h picture.
func newWhite(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	return img
}
