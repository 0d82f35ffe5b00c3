package progress

import (
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// DefaultInterval is the least time between two lines when the output is not a
// terminal.
const DefaultInterval = 10 * time.Second

// redrawInterval is the least time between two redraws of the line on a terminal, so a
// fast loop does not spend its time writing to the screen.
const redrawInterval = 100 * time.Millisecond

// Field is a named value shown on the progress line as Key=Value.
type Field struct {
	Key, Value string
}

// Float returns a field showing v with four significant digits, keeping trailing zeros
// so the line does not jitter: 1.500, 0.1234, 12.30, 1234; exponent notation below
// 0.001 and from 100000 on (1.230e-04).
func Float(key string, v float64) Field {
	return Field{key, formatFloat(v)}
}

// Int returns a field showing v in decimal.
func Int(key string, v int) Field {
	return Field{key, strconv.Itoa(v)}
}

// Str returns a field showing v as it is.
func Str(key, v string) Field {
	return Field{key, v}
}

func formatFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	if v == 0 {
		return "0.000"
	}
	// Round to four significant digits first, so 9.9996 counts as 10.00.
	a, _ := strconv.ParseFloat(strconv.FormatFloat(math.Abs(v), 'g', 4, 64), 64)
	if a < 1e-3 || a >= 1e5 {
		return strconv.FormatFloat(v, 'e', 3, 64)
	}
	return strconv.FormatFloat(v, 'f', max(0, 3-int(math.Floor(math.Log10(a)))), 64)
}

// Reporter prints the progress of a loop of a known number of steps. Create it with
// New, adjust it with the chainable setters before the loop, call Update after each
// step (or every few steps) and Done at the end.
type Reporter struct {
	mu       sync.Mutex
	w        io.Writer
	total    int
	unit     string
	perStep  int
	interval time.Duration
	terminal bool
	now      func() time.Time

	start     time.Time // when counting began
	startStep int       // steps done when counting began
	step      int       // latest step reported
	fields    []Field   // latest fields reported
	updated   bool      // Update has been called
	shown     bool      // the latest state has been written
	lastShow  time.Time // when a line was last written
	lineLen   int       // length of the line on the terminal, to blank it out
	done      bool
}

// New returns a Reporter writing to w for a loop of total steps (0 or less when the
// total is unknown: no percentage and no ETA), measuring speed in unit per second.
// unit names what a step processes, plural, such as "images" or "tokens" (then set
// PerStep), or "" for steps. The output counts as a terminal when w is an *os.File on a
// character device; the clock is time.Now and starts now.
func New(w io.Writer, total int, unit string) *Reporter {
	if unit == "" {
		unit = "steps"
	}
	r := &Reporter{
		w:        w,
		total:    total,
		unit:     unit,
		perStep:  1,
		interval: DefaultInterval,
		terminal: isTerminal(w),
		now:      time.Now,
	}
	r.start = r.now()
	return r
}

// isTerminal reports whether w is a character device such as a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// PerStep sets how many units one step processes, such as the batch size for images/s
// or batch size × sequence length for tokens/s, and returns r. It panics when n is not
// positive.
func (r *Reporter) PerStep(n int) *Reporter {
	if n <= 0 {
		panic(fmt.Sprintf("progress: PerStep: %d units per step must be positive", n))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.perStep = n
	return r
}

// Every sets the least time between two lines when the output is not a terminal
// (DefaultInterval unless set; 0 writes a line at every Update) and returns r. The first
// and the last step are always written.
func (r *Reporter) Every(d time.Duration) *Reporter {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.interval = d
	return r
}

// Terminal sets whether the output is a terminal, overriding the detection in New, and
// returns r. On a terminal the line is rewritten in place.
func (r *Reporter) Terminal(on bool) *Reporter {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.terminal = on
	return r
}

// Clock replaces the clock, for tests and reproducible output, restarts the elapsed
// time from now() and returns r.
func (r *Reporter) Clock(now func() time.Time) *Reporter {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.now = now
	r.start = now()
	return r
}

// Resume tells r that step steps were done before it started (training resumed from a
// checkpoint), so the speed and ETA count only the steps run since, and returns r.
func (r *Reporter) Resume(step int) *Reporter {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.startStep = step
	r.step = step
	return r
}

// Update records that step steps are complete (1 after the first step, total after the
// last) with the given fields, and writes the progress line if it is due: on a terminal
// at most every 100 ms, otherwise at most once per interval (see Every); the first
// update and the last step are always written. Update after Done does nothing.
func (r *Reporter) Update(step int, fields ...Field) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	now := r.now()
	r.step = step
	r.fields = append(r.fields[:0], fields...)
	first := !r.updated
	r.updated = true
	r.shown = false
	gap := r.interval
	if r.terminal {
		gap = redrawInterval
	}
	if first || (r.total > 0 && step >= r.total) || now.Sub(r.lastShow) >= gap {
		r.show(now)
	}
}

