package plot

import (
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func nan32() float32 { return float32(math.NaN()) }

func TestGrid(t *testing.T) {
	tests := []struct {
		name             string
		n, h, w, cols    int
		pad              int
		wantW, wantH     int
		wantCols         int
		emptySlotsFilled bool
	}{
		{name: "5 in 3 columns", n: 5, h: 2, w: 3, cols: 3, pad: 1, wantW: 13, wantH: 7, wantCols: 3},
		{name: "no padding", n: 4, h: 2, w: 2, cols: 2, pad: 0, wantW: 4, wantH: 4, wantCols: 2},
		{name: "more columns than images", n: 2, h: 1, w: 1, cols: 8, pad: 2, wantW: 8, wantH: 5, wantCols: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			images := make([][]float32, tt.n)
			for k := range images {
				images[k] = make([]float32, tt.h*tt.w)
				for i := range images[k] {
					images[k][i] = float32(k*tt.h*tt.w+i) / 100
				}
			}
			g := Grid(images, tt.h, tt.w, tt.cols, tt.pad)
			require.Equal(t, image.Rect(0, 0, tt.wantW, tt.wantH), g.Bounds())
			for k, im := range images {
				x0 := tt.pad + (k%tt.wantCols)*(tt.w+tt.pad)
				y0 := tt.pad + (k/tt.wantCols)*(tt.h+tt.pad)
				for y := range tt.h {
					for x := range tt.w {
						assert.Equal(t, level(im[y*tt.w+x]), g.GrayAt(x0+x, y0+y).Y, "image %d at (%d,%d)", k, x, y)
					}
				}
			}
			if tt.pad > 0 {
				assert.Equal(t, uint8(GridPad), g.GrayAt(0, 0).Y)
				assert.Equal(t, uint8(GridPad), g.GrayAt(tt.wantW-1, tt.wantH-1).Y)
			}
		})
	}
}

func TestGridClampsValues(t *testing.T) {
	g := Grid([][]float32{{-1, 0, 0.5, 1, 2, nan32()}}, 1, 6, 1, 0)
	assert.Equal(t, []uint8{0, 0, 128, 255, 255, 0}, g.Pix)
}

func TestGridEmptySlotsArePadding(t *testing.T) {
	// Five 1×1 white images in 3 columns: the sixth slot stays padding.
	images := [][]float32{{1}, {1}, {1}, {1}, {1}}
	g := Grid(images, 1, 1, 3, 1)
	assert.Equal(t, uint8(255), g.GrayAt(3, 3).Y) // image 4
	assert.Equal(t, uint8(GridPad), g.GrayAt(5, 3).Y)
}

func TestGridRGB(t *testing.T) {
	// Two 1×2 images in (C,H,W) order.
	a := []float32{1, 0, 0, 1, 0, 0.5} // pixel 0 = (1,0,0), pixel 1 = (0,1,0.5)
	b := []float32{0, 0, 0, 0, 0, 1}   // pixel 0 = black, pixel 1 = blue
	g := GridRGB([][]float32{a, b}, 1, 2, 2, 1)
	require.Equal(t, image.Rect(0, 0, 7, 3), g.Bounds())
	assert.Equal(t, color.RGBA{255, 0, 0, 255}, g.RGBAAt(1, 1))
	assert.Equal(t, color.RGBA{0, 255, 128, 255}, g.RGBAAt(2, 1))
	assert.Equal(t, color.RGBA{0, 0, 0, 255}, g.RGBAAt(4, 1))
	assert.Equal(t, color.RGBA{0, 0, 255, 255}, g.RGBAAt(5, 1))
	assert.Equal(t, color.RGBA{GridPad, GridPad, GridPad, 255}, g.RGBAAt(3, 1))
}

