package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"os"
	"path/filepath"
)

// GridPad is the grey level of the padding between the tiles of Grid and GridRGB: a
// mid grey that separates both dark and light tiles.
const GridPad = 0x80

// level turns a value in [0,1] into an 8-bit level, clamping values outside the range;
// NaN becomes 0.
func level(v float32) uint8 {
	switch {
	case !(v > 0): // also NaN
		return 0
	case v >= 1:
		return 255
	}
	return uint8(v*255 + 0.5)
}

// gridSize checks the arguments of Grid and GridRGB and returns the number of columns
// and rows and the size of the picture.
func gridSize(op string, n, h, w, cols, pad int) (c, r int, size image.Point) {
	if n == 0 {
		panic(fmt.Sprintf("plot: %s: no images", op))
	}
	if h <= 0 || w <= 0 || cols <= 0 || pad < 0 {
		panic(fmt.Sprintf("plot: %s: h=%d, w=%d, cols=%d must be positive and pad=%d non-negative", op, h, w, cols, pad))
	}
	c = min(cols, n)
	r = (n + c - 1) / c
	return c, r, image.Pt(c*w+(c+1)*pad, r*h+(r+1)*pad)
}

// checkLen panics unless every image has want values.
func checkLen(op string, images [][]float32, want int, what string) {
	for i, im := range images {
		if len(im) != want {
			panic(fmt.Sprintf("plot: %s: image %d has %d values, want %s = %d", op, i, len(im), what, want))
		}
	}
}

// Grid tiles grey-level images into a grid with cols columns (fewer when there are
// fewer images), left to right and top to bottom, with pad pixels of GridPad grey around
// and between the tiles. Each image holds h·w values in row-major order; values are
// clamped to [0,1] (0 is black) and NaN is drawn black.
//
// The picture is cols·w+(cols+1)·pad pixels wide and rows·h+(rows+1)·pad high, with
// rows = ⌈len(images)/cols⌉. Grid panics when there are no images, when h, w or cols
// is not positive, when pad is negative or when an image does not have h·w values.
func Grid(images [][]float32, h, w, cols, pad int) *image.Gray {
	checkLen("Grid", images, h*w, "h*w")
	cols, _, size := gridSize("Grid", len(images), h, w, cols, pad)
	img := image.NewGray(image.Rectangle{Max: size})
	for i := range img.Pix {
		img.Pix[i] = GridPad
	}
	for k, im := range images {
		x0, y0 := pad+(k%cols)*(w+pad), pad+(k/cols)*(h+pad)
		for y := range h {
			row := img.Pix[(y0+y)*img.Stride+x0:]
			for x := range w {
				row[x] = level(im[y*w+x])
			}
		}
	}
	return img
}

// GridRGB is Grid for colour images: each image holds 3·h·w values in channel-major
// (C,H,W) order, red plane first, as PyTorch lays out a (3,H,W) tensor. It panics like
// Grid, and when an image does not have 3·h·w values.
func GridRGB(images [][]float32, h, w, cols, pad int) *image.RGBA {
	checkLen("GridRGB", images, 3*h*w, "3*h*w")
	cols, _, size := gridSize("GridRGB", len(images), h, w, cols, pad)
	img := image.NewRGBA(image.Rectangle{Max: size})
	draw.Draw(img, img.Bounds(), image.NewUniform(color.Gray{GridPad}), image.Point{}, draw.Src)
	for k, im := range images {
		drawCHW(img, pad+(k%cols)*(w+pad), pad+(k/cols)*(h+pad), im, h, w)
	}
	return img
}

// drawCHW copies a (3,h,w) image with values in [0,1] into img at (x0, y0).
func drawCHW(img *image.RGBA, x0, y0 int, im []float32, h, w int) {
	plane := h * w
	for y := range h {
		for x := range w {
			i := img.PixOffset(x0+x, y0+y)
			j := y*w + x
			img.Pix[i+0] = level(im[j])
			img.Pix[i+1] = level(im[plane+j])
			img.Pix[i+2] = level(im[2*plane+j])
			img.Pix[i+3] = 0xff
		}
	}
}

// drawGrey copies an (h,w) image with values in [0,1] into img at (x0, y0).
func drawGrey(img *image.RGBA, x0, y0 int, im []float32, h, w int) {
	for y := range h {
		for x := range w {
			i := img.PixOffset(x0+x, y0+y)
			v := level(im[y*w+x])
			img.Pix[i+0], img.Pix[i+1], img.Pix[i+2], img.Pix[i+3] = v, v, v, 0xff
		}
	}
}