// Printf writes a message on a line of its own, such as an evaluation result, without
// garbling the progress line: on a terminal the line is cleared first and drawn again
// after the message.
func (r *Reporter) Printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	msg := strings.TrimSuffix(fmt.Sprintf(format, args...), "\n")
	if r.terminal && r.lineLen > 0 && !r.done {
		fmt.Fprintf(r.w, "\r%s\r%s\n", strings.Repeat(" ", r.lineLen), msg)
		r.lineLen = 0
		if r.updated {
			r.show(r.now())
		}
		return
	}
	fmt.Fprintln(r.w, msg)
}

// Done writes the latest state if it has not been written yet and, on a terminal, ends
// the line. Later calls to Update and Done do nothing.
func (r *Reporter) Done() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.done {
		return
	}
	r.done = true
	if r.updated && !r.shown {
		r.show(r.now())
	}
	if r.terminal && r.lineLen > 0 {
		fmt.Fprintln(r.w)
	}
}

// show writes the line for the latest state.
func (r *Reporter) show(now time.Time) {
	line := r.line(now)
	if r.terminal {
		pad := ""
		if n := r.lineLen - len(line); n > 0 {
			pad = strings.Repeat(" ", n)
		}
		fmt.Fprintf(r.w, "\r%s%s", line, pad)
		r.lineLen = len(line)
	} else {
		fmt.Fprintln(r.w, line)
	}
	r.shown = true
	r.lastShow = now
}

// line formats the progress line for the latest state at time now.
func (r *Reporter) line(now time.Time) string {
	var b strings.Builder
	if r.total > 0 {
		width := len(strconv.Itoa(r.total))
		pct := 100 * r.step / r.total
		fmt.Fprintf(&b, "step %*d/%d %3d%%", width, r.step, r.total, pct)
	} else {
		fmt.Fprintf(&b, "step %d", r.step)
	}
	if len(r.fields) > 0 {
		b.WriteString(" |")
		for _, f := range r.fields {
			fmt.Fprintf(&b, " %s=%s", f.Key, f.Value)
		}
	}
	elapsed := now.Sub(r.start)
	done := r.step - r.startStep
	if elapsed > 0 && done > 0 {
		rate := float64(done*r.perStep) / elapsed.Seconds()
		fmt.Fprintf(&b, " | %s %s/s", formatRate(rate), r.unit)
	}
	fmt.Fprintf(&b, " | elapsed %s", formatDuration(elapsed))
	if r.total > 0 {
		switch {
		case r.step >= r.total:
		case elapsed > 0 && done > 0:
			left := time.Duration(float64(elapsed) / float64(done) * float64(r.total-r.step))
			fmt.Fprintf(&b, " | eta %s", formatDuration(left))
		default:
			b.WriteString(" | eta ?")
		}
	}
	return b.String()
}

// formatRate formats a speed with about four significant digits.
func formatRate(v float64) string {
	switch {
	case v >= 1000:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return strconv.FormatFloat(v, 'f', 3, 64)
}

// formatDuration formats d, rounded to the second, as m:ss or h:mm:ss.
func formatDuration(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s < 0 {
		s = 0
	}
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
