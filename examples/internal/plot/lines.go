package plot

import (
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
	"strings"
)

// Series is one curve of a line chart.
type Series struct {
	// Name is shown in the legend; series with an empty name are left out of it.
	Name string
	// X holds the x coordinates; nil means 0, 1, 2, …. When not nil it must be as long
	// as Y.
	X []float64
	// Y holds the values. NaN and infinite values, and with a logarithmic y axis values
	// that are not positive, are skipped: the curve has a gap there.
	Y []float64
	// Color is the colour of the curve; nil picks the next colour of Palette.
	Color color.Color
}

// LineConfig sets up a line chart. The zero value is an untitled 800×500 chart with a
// linear y axis.
type LineConfig struct {
	Title  string // above the chart; empty for none
	XLabel string // under the x axis; empty for none
	YLabel string // left of the y axis, written upwards; empty for none

	Width, Height int // size of the picture in pixels; 0 means 800 and 500

	// LogY makes the y axis logarithmic, as loss curves often want.
	LogY bool

	// Smooth in [0,1) draws each series smoothed by a bias-corrected exponential moving
	// average, as TensorBoard does, over a faint copy of the raw values; 0 draws the
	// raw values only. Smooth is the weight on the past per point of the most densely
	// sampled series (0.9 to 0.99 suits a loss logged every step); sparser series are
	// smoothed over the same x distance, so a validation loss logged every few hundred
	// steps is hardly smoothed. With LogY the average is taken over log values.
	Smooth float64
}

// Palette is the sequence of colours given to series without one: matplotlib's tab10
// colours, well apart from each other and from the grey chart furniture.
var Palette = []color.RGBA{
	{0x1f, 0x77, 0xb4, 0xff}, // blue
	{0xff, 0x7f, 0x0e, 0xff}, // orange
	{0x2c, 0xa0, 0x2c, 0xff}, // green
	{0xd6, 0x27, 0x28, 0xff}, // red
	{0x94, 0x67, 0xbd, 0xff}, // purple
	{0x8c, 0x56, 0x4b, 0xff}, // brown
	{0xe3, 0x77, 0xc2, 0xff}, // pink
	{0x7f, 0x7f, 0x7f, 0xff}, // grey
	{0xbc, 0xbd, 0x22, 0xff}, // olive
	{0x17, 0xbe, 0xcf, 0xff}, // cyan
}

// Colours and sizes of the chart furniture.
var (
	gridColor  = color.RGBA{0xe6, 0xe6, 0xe6, 0xff}
	minorColor = color.RGBA{0xf3, 0xf3, 0xf3, 0xff}
	axisColor  = color.RGBA{0x55, 0x55, 0x55, 0xff}
)

const (
	lineMargin = 16 // around the picture
	tickLen    = 5  // length of the tick marks
	tickGap    = 4  // between tick marks and their labels
	titleScale = 2  // the title is drawn twice as big as the rest
	lineWidth  = 1.6
)

// point is a curve point in picture coordinates.
type point struct{ x, y float64 }