func TestGridPanics(t *testing.T) {
	tests := []struct {
		name string
		f    func()
		msg  string
	}{
		{"no images", func() { Grid(nil, 2, 2, 1, 0) }, "plot: Grid: no images"},
		{"wrong length", func() { Grid([][]float32{make([]float32, 4), make([]float32, 3)}, 2, 2, 1, 0) },
			"plot: Grid: image 1 has 3 values, want h*w = 4"},
		{"zero columns", func() { Grid([][]float32{make([]float32, 4)}, 2, 2, 0, 0) },
			"plot: Grid: h=2, w=2, cols=0 must be positive and pad=0 non-negative"},
		{"rgb wrong length", func() { GridRGB([][]float32{make([]float32, 4)}, 2, 2, 1, 0) },
			"plot: GridRGB: image 0 has 4 values, want 3*h*w = 12"},
		{"strip labels", func() { Strip([][]float32{{0}}, 1, 1, []string{"a", "b"}) },
			"plot: Strip: 2 labels for 1 images"},
		{"strip length", func() { Strip([][]float32{{0, 0}}, 1, 1, nil) },
			"plot: Strip: image 0 has 2 values, want h*w = 1 or 3*h*w = 3"},
		{"heatmap ragged", func() { Heatmap([][]float32{{1, 2}, {3}}, nil, nil, 4) },
			"plot: Heatmap: row 1 has 1 values, row 0 has 2"},
		{"heatmap labels", func() { Heatmap([][]float32{{1, 2}}, nil, []string{"a"}, 4) },
			"plot: Heatmap: 1 column labels for 2 columns"},
		{"lines x", func() { Lines([]Series{{Name: "a", X: []float64{1}, Y: []float64{1, 2}}}, LineConfig{}) },
			`plot: Lines: series "a" has 1 x values and 2 y values`},
		{"lines smooth", func() { Lines(nil, LineConfig{Smooth: 1}) }, "plot: Lines: Smooth 1 is outside [0,1)"},
		{"upscale", func() { Upscale(image.NewGray(image.Rect(0, 0, 1, 1)), 0) }, "plot: Upscale: factor 0 must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.PanicsWithValue(t, tt.msg, tt.f)
		})
	}
}

func TestStrip(t *testing.T) {
	grey := []float32{1, 1, 1, 1}                        // 2×2 white
	rgb := []float32{1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0} // 2×2 red
	t.Run("no labels", func(t *testing.T) {
		s := Strip([][]float32{grey, rgb, grey}, 2, 2, nil)
		require.Equal(t, image.Rect(0, 0, stripPad+3*(2+stripPad), 2+2*stripPad), s.Bounds())
		assert.Equal(t, color.RGBA{255, 255, 255, 255}, s.RGBAAt(stripPad, stripPad))
		assert.Equal(t, color.RGBA{255, 0, 0, 255}, s.RGBAAt(2*stripPad+2+1, stripPad+1))
	})
	t.Run("labels widen columns", func(t *testing.T) {
		black := []float32{0, 0, 0, 0}
		s := Strip([][]float32{black, black}, 2, 2, []string{"t=0", ""})
		labelW := 3*Advance - 1
		require.Equal(t, image.Rect(0, 0, stripPad+labelW+stripPad+2+stripPad, stripPad+2+stripPad+GlyphHeight+stripPad), s.Bounds())
		// The first image is centred over its label.
		x0 := stripPad + (labelW-2)/2
		assert.Equal(t, color.RGBA{0, 0, 0, 255}, s.RGBAAt(x0, stripPad))
		assert.Equal(t, color.RGBA{255, 255, 255, 255}, s.RGBAAt(x0-1, stripPad))
		// The label is drawn under it; the empty label leaves white.
		assert.Positive(t, countColor(s, image.Rect(stripPad, stripPad+2+stripPad, stripPad+labelW, s.Bounds().Max.Y), textColor))
		assert.Zero(t, countColor(s, image.Rect(2*stripPad+labelW, stripPad+2+stripPad, s.Bounds().Max.X, s.Bounds().Max.Y), textColor))
	})
}

func TestUpscale(t *testing.T) {
	g := image.NewGray(image.Rect(0, 0, 2, 1))
	g.Pix = []uint8{10, 200}
	u := Upscale(g, 3)
	require.IsType(t, &image.Gray{}, u)
	require.Equal(t, image.Rect(0, 0, 6, 3), u.Bounds())
	assert.Equal(t, []uint8{10, 10, 10, 200, 200, 200}, u.(*image.Gray).Pix[2*6:3*6])

	c := image.NewRGBA(image.Rect(0, 0, 1, 2))
	c.SetRGBA(0, 1, color.RGBA{1, 2, 3, 255})
	v := Upscale(c, 2).(*image.RGBA)
	require.Equal(t, image.Rect(0, 0, 2, 4), v.Bounds())
	assert.Equal(t, color.RGBA{1, 2, 3, 255}, v.RGBAAt(1, 3))
	assert.Equal(t, color.RGBA{}, v.RGBAAt(1, 1))
}

