package progress

import (
	"bytes"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeClock is a clock that moves only when told to.
type fakeClock struct{ t time.Time }

func newClock() *fakeClock                   { return &fakeClock{time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)} }
func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestLinesEveryUpdate(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, 1000, "images").PerStep(64).Every(0).Terminal(false).Clock(clk.now)
	clk.advance(2 * time.Second)
	r.Update(10, Float("loss", 2.3456789), Int("epoch", 1))
	clk.advance(8 * time.Second)
	r.Update(50, Float("loss", 0.5))
	clk.advance(190 * time.Second)
	r.Update(1000, Float("loss", 0.01234))
	r.Done()
	want := "" +
		"step   10/1000   1% | loss=2.346 epoch=1 | 320.0 images/s | elapsed 0:02 | eta 3:18\n" +
		"step   50/1000   5% | loss=0.5000 | 320.0 images/s | elapsed 0:10 | eta 3:10\n" +
		"step 1000/1000 100% | loss=0.01234 | 320.0 images/s | elapsed 3:20\n"
	assert.Equal(t, want, buf.String())
}

func TestPlainLinesAreThrottled(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, 25, "").Terminal(false).Clock(clk.now)
	for step := 1; step <= 25; step++ {
		clk.advance(time.Second)
		r.Update(step)
	}
	r.Done()
	r.Done() // a second Done writes nothing
	r.Update(26)
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, lines, 4)
	for i, prefix := range []string{"step  1/25   4%", "step 11/25  44%", "step 21/25  84%", "step 25/25 100%"} {
		assert.True(t, strings.HasPrefix(lines[i], prefix), "line %d: %q", i, lines[i])
	}
	assert.Equal(t, "step 25/25 100% | 1.00 steps/s | elapsed 0:25", lines[3])
}

func TestDoneWritesUnshownState(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, 100, "tokens").PerStep(4096).Terminal(false).Clock(clk.now)
	clk.advance(time.Second)
	r.Update(1, Float("loss", 10))
	clk.advance(3 * time.Second)
	r.Update(5, Float("loss", 8))
	r.Done() // training stopped early: the last state is still reported
	want := "" +
		"step   1/100   1% | loss=10.00 | 4096 tokens/s | elapsed 0:01 | eta 1:39\n" +
		"step   5/100   5% | loss=8.000 | 5120 tokens/s | elapsed 0:04 | eta 1:16\n"
	assert.Equal(t, want, buf.String())
}

func TestTerminal(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, 3, "").Terminal(true).Clock(clk.now)
	clk.advance(time.Second)
	r.Update(1, Str("phase", "warm-up"))
	clk.advance(10 * time.Millisecond)
	r.Update(2, Str("phase", "x")) // too soon to redraw
	clk.advance(time.Second)
	r.Printf("eval loss %.2f", 1.5)
	clk.advance(time.Second)
	r.Update(3, Str("phase", "x"))
	r.Done()
	l1 := "step 1/3  33% | phase=warm-up | 1.00 steps/s | elapsed 0:01 | eta 0:02"
	l2 := "step 2/3  66% | phase=x | 0.995 steps/s | elapsed 0:02 | eta 0:01"
	l3 := "step 3/3 100% | phase=x | 0.997 steps/s | elapsed 0:03"
	want := "\r" + l1 +
		"\r" + strings.Repeat(" ", len(l1)) + "\reval loss 1.50\n" +
		"\r" + l2 +
		"\r" + l3 + strings.Repeat(" ", len(l2)-len(l3)) +
		"\n"
	assert.Equal(t, want, buf.String())
}

func TestUnknownTotalAndResume(t *testing.T) {
	var buf bytes.Buffer
	clk := newClock()
	r := New(&buf, 0, "").Every(0).Terminal(false).Clock(clk.now).Resume(500)
	r.Update(500) // nothing done yet: no speed
	clk.advance(4 * time.Second)
	r.Update(510, Float("lr", 3e-4))
	want := "" +
		"step 500 | elapsed 0:00\n" +
		"step 510 | lr=3.000e-04 | 2.50 steps/s | elapsed 0:04\n"
	assert.Equal(t, want, buf.String())

	buf.Reset()
	r = New(&buf, 1000, "").Every(0).Terminal(false).Clock(clk.now).Resume(500)
	r.Update(500)
	clk.advance(10 * time.Second)
	r.Update(600)
	want = "" +
		"step  500/1000  50% | elapsed 0:00 | eta ?\n" +
		"step  600/1000  60% | 10.00 steps/s | elapsed 0:10 | eta 0:40\n"
	assert.Equal(t, want, buf.String())
}

func TestConcurrentUpdates(t *testing.T) {
	var buf bytes.Buffer
	r := New(&buf, 400, "").Every(0).Terminal(false)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 100 {
				r.Update(g*100+i+1, Int("g", g))
			}
		})
	}
	wg.Wait()
	r.Done()
	assert.Equal(t, 400, strings.Count(buf.String(), "\n"))
}

func TestFloat(t *testing.T) {
	tests := []struct {
		v    float64
		want string
	}{
		{0, "0.000"},
		{1.5, "1.500"},
		{-1.5, "-1.500"},
		{0.1234567, "0.1235"},
		{12.3, "12.30"},
		{1234.56, "1235"},
		{9.99996, "10.00"},
		{0.00123, "0.001230"},
		{0.0001234, "1.234e-04"},
		{123456, "1.235e+05"},
		{99999.9, "1.000e+05"},
		{math.NaN(), "NaN"},
		{math.Inf(-1), "-Inf"},
	}
	for _, tt := range tests {
		assert.Equal(t, Field{"x", tt.want}, Float("x", tt.v), "Float(%v)", tt.v)
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{0, "0:00"},
		{-time.Second, "0:00"},
		{1499 * time.Millisecond, "0:01"},
		{59*time.Second + 600*time.Millisecond, "1:00"},
		{61 * time.Minute, "1:01:00"},
		{100*time.Hour + 5*time.Second, "100:00:05"},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, formatDuration(tt.d), "formatDuration(%v)", tt.d)
	}
}

func TestPerStepPanics(t *testing.T) {
	assert.PanicsWithValue(t, "progress: PerStep: 0 units per step must be positive", func() {
		New(&bytes.Buffer{}, 1, "").PerStep(0)
	})
}

func TestNotATerminal(t *testing.T) {
	assert.False(t, isTerminal(&bytes.Buffer{}))
}