// Lines draws series as a line chart with a title, axes with numeric tick labels and
// light grid lines, axis titles and a legend in the top right corner of the plotting
// area. The axes span the finite data: x exactly, y with a 5% margin (in log space for a
// logarithmic axis). A series with a single finite point is drawn as a dot.
//
// Lines panics when a series has X of a different length from Y, or when cfg.Smooth is
// outside [0,1).
func Lines(series []Series, cfg LineConfig) image.Image {
	if cfg.Width <= 0 {
		cfg.Width = 800
	}
	if cfg.Height <= 0 {
		cfg.Height = 500
	}
	if !(cfg.Smooth >= 0 && cfg.Smooth < 1) {
		panic("plot: Lines: Smooth " + strconv.FormatFloat(cfg.Smooth, 'g', -1, 64) + " is outside [0,1)")
	}
	for _, s := range series {
		if s.X != nil && len(s.X) != len(s.Y) {
			panic("plot: Lines: series " + strconv.Quote(s.Name) + " has " + strconv.Itoa(len(s.X)) +
				" x values and " + strconv.Itoa(len(s.Y)) + " y values")
		}
	}
	W, H := cfg.Width, cfg.Height
	img := image.NewRGBA(image.Rect(0, 0, W, H))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	// Data ranges.
	ok := func(x, y float64) bool {
		return finite(x) && finite(y) && (!cfg.LogY || y > 0)
	}
	xlo, xhi, ylo, yhi := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	for _, s := range series {
		for i, y := range s.Y {
			x := xAt(s, i)
			if !ok(x, y) {
				continue
			}
			if cfg.LogY {
				y = math.Log10(y)
			}
			xlo, xhi, ylo, yhi = min(xlo, x), max(xhi, x), min(ylo, y), max(yhi, y)
		}
	}
	if xlo > xhi { // no data
		xlo, xhi, ylo, yhi = 0, 1, 0, 1
	}
	if xlo == xhi {
		xlo, xhi = xlo-0.5, xhi+0.5
	}
	if ylo == yhi {
		d := max(math.Abs(ylo)*0.1, 0.5)
		if cfg.LogY {
			d = 0.5
		}
		ylo, yhi = ylo-d, yhi+d
	} else {
		d := 0.05 * (yhi - ylo)
		ylo, yhi = ylo-d, yhi+d
	}

	// Ticks, then the layout, which depends on how wide the y labels are.
	plotH0 := H - 2*lineMargin
	var yt []tick
	if cfg.LogY {
		yt = logTicks(ylo, yhi)
	} else {
		yt = linearTicks(ylo, yhi, max(plotH0/60, 2))
	}
	yLabelW := 0
	for _, t := range yt {
		yLabelW = max(yLabelW, textWidth(t.label))
	}
	left := lineMargin + yLabelW + tickGap + tickLen
	if cfg.YLabel != "" {
		left += GlyphHeight + 2*tickGap
	}
	top := lineMargin
	if cfg.Title != "" {
		top += GlyphHeight*titleScale + lineMargin
	} else {
		top += GlyphHeight / 2 // room for the top tick label
	}
	bottom := H - lineMargin - tickLen - tickGap - GlyphHeight
	if cfg.XLabel != "" {
		bottom -= GlyphHeight + 2*tickGap
	}
	right := W - lineMargin - 8 // room for the last x tick label
	plot := image.Rect(left, top, right, bottom)
	if plot.Dx() < 10 || plot.Dy() < 10 {
		return img // too small to draw anything useful
	}
	xt := linearTicks(xlo, xhi, max(plot.Dx()/90, 2))

	px := func(x float64) float64 {
		return float64(plot.Min.X) + (x-xlo)/(xhi-xlo)*float64(plot.Dx())
	}
	py := func(y float64) float64 {
		if cfg.LogY {
			y = math.Log10(y)
		}
		return float64(plot.Max.Y) - (y-ylo)/(yhi-ylo)*float64(plot.Dy())
	}

	// Grid lines and ticks.
	for _, t := range yt {
		y := int(math.Round(py(t.value)))
		if y < plot.Min.Y || y > plot.Max.Y {
			continue
		}
		c := gridColor
		if t.label == "" {
			c = minorColor
		}
		fillRect(img, image.Rect(plot.Min.X, y, plot.Max.X, y+1), c)
		if t.label != "" {
			fillRect(img, image.Rect(plot.Min.X-tickLen, y, plot.Min.X, y+1), axisColor)
			DrawText(img, plot.Min.X-tickLen-tickGap-textWidth(t.label), y-GlyphHeight/2, t.label, textColor, 1)
		}
	}
	for _, t := range xt {
		x := int(math.Round(px(t.value)))
		if x < plot.Min.X || x > plot.Max.X {
			continue
		}
		fillRect(img, image.Rect(x, plot.Min.Y, x+1, plot.Max.Y), gridColor)
		fillRect(img, image.Rect(x, plot.Max.Y, x+1, plot.Max.Y+tickLen), axisColor)
		DrawText(img, x-textWidth(t.label)/2, plot.Max.Y+tickLen+tickGap, t.label, textColor, 1)
	}

	// Curves, clipped to the plotting area.
	unit := smoothUnit(series, ok)
	ink := make([]bool, plot.Dx()*plot.Dy()) // where curves were drawn, to place the legend
	for k, s := range series {
		c := seriesColor(s, k)
		if cfg.Smooth > 0 {
			faint := c
			faint.A = uint8(float64(c.A)*0.3 + 0.5)
			drawCurve(img, plot, ink, curve(s, s.Y, ok, px, py), faint, 1.2)
			drawCurve(img, plot, ink, curve(s, smooth(s, cfg.Smooth, unit, cfg.LogY, ok), ok, px, py), c, lineWidth)
		} else {
			drawCurve(img, plot, ink, curve(s, s.Y, ok, px, py), c, lineWidth)
		}
	}

	// Frame: the left and bottom axes dark, the others light.
	fillRect(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Max.X+1, plot.Min.Y+1), gridColor)
	fillRect(img, image.Rect(plot.Max.X, plot.Min.Y, plot.Max.X+1, plot.Max.Y+1), gridColor)
	fillRect(img, image.Rect(plot.Min.X, plot.Min.Y, plot.Min.X+1, plot.Max.Y+1), axisColor)
	fillRect(img, image.Rect(plot.Min.X, plot.Max.Y, plot.Max.X+1, plot.Max.Y+1), axisColor)

	// Titles.
	if cfg.Title != "" {
		tw, _ := TextSize(cfg.Title, titleScale)
		DrawText(img, (plot.Min.X+plot.Max.X-tw)/2, lineMargin, cfg.Title, textColor, titleScale)
	}
	if cfg.XLabel != "" {
		DrawText(img, (plot.Min.X+plot.Max.X-textWidth(cfg.XLabel))/2, H-lineMargin-GlyphHeight, cfg.XLabel, textColor, 1)
	}
	if cfg.YLabel != "" {
		drawTextUp(img, lineMargin, (plot.Min.Y+plot.Max.Y+textWidth(cfg.YLabel))/2, cfg.YLabel, textColor, 1)
	}

	drawLegend(img, plot, ink, series)
	return img
}

