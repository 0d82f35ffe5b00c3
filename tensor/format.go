package tensor

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// Printing follows torch/_tensor_str.py with its default options: 4 decimals, whole
// numbers printed as "1.", scientific notation when magnitudes span more than 1000× or
// leave [1e-4, 1e8], columns padded to one width, rows wrapped at 80 characters, and
// tensors of more than 1000 elements summarised by their first and last 3 entries on
// every axis. The shape is appended as a suffix, as PyTorch appends size= for empty
// tensors.
const (
	printThreshold = 1000
	printEdgeItems = 3
	printLineWidth = 80
)

// String formats t like PyTorch prints a tensor, followed by its shape:
//
//	tensor([[ 1.0000, -2.0000],
//	        [ 3.0000,  4.5000]], shape=(2,2))
//
// A nil *Tensor prints as <nil>.
func (t *Tensor) String() string { return t.format(4) }

// Format implements fmt.Formatter so that %v and %s print String(); a precision
// (%.2v) sets the number of decimals. Other verbs print %!verb(*tensor.Tensor=…).
func (t *Tensor) Format(f fmt.State, verb rune) {
	switch verb {
	case 'v', 's':
		prec := 4
		if p, ok := f.Precision(); ok {
			prec = p
		}
		io.WriteString(f, t.format(prec))
	default:
		fmt.Fprintf(f, "%%!%c(*tensor.Tensor=%s)", verb, t.format(4))
	}
}

func (t *Tensor) format(prec int) string {
	if t == nil {
		return "<nil>"
	}
	const prefix = "tensor("
	p := printer{t: t, prec: prec, summarize: len(t.data) > printThreshold}
	var body string
	if len(t.data) == 0 {
		body = "[]"
	} else {
		p.setup()
		body = p.str(0, 0, len(prefix))
	}
	s := prefix + body
	suffix := "shape=" + ShapeString(t.shape)
	lastLine := len(s) - strings.LastIndexByte(s, '\n') + 1
	if lastLine+len(suffix)+2 > printLineWidth {
		return s + ",\n" + strings.Repeat(" ", len(prefix)) + suffix + ")"
	}
	return s + ", " + suffix + ")"
}

// printer holds the element format chosen for one tensor.
type printer struct {
	t         *Tensor
	prec      int
	summarize bool
	intMode   bool
	sciMode   bool
	width     int
}

// shown calls f for every element that is printed, in order.
func (p *printer) shown(off, ax int, f func(v float32)) {
	if ax == len(p.t.shape) {
		f(p.t.data[off])
		return
	}
	n := p.t.shape[ax]
	st := 1
	for _, d := range p.t.shape[ax+1:] {
		st *= d
	}
	for _, i := range p.indices(n) {
		if i >= 0 {
			p.shown(off+i*st, ax+1, f)
		}
	}
}

// indices lists the positions printed along an axis of length n, -1 marking the gap.
func (p *printer) indices(n int) []int {
	var idx []int
	if p.summarize && n > 2*printEdgeItems {
		for i := 0; i < printEdgeItems; i++ {
			idx = append(idx, i)
		}
		idx = append(idx, -1)
		for i := n - printEdgeItems; i < n; i++ {
			idx = append(idx, i)
		}
		return idx
	}
	for i := 0; i < n; i++ {
		idx = append(idx, i)
	}
	return idx
}

// setup chooses between whole-number, fixed and scientific notation and the column
// width from the finite nonzero elements shown, as PyTorch's _Formatter does.
func (p *printer) setup() {
	p.intMode, p.width = true, 1
	var vals []float64
	lo, hi := math.Inf(1), 0.0
	p.shown(0, 0, func(v float32) {
		x := float64(v)
		if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
			return
		}
		vals = append(vals, x)
		a := math.Abs(x)
		lo, hi = min(lo, a), max(hi, a)
		if x != math.Ceil(x) {
			p.intMode = false
		}
	})
	if len(vals) == 0 {
		return
	}
	p.sciMode = hi/lo > 1000 || hi > 1e8 || (!p.intMode && lo < 1e-4)
	for _, x := range vals {
		n := len(p.plain(x))
		if p.intMode && !p.sciMode {
			n++ // the "." that marks a float
		}
		p.width = max(p.width, n)
	}
}

// plain formats x without padding in the chosen notation.
func (p *printer) plain(x float64) string {
	switch {
	case math.IsNaN(x):
		return "nan"
	case math.IsInf(x, 1):
		return "inf"
	case math.IsInf(x, -1):
		return "-inf"
	case p.sciMode:
		return strconv.FormatFloat(x, 'e', p.prec, 64)
	case p.intMode:
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'f', p.prec, 64)
}

// elem formats one element padded to the column width.
func (p *printer) elem(v float32) string {
	x := float64(v)
	s := p.plain(x)
	if p.intMode && !p.sciMode && !math.IsNaN(x) && !math.IsInf(x, 0) {
		s += "."
	}
	if len(s) < p.width {
		s = strings.Repeat(" ", p.width-len(s)) + s
	}
	return s
}

// str formats the sub-tensor at flat offset off starting at axis ax, indented by
// indent columns.
func (p *printer) str(off, ax, indent int) string {
	shape := p.t.shape
	nd := len(shape) - ax
	if nd == 0 {
		return p.elem(p.t.data[off])
	}
	n := shape[ax]
	st := 1
	for _, d := range shape[ax+1:] {
		st *= d
	}
	idx := p.indices(n)
	if nd == 1 {
		perLine := max(1, (printLineWidth-indent)/(p.width+2))
		var lines []string
		var cur []string
		for _, i := range idx {
			e := " ..."
			if i >= 0 {
				e = p.elem(p.t.data[off+i])
			}
			cur = append(cur, e)
			if len(cur) == perLine {
				lines = append(lines, strings.Join(cur, ", "))
				cur = nil
			}
		}
		if len(cur) > 0 {
			lines = append(lines, strings.Join(cur, ", "))
		}
		return "[" + strings.Join(lines, ",\n"+strings.Repeat(" ", indent+1)) + "]"
	}
	parts := make([]string, len(idx))
	for k, i := range idx {
		if i < 0 {
			parts[k] = "..."
			continue
		}
		parts[k] = p.str(off+i*st, ax+1, indent+1)
	}
	sep := "," + strings.Repeat("\n", nd-1) + strings.Repeat(" ", indent+1)
	return "[" + strings.Join(parts, sep) + "]"
}