// Colours shared by the pictures.
var (
	white     = color.RGBA{0xff, 0xff, 0xff, 0xff}
	textColor = color.RGBA{0x22, 0x22, 0x22, 0xff}
)

// stripPad is the margin around and between the tiles of Strip, in pixels.
const stripPad = 4

// Strip lays images out in one row on a white background, for sequences such as the
// forward diffusion x₀…x_T or an interpolation between two latents, with labels[i]
// (for example "t=250") written centred under image i. Each image holds either h·w grey
// levels (row-major) or 3·h·w colour values in (C,H,W) order; values are clamped to
// [0,1]. labels may be nil for no labels; empty labels are left blank. A column is as
// wide as the wider of its image and its label.
//
// Small images make a small picture; Upscale it by an integer factor to enlarge the
// images and the text alike. Strip panics when there are no images, when h or w is not
// positive, when an image has neither h·w nor 3·h·w values, or when labels is not nil
// and has a different length from images.
func Strip(images [][]float32, h, w int, labels []string) *image.RGBA {
	if len(images) == 0 {
		panic("plot: Strip: no images")
	}
	if h <= 0 || w <= 0 {
		panic(fmt.Sprintf("plot: Strip: h=%d and w=%d must be positive", h, w))
	}
	if labels != nil && len(labels) != len(images) {
		panic(fmt.Sprintf("plot: Strip: %d labels for %d images", len(labels), len(images)))
	}
	colW := make([]int, len(images))
	width := stripPad
	for i, im := range images {
		if len(im) != h*w && len(im) != 3*h*w {
			panic(fmt.Sprintf("plot: Strip: image %d has %d values, want h*w = %d or 3*h*w = %d", i, len(im), h*w, 3*h*w))
		}
		colW[i] = w
		if labels != nil {
			lw, _ := TextSize(labels[i], 1)
			colW[i] = max(w, lw)
		}
		width += colW[i] + stripPad
	}
	height := stripPad + h + stripPad
	if labels != nil {
		height += GlyphHeight + stripPad
	}
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)
	x := stripPad
	for i, im := range images {
		x0 := x + (colW[i]-w)/2
		if len(im) == h*w {
			drawGrey(img, x0, stripPad, im, h, w)
		} else {
			drawCHW(img, x0, stripPad, im, h, w)
		}
		if labels != nil {
			lw, _ := TextSize(labels[i], 1)
			DrawText(img, x+(colW[i]-lw)/2, stripPad+h+stripPad, labels[i], textColor, 1)
		}
		x += colW[i] + stripPad
	}
	return img
}

// Upscale enlarges img k times in each direction by repeating pixels (nearest
// neighbour), which keeps small images such as 28×28 digits and the pixel font crisp.
// A *image.Gray stays a *image.Gray; any other image becomes a *image.RGBA. Upscale
// panics when k is not positive.
func Upscale(img image.Image, k int) image.Image {
	if k <= 0 {
		panic(fmt.Sprintf("plot: Upscale: factor %d must be positive", k))
	}
	b := img.Bounds()
	r := image.Rect(0, 0, b.Dx()*k, b.Dy()*k)
	if g, ok := img.(*image.Gray); ok {
		out := image.NewGray(r)
		for y := range r.Dy() {
			src := g.Pix[g.PixOffset(b.Min.X, b.Min.Y+y/k):]
			dst := out.Pix[y*out.Stride:]
			for x := range r.Dx() {
				dst[x] = src[x/k]
			}
		}
		return out
	}
	out := image.NewRGBA(r)
	for y := range r.Dy() {
		for x := range r.Dx() {
			out.Set(x, y, img.At(b.Min.X+x/k, b.Min.Y+y/k))
		}
	}
	return out
}

// SavePNG writes img as a PNG file at path, creating missing parent directories. It
// writes to a temporary file in the same directory and renames it into place, so a
// reader never sees a half-written picture and an existing file is replaced whole. The
// file is readable by everyone (mode 0644).
func SavePNG(path string, img image.Image) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("plot: save %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("plot: save %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("plot: save %s: %w", path, err)
		}
	}()
	if err = png.Encode(f, img); err != nil {
		return err
	}
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