// drawLegend draws the names of the named series with a short line in their colour, in
// a box in the corner of plot that hides the fewest curve pixels (those set in ink),
// preferring the top right, then top left, bottom right and bottom left.
func drawLegend(img *image.RGBA, plot image.Rectangle, ink []bool, series []Series) {
	const (
		pad    = 8
		swatch = 20
		rowH   = 14
	)
	n, textW := 0, 0
	for _, s := range series {
		if s.Name != "" {
			n++
			textW = max(textW, textWidth(s.Name))
		}
	}
	if n == 0 {
		return
	}
	w, h := pad+swatch+pad/2+textW+pad, pad+n*rowH-(rowH-GlyphHeight)+pad
	var box image.Rectangle
	best := -1
	for _, corner := range []image.Point{
		{plot.Max.X - pad - w, plot.Min.Y + pad},
		{plot.Min.X + pad, plot.Min.Y + pad},
		{plot.Max.X - pad - w, plot.Max.Y - pad - h},
		{plot.Min.X + pad, plot.Max.Y - pad - h},
	} {
		r := image.Rectangle{Min: corner, Max: corner.Add(image.Pt(w, h))}
		n := 0
		for y := max(r.Min.Y, plot.Min.Y); y < min(r.Max.Y, plot.Max.Y); y++ {
			for x := max(r.Min.X, plot.Min.X); x < min(r.Max.X, plot.Max.X); x++ {
				if ink[(y-plot.Min.Y)*plot.Dx()+x-plot.Min.X] {
					n++
				}
			}
		}
		if best < 0 || n < best {
			box, best = r, n
		}
	}
	fillRect(img, box, color.NRGBA{0xff, 0xff, 0xff, 0xe0})
	fillRect(img, image.Rect(box.Min.X, box.Min.Y, box.Max.X, box.Min.Y+1), gridColor)
	fillRect(img, image.Rect(box.Min.X, box.Max.Y-1, box.Max.X, box.Max.Y), gridColor)
	fillRect(img, image.Rect(box.Min.X, box.Min.Y, box.Min.X+1, box.Max.Y), gridColor)
	fillRect(img, image.Rect(box.Max.X-1, box.Min.Y, box.Max.X, box.Max.Y), gridColor)
	y := box.Min.Y + pad
	for k, s := range series {
		if s.Name == "" {
			continue
		}
		c := seriesColor(s, k)
		fillRect(img, image.Rect(box.Min.X+pad, y+GlyphHeight/2-1, box.Min.X+pad+swatch, y+GlyphHeight/2+2), c)
		DrawText(img, box.Min.X+pad+swatch+pad/2, y, s.Name, textColor, 1)
		y += rowH
	}
}

// seriesColor returns s.Color, or the Palette colour for series number k.
func seriesColor(s Series, k int) color.NRGBA {
	c := s.Color
	if c == nil {
		c = Palette[k%len(Palette)]
	}
	return color.NRGBAModel.Convert(c).(color.NRGBA)
}