func TestViridis(t *testing.T) {
	tests := []struct {
		t    float64
		want color.RGBA
	}{
		{0, color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{-3, color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{math.NaN(), color.RGBA{0x44, 0x01, 0x54, 0xff}},
		{0.5, color.RGBA{0x21, 0x91, 0x8c, 0xff}},
		{0.05, color.RGBA{0x46, 0x13, 0x65, 0xff}}, // halfway between the first two points
		{1, color.RGBA{0xfd, 0xe7, 0x25, 0xff}},
		{7, color.RGBA{0xfd, 0xe7, 0x25, 0xff}},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, Viridis(tt.t), "Viridis(%v)", tt.t)
	}
	// Lightness rises monotonically, as in the original map.
	prev := -1.0
	for i := range 101 {
		c := Viridis(float64(i) / 100)
		l := 0.299*float64(c.R) + 0.587*float64(c.G) + 0.114*float64(c.B)
		assert.Greater(t, l, prev, "at %d%%", i)
		prev = l
	}
}

func TestHeatmap(t *testing.T) {
	const cell = 10
	values := [][]float32{{-2, 0}, {nan32(), 6}}
	t.Run("no labels", func(t *testing.T) {
		img := Heatmap(values, nil, nil, cell).(*image.RGBA)
		at := func(i, j int) color.RGBA {
			return img.RGBAAt(heatMargin+j*cell+cell/2, heatMargin+i*cell+cell/2)
		}
		assert.Equal(t, Viridis(0), at(0, 0), "minimum")
		assert.Equal(t, Viridis(0.25), at(0, 1))
		assert.Equal(t, missingColor, at(1, 0), "NaN")
		assert.Equal(t, Viridis(1), at(1, 1), "maximum")
		// The colour bar spans both extremes.
		bar := image.Rect(heatMargin+2*cell+heatBarGap, heatMargin, heatMargin+2*cell+heatBarGap+heatBarW, heatMargin+heatMinBarH)
		assert.Equal(t, Viridis(1), img.RGBAAt(bar.Min.X, bar.Min.Y))
		assert.Equal(t, Viridis(0), img.RGBAAt(bar.Min.X, bar.Max.Y-1))
	})
	t.Run("labels move the cells", func(t *testing.T) {
		img := Heatmap(values, []string{"a", "bcd"}, []string{"x", "y"}, cell).(*image.RGBA)
		x0 := heatMargin + textWidth("bcd") + heatLabelGap
		y0 := heatMargin + GlyphHeight + heatLabelGap
		assert.Equal(t, Viridis(0), img.RGBAAt(x0, y0))
		assert.Equal(t, Viridis(1), img.RGBAAt(x0+2*cell-1, y0+2*cell-1))
		assert.Positive(t, countColor(img, image.Rect(0, y0, x0, y0+2*cell), textColor), "row labels")
		assert.Positive(t, countColor(img, image.Rect(x0, 0, x0+2*cell, y0), textColor), "column labels")
	})
	t.Run("constant values", func(t *testing.T) {
		img := Heatmap([][]float32{{3, 3}}, nil, nil, cell).(*image.RGBA)
		assert.Equal(t, Viridis(0), img.RGBAAt(heatMargin, heatMargin))
	})
}

func TestCellTexts(t *testing.T) {
	tests := []struct {
		name   string
		values [][]float32
		cell   int
		want   [][]string
	}{
		{"small cells", [][]float32{{0.5}}, 20, nil},
		{"probabilities", [][]float32{{0, 0.5}, {0.001, nan32()}}, 32, [][]string{{"0", "0.50"}, {"0.00", ""}}},
		{"tens", [][]float32{{12.25, -3}}, 32, [][]string{{"12.2", "-3.0"}}},
		{"tiny", [][]float32{{0.012, 0.003}}, 32, [][]string{{"0.012", "0.003"}}},
		{"too wide", [][]float32{{-12345, 1}}, 32, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, cellTexts(tt.values, tt.cell))
		})
	}
}

