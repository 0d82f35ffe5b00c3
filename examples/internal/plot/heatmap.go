package plot

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"math"
	"strconv"
)

// viridis holds eleven evenly spaced samples of matplotlib's viridis colour map (van
// der Walt and Smith), from dark purple at 0 to yellow at 1. It is perceptually uniform
// and readable in grey and by colour-blind viewers.
var viridis = [...]color.RGBA{
	{0x44, 0x01, 0x54, 0xff},
	{0x48, 0x24, 0x75, 0xff},
	{0x41, 0x44, 0x87, 0xff},
	{0x35, 0x5f, 0x8d, 0xff},
	{0x2a, 0x78, 0x8e, 0xff},
	{0x21, 0x91, 0x8c, 0xff},
	{0x22, 0xa8, 0x84, 0xff},
	{0x44, 0xbf, 0x70, 0xff},
	{0x7a, 0xd1, 0x51, 0xff},
	{0xbd, 0xdf, 0x26, 0xff},
	{0xfd, 0xe7, 0x25, 0xff},
}

// Viridis returns the colour of the viridis colour map at t, interpolated linearly
// between eleven control points: dark purple (#440154) at 0, teal in the middle and
// yellow (#fde725) at 1. t is clamped to [0,1]; NaN gives the colour at 0.
func Viridis(t float64) color.RGBA {
	if !(t > 0) {
		return viridis[0]
	}
	if t >= 1 {
		return viridis[len(viridis)-1]
	}
	f := t * float64(len(viridis)-1)
	i := int(f)
	f -= float64(i)
	a, b := viridis[i], viridis[i+1]
	mix := func(x, y uint8) uint8 { return uint8(float64(x) + f*(float64(y)-float64(x)) + 0.5) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xff}
}

// missingColor fills heat-map cells whose value is NaN or infinite.
var missingColor = color.RGBA{0xd8, 0xd8, 0xd8, 0xff}

// Layout of Heatmap, in pixels.
const (
	heatMargin   = 8  // around the picture
	heatLabelGap = 4  // between labels and cells
	heatBarGap   = 12 // between cells and colour bar
	heatBarW     = 12 // width of the colour bar
	heatMinBarH  = 64 // the colour bar is never shorter than this
	heatAnnotate = 30 // cells at least this big show their values
)