// xAt returns the x coordinate of point i of s.
func xAt(s Series, i int) float64 {
	if s.X == nil {
		return float64(i)
	}
	return s.X[i]
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// curve maps the points of s (with values ys) to picture coordinates, cut into runs of
// consecutive points that ok accepts.
func curve(s Series, ys []float64, ok func(x, y float64) bool, px, py func(float64) float64) [][]point {
	var runs [][]point
	var run []point
	for i, y := range ys {
		x := xAt(s, i)
		if !ok(x, y) {
			if len(run) > 0 {
				runs = append(runs, run)
				run = nil
			}
			continue
		}
		run = append(run, point{px(x), py(y)})
	}
	if len(run) > 0 {
		runs = append(runs, run)
	}
	return runs
}

// smooth returns the bias-corrected exponential moving average of the values of s,
// averaging logarithms on a logarithmic axis. The weight on the past is w per distance
// unit along x, so sparse series are smoothed over the same x distance as dense ones.
// Points that ok rejects are kept as they are and left out of the average.
func smooth(s Series, w, unit float64, logY bool, ok func(x, y float64) bool) []float64 {
	out := make([]float64, len(s.Y))
	avg, norm, prev := 0.0, 0.0, math.NaN()
	for i, y := range s.Y {
		x := xAt(s, i)
		if !ok(x, y) {
			out[i] = y
			continue
		}
		if logY {
			y = math.Log(y)
		}
		wi := w
		if !math.IsNaN(prev) {
			wi = math.Pow(w, math.Abs(x-prev)/unit)
		}
		prev = x
		avg = wi*avg + (1-wi)*y
		norm = wi*norm + (1 - wi)
		out[i] = avg / norm
		if logY {
			out[i] = math.Exp(out[i])
		}
	}
	return out
}

// smoothUnit returns the smallest mean distance between consecutive finite points of
// the series, the x distance over which Smooth applies its weight once (1 when no
// series has two points).
func smoothUnit(series []Series, ok func(x, y float64) bool) float64 {
	unit := math.Inf(1)
	for _, s := range series {
		n, lo, hi := 0, math.Inf(1), math.Inf(-1)
		for i, y := range s.Y {
			if x := xAt(s, i); ok(x, y) {
				n++
				lo, hi = min(lo, x), max(hi, x)
			}
		}
		if n >= 2 && hi > lo {
			unit = min(unit, (hi-lo)/float64(n-1))
		}
	}
	if math.IsInf(unit, 1) {
		return 1
	}
	return unit
}

// drawCurve draws the runs of points as an anti-aliased polyline of the given width in
// colour c (with opacity c.A), clipped to clip, over an opaque img, and marks the
// pixels it covers in ink (clip-sized, row-major). Each pixel's coverage is the largest
// over the segments, so joints are not drawn twice and translucent colours stay even.
func drawCurve(img *image.RGBA, clip image.Rectangle, ink []bool, runs [][]point, c color.NRGBA, width float64) {
	w, h := clip.Dx(), clip.Dy()
	cov := make([]float32, w*h)
	half := width / 2
	seg := func(a, b point) {
		x0 := max(int(math.Floor(min(a.x, b.x)-half-1)), clip.Min.X)
		x1 := min(int(math.Ceil(max(a.x, b.x)+half+1)), clip.Max.X)
		y0 := max(int(math.Floor(min(a.y, b.y)-half-1)), clip.Min.Y)
		y1 := min(int(math.Ceil(max(a.y, b.y)+half+1)), clip.Max.Y)
		dx, dy := b.x-a.x, b.y-a.y
		l2 := dx*dx + dy*dy
		for y := y0; y < y1; y++ {
			for x := x0; x < x1; x++ {
				// Distance from the pixel centre to the segment.
				cx, cy := float64(x)+0.5, float64(y)+0.5
				t := 0.0
				if l2 > 0 {
					t = min(max(((cx-a.x)*dx+(cy-a.y)*dy)/l2, 0), 1)
				}
				ex, ey := cx-(a.x+t*dx), cy-(a.y+t*dy)
				d := math.Sqrt(ex*ex + ey*ey)
				v := float32(min(max(half+0.5-d, 0), 1))
				if i := (y-clip.Min.Y)*w + (x - clip.Min.X); v > cov[i] {
					cov[i] = v
				}
			}
		}
	}
	for _, run := range runs {
		if len(run) == 1 {
			seg(run[0], run[0])
			continue
		}
		for i := 1; i < len(run); i++ {
			seg(run[i-1], run[i])
		}
	}
	alpha := float64(c.A) / 255
	for y := range h {
		for x := range w {
			a := float64(cov[y*w+x]) * alpha
			if a == 0 {
				continue
			}
			ink[y*w+x] = true
			p := img.Pix[img.PixOffset(clip.Min.X+x, clip.Min.Y+y):]
			p[0] = uint8(float64(p[0])*(1-a) + float64(c.R)*a + 0.5)
			p[1] = uint8(float64(p[1])*(1-a) + float64(c.G)*a + 0.5)
			p[2] = uint8(float64(p[2])*(1-a) + float64(c.B)*a + 0.5)
		}
	}
}

// tick is an axis tick at value, with its label ("" for a minor tick).
type tick struct {
	value float64
	label string
}

// niceStep returns a step of 1, 2 or 5 times a power of ten near span/n.
func niceStep(span float64, n int) float64 {
	raw := span / float64(n)
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	switch f := raw / mag; {
	case f < 1.5:
		return mag
	case f < 3:
		return 2 * mag
	case f < 7:
		return 5 * mag
	}
	return 10 * mag
}

// linearTicks returns about n ticks at multiples of a nice step within [lo, hi].
func linearTicks(lo, hi float64, n int) []tick {
	step := niceStep(hi-lo, n)
	decimals := max(0, int(-math.Floor(math.Log10(step)+1e-9)))
	var ts []tick
	for k := math.Ceil(lo/step - 1e-9); k*step <= hi+step*1e-9; k++ {
		v := k * step
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		ts = append(ts, tick{v, formatTick(v, decimals)})
	}
	return ts
}

// formatTick formats a linear tick value with the given number of decimals, switching
// to exponent notation for very large or small values.
func formatTick(v float64, decimals int) string {
	if a := math.Abs(v); a != 0 && (a >= 1e6 || decimals > 5) {
		return trimExp(strconv.FormatFloat(v, 'g', 3, 64))
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// logTicks returns ticks for a logarithmic axis spanning [10^lo, 10^hi]: labelled
// powers of ten with unlabelled 2…9 multiples in between (the 2 and 5 multiples
// labelled too when the range is under three decades), or, for a range of less than
// about a decade, labelled 1, 2, 5 (or 1…9) multiples.
func logTicks(lo, hi float64) []tick {
	var ts []tick
	d0, d1 := int(math.Floor(lo)), int(math.Ceil(hi))
	in := func(v float64) bool { l := math.Log10(v); return l >= lo-1e-9 && l <= hi+1e-9 }
	if hi-lo >= 1.2 {
		every := max(1, (d1-d0+7)/8) // at most about eight labelled decades
		for d := d0; d <= d1; d++ {
			p := math.Pow(10, float64(d))
			if in(p) {
				label := ""
				if (d-d0)%every == 0 {
					label = formatLog(p)
				}
				ts = append(ts, tick{p, label})
			}
			if every == 1 {
				for m := 2; m <= 9; m++ {
					if v := float64(m) * p; in(v) {
						label := ""
						if hi-lo < 3 && (m == 2 || m == 5) {
							label = formatLog(v)
						}
						ts = append(ts, tick{v, label})
					}
				}
			}
		}
		return ts
	}
	for _, ms := range [][]int{{1, 2, 5}, {1, 2, 3, 4, 5, 6, 7, 8, 9}} {
		ts = ts[:0]
		for d := d0; d <= d1; d++ {
			p := math.Pow(10, float64(d))
			for _, m := range ms {
				if v := float64(m) * p; in(v) {
					ts = append(ts, tick{v, formatLog(v)})
				}
			}
		}
		if len(ts) >= 3 {
			return ts
		}
	}
	if len(ts) >= 2 {
		return ts
	}
	// Less than a factor of two: fall back to linear ticks in value space.
	return linearTicks(math.Pow(10, lo), math.Pow(10, hi), 4)
}

// formatLog formats a tick of a logarithmic axis: 0.01, 0.1, 1, 10, 100, 1000, and
// exponent notation (1e-5, 1e6) beyond.
func formatLog(v float64) string {
	if v >= 1e-4 && v < 1e6 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return trimExp(strconv.FormatFloat(v, 'g', 3, 64))
}

// trimExp shortens Go's exponents: 1e-05 becomes 1e-5 and 1.5e+06 becomes 1.5e6.
func trimExp(s string) string {
	s = strings.Replace(s, "e+", "e", 1)
	for strings.Contains(s, "e0") || strings.Contains(s, "e-0") {
		s = strings.Replace(s, "e0", "e", 1)
		s = strings.Replace(s, "e-0", "e-", 1)
	}
	return s
}
