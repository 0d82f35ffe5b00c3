package server

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// fakeText emits "t0 ", "t1 ", … one token per Delay, checking ctx before each.
type fakeText struct {
	Delay   time.Duration
	PanicAt int           // panic before token PanicAt when > 0
	Forever bool          // ignore MaxTokens; run until ctx is done
	Started chan struct{} // closed (once) when Generate begins, if non-nil
	Release chan struct{} // Generate waits for it before the first token, if non-nil
	once    sync.Once
	mu      sync.Mutex
	seen    []time.Time // when each call observed ctx done (or emit failing)
	dl      []time.Time // the ctx deadline of that call (zero if none)
}

func (f *fakeText) Generate(ctx context.Context, prompt string, p TextParams, emit func(string) error) (Usage, error) {
	if f.Started != nil {
		f.once.Do(func() { close(f.Started) })
	}
	if f.Release != nil {
		select {
		case <-f.Release:
		case <-ctx.Done():
			return Usage{}, f.observe(ctx)
		}
	}
	u := Usage{PromptTokens: len(strings.Fields(prompt))}
	for i := 0; f.Forever || i < p.MaxTokens; i++ {
		if f.PanicAt > 0 && i == f.PanicAt {
			panic("fake model exploded")
		}
		select {
		case <-ctx.Done():
			return u, f.observe(ctx)
		case <-time.After(f.Delay):
		}
		if err := emit(fmt.Sprintf("t%d ", i)); err != nil {
			f.observe(ctx) // a write to a gone client can fail before ctx is done
			return u, err
		}
	}
	return u, nil
}

func (f *fakeText) observe(ctx context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	dl, _ := ctx.Deadline()
	f.seen = append(f.seen, time.Now())
	f.dl = append(f.dl, dl)
	return ctx.Err()
}

func (f *fakeText) observed() (seen, deadline time.Time, ok bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.seen) == 0 {
		return time.Time{}, time.Time{}, false
	}
	return f.seen[0], f.dl[0], true
}

// fakeImage returns N 4×4 images whose gray level is the seed mod 256, after Steps
// steps of StepDelay each.
type fakeImage struct {
	StepDelay time.Duration
	Panic     bool
	got       chan ImageParams // receives the params of each call, if non-nil
}

func (f *fakeImage) Sample(ctx context.Context, p ImageParams) ([]image.Image, error) {
	if f.got != nil {
		f.got <- p
	}
	if f.Panic {
		var m map[string]int
		//lint:ignore SA5000 a deliberate runtime error, as a buggy model would raise
		m["boom"]++
	}
	for range max(p.Steps, 1) {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(f.StepDelay):
		}
	}
	out := make([]image.Image, p.N)
	for i := range out {
		img := image.NewGray(image.Rect(0, 0, 4, 4))
		for j := range img.Pix {
			img.Pix[j] = uint8(p.Seed)
		}
		img.Set(0, 0, color.Gray{Y: uint8(i)})
		out[i] = img
	}
	return out, nil
}

// syncBuffer is a goroutine-safe log sink.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// testModels returns the standard set: a text model "txt", an unconditional one-shot
// image model "gan", a conditional diffusion-like model "diff".
func testModels(text *fakeText, img *fakeImage) []*Model {
	if text == nil {
		text = &fakeText{}
	}
	if img == nil {
		img = &fakeImage{}
	}
	return []*Model{
		{Name: "txt", Kind: "text", Text: text},
		{Name: "gan", Kind: "gan", Image: img, Width: 4, Height: 4},
		{Name: "diff", Kind: "diffusion", Image: img, Width: 4, Height: 4, Classes: 10, DefaultSteps: 3, Guidance: true},
	}
}

// newTest starts an httptest server for the models with lim; logs go to the buffer.
func newTest(t *testing.T, lim Limits, models []*Model) (*Server, *httptest.Server, *syncBuffer) {
	t.Helper()
	logs := &syncBuffer{}
	s, err := New(Config{Models: models, Limits: lim, Seed: 7, Logger: slog.New(slog.NewJSONHandler(logs, nil))})
	require.NoError(t, err)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts, logs
}

// post sends body to path and returns the response with its body read.
func post(t *testing.T, ts *httptest.Server, path, body string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, ts.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := ts.Client().Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, b
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