func TestLines(t *testing.T) {
	nan := math.NaN()
	red := color.RGBA{0xee, 0x11, 0x22, 0xff}
	tests := []struct {
		name   string
		series []Series
		cfg    LineConfig
		size   image.Point
		colors []color.RGBA // must each cover some pixels
	}{
		{
			name: "defaults",
			series: []Series{
				{Name: "train", Y: []float64{3, 2, nan, 1.5, 1, 0.8}},
				{Name: "val", X: []float64{0, 2.5, 5}, Y: []float64{3.2, 1.9, 1.1}},
			},
			cfg:    LineConfig{Title: "loss", XLabel: "step", YLabel: "nats"},
			size:   image.Pt(800, 500),
			colors: []color.RGBA{Palette[0], Palette[1]},
		},
		{
			name:   "log scale skips non-positive values, own colour",
			series: []Series{{Name: "loss", Y: []float64{10, 0, -1, 1, 0.1, 0.01}, Color: red}},
			cfg:    LineConfig{Width: 400, Height: 300, LogY: true},
			size:   image.Pt(400, 300),
			colors: []color.RGBA{red},
		},
		{
			name:   "smoothed",
			series: []Series{{Y: []float64{1, 3, 1, 3, 1, 3, 1, 3}}},
			cfg:    LineConfig{Width: 300, Height: 200, Smooth: 0.8},
			size:   image.Pt(300, 200),
			colors: []color.RGBA{Palette[0]},
		},
		{
			name:   "single point",
			series: []Series{{Name: "p", Y: []float64{nan, 4}}},
			cfg:    LineConfig{Width: 200, Height: 150},
			size:   image.Pt(200, 150),
			colors: []color.RGBA{Palette[0]},
		},
		{
			name:   "nothing to draw",
			series: []Series{{Name: "empty"}, {Y: []float64{nan, math.Inf(1)}}},
			size:   image.Pt(800, 500),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := Lines(tt.series, tt.cfg).(*image.RGBA)
			require.Equal(t, image.Rectangle{Max: tt.size}, img.Bounds())
			for _, c := range tt.colors {
				assert.Positive(t, countColor(img, img.Bounds(), c), "colour %v", c)
			}
			assert.Positive(t, countColor(img, img.Bounds(), textColor), "text")
		})
	}
}

func TestLinesGapAtNaN(t *testing.T) {
	// y = 1 everywhere but a NaN in the middle: the middle of the chart has no curve.
	y := make([]float64, 101)
	for i := range y {
		y[i] = float64(i % 2) // zigzag so the curve covers the whole height
	}
	for i := 40; i <= 60; i++ {
		y[i] = math.NaN()
	}
	img := Lines([]Series{{Y: y}}, LineConfig{}).(*image.RGBA)
	// Find the plotting area from the curve's extent and check the middle column.
	b := img.Bounds()
	xmin, xmax := b.Max.X, 0
	for yy := range b.Dy() {
		for x := range b.Dx() {
			if img.RGBAAt(x, yy) == Palette[0] {
				xmin, xmax = min(xmin, x), max(xmax, x)
			}
		}
	}
	require.Less(t, xmin, xmax)
	mid := (xmin + xmax) / 2
	assert.Zero(t, countColor(img, image.Rect(mid-5, 0, mid+5, b.Max.Y), Palette[0]))
	assert.Positive(t, countColor(img, image.Rect(xmin, 0, xmin+10, b.Max.Y), Palette[0]))
}

func TestLinearTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []string
	}{
		{0, 1, 5, []string{"0.0", "0.2", "0.4", "0.6", "0.8", "1.0"}},
		{-0.1, 4.1, 7, []string{"0.0", "0.5", "1.0", "1.5", "2.0", "2.5", "3.0", "3.5", "4.0"}},
		{0, 2999, 7, []string{"0", "500", "1000", "1500", "2000", "2500"}},
		{0, 3e6, 3, []string{"0", "1e6", "2e6", "3e6"}},
		{1e-7, 5e-7, 4, []string{"1e-7", "2e-7", "3e-7", "4e-7", "5e-7"}},
	}
	for _, tt := range tests {
		var got []string
		for _, tk := range linearTicks(tt.lo, tt.hi, tt.n) {
			got = append(got, tk.label)
		}
		assert.Equal(t, tt.want, got, "linearTicks(%v, %v, %d)", tt.lo, tt.hi, tt.n)
	}
}

func TestLogTicks(t *testing.T) {
	labels := func(ts []tick) (out []string) {
		for _, tk := range ts {
			if tk.label != "" {
				out = append(out, tk.label)
			}
		}
		return out
	}
	tests := []struct {
		lo, hi float64 // log10 of the range
		want   []string
	}{
		{-2, 1, []string{"0.01", "0.1", "1", "10"}},                              // three decades
		{-1.3, 0.6, []string{"0.1", "0.2", "0.5", "1", "2"}},                     // under three: 2 and 5 too
		{-6, 6, []string{"1e-6", "0.0001", "0.01", "1", "100", "10000", "1e6"}},  // many: every other decade
		{math.Log10(0.3), math.Log10(2.5), []string{"0.5", "1", "2"}},            // under a decade
		{math.Log10(1.1), math.Log10(1.9), []string{"1.2", "1.4", "1.6", "1.8"}}, // under a factor two
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, labels(logTicks(tt.lo, tt.hi)), "logTicks(%v, %v)", tt.lo, tt.hi)
	}
}