// Heatmap draws a matrix as a grid of cell×cell squares coloured with Viridis, from the
// smallest finite value (dark purple) to the largest (yellow); NaN and infinite values
// are light grey. It is meant for attention maps: values[i][j] is how much query i
// attends to key j. rowLabels (one per row, right-aligned on the left) and colLabels
// (one per column, above the cells, written upwards when they are wider than a cell)
// may each be nil. A colour bar on the right shows the scale with the extreme values.
// When cells are at least 30 pixels and the numbers fit, each shows its value as well,
// all with the same number of decimals.
//
// Heatmap panics when values is empty or ragged, when cell is not positive, or when
// labels are given for a different number of rows or columns.
func Heatmap(values [][]float32, rowLabels, colLabels []string, cell int) image.Image {
	rows := len(values)
	if rows == 0 || len(values[0]) == 0 {
		panic("plot: Heatmap: no values")
	}
	cols := len(values[0])
	for i, r := range values {
		if len(r) != cols {
			panic(fmt.Sprintf("plot: Heatmap: row %d has %d values, row 0 has %d", i, len(r), cols))
		}
	}
	if cell <= 0 {
		panic(fmt.Sprintf("plot: Heatmap: cell size %d must be positive", cell))
	}
	if rowLabels != nil && len(rowLabels) != rows {
		panic(fmt.Sprintf("plot: Heatmap: %d row labels for %d rows", len(rowLabels), rows))
	}
	if colLabels != nil && len(colLabels) != cols {
		panic(fmt.Sprintf("plot: Heatmap: %d column labels for %d columns", len(colLabels), cols))
	}

	lo, hi := math.Inf(1), math.Inf(-1)
	for _, r := range values {
		for _, v := range r {
			if f := float64(v); !math.IsNaN(f) && !math.IsInf(f, 0) {
				lo, hi = min(lo, f), max(hi, f)
			}
		}
	}
	if lo > hi { // nothing finite
		lo, hi = 0, 1
	}
	norm := func(v float64) float64 {
		if hi == lo {
			return 0
		}
		return (v - lo) / (hi - lo)
	}

	// Measure the labels.
	rowLabelW := 0
	for _, s := range rowLabels {
		rowLabelW = max(rowLabelW, textWidth(s))
	}
	colLabelW := 0
	for _, s := range colLabels {
		colLabelW = max(colLabelW, textWidth(s))
	}
	upright := colLabelW > cell-2 // column labels written upwards
	colLabelH := 0
	switch {
	case colLabels == nil:
	case upright:
		colLabelH = colLabelW
	default:
		colLabelH = GlyphHeight
	}
	loText, hiText := formatValue(lo), formatValue(hi)
	barTextW := max(textWidth(loText), textWidth(hiText))

	x0 := heatMargin
	if rowLabelW > 0 {
		x0 += rowLabelW + heatLabelGap
	}
	y0 := heatMargin
	if colLabelH > 0 {
		y0 += colLabelH + heatLabelGap
	}
	gridW, gridH := cols*cell, rows*cell
	barH := max(gridH, heatMinBarH)
	barX := x0 + gridW + heatBarGap
	width := barX + heatBarW + heatLabelGap + barTextW + heatMargin
	height := y0 + max(gridH, barH) + heatMargin + GlyphHeight/2
	img := image.NewRGBA(image.Rect(0, 0, width, height))
	draw.Draw(img, img.Bounds(), image.NewUniform(white), image.Point{}, draw.Src)

	// Cells, with their values when there is room for all of them.
	texts := cellTexts(values, cell)
	for i, r := range values {
		for j, v := range r {
			f := float64(v)
			c := missingColor
			if !math.IsNaN(f) && !math.IsInf(f, 0) {
				c = Viridis(norm(f))
			}
			rect := image.Rect(x0+j*cell, y0+i*cell, x0+(j+1)*cell, y0+(i+1)*cell)
			fillRect(img, rect, c)
			if texts != nil {
				s := texts[i][j]
				DrawText(img, rect.Min.X+(cell-textWidth(s)+1)/2, rect.Min.Y+(cell-GlyphHeight+1)/2, s, contrastText(c), 1)
			}
		}
	}

	// Labels.
	for i, s := range rowLabels {
		DrawText(img, x0-heatLabelGap-textWidth(s), y0+i*cell+(cell-GlyphHeight+1)/2, s, textColor, 1)
	}
	for j, s := range colLabels {
		if upright {
			drawTextUp(img, x0+j*cell+(cell-GlyphHeight+1)/2, y0-heatLabelGap, s, textColor, 1)
		} else {
			DrawText(img, x0+j*cell+(cell-textWidth(s)+1)/2, y0-heatLabelGap-GlyphHeight, s, textColor, 1)
		}
	}

	// Colour bar: top is the largest value.
	for y := range barH {
		c := Viridis(1 - float64(y)/float64(max(barH-1, 1)))
		fillRect(img, image.Rect(barX, y0+y, barX+heatBarW, y0+y+1), c)
	}
	tx := barX + heatBarW + heatLabelGap
	DrawText(img, tx, y0, hiText, textColor, 1)
	DrawText(img, tx, y0+barH-GlyphHeight, loText, textColor, 1)
	return img
}

// textWidth is the width of s drawn at scale 1.
func textWidth(s string) int {
	w, _ := TextSize(s, 1)
	return w
}

// contrastText returns black or white, whichever reads better on background c.
func contrastText(c color.RGBA) color.RGBA {
	if 0.299*float64(c.R)+0.587*float64(c.G)+0.114*float64(c.B) > 140 {
		return color.RGBA{0, 0, 0, 0xff}
	}
	return white
}

// formatValue formats a colour-bar value with three significant digits.
func formatValue(v float64) string {
	return trimExp(strconv.FormatFloat(v, 'g', 3, 64))
}

// cellTexts formats the values for writing in their cells with the same number of
// decimals (exact zeros as "0", non-finite values as nothing), or returns nil when the
// cells are smaller than heatAnnotate or one of the texts does not fit.
func cellTexts(values [][]float32, cell int) [][]string {
	if cell < heatAnnotate {
		return nil
	}
	big := 0.0
	for _, r := range values {
		for _, v := range r {
			if f := math.Abs(float64(v)); finite(f) {
				big = max(big, f)
			}
		}
	}
	decimals := 2 // 0.25 and 7.50
	switch {
	case big >= 100:
		decimals = 0
	case big >= 10:
		decimals = 1
	case big > 0 && big < 0.1:
		decimals = 1 - int(math.Floor(math.Log10(big))) // two significant digits of the largest
	}
	texts := make([][]string, len(values))
	for i, r := range values {
		texts[i] = make([]string, len(r))
		for j, v := range r {
			f := float64(v)
			switch {
			case !finite(f):
				continue
			case f == 0:
				texts[i][j] = "0"
			default:
				texts[i][j] = strconv.FormatFloat(f, 'f', decimals, 64)
			}
			if textWidth(texts[i][j]) > cell-2 {
				return nil
			}
		}
	}
	return texts
}