func TestDrawText(t *testing.T) {
	img := newWhite(40, 20)
	DrawText(img, 2, 2, "Hi", textColor, 1)
	n := countColor(img, img.Bounds(), textColor)
	// H has 17 pixels, i has 9 at scale 1.
	assert.Equal(t, 26, n)
	assert.Zero(t, countColor(img, image.Rect(2+2*Advance, 0, 40, 20), textColor), "nothing right of the text")

	big := newWhite(40, 40)
	DrawText(big, 0, 0, "Hi", textColor, 2)
	assert.Equal(t, 4*26, countColor(big, big.Bounds(), textColor))

	// Off the edge and non-ASCII do not panic; unknown runes become '?'.
	DrawText(img, -3, 15, "é\n", textColor, 1)
	q, e := newWhite(10, 10), newWhite(10, 10)
	DrawText(q, 0, 0, "?", textColor, 1)
	DrawText(e, 0, 0, "é", textColor, 1)
	assert.Equal(t, q.Pix, e.Pix)

	// Upright text covers the same number of pixels.
	up := newWhite(20, 40)
	drawTextUp(up, 2, 30, "Hi", textColor, 1)
	assert.Equal(t, 26, countColor(up, up.Bounds(), textColor))
}

func TestTextSize(t *testing.T) {
	tests := []struct {
		s     string
		scale int
		w, h  int
	}{
		{"", 1, 0, 0},
		{"a", 1, 5, 7},
		{"abc", 1, 17, 7},
		{"abc", 2, 34, 14},
		{"ab\nlonger", 1, 35, 17},
		{"x", 0, 5, 7},
	}
	for _, tt := range tests {
		w, h := TextSize(tt.s, tt.scale)
		assert.Equal(t, [2]int{tt.w, tt.h}, [2]int{w, h}, "TextSize(%q, %d)", tt.s, tt.scale)
	}
}

func TestSavePNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a", "b", "grid.png")
	img := Grid([][]float32{{0, 0.25}, {0.5, 1}}, 1, 2, 2, 1)
	require.NoError(t, SavePNG(path, img))

	check := func(want image.Image) {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		got, err := png.Decode(f)
		require.NoError(t, err)
		require.Equal(t, want.Bounds(), got.Bounds())
		for y := range want.Bounds().Dy() {
			for x := range want.Bounds().Dx() {
				r0, g0, b0, a0 := want.At(x, y).RGBA()
				r1, g1, b1, a1 := got.At(x, y).RGBA()
				require.Equal(t, [4]uint32{r0, g0, b0, a0}, [4]uint32{r1, g1, b1, a1}, "pixel (%d,%d)", x, y)
			}
		}
	}
	check(img)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	// Replacing the file leaves no temporary files behind.
	chart := Lines([]Series{{Name: "loss", Y: []float64{1, 0.5, 0.3}}}, LineConfig{Width: 120, Height: 80})
	require.NoError(t, SavePNG(path, chart))
	check(chart)
	entries, err := os.ReadDir(filepath.Dir(path))
	require.NoError(t, err)
	require.Len(t, entries, 1)

	// A directory in the way is an error naming the path.
	err = SavePNG(filepath.Join(path, "x.png"), img)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "plot: save ")
}

// countColor counts the pixels of img in r that are exactly c.
func countColor(img *image.RGBA, r image.Rectangle, c color.RGBA) int {
	n := 0
	r = r.Intersect(img.Bounds())
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			if img.RGBAAt(x, y) == c {
				n++
			}
		}
	}
	return n
}

func TestLegendAvoidsCurves(t *testing.T) {
	tests := []struct {
		name    string
		y       []float64
		topLeft bool // where the legend should go: top left, else top right
	}{
		{"falling curve", []float64{3, 2, 1, 0.5, 0.25, 0.2}, false},
		{"rising curve", []float64{0.2, 0.25, 0.5, 1, 2, 3}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := Lines([]Series{{Name: "loss", Y: tt.y}}, LineConfig{Width: 400, Height: 300}).(*image.RGBA)
			// The legend's text is the only text inside the upper half of the picture's
			// middle band (tick labels are on the left and at the bottom).
			left := countColor(img, image.Rect(60, 10, 200, 150), textColor)
			right := countColor(img, image.Rect(200, 10, 400, 150), textColor)
			if tt.topLeft {
				assert.Positive(t, left)
				assert.Zero(t, right)
			} else {
				assert.Zero(t, left)
				assert.Positive(t, right)
			}
		})
	}
}
